"""From a model's raw reply to checked citations: parse, map source numbers, verify grounding.

Small models invent source numbers ([7] of 4), cite nothing, or state numbers and dates
that no source contains. The functions here catch those cases deterministically.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from qa.lang import WORD_LIST_LANGUAGES, fold, source_names
from qa.models import Passage

if TYPE_CHECKING:
    from qa.corpus import Corpus

# The JSON the model is asked for. Field order matters: the answer streams first.
ANSWER_SCHEMA_FIELDS = ("answer", "sources", "found")

_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
_NUMBER = re.compile(r"\d+")
_WORD = re.compile(r"\w+", re.UNICODE)
_ABSTAIN_PATTERNS = re.compile(
    r"(i (do not|don't) know|not (stated|mentioned|contain|say)|do(es)? not (say|state|mention|contain)|"
    r"no information|keine (angaben|informationen)|nicht (erwähnt|angegeben|genannt)|"
    r"ne (le )?(disent|mentionnent|précisent) pas|aucune information|"
    r"(säger|nämner) (inget|inte)|framgår inte|(zeggen|vermelden) (niets|niet)|niet vermeld)",
    re.IGNORECASE,
)


def answer_schema(n_sources: int) -> dict[str, object]:
    """JSON schema for the reply; source numbers are limited to 1..n where the backend enforces it."""
    return {
        "type": "object",
        "properties": {
            "answer": {"type": "string"},
            "sources": {"type": "array", "items": {"type": "integer", "enum": list(range(1, n_sources + 1))}},
            "found": {"type": "boolean"},
        },
        "required": list(ANSWER_SCHEMA_FIELDS),
        "additionalProperties": False,
    }


@dataclass
class ParsedReply:
    """What the model said: answer text (markers removed), source numbers as given, and ``found``."""

    text: str
    sources: list[int] = field(default_factory=list)
    found: bool = True
    structured: bool = False
    # The reply started as JSON but did not parse (cut off at the token limit, or broken).
    malformed: bool = False


def parse_reply(raw: str) -> ParsedReply:
    """Parse a JSON reply, or plain text with ``[n]`` markers when the backend ignored the schema."""
    stripped = raw.strip()
    if stripped.startswith("```"):
        stripped = re.sub(r"^```\w*\s*|\s*```$", "", stripped)
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            text = str(data.get("answer") or "").strip()
            sources = _ints(data.get("sources"))
            found = data.get("found")
            found_flag = bool(found) if isinstance(found, bool) else bool(text)
            cleaned, inline = strip_markers(text)
            return ParsedReply(cleaned, _dedupe(sources + inline), found_flag and bool(cleaned), True)
        return ParsedReply("", [], False, True, malformed=True)
    cleaned, inline = strip_markers(stripped)
    found = bool(cleaned) and not looks_like_abstention(cleaned)
    return ParsedReply(cleaned, inline, found, False)


def _ints(value: object) -> list[int]:
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            out.append(item)
        elif isinstance(item, str) and item.strip().lstrip("[").rstrip("]").isdigit():
            out.append(int(item.strip().lstrip("[").rstrip("]")))
    return out


def _dedupe(numbers: list[int]) -> list[int]:
    return list(dict.fromkeys(numbers))


def strip_markers(text: str) -> tuple[str, list[int]]:
    """Remove ``[1]``/``[1, 2]`` markers from ``text``; return the clean text and the numbers in order."""
    numbers: list[int] = []

    def collect(match: re.Match[str]) -> str:
        numbers.extend(int(n) for n in re.findall(r"\d+", match.group(1)))
        return ""

    cleaned = _MARKER.sub(collect, text)
    cleaned = re.sub(r"\s+([.,;:!?])", r"\1", cleaned)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned).strip()
    return cleaned, _dedupe(numbers)


def looks_like_abstention(text: str) -> bool:
    """True for free-text replies such as "I don't know" or "The sources do not say"."""
    return len(text) < 200 and bool(_ABSTAIN_PATTERNS.search(text))


def map_sources(numbers: list[int], passages: list[Passage]) -> tuple[list[Passage], list[int]]:
    """Passages for the 1-based source ``numbers``; numbers outside 1..len(passages) are dropped."""
    kept: list[Passage] = []
    dropped: list[int] = []
    for n in numbers:
        if 1 <= n <= len(passages):
            if passages[n - 1] not in kept:
                kept.append(passages[n - 1])
        else:
            dropped.append(n)
    return kept, dropped


# --- grounding -----------------------------------------------------------------------------


def numbers_in(text: str) -> set[str]:
    """Digit runs in ``text`` with leading zeros removed ("09" and "9" are the same day)."""
    return {n.lstrip("0") or "0" for n in _NUMBER.findall(text)}


def _stems(text: str, length: int = 5) -> set[str]:
    return {w[:length] for w in _WORD.findall(fold(text)) if len(w) >= 3 and not w.isdigit()}


def unsupported_numbers(answer: str, evidence: list[str], question: str = "") -> set[str]:
    """Numbers in ``answer`` that appear neither in any ``evidence`` text nor in the question."""
    known = numbers_in(question)
    for text in evidence:
        known |= numbers_in(text)
    return numbers_in(answer) - known


def _name_candidates(answer: str) -> set[str]:
    """Capitalised words that do not start a sentence: likely names."""
    names = set()
    for sentence in re.split(r"(?<=[.!?:])\s+", answer):
        words = _WORD.findall(sentence)
        for word in words[1:]:
            if len(word) >= 3 and word[0].isupper() and not word.isdigit():
                names.add(word)
    return names


def unsupported_names(answer: str, evidence: list[str], question: str = "") -> set[str]:
    """Likely names in ``answer`` whose first letters (accent- and case-folded) occur in no evidence.

    Compares 5-letter stems, so inflections ("Vietnams") and translations that keep the stem
    ("Konvention"/"convention") pass; an invented person or place does not.
    """
    known = _stems(question)
    for text in evidence:
        known |= _stems(text)
    return {name for name in _name_candidates(answer) if fold(name)[:5] not in known}


# Lower-case words that join the parts of one name: "Ministry of Foreign Affairs", "Ministère de
# la Sécurité publique". Not German ones: "Verwaltung von Strafen" is two nouns, not a name.
_NAME_JOINERS = frozenset({"of", "the", "de", "du", "des", "d", "la", "le", "van", "af", "di"})
# Where a sentence of an answer ends, for telling a capitalised first word from a name.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?:;])\s+")
# What may stand between two words of one name: spaces, hyphens, apostrophes.
_NAME_GAP = re.compile(r"[\s\-\u2010\u2011'\u2019]*")


def _is_capitalised(word: str) -> bool:
    return len(word) >= 2 and word[0].isupper()


def _name_runs(answer: str) -> list[list[str]]:
    """Runs of two or more capitalised words, in each sentence: "Emmanuel Macron", "Willem II",
    "Willem-Alexander", "Ministry of Foreign Affairs" (joiners between capitalised words keep a
    run going; other punctuation ends it). A short first word of a sentence ("The", "Die",
    "Het") is capitalised for its place, so it starts no run; nor does a word right after a
    number, which is what is counted ("90 Millionen Einwohner": German capitalises nouns)."""
    runs: list[list[str]] = []
    for sentence in _SENTENCE_BREAK.split(answer):
        # Tokens, each with whether punctuation (not a space, hyphen or apostrophe) precedes it.
        tokens: list[tuple[str, bool]] = []
        end = 0
        for match in _WORD.finditer(sentence):
            gap = sentence[end : match.start()]
            tokens.append((match.group(), bool(tokens) and not _NAME_GAP.fullmatch(gap)))
            end = match.end()
        run: list[str] = []
        i = 0
        while i < len(tokens):
            word, broken = tokens[i]
            if broken and run:
                if len(run) >= 2:
                    runs.append(run)
                run = []
            after_number = i > 0 and tokens[i - 1][0].isdigit() and not broken
            if _is_capitalised(word) and not (i == 0 and len(word) <= 3) and not (after_number and not run):
                run.append(word)
                i += 1
                continue
            j = i
            while run and j < len(tokens) and tokens[j][0] in _NAME_JOINERS and not tokens[j][1]:
                j += 1
            if j > i and j < len(tokens) and _is_capitalised(tokens[j][0]) and not tokens[j][1]:
                i = j  # the joiners link two parts of one name
                continue
            if len(run) >= 2:
                runs.append(run)
            run = []
            i += 1
        if len(run) >= 2:
            runs.append(run)
    return runs


def outside_names(
    answer: str, vocabulary: frozenset[str] | set[str], question: str = "", *, language: str | None = None
) -> list[str]:
    """Full names in ``answer`` (two or more capitalised words in a row) none of whose words
    occurs in ``vocabulary`` (the corpus's word stems, see :func:`corpus_vocabulary`):
    "Emmanuel Macron", "Olaf Scholz", "Willem II" to questions the articles do not answer. A
    person's or a place's name is not translated, so one the articles support is in them; a run
    with one word in them ("Ministry of Foreign Affairs": "Ministry", "United Nations":
    "Nations") may translate what they say and passes. A run made only of the question's words
    passes too ("No, Emmanuel Macron is not mentioned"), but one word of the question does not
    vouch for the rest ("Papst Franziskus" to "Wer ist der Papst?"). Single capitalised words
    are left alone: German capitalises every noun, and "Committee" translates "Comité".

    With ``language``, a run made only of that language's own words (:func:`language_word`)
    passes as well: "Auswärtigen Angelegenheiten" in a German translation of "minister van
    Buitenlandse Zaken". That leaves a name a language translates ("Papst Franziskus") unchecked,
    so the answer check does without it; a translation is of an answer that passed it."""
    asked = _stems(question)
    outside = []
    for run in _name_runs(answer):
        stems = [fold(w)[:5] for w in run if len(w) >= 3]
        if not stems or any(s in vocabulary for s in stems) or all(s in asked for s in stems):
            continue
        if language is not None and all(language_word(w, language) for w in run):
            continue
        outside.append(" ".join(run))
    return outside


# A language's own word (see language_word): common in its word list (about once in a million
# words) and rare (_RARE_ZIPF) in every other one.
_OWN_WORD_ZIPF = 3.0


def language_word(word: str, lang: str) -> bool:
    """Whether ``word`` is a word of ``lang``'s own and of no other language in
    :data:`qa.lang.WORD_LIST_LANGUAGES`: common in ``lang``'s wordfreq list and rare in every
    other. Names are not: news in every language writes "Macron" (Zipf 3.0-4.9 in all five
    lists), "Scholz" (1.9-4.0) or "Stockholm"; "Angelegenheiten" is German only (4.1 in German,
    0 in the other four)."""
    from wordfreq import zipf_frequency

    if zipf_frequency(word, lang) < _OWN_WORD_ZIPF:
        return False
    return all(zipf_frequency(word, other) < _RARE_ZIPF for other in WORD_LIST_LANGUAGES if other != lang)


_T = TypeVar("_T")
_CORPUS_CACHE: dict[tuple[str, tuple[str, ...]], frozenset[Any]] = {}
_CORPUS_LOCK = threading.Lock()
_CORPUS_CACHE_SIZE = 8


def _per_corpus(corpus: Corpus, kind: str, of_text: Callable[[str], set[str]]) -> frozenset[str]:
    """The union of ``of_text`` over every paragraph of ``corpus``, computed once per ``kind`` and
    set of source files (keyed by their hashes)."""

    def union(corpus: Corpus) -> set[str]:
        found: set[str] = set()
        for doc in corpus.documents:
            for paragraph in doc.paragraphs:
                found |= of_text(paragraph.text)
        return found

    return cached_for_corpus(corpus, kind, union)


def cached_for_corpus(corpus: Corpus, kind: str, compute: Callable[[Corpus], set[_T]]) -> frozenset[_T]:
    """``compute(corpus)``, computed once per ``kind`` and set of source files (keyed by their hashes)."""
    key = (kind, tuple(sorted(d.sha256 for d in corpus.documents)))
    with _CORPUS_LOCK:
        cached = _CORPUS_CACHE.get(key)
    if cached is not None:
        return cached
    result = frozenset(compute(corpus))
    with _CORPUS_LOCK:
        while len(_CORPUS_CACHE) >= _CORPUS_CACHE_SIZE:
            _CORPUS_CACHE.pop(next(iter(_CORPUS_CACHE)))
        _CORPUS_CACHE[key] = result
    return result


def corpus_vocabulary(corpus: Corpus) -> frozenset[str]:
    """The word stems of every paragraph of ``corpus`` (as :func:`unsupported_names` compares
    them), computed once per set of source files."""
    return _per_corpus(corpus, "stems", _stems)


def corpus_capitalised(corpus: Corpus) -> frozenset[str]:
    """The words ``corpus`` writes only capitalised, case-folded (:func:`qa.lang.source_names`:
    names such as "Hanoi", and German nouns; not "Har", which opens a sentence but is "har"
    elsewhere), computed once per set of source files."""

    def capitalised(corpus: Corpus) -> set[str]:
        return set(source_names(p.text for doc in corpus.documents for p in doc.paragraphs))

    return cached_for_corpus(corpus, "capitalised", capitalised)


def corpus_names(corpus: Corpus) -> frozenset[str]:
    """Words written capitalised in articles of two or more languages, folded: names ("Hanoi",
    "Luong", "Guterres", "UNODC"), which no translation changes; not German nouns ("Präsident"
    is "président", "president" elsewhere). Computed once per set of source files."""

    def shared(corpus: Corpus) -> set[str]:
        languages: dict[str, set[str]] = {}
        for doc in corpus.documents:
            for paragraph in doc.paragraphs:
                for word in _WORD.findall(paragraph.text):
                    if _is_capitalised(word) and not word.isdigit():
                        languages.setdefault(fold(word), set()).add(paragraph.lang)
        return {word for word, langs in languages.items() if len(langs) >= 2}

    return cached_for_corpus(corpus, "names", shared)


def lost_names(original: str, translated: str, names: Set[str]) -> list[str]:
    """The names (``names``, see :func:`corpus_names`) of ``original`` that ``translated`` lacks,
    compared by their first five letters ("Vietnams" is kept as "Vietnam's")."""
    have = {fold(w)[:5] for w in _WORD.findall(translated)}
    return [
        w
        for w in _WORD.findall(original)
        if _is_capitalised(w) and fold(w) in names and fold(w)[:5] not in have
    ]


# Words of another language in an answer (see foreign_words). The languages looked up besides
# the sources': the articles' and English, the two the bundled model mixes in.
# Zipf frequency (log10 of uses per billion words, wordfreq's scale): under RARE a word is not
# one of the answer's language (under about once in 30 million words); from COMMON it is one of
# another language's (about once in 3 million words).
_RARE_ZIPF = 1.5
_COMMON_ZIPF = 2.5
_TOKEN = re.compile(r"[^\W\d_]+(?:[-\u2010\u2011'\u2019][^\W\d_]+)*")
_TOKEN_JOINS = re.compile(r"[-\u2010\u2011'\u2019]")
_MIN_FOREIGN_LETTERS = 4


def foreign_words(
    answer: str,
    lang: str,
    sources: Iterable[Passage],
    *,
    asked: str = "",
    names: Set[str] = frozenset(),
) -> dict[str, list[str]]:
    """The words of ``answer`` that are in another language than ``lang``, by language:
    ``{"nl": ["Buitenlandse", "Zaken"]}`` for "Le vicepremier et le minister de Buitenlandse
    Zaken …" to a French question. Small models copy words from a source in another language
    into an answer whose other words are in the right one, which no whole-answer language
    check sees.

    A word (or a part of a hyphenated one, of four letters or more) is foreign when it is rare
    in ``lang`` (wordfreq's word lists, which ship inside the package) and

    - common in another language (the sources' languages, the articles', English), or
    - copied from a source in another language: in lower case (compounds such as
      "cybersamarbete" are in no word list), or capitalised and in that language's word list
      ("Rechtsrahmen" from a German source in a French answer; a name the list lacks, written
      in one article only, is not taken for a word), or
    - in no word list at all and ending in a word of another language that a source in that
      language has inside one of its words ("Kapacitätsuppbyggnad" in a German answer: the
      Swedish source's "kapacitetsuppbyggnad").

    Words of the question (``asked``) and the articles' names (``names``, folded, see
    :func:`corpus_names`) are never foreign. Empty when wordfreq has no list for ``lang``.
    """
    return _judge_words(answer, lang, sources, asked, names).found


@dataclass
class _Judged:
    """What :func:`_judge_words` found: the foreign words by language (each once), how many of the
    answer's words (every occurrence) are foreign in each language, and how many were judged."""

    found: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    judged: int = 0


def _judge_words(answer: str, lang: str, sources: Iterable[Passage], asked: str, names: Set[str]) -> _Judged:
    """The word-by-word judgement behind :func:`foreign_words` and :func:`mostly_foreign`."""
    from wordfreq import available_languages

    result = _Judged()
    known = available_languages()
    if lang not in known:
        return result
    sources = list(sources)
    others = [
        other
        for other in dict.fromkeys([*WORD_LIST_LANGUAGES, *(p.lang for p in sources)])
        if other != lang and other in known
    ]
    source_words = {
        other: {w for p in sources if p.lang == other for w in _WORD.findall(p.text)} for other in others
    }
    question_words = {fold(w) for w in _WORD.findall(asked)}
    for token in _TOKEN.findall(answer):
        # The parts of a word (or a hyphenated one) judged: four letters or more, not a word of
        # the question, not a name of the articles.
        parts = [
            part
            for part in _TOKEN_JOINS.split(token)
            if len(part) >= _MIN_FOREIGN_LETTERS
            and fold(part) not in question_words
            and fold(part) not in names
        ]
        if parts:
            result.judged += 1
        for part in parts:
            language = _foreign_language(part, lang, others, source_words)
            if language is not None:
                words = result.found.setdefault(language, [])
                if token not in words:
                    words.append(token)
                result.counts[language] = result.counts.get(language, 0) + 1
                break
    return result


def mostly_foreign(
    answer: str,
    lang: str,
    sources: Iterable[Passage],
    *,
    asked: str = "",
    names: Set[str] = frozenset(),
) -> str | None:
    """The language most of ``answer`` is in instead of ``lang``, by :func:`foreign_words`: the
    one whose words make up at least half of the answer's words that function judges (four
    letters or more, not a name of the articles, not a word of the question); None otherwise.
    "Vicepremier en minister van Buitenlandse Zaken" to a German question is Dutch (three of
    its four words), "Generalsekretär" to a Swedish one German: a whole-answer language
    detector, given a few short words or one, cannot tell."""
    judged = _judge_words(answer, lang, sources, asked, names)
    if not judged.counts:
        return None
    language = max(judged.counts, key=judged.counts.__getitem__)
    return language if 2 * judged.counts[language] >= judged.judged else None


# A word in no list is checked for an ending of this many letters or more that is a word of
# another language ("uppbyggnad" of "Kapacitätsuppbyggnad").
_MIN_FOREIGN_ENDING = 6


def _foreign_language(
    part: str, lang: str, others: list[str], source_words: dict[str, set[str]]
) -> str | None:
    """The language ``part`` (one word) belongs to instead of ``lang``, or None (see
    :func:`foreign_words`)."""
    from wordfreq import zipf_frequency

    if zipf_frequency(part, lang) >= _RARE_ZIPF:
        return None
    frequency = {o: zipf_frequency(part, o) for o in others}
    if part[:1].isupper():
        copied = [o for o in others if part in source_words[o] and frequency[o] >= _RARE_ZIPF]
    else:
        copied = [o for o in others if part in source_words[o]]
    if copied:
        return copied[0]
    common = [o for o in others if frequency[o] >= _COMMON_ZIPF]
    if common:
        return max(common, key=frequency.__getitem__)
    if max(frequency.values(), default=0.0) > 0:
        return None
    lower = part.lower()
    # An ending has no space in it, so it is inside one of a language's source words exactly
    # when it is inside all of them written one after another.
    written = {other: " ".join(source_words[other]).lower() for other in others}
    for start in range(1, len(lower) - _MIN_FOREIGN_ENDING + 1):
        ending = lower[start:]
        if zipf_frequency(ending, lang) >= _RARE_ZIPF:
            continue
        for other in others:
            if zipf_frequency(ending, other) >= _COMMON_ZIPF and ending in written[other]:
                return other
    return None


def corpus_years(corpus: Corpus) -> frozenset[str]:
    """Every year a paragraph of ``corpus`` states in digits, computed once per set of source
    files."""
    return _per_corpus(corpus, "years", years_in)


def support_score(answer: str, passage: Passage) -> float:
    """How much of ``answer`` ``passage`` supports: shared numbers count double, shared stems once."""
    a_nums, p_nums = numbers_in(answer), numbers_in(passage.text)
    a_stems, p_stems = _stems(answer), _stems(passage.text)
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
        holder = next((p for p in passages if number in numbers_in(p.text)), None)
        if holder is None:
            problems.append(f"number {number} is in no source")
        elif holder not in citations:
            citations.append(holder)
    if check_names == "sources":
        for name in sorted(unsupported_names(answer, [p.text for p in passages], question)):
            problems.append(f"name {name} is in no source")
    elif check_names == "corpus":
        if vocabulary is None:
            vocabulary = set().union(*(_stems(p.text) for p in passages))
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


# Words that give a yes/no answer its information, in the corpus languages and English.
_POLARITY = frozenset({"yes", "no", "ja", "nein", "nej", "nee", "neen", "oui", "non", "si"})


def repeats_question(answer: str, question: str) -> bool:
    """True when ``answer`` adds nothing to ``question``: no yes/no, no number the question lacks,
    and every word stem of it is in the question ("Vietnam" to "Which country, other than
    Vietnam, …?", "Prison sentences are set for hackers." to "What prison sentences …?").
    Small models answer that way when the sources do not say; it is never a supported answer."""
    if {fold(w) for w in _WORD.findall(answer)} & _POLARITY:
        return False
    if numbers_in(answer) - numbers_in(question):
        return False
    return not (_stems(answer) - _stems(question))


# Interrogative words, folded, by language: a question that opens with one (or with a preposition
# or "and" and then one: "Mit welchen Mitteln…?", "Dans quelle ville…?") asks for more than yes or
# no. Per language, since English "was" and Swedish "var" also open yes/no questions ("Was it…?",
# "Var det…?"), and French "Est-ce que…?" is one.
_INTERROGATIVES = {
    "en": frozenset({"what", "who", "whom", "whose", "which", "where", "why", "how", "when"}),
    "de": frozenset(
        {
            "was", "wer", "wen", "wem", "wessen", "welche", "welchem", "welchen", "welcher", "welches",
            "wo", "woher", "wohin", "womit", "wofur", "woruber", "warum", "weshalb", "wieso", "wie", "wann",
        }
    ),
    "fr": frozenset(
        {
            "que", "qu", "quoi", "qui", "quel", "quelle", "quels", "quelles", "ou", "pourquoi", "comment",
            "quand", "combien", "lequel", "laquelle",
        }
    ),
    "sv": frozenset({"vad", "vem", "vems", "vilken", "vilket", "vilka", "varifran", "vart", "varfor", "hur", "nar"}),
    "nl": frozenset(
        {"wat", "wie", "wiens", "welk", "welke", "waar", "waarom", "hoe", "wanneer", "waarmee", "waarvoor", "hoeveel"}
    ),
}  # fmt: skip
_QUESTION_LEADS = frozenset(
    {
        "and", "in", "on", "at", "for", "from", "with", "by", "of", "since", "to", "und", "mit", "an",
        "zu", "fur", "von", "aus", "bei", "nach", "seit", "bis", "um", "uber", "et", "dans", "a", "en",
        "de", "du", "par", "pour", "avec", "sur", "depuis", "och", "i", "pa", "fran", "med", "av",
        "till", "sedan", "op", "van", "met", "voor", "uit", "naar", "bij", "sinds", "tot",
    }
)  # fmt: skip
_LEADING_POLARITY = re.compile(rf"^\W*(?:{'|'.join(sorted(_POLARITY))})\b[\s,.;:!–—-]*", re.IGNORECASE)


def _interrogative_at(words: list[str], interrogatives: frozenset[str]) -> int | None:
    """Where the interrogative opening a question's folded ``words`` is: the first word, or the
    second after a preposition or "and" ("Und wo…?", "Dans quelle ville…?"); None when there is none."""
    if len(words) > 1 and words[0] in _QUESTION_LEADS:
        return 1 if words[1] in interrogatives else None
    return 0 if words[:1] and words[0] in interrogatives else None


def asks_open_question(question: str, lang: str) -> bool:
    """True when ``question``, written in ``lang``, opens with an interrogative ("Wo hat er sie
    empfangen?", "Und wo…?", "Dans quelle ville…?"): it asks for more than yes or no."""
    words = _WORD.findall(fold(question))[:2]
    return _interrogative_at(words, _INTERROGATIVES.get(lang, frozenset())) is not None


# Words this frequent in the answer's language (Zipf, see foreign_words: about once in 100,000
# words and more often: "die", "wurde", "the", "was", "är") carry no fact, so an answer need not
# find them in a source.
_FUNCTION_ZIPF = 5.0


def _content_words(text: str, lang: str) -> set[str]:
    """The folded words of ``text`` that may carry a fact: not yes/no, not numbers, not as
    frequent as function words (every word, when wordfreq has no list for ``lang``)."""
    from wordfreq import available_languages, zipf_frequency

    listed = lang in available_languages()
    return {
        fold(w)
        for w in _WORD.findall(text)
        if len(w) >= 3
        and not w.isdigit()
        and fold(w) not in _POLARITY
        and not (listed and zipf_frequency(w, lang) >= _FUNCTION_ZIPF)
    }


def unverified_yes_no(
    answer: str, question: str, lang: str, sources: Iterable[str], names: Set[str] = frozenset()
) -> bool:
    """True when ``answer`` says yes or no to a yes/no ``question`` (written in ``lang``) and
    otherwise only repeats it ("Ja, die Konvention wurde in Genf unterzeichnet." to "Wurde die
    Konvention in Genf unterzeichnet?"), and no source (``sources``) has all its content words
    (compared by their first five letters; words as frequent as "die" or "wurde" are left out).

    The bundled model says yes to nearly every yes/no question, false premises included, so
    such an answer tells nothing unless a source in the answer's language states the same words.
    The articles' ``names`` (see :func:`corpus_names`) count as repeated too: "Oui, le Brésil a
    signé la Convention de Hanoï." to "Est-ce que le Brésil a signé la convention ?" adds only
    the convention's name. An answer that adds a word of its own is left to the other checks.
    """
    if not {fold(w) for w in _WORD.findall(answer)} & _POLARITY or asks_open_question(question, lang):
        return False
    content = _content_words(answer, lang)
    asked = {w[:4] for w in _WORD.findall(fold(question))}
    own = {w[:4] for w in content if w not in names}
    if own - asked or numbers_in(answer) - numbers_in(question):
        return False
    stems = {w[:5] for w in content}
    # A bare "Ja." has nothing a source could state.
    return not stems or not any(stems <= {w[:5] for w in _WORD.findall(fold(text))} for text in sources)


def drop_yes_no(answer: str, question: str, lang: str) -> str:
    """``answer`` without the yes or no it opens with when ``question`` asks for something else:
    "Ja, To Lam empfing die Delegationsleiter im Parteihauptquartier." to "Und wo hat er sie
    empfangen?" becomes "To Lam empfing …". A small model starts answers that way; the rest is the
    answer (and may be empty: then there is none)."""
    if not asks_open_question(question, lang):
        return answer
    match = _LEADING_POLARITY.match(answer)
    if match is None:
        return answer
    rest = answer[match.end() :]
    return rest[:1].upper() + rest[1:]


def shares_nothing(answer: str, passages: list[Passage]) -> bool:
    """True when ``answer`` has no number and no word stem in common with any of ``passages``
    (a bare "Yes." or a name from outside knowledge), so no source can be said to support it."""
    return bool(passages) and not any(support_score(answer, p) > 0 for p in passages)


# Questions that ask for a count or an amount, in the corpus languages and English (folded text).
_QUANTITY_QUESTION = re.compile(r"\b(how (many|much)|wie ?viel(e|en)?|combien|hur (manga|mycket)|hoeveel)\b")
# Languages whose numerals (from num2words) count as a stated quantity.
_NUMERAL_LANGUAGES = ("en", "de", "fr", "sv", "nl")
# Counts without digits besides the numerals 2-99: "one" where it is not also an article, and
# magnitudes with their plurals ("thousands of delegates", "tusentals delegater"), folded.
_QUANTITY_WORDS = frozenset(
    {
        "one", "eins", "dozen", "dozens", "hundred", "hundreds", "thousand", "thousands", "million",
        "millions", "billion", "billions", "dutzend", "dutzende", "hundert", "hunderte", "tausend",
        "tausende", "millionen", "milliarde", "milliarden", "cent", "cents", "centaine", "centaines",
        "mille", "millier", "milliers", "milliard", "milliards", "dizaine", "dizaines", "douzaine",
        "douzaines", "dussin", "dussintals", "tiotals", "hundra", "hundratals", "tusen", "tusentals",
        "miljon", "miljoner", "miljard", "miljarder", "dozijn", "tientallen", "honderd", "honderden",
        "duizend", "duizenden", "miljoen", "miljoenen", "miljarden",
    }
)  # fmt: skip


@functools.cache
def _numeral_values() -> dict[str, int]:
    """The numerals 2-99 of :data:`_NUMERAL_LANGUAGES` (num2words: "fünfundzwanzig", "vingt-cinq",
    "tjugofem"), folded, with their values. One is left out: "un", "ein", "en", "een" are
    articles too."""
    from num2words import num2words

    values: dict[str, int] = {}
    for lang in _NUMERAL_LANGUAGES:
        for n in range(2, 100):
            values.setdefault(fold(num2words(n, lang=lang)), n)
    return values


@functools.cache
def _numerals() -> re.Pattern[str]:
    """The numerals of :func:`_numeral_values` as one pattern of whole words, longest first."""
    alternatives = "|".join(re.escape(w) for w in sorted(_numeral_values(), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def numeral_values(text: str) -> dict[str, int]:
    """The numerals 2-99 ``text`` writes in words, as written (folded), with their values."""
    values = _numeral_values()
    return {m.group(0): values[m.group(0)] for m in _numerals().finditer(fold(text))}


def unsupported_numerals(answer: str, sources: list[str], question: str = "") -> list[str]:
    """Numerals ``answer`` writes in words ("Trois pays …", "Twee ministers …") whose value no
    source and not the question states, in digits or in words of any language. The number check
    reads digits only, so a small model's invented count in words passed it."""
    known: set[int] = set()
    for text in [*sources, question]:
        known |= {int(n) for n in numbers_in(text) if len(n) <= 2}
        known |= set(numeral_values(text).values())
    return [word for word, value in numeral_values(answer).items() if value not in known]


def asks_quantity(question: str) -> bool:
    """True when ``question`` asks how many or how much ("Wie viele Staaten…?", "Hoeveel…?")."""
    return _QUANTITY_QUESTION.search(fold(question)) is not None


def states_quantity(answer: str) -> bool:
    """True when ``answer`` gives a count: digits, a numeral (2-99) in one of the corpus languages or
    English, or a magnitude ("thousands", "Tausende", "tusentals")."""
    return _NUMBER.search(answer) is not None or counts_in_words(answer)


def misses_quantity(answer: str, question: str) -> bool:
    """True when ``question`` asks how many or how much and ``answer`` gives no count at all
    ("Vietnam urges countries to ratify it soon." to "How many ratifications are needed?"):
    whatever it says, it does not answer that question."""
    return asks_quantity(question) and not states_quantity(answer)


# Questions that ask how long something lasted or how long ago it was (folded text).
_DURATION_QUESTION = re.compile(
    r"\b(how long|wie lange?|combien de temps|depuis combien|hur lange|hoe lang)\b"
)
# Those of them that ask for a duration only ("how long", "hoe lang", "wie lang" ask for a length too).
_TIME_QUESTION = re.compile(r"\b(wie lange|combien de temps|depuis combien|hur lange)\b")
# Words a question counts time in without a unit ("how much time", "wie viel Zeit"), folded.
_TIME_WORDS = frozenset({"time", "zeit", "temps", "tid", "tijd"})
# Units of time, folded, in the corpus languages and English: what "five years", "fem års", "vijf
# jaar" count. Swedish "år" folds to "ar" (as "är", is, does: after a number it is the unit).
_TIME_UNITS = frozenset(
    {
        "year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours", "decade",
        "decades", "jahr", "jahre", "jahren", "jahres", "monat", "monate", "monaten", "woche", "wochen",
        "tag", "tage", "tagen", "stunde", "stunden", "jahrzehnt", "jahrzehnte", "jahrzehnten", "an",
        "ans", "annee", "annees", "mois", "semaine", "semaines", "jour", "jours", "journee", "journees",
        "heure", "heures", "decennie", "decennies", "ar", "ars", "aret", "aren", "manad", "manader",
        "vecka", "veckor", "dag", "dagar", "timme", "timmar", "decennium", "decennier", "jaar", "jaren",
        "maand", "maanden", "weken", "dagen", "uur", "uren", "decennia",
    }
)  # fmt: skip
# Units that are other words too unless a count comes first: German "an", Swedish "är" (is).
_UNIT_ONLY_AFTER_A_COUNT = frozenset({"an", "ar"})
# Month names, folded, by month: a number before one is a date ("25. Oktober"), not a count.
_MONTH_NAMES = (
    ("january", "januar", "janvier", "januari"),
    ("february", "februar", "fevrier", "februari"),
    ("march", "marz", "mars", "maart"),
    ("april", "avril"),
    ("may", "mai", "maj", "mei"),
    ("june", "juni", "juin"),
    ("july", "juli", "juillet"),
    ("august", "aout", "augusti", "augustus"),
    ("september", "septembre"),
    ("october", "oktober", "octobre"),
    ("november", "novembre"),
    ("december", "dezember", "decembre"),
)
_MONTH = {name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names}
_MONTHS = frozenset(_MONTH)
# Words of four letters or more that follow a number without being what it counts.
_NOT_COUNTED = frozenset(
    {
        "with", "from", "than", "more", "over", "about", "after", "before", "between", "mehr", "uber",
        "nach", "zwischen", "etwa", "plus", "avec", "dans", "pour", "apres", "avant", "entre",
        "environ", "sont", "fran", "till", "efter", "mellan", "ungefar", "cirka", "zijn", "naar",
        "voor", "tussen", "ongeveer", "circa", "waren", "were",
    }
)  # fmt: skip
# Words between a number and what it counts ("dozens of years", "cinq ans", "des dizaines d'années").
_COUNT_LINKS = frozenset({"of", "d", "de"})
# Fractions that count time as numbers do ("ein halbes Jahr", "en halv år"), folded.
_FRACTIONS = frozenset(
    {"half", "halb", "halbe", "halben", "halbes", "demi", "demie", "halv", "halvt", "halve"}
)


def _is_count(word: str) -> bool:
    if word.isdigit():
        return not (len(word) == 4 and word[0] in "12")  # a year is a date, not a count
    return word in _QUANTITY_WORDS or word in _FRACTIONS or _numerals().fullmatch(word) is not None


def _is_counted_noun(word: str) -> bool:
    """True when ``word`` (folded), right after a count, names what is counted: a word of four
    letters or more that is not a function word or a month ("staaten", "lander"; not "mehr", "oktober")."""
    return len(word) >= 4 and word.isalpha() and word not in _NOT_COUNTED | _MONTHS


def _counted(words: list[str]) -> list[str]:
    """What each count in an answer's folded ``words`` counts: "time", "other" (a noun: "9 Staaten",
    "110 länder"), or "unknown" (nothing, a function word, a date: "71", "25 oktober", "8 in Wien")."""
    kinds: list[str] = []
    i = 0
    while i < len(words):
        if not _is_count(words[i]):
            i += 1
            continue
        j = i + 1
        while j < len(words) and (_is_count(words[j]) or words[j] in _COUNT_LINKS):
            j += 1  # "vingt cinq ans", "dozens of years"
        following = words[j] if j < len(words) else ""
        if following in _TIME_UNITS:
            kinds.append("time")
        elif _is_counted_noun(following):
            kinds.append("other")
        else:
            kinds.append("unknown")
        i = j
    return kinds


def asks_duration(question: str) -> bool:
    """True when ``question`` asks how long ("Hur länge…?", "Depuis combien de temps…?")."""
    return _DURATION_QUESTION.search(fold(question)) is not None


def _asks_time(question: str) -> bool:
    """True when ``question`` can only be answered with a duration: "Hur länge…?", "Wie lange…?",
    "Combien de temps…?", or how many (how much) years, days, time… ("How long…?", "Hoe lang…?"
    and "Wie lang…?" may ask for a length too: "How long is the convention?")."""
    folded = fold(question)
    if _TIME_QUESTION.search(folded):
        return True
    match = _QUANTITY_QUESTION.search(folded)
    if match is None:
        return False
    after = [w for w in _WORD.findall(folded[match.end() :]) if w not in _COUNT_LINKS]
    return bool(after) and (after[0] in _TIME_UNITS or after[0] in _TIME_WORDS)


def counts_something_else(answer: str, question: str) -> bool:
    """True when ``question`` asks how many, how much or how long and ``answer`` does not count
    what it asks: every count in it counts time while the question counts something else ("fast
    fünf Jahren" to "Wie viele Staaten…?"), every count in it counts something else while the
    question asks for a duration ("9 chapitres et 71 articles" to "Combien d'années…?"), or it
    has no count and no unit of time at all for a how-long question. A count whose object is
    unclear ("71", "8 in Wien") is never taken for a mismatch."""
    duration = asks_duration(question)
    if not (duration or asks_quantity(question)):
        return False
    words = _WORD.findall(fold(answer))
    kinds = [k for k in _counted(words) if k != "unknown"]
    speaks_of_time = bool(set(words) & (_TIME_UNITS - _UNIT_ONLY_AFTER_A_COUNT))
    if _asks_time(question):
        if speaks_of_time:
            return False  # "plusieurs années", "seit Jahren"
        return all(k == "other" for k in kinds) if kinds else not states_quantity(answer)
    if duration:  # a duration or a length: any count may answer it
        return not (speaks_of_time or kinds or states_quantity(answer))
    return bool(kinds) and all(k == "time" for k in kinds)


# Questions that ask when (case-folded, accents kept: Swedish "vilket år" is not "vilket är"). A
# when-word asks only at the start of the question (after "and"), after a preposition ("seit
# wann") or right before the question mark: "What did he say when he arrived?" asks what.
_WHEN = "(?:when|wann|quand|när|wanneer)"
_WHEN_QUESTION = re.compile(
    rf"^\W*(?:(?:and|und|et|och|en|so|also|alors|dus)\W+)?{_WHEN}\b"
    rf"|\b(?:seit|bis|depuis|jusqu'à|sedan|till|sinds|tot|since|until) {_WHEN}\b"
    rf"|\b{_WHEN}\W*\?\W*$"
    r"|\b(?:(?:on |in )?(?:which|what) (?:date|day|year|time of day)"
    r"|(?:an|in|zu|um) welche[mnr]? (?:tag|datum|jahr|tageszeit|uhrzeit)|welche[sn]? (?:datum|jahr)"
    r"|(?:à |en )?quel(?:le)? (?:date|jour|année|heure|moment)"
    r"|vilket (?:datum|år)|vilken (?:dag|tid på dagen)|(?:op |in )?welke? (?:datum|dag|jaar)"
    r"|hoe laat|um wie viel uhr|what time)\b"
)
# Words that place something in time without digits, folded: weekdays and parts of the day (also
# inside German and Swedish compounds: "Samstagnachmittag", "lördagseftermiddag").
_TIME_OF_DAY_STEMS = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "montag",
    "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonnabend", "sonntag", "lundi",
    "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "mandag", "tisdag", "onsdag",
    "torsdag", "fredag", "lordag", "sondag", "maandag", "dinsdag", "woensdag", "donderdag",
    "vrijdag", "zaterdag", "zondag", "morning", "afternoon", "evening", "night", "noon",
    "vormittag", "mittag", "abend", "nacht", "matin", "apres-midi", "soir", "nuit", "midi",
    "morgon", "formiddag", "eftermiddag", "kvall", "natt", "ochtend", "middag", "avond",
)  # fmt: skip
# Whole words that place something in time ("heute", "gestern", "ago", "geleden"), folded; not
# French "hier" (yesterday), which is German and Dutch for "here".
_TIME_WORDS_WHEN = frozenset(
    {
        "today", "yesterday", "tomorrow", "ago", "heute", "gestern", "morgen", "aujourd", "demain",
        "idag", "igar", "imorgon", "sedan", "vandaag", "gisteren", "geleden",
    }
)  # fmt: skip


def asks_when(question: str) -> bool:
    """True when ``question`` asks when ("Wann wurde…?", "À quelle date…?", "Vilket år…?",
    "Und zu welcher Tageszeit…?"); "What did he say when he arrived?" does not."""
    return _WHEN_QUESTION.search(question.casefold().strip()) is not None


def states_time(answer: str) -> bool:
    """True when ``answer`` places something in time: a number (a day, a year, an hour), a month,
    a weekday or a part of the day ("am Samstagnachmittag", "på eftermiddagen"), a unit of time
    ("vor fünf Jahren") or a word such as "gestern" or "geleden"."""
    if _NUMBER.search(answer):
        return True
    folded = fold(answer)
    words = set(_WORD.findall(folded))
    if words & (_MONTHS | _TIME_WORDS_WHEN | (_TIME_UNITS - _UNIT_ONLY_AFTER_A_COUNT)):
        return True
    return any(stem in folded for stem in _TIME_OF_DAY_STEMS)


def misses_time(answer: str, question: str) -> bool:
    """True when ``question`` asks when and ``answer`` places nothing in time ("Die
    Unterzeichnungszeremonie ist ein wichtiges internationales Ereignis." to "Wann fand die
    Unterzeichnungszeremonie statt?"): whatever it says, it does not answer that question."""
    return asks_when(question) and not states_time(answer)


# Interrogatives that ask who, folded, by language (Dutch "wie" is who; German "wie" is how).
_WHO = {
    "en": frozenset({"who", "whom", "whose"}),
    "de": frozenset({"wer", "wen", "wem", "wessen"}),
    "fr": frozenset({"qui"}),
    "sv": frozenset({"vem", "vems"}),
    "nl": frozenset({"wie", "wiens"}),
}
# Questions that ask which country or city (folded text): the answer is a name.
_PLACE_NAME_QUESTION = re.compile(
    r"\b(?:(?:which|what) (?:country|countries|nation|city|cities|town|capital)"
    r"|welche[smnr]? (?:land|lander|staat|staaten|stadt|stadte|hauptstadt)"
    r"|quel(?:le)?s? (?:pays|ville|villes|nation|nations|capitale)"
    r"|(?:vilket|vilka) (?:land|lander)|vilken (?:stad|huvudstad)"
    r"|welke? (?:land|landen|stad|steden|hoofdstad))\b"
)
# "is" and "was" in the corpus languages and English, folded.
_COPULAS = frozenset(
    {"is", "was", "are", "were", "ist", "war", "sind", "waren", "est", "etait", "sont", "ar", "var", "zijn"}
)
# Capitalised only for opening a sentence: pronouns and determiners longer than three letters
# (shorter first words, "The", "Die", "Hon", "Het", are never taken for names), folded.
_SENTENCE_OPENERS = frozenset(
    {
        "this", "that", "these", "those", "they", "there", "dies", "diese", "dieser", "dieses", "elle",
        "elles", "cette", "celui", "celle", "ceux", "denna", "detta", "dessa", "deze", "dit",
    }
)  # fmt: skip


def asks_for_name(question: str, lang: str) -> bool:
    """True when ``question``, written in ``lang``, asks who ("Wer leitete…?", "À qui…?") or which
    country or city ("Dans quelle ville…?", "Vilka länder…?"): its answer names someone or
    somewhere."""
    tokens = _WORD.findall(question)
    at = _interrogative_at([fold(w) for w in tokens[:2]], _WHO.get(lang, frozenset()))
    if at is not None:
        # "Who is Ghada Waly?" asks what she is, not for a name.
        rest = tokens[at + 1 : at + 3]
        return not (len(rest) == 2 and fold(rest[0]) in _COPULAS and _is_capitalised(rest[1]))
    return _PLACE_NAME_QUESTION.search(fold(question)) is not None


def names_in(answer: str) -> list[str]:
    """The capitalised words of ``answer`` (names, and in German every noun), without a sentence's
    capitalised opening word when it is short or a pronoun ("She", "Hon", "Diese")."""
    names = []
    for sentence in _SENTENCE_BREAK.split(answer):
        for i, word in enumerate(_WORD.findall(sentence)):
            if not _is_capitalised(word) or word.isdigit():
                continue
            if i == 0 and (len(word) <= 3 or fold(word) in _SENTENCE_OPENERS):
                continue
            names.append(word)
    return names


def misses_name(answer: str, question: str, lang: str) -> bool:
    """True when ``question`` asks who or which country or city and ``answer`` names nobody and
    nowhere the question does not already name ("Hon betonade att konventionen markerar ett
    viktigt steg …" to "Which countries signed the convention on the first day?")."""
    if not asks_for_name(question, lang):
        return False
    asked = _stems(question)
    return not any(fold(name)[:5] not in asked for name in names_in(answer))


# A year: four digits from 1900 to 2099, not part of a longer number ("2022", "år 1975"). Other
# four-digit numbers are more likely counts ("1500 delegates") than years in news of today.
_YEAR = re.compile(r"(?<![\d.,])(?:19|20)\d{2}(?![\d]|[.,]\d)")


def years_in(text: str) -> set[str]:
    """The years ``text`` states in digits."""
    return set(_YEAR.findall(text))


def unknown_question_years(question: str, answer: str, known: frozenset[str] | set[str]) -> set[str]:
    """The years of ``question`` that no article states, ``known`` being the years the articles
    state (:func:`corpus_years`): "Vilket land vann fotbolls-VM år 2022?" when no article
    mentions 2022. Whatever the articles say, it is not about the year the question is anchored
    to, so an answer to it comes from elsewhere ("Vietnam").

    Empty when ``answer`` sets a year of its own against the question's ("No, in 2025." to "Was
    it signed in 2023?"): that year passed the grounding check, so a source states it. Only
    years: other numbers in a question are often a comparison or background ("more than 100
    articles", "of the 193 member states") that the articles answer without stating them."""
    asked = years_in(question)
    missing = asked - known
    if not missing or years_in(answer) - asked:
        return set()
    return missing


# Below this, a number may be a day or a month of a date ("24/12/2024": the articles write
# "Dezember"), so a question's number is only taken for a premise from it on.
_PREMISE_FROM = 32


def echoes_question_number(answer: str, sources: list[str], question: str) -> set[str]:
    """The numbers that ``answer`` takes from ``question`` and no source states, when it states no
    number of a source of its own: "Ja, die Konvention hat mehr als 100 Artikel." to "Hat die
    Konvention mehr als 100 Artikel?" (the sources say 71). The number check lets a number of the
    question through (an answer may repeat it), so the model can confirm a premise the sources do
    not support; an answer that gives the sources' own figure ("Nein, 71 Artikel.", "Ja, 110
    Länder.") passes. Numbers under 32 count only where the question counts something with them
    ("Har konventionen 20 kapitel?"); elsewhere they may be a day or a month."""
    stated = numbers_in(answer)
    asked = numbers_in(question)
    counted = {number for number, noun, _ in _counts(question) if noun is not None}
    in_sources: set[str] = set().union(*(numbers_in(text) for text in sources))
    echoed = {n for n in stated & asked if (int(n) >= _PREMISE_FROM or n in counted) and n not in in_sources}
    if not echoed or (stated - asked) & in_sources:
        return set()
    return echoed


def _counts(text: str) -> list[tuple[str, str | None, str]]:
    """Each count in digits in ``text`` (not a year) with what it counts: the folded word after it
    (past "of", "de", "d'"), or None when that is not a noun (a function word, a month, the end);
    and the count as written ("9 Staaten")."""
    words = _WORD.findall(text)
    folded = [fold(w) for w in words]
    counts: list[tuple[str, str | None, str]] = []
    for i, word in enumerate(folded):
        if not (word.isdigit() and _is_count(word)):
            continue
        j = i + 1
        while j < len(folded) and folded[j] in _COUNT_LINKS:
            j += 1
        following = folded[j] if j < len(folded) else ""
        noun = _is_counted_noun(following)
        written = " ".join(words[i : j + 1]) if noun else words[i]
        counts.append((word.lstrip("0") or "0", following if noun else None, written))
    return counts


def digit_counts(text: str) -> list[str]:
    """The counts ``text`` writes in digits (years and leading zeros left out), in order, once each."""
    return list(dict.fromkeys(number for number, _, _ in _counts(text)))


def counts_in_words(text: str) -> bool:
    """True when ``text`` counts something without digits: a numeral ("fünf", "vingt") or a
    magnitude ("tusentals", "thousands")."""
    folded = fold(text)
    return bool(set(_WORD.findall(folded)) & _QUANTITY_WORDS) or _numerals().search(folded) is not None


def counts_a_word_of(number: str, sentence: str, question: str) -> bool:
    """True when the word after ``number`` in ``sentence`` shares its stem with a word of
    ``question`` ("71 articles" and "Combien d'articles…?"): it counts what the question names."""
    nouns = {noun for n, noun, _ in _counts(sentence) if n == number and noun}
    return bool(nouns) and bool({noun[:5] for noun in nouns} & _stems(question))


def recounts_a_source(answer: str, cited: list[Passage], lang: str) -> list[str]:
    """Counts of ``answer`` whose number the ``cited`` paragraphs written in ``lang`` (the
    question's language, so the answer's) use for something else: "9 Staaten" when the cited
    German paragraph has "9 Kapiteln" and no other 9. The model took the number and changed what
    it counts. Nouns are compared by their first five letters (inflections: "Kapitel"/"Kapiteln"
    agree), so only paragraphs in the answer's language can be compared; a count that any cited
    paragraph, in any language, gives with the answer's noun passes (an answer copied from a
    source in another language: "9 hoofdstukken"), and so does a number a paragraph uses with no
    noun after it ("71", "am 25.") or that none of them has."""
    flagged = []
    for number, noun, written in _counts(answer):
        if noun is None:
            continue
        used = [(p.lang, other) for p in cited for n, other, _ in _counts(p.text) if n == number]
        same = [other for language, other in used if language == lang]
        if not same or None in same or any(other and other[:5] == noun[:5] for _, other in used):
            continue
        flagged.append(written)
    return flagged


def leaks_prompt(answer: str, system_prompt: str, shingle: int = 6) -> bool:
    """True when ``answer`` repeats any run of ``shingle`` consecutive words of the system prompt."""
    prompt_words = _WORD.findall(fold(system_prompt))
    answer_text = " ".join(_WORD.findall(fold(answer)))
    for i in range(len(prompt_words) - shingle + 1):
        if " ".join(prompt_words[i : i + shingle]) in answer_text:
            return True
    return False


# --- dates ------------------------------------------------------------------------------------

# A day of a date as written: "25", "1er", "24th" (an ordinal's ending goes with the day).
_DAY = re.compile(r"(0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th|er|e)?")
# Numeric dates with a year: "25.10.2024", "25/10/2024", "2024-10-25".
_NUMERIC_DATE = re.compile(r"(?<![\d.,/-])(\d{1,2})([./-])(\d{1,2})\2((?:19|20)\d{2})(?!\d)")
_ISO_DATE = re.compile(r"(?<![\d.,/-])((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?![\d/-])")
# Words between two days of a range ("vom 24. bis 25. Oktober", "du 24 au 25", "24 to 25").
_RANGE_WORDS = frozenset({"to", "and", "bis", "und", "au", "et", "till", "och", "tot", "en"})
# Swedish ordinals put their ending after a colon: "den 25:e oktober", "den 1:a".
_ORDINAL_ENDINGS = frozenset({"e", "a"})

Date = tuple[int, int, str]  # day, month, year ("2024")


def _day(word: str) -> int | None:
    match = _DAY.fullmatch(word)
    return int(match.group(1)) if match else None


def _numeric_dates(text: str) -> set[Date]:
    """Numeric dates with a year, in both readings of day and month ("05/10/2024": 5 October or
    May 10) where both are possible."""
    dates: set[Date] = set()
    for first, _, second, year in _NUMERIC_DATE.findall(text):
        for day, month in ((int(first), int(second)), (int(second), int(first))):
            if 1 <= day <= 31 and 1 <= month <= 12:
                dates.add((day, month, year))
    for year, month, day in _ISO_DATE.findall(text):
        if 1 <= int(day) <= 31 and 1 <= int(month) <= 12:
            dates.add((int(day), int(month), year))
    return dates


def full_dates(text: str) -> dict[Date, str]:
    """The dates ``text`` writes with a day, a month and a year ("25. Oktober 2024", "October 25,
    2024", "le 1er octobre 2025", "25/10/2024"), each with the words that write it."""
    tokens = [(m, fold(m.group())) for m in _WORD.finditer(text)]
    dates: dict[Date, str] = {}
    for i, (match, word) in enumerate(tokens):
        month = _MONTH.get(word)
        if month is None:
            continue
        after = [w for _, w in tokens[i + 1 : i + 3]]
        before = i - 2 if i >= 2 and tokens[i - 1][1] in _ORDINAL_ENDINGS else i - 1  # "25:e oktober"
        if before >= 0 and after and _YEAR.fullmatch(after[0]) and (day := _day(tokens[before][1])):
            dates[(day, month, after[0])] = text[tokens[before][0].start() : tokens[i + 1][0].end()]
        if len(after) == 2 and (day := _day(after[0])) and _YEAR.fullmatch(after[1]):
            dates[(day, month, after[1])] = text[match.start() : tokens[i + 2][0].end()]
    for match in (*_NUMERIC_DATE.finditer(text), *_ISO_DATE.finditer(text)):
        for date in _numeric_dates(match.group()):
            dates[date] = match.group()
    return dates


def _days_and_months(text: str) -> set[tuple[int, int]]:
    """The days of months ``text`` mentions, with or without a year, ranges included: "vom 24.
    bis 25. Oktober" gives the 24th and the 25th of October, as does "October 24 to 25"."""
    words = _WORD.findall(fold(text))
    found = {(day, month) for day, month, _ in _numeric_dates(text)}
    for i, word in enumerate(words):
        month = _MONTH.get(word)
        if month is None:
            continue
        for side in (reversed(words[max(0, i - 6) : i]), words[i + 1 : i + 7]):
            for near in side:  # days next to the month, and those joined to them by a range word
                if (day := _day(near)) is not None:
                    found.add((day, month))
                elif near not in _RANGE_WORDS | _ORDINAL_ENDINGS:
                    break
    return found


def spliced_dates(answer: str, sources: list[str]) -> list[str]:
    """The dates of ``answer`` with day, month and year (:func:`full_dates`) that no one source
    states: none of ``sources`` has that day of that month and that year. "25. Oktober 2024"
    from "den 25 oktober" in one paragraph and "24 december 2024" in another: each number passes
    the number check, the date is in no source. A paragraph that gives the day and month, and the
    year elsewhere in it ("Am 25. Oktober … 2025"), states the date."""
    dates = full_dates(answer)
    if not dates:
        return []
    stated = [(full_dates(text), _days_and_months(text), years_in(text)) for text in sources]
    return [
        written
        for (day, month, year), written in dates.items()
        if not any(
            (day, month, year) in whole or ((day, month) in days and year in years)
            for whole, days, years in stated
        )
    ]
