"""Dates and years: questions anchored to a year no article states, dates spliced from two sources."""

from __future__ import annotations

import re

from qa.grounding.words import WORD
from qa.lang import fold

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
MONTHS = frozenset(_MONTH)


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
    tokens = [(m, fold(m.group())) for m in WORD.finditer(text)]
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
    words = WORD.findall(fold(text))
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
