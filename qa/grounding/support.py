"""Whether the sources support an answer: its numbers and names, and which sources to cite."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.grounding.names import outside_names, unsupported_names
from qa.grounding.quantities import numeral_values
from qa.grounding.words import numbers_in, word_stems
from qa.models import Passage


def stated_numbers(text: str) -> set[str]:
    """The numbers ``text`` states, in digits or as a numeral 2-99 in words of a corpus language
    or English ("twintig jaar" states 20), as digit strings."""
    return numbers_in(text) | {str(value) for value in numeral_values(text).values()}


def unsupported_numbers(answer: str, evidence: list[str], question: str = "") -> set[str]:
    """Numbers ``answer`` writes in digits that no ``evidence`` text states, in digits or in words
    (:func:`stated_numbers`: "För 20 år sedan." is supported by a Dutch source's "in twintig
    jaar"), and that the question does not write in digits. A question's numeral in words does not
    vouch for the answer's digits: "Ja, 12 Kapitel." to "Hat sie zwölf Kapitel?" is the echo of a
    premise the premise rules look for in digits."""
    known = numbers_in(question)
    for text in evidence:
        known |= stated_numbers(text)
    return numbers_in(answer) - known


def support_score(answer: str, passage: Passage) -> float:
    """How much of ``answer`` ``passage`` supports: shared numbers count double, shared stems once."""
    a_nums, p_nums = numbers_in(answer), numbers_in(passage.text)
    a_stems, p_stems = word_stems(answer), word_stems(passage.text)
    if not a_nums and not a_stems:
        return 0.0
    shared = 2 * len(a_nums & p_nums) + len(a_stems & p_stems)
    return shared / (2 * len(a_nums) + len(a_stems))


def best_support(answer: str, passages: list[Passage]) -> Passage | None:
    """The passage that best supports ``answer``; the top-ranked one breaks ties (and wins at zero)."""
    if not passages:
        return None
    scored = [(support_score(answer, p), -i, p) for i, p in enumerate(passages)]
    return max(scored, key=lambda t: (t[0], t[1]))[2]


@dataclass
class GroundingResult:
    citations: list[Passage]
    ok: bool
    problems: list[str] = field(default_factory=list)


def ground(
    answer: str,
    cited: list[Passage],
    passages: list[Passage],
    question: str,
    *,
    check_names: str = "corpus",
    vocabulary: frozenset[str] | set[str] | None = None,
) -> GroundingResult:
    """Check that the answer's numbers and names are supported.

    A number missing from the cited paragraphs but present in another retrieved one moves
    that paragraph into the citations; a number present in none fails the check. With no
    citations at all, the best-supporting retrieved paragraph is attached. Names, by
    ``check_names``: ``"corpus"`` fails a full name none of whose words is in ``vocabulary``
    (the corpus's stems; the retrieved passages' when None) or the question
    (:func:`outside_names`); ``"sources"`` fails any capitalised word that is in no retrieved
    passage (:func:`unsupported_names`; strict, and wrong for German nouns); ``"off"`` checks none.
    """
    citations = list(cited)
    if not citations:
        best = best_support(answer, passages)
        citations = [best] if best is not None else []
    problems: list[str] = []
    missing = unsupported_numbers(answer, [p.text for p in citations], question)
    for number in sorted(missing):
        holder = next((p for p in passages if number in stated_numbers(p.text)), None)
        if holder is None:
            problems.append(f"number {number} is in no source")
        elif holder not in citations:
            citations.append(holder)
    if check_names == "sources":
        for name in sorted(unsupported_names(answer, [p.text for p in passages], question)):
            problems.append(f"name {name} is in no source")
    elif check_names == "corpus":
        if vocabulary is None:
            vocabulary = set().union(*(word_stems(p.text) for p in passages))
        for name in outside_names(answer, vocabulary, question):
            problems.append(f"name {name} is in no article")
    return GroundingResult(citations, not problems, problems)


def prune_citations(answer: str, citations: list[Passage]) -> list[Passage]:
    """Keep the citations that carry the answer, drop those that merely share a word with it.

    Kept: the best-supporting citation, the one holding most of the answer's numbers first (a
    paragraph that shares words but not the number is not the source of a number), then by
    support (the first on a tie); any other with at least half its support that also holds
    every number of the answer the best one holds (a second article stating the same fact);
    and, for a number of the answer the kept ones lack, the first citation that holds it.
    Small models cite every source that shares one word with a short answer, which made one
    correct citation in two a wrong one.
    """
    if len(citations) <= 1:
        return citations
    answer_numbers = numbers_in(answer)
    scored = [(support_score(answer, p), p) for p in citations]
    best_score, best = max(  # max keeps the first of equals
        scored, key=lambda t: (len(answer_numbers & numbers_in(t[1].text)), t[0])
    )
    if best_score == 0:
        return citations[:1]
    wanted = answer_numbers & numbers_in(best.text)
    kept = [
        p for score, p in scored if p is best or (score >= best_score / 2 and wanted <= numbers_in(p.text))
    ]
    covered = set().union(*(numbers_in(p.text) for p in kept))
    for number in sorted(answer_numbers - covered):
        holder = next((p for p in citations if number in numbers_in(p.text)), None)
        if holder is not None and holder not in kept:
            kept.append(holder)
            covered |= numbers_in(holder.text)
    return [p for p in citations if p in kept]


def shares_nothing(answer: str, passages: list[Passage]) -> bool:
    """True when ``answer`` has no number and no word stem in common with any of ``passages``
    (a bare "Yes." or a name from outside knowledge), so no source can be said to support it."""
    return bool(passages) and not any(support_score(answer, p) > 0 for p in passages)
