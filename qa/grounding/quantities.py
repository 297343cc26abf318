"""Counts, amounts, durations and times: does the answer give what a how-many, how-long or when question asks?"""

from __future__ import annotations

import functools
import re

from qa.grounding.dates import MONTHS
from qa.grounding.words import NUMBER, WORD, numbers_in, word_stems
from qa.lang import fold
from qa.models import Passage

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
    return NUMBER.search(answer) is not None or counts_in_words(answer)


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
    return len(word) >= 4 and word.isalpha() and word not in _NOT_COUNTED | MONTHS


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
    after = [w for w in WORD.findall(folded[match.end() :]) if w not in _COUNT_LINKS]
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
    words = WORD.findall(fold(answer))
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
    if NUMBER.search(answer):
        return True
    folded = fold(answer)
    words = set(WORD.findall(folded))
    if words & (MONTHS | _TIME_WORDS_WHEN | (_TIME_UNITS - _UNIT_ONLY_AFTER_A_COUNT)):
        return True
    return any(stem in folded for stem in _TIME_OF_DAY_STEMS)


def misses_time(answer: str, question: str) -> bool:
    """True when ``question`` asks when and ``answer`` places nothing in time ("Die
    Unterzeichnungszeremonie ist ein wichtiges internationales Ereignis." to "Wann fand die
    Unterzeichnungszeremonie statt?"): whatever it says, it does not answer that question."""
    return asks_when(question) and not states_time(answer)


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
    words = WORD.findall(text)
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
    return bool(set(WORD.findall(folded)) & _QUANTITY_WORDS) or _numerals().search(folded) is not None


def counts_a_word_of(number: str, sentence: str, question: str) -> bool:
    """True when the word after ``number`` in ``sentence`` shares its stem with a word of
    ``question`` ("71 articles" and "Combien d'articles…?"): it counts what the question names."""
    nouns = {noun for n, noun, _ in _counts(sentence) if n == number and noun}
    return bool(nouns) and bool({noun[:5] for noun in nouns} & word_stems(question))


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
