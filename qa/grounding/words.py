"""Words, stems and numbers of a text: the small helpers every check shares."""

from __future__ import annotations

import re

from qa.lang import fold

NUMBER = re.compile(r"\d+")
WORD = re.compile(r"\w+", re.UNICODE)


def numbers_in(text: str) -> set[str]:
    """Digit runs in ``text`` with leading zeros removed ("09" and "9" are the same day)."""
    return {n.lstrip("0") or "0" for n in NUMBER.findall(text)}


def word_stems(text: str, length: int = 5) -> set[str]:
    """The first ``length`` letters of each word of three letters or more (accent- and case-folded,
    digits left out): how the checks compare words across inflections ("Vietnams", "Vietnam")."""
    return {w[:length] for w in WORD.findall(fold(text)) if len(w) >= 3 and not w.isdigit()}


def is_acronym(word: str) -> bool:
    """A two-letter word written in capitals ("UN", "VN", "FN"): an abbreviation, which
    :func:`word_stems` leaves out for its length."""
    return len(word) == 2 and word.isalpha() and word.isupper()


def acronyms(text: str) -> set[str]:
    """The two-letter abbreviations of ``text`` (:func:`is_acronym`), folded."""
    return {fold(w) for w in WORD.findall(text) if is_acronym(w)}


# Where a sentence of an answer ends, for telling a capitalised first word from a name.
SENTENCE_BREAK = re.compile(r"(?<=[.!?:;])\s+")


def is_capitalised(word: str) -> bool:
    """A word of two letters or more that starts with a capital: a possible name."""
    return len(word) >= 2 and word[0].isupper()
