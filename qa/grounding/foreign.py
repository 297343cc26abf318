"""Words an answer keeps in a source's language (wordfreq's lists), and answers mostly in one."""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from dataclasses import dataclass, field

from qa.grounding.words import WORD
from qa.lang import WORD_LIST_LANGUAGES, fold
from qa.models import Passage

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
        other: {w for p in sources if p.lang == other for w in WORD.findall(p.text)} for other in others
    }
    question_words = {fold(w) for w in WORD.findall(asked)}
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
