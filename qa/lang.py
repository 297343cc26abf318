"""Language identification (lingua), shared by the corpus and the answer stage."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence, Set
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

_WORD = re.compile(r"\w+", re.UNICODE)

# The corpus languages, English, and the neighbours most often confused with them.
# A closed set keeps short-text detection accurate and the detector small.
SUPPORTED = (
    "ENGLISH",
    "GERMAN",
    "FRENCH",
    "SWEDISH",
    "DUTCH",
    "DANISH",
    "BOKMAL",
    "SPANISH",
    "ITALIAN",
    "PORTUGUESE",
    "POLISH",
    "FINNISH",
    "VIETNAMESE",
)


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in SUPPORTED]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def fold(text: str) -> str:
    """Lower case without accents, so "Việt Nam"/"Viet Nam" and "Genève"/"Geneve" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# The languages the articles are written in and English: what a question is asked in and what the
# bundled model writes. wordfreq carries a word list for each.
WORD_LIST_LANGUAGES = ("en", "de", "fr", "sv", "nl")
_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)
# Unless the best language's list has more than this share of the words, they are taken for
# another language or script (Chinese characters are in none of these lists).
_MIN_LISTED_SHARE = 0.5
# Lingua's confidence from which a text is taken to be in a language outside the word lists'.
_OUTSIDE_CONFIDENCE = 0.5


def word_list_language(text: str, languages: Sequence[str] = WORD_LIST_LANGUAGES) -> str | None:
    """The language of a short ``text``: among ``languages``, the one whose wordfreq list gives
    its words the highest mean Zipf frequency.

    For a few words this is more accurate than character n-grams: on 969 fragments of three to
    six words cut from the articles and the known-answers set's questions, 97.0 % right against
    lingua's 92.4 % ("is de directeur van de" is Dutch, not French; "Vice Premier Minister" is
    English; "Wie won de Tour de France?" is Dutch). Lingua decides when it is confident
    (:data:`_OUTSIDE_CONFIDENCE`) that ``text`` is in a language outside ``languages`` (Spanish,
    Italian and Danish share many words with French and Swedish: without this, 11 of 18 short
    questions in seven other languages were taken for one of the five; with it, none), and when
    most words are in none of the lists (another script). None when ``text`` has no words or two
    languages tie.
    """
    from wordfreq import zipf_frequency

    words = _LETTERS.findall(text)
    if not words:
        return None
    values = _detector().compute_language_confidence_values(text)
    if values:
        top = str(values[0].language.iso_code_639_1.name).lower()
        if top not in languages and values[0].value >= _OUTSIDE_CONFIDENCE:
            return top
    zipf = {lang: [zipf_frequency(w, lang) for w in words] for lang in languages}
    means = {lang: sum(found) / len(words) for lang, found in zipf.items()}
    ranked = sorted(means.values(), reverse=True)
    best = max(means, key=means.__getitem__)
    if sum(value > 0 for value in zipf[best]) <= _MIN_LISTED_SHARE * len(words):
        return detect_language(text)  # None for a script none of its languages uses
    if len(ranked) > 1 and ranked[0] == ranked[1]:
        return None
    return best


def detect_language(text: str, default: str | None = None) -> str | None:
    """ISO 639-1 code (lower case) of ``text``, or ``default`` when it cannot be told."""
    language = _detector().detect_language_of(text)
    if language is None:
        return default
    return str(language.iso_code_639_1.name).lower()


def detect_language_confident(text: str, min_confidence: float = 0.5) -> str | None:
    """Like :func:`detect_language` but ``None`` unless the top language has ``min_confidence``."""
    values = _detector().compute_language_confidence_values(text)
    if not values or values[0].value < min_confidence:
        return None
    return str(values[0].language.iso_code_639_1.name).lower()


def source_names(texts: Iterable[str]) -> frozenset[str]:
    """The words ``texts`` write capitalised and never in lower case, case-folded: names such as
    "Hanoi" or "Luong" (and German nouns), not a word that only opens a sentence there ("Har",
    "Die": the sources also write "har", "die")."""
    capitalised: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        for word in _WORD.findall(text):
            if word[:1].isupper():
                capitalised.add(word.casefold())
            elif word[:1].islower():
                lower.add(word.casefold())
    return frozenset(capitalised - lower)


def own_words(text: str, names: Set[str]) -> list[str]:
    """The words of ``text`` that can tell its language: not numbers, and not capitalised words
    that are names of the sources (``names``, case-folded, see :func:`source_names`): "Hanoi" or
    "Luong Cuong" are shared by every language."""
    return [
        w
        for w in _WORD.findall(text)
        if not any(c.isdigit() for c in w) and not (w[:1].isupper() and w.casefold() in names)
    ]


def answer_language(text: str, sources: Iterable[str] = ()) -> str | None:
    """The language an answer is written in, or ``None`` when it cannot be told with confidence.

    Judged on the answer's own words: numbers, and capitalised words that ``sources`` write only
    capitalised (names such as "Hanoi" or "Luong Cuong", shared by every language), are left
    out first. Needs at least two remaining words, a top confidence of 0.4 and twice the
    runner-up's: this decides whether an answer gets translated, so doubt means "leave it".
    """
    words = own_words(text, source_names(sources))
    if len(words) < 2:
        return None
    values = _detector().compute_language_confidence_values(" ".join(words))
    if not values:
        return None
    runner_up = values[1].value if len(values) > 1 else 0.0
    if values[0].value < 0.4 or values[0].value < 2 * runner_up:
        return None
    return str(values[0].language.iso_code_639_1.name).lower()
