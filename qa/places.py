"""Places a question names that no article mentions: countries, territories and cities.

Asked "Qui a signé la convention au nom de la France ?", the bundled model answered "… signé au
nom de la France par To Lam."; asked "Vem ledde Sveriges delegation …?", "Generalsekreterare To
Lam ledde Sveriges delegation …"; asked who represented the United States, "Le Vietnam a
représenté les États-Unis …". None of the articles mentions France, Sweden or the United
States, so whatever they say is not about them, and the salient name the model picks cannot be
the answer. A question about a place no article mentions is answered "the articles do not say"
without asking the model (the same reasoning as the year rule,
:func:`qa.grounding.unknown_question_years`).

Which words are places comes from the Unicode CLDR data that Babel ships (no download): the
names of every country and territory, and of the cities the time-zone database is named after in
countries with at most three time zones (Vienna, Budapest, Zurich, Stockholm; not the dozens of
towns that name the zones of the United States or Russia, among them "Center" and "Phoenix"),
in the five languages of the articles and English. A place counts as mentioned by the articles
when any of its names occurs in any of them, so "Vietnam" in a German question is matched by
"Viêt Nam" in the French article. Only capitalised words of the question are read, with a short
ending allowed ("Sveriges", "Frankreichs", "Budapester", "Vereinten"); adjectives with other
stems ("polonais", "svenska", "Polish") are not places here.

The trade-off is written down in docs/answering.md: a question that adds, as background, a place the
articles do not state ("What did Poland's deputy prime minister Krzysztof Gawkowski praise?")
is refused as well. Regions such as "Europe" or "Asia-Pacific" are left out (CLDR gives them,
but questions use them loosely).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.lang import WORD_LIST_LANGUAGES, fold

if TYPE_CHECKING:
    from babel import Locale

    from qa.corpus import Corpus

# Codes CLDR gives to things that are not places a question would name.
_NOT_PLACES = frozenset({"ZZ", "XA", "XB", "QO", "EZ"})
# Countries with more time zones than this name them after minor towns ("Center", "Knox").
_MAX_ZONES = 3
# Endings a name may take in a question: genitives and adjectives ("Sveriges", "Budapester",
# "Frankreichs", "Vereinten Nationen"). Only after a name of four letters or more.
_ENDINGS = ("", "s", "es", "er", "n", "en", "ern", "'s", "\u2019s")
_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019]s)?", re.UNICODE)


@dataclass(frozen=True)
class Place:
    """One place: its CLDR key ("FR", "Europe/Vienna") and its English name."""

    key: str
    name: str


@dataclass(frozen=True)
class Mention:
    """Where a question names ``place``: the words as written."""

    place: Place
    text: str


@functools.cache
def gazetteer() -> dict[tuple[str, ...], Place]:
    """Every name of every place, as a tuple of folded words, in :data:`qa.lang.WORD_LIST_LANGUAGES`."""
    from babel import Locale
    from babel.core import get_global

    locales = [Locale.parse(lang) for lang in WORD_LIST_LANGUAGES]
    english = locales[0]
    names: dict[tuple[str, ...], Place] = {}

    def add(name: str, place: Place) -> None:
        words = tuple(fold(w) for w in _TOKEN.findall(name))
        if words:
            names.setdefault(words, place)

    for code, english_name in english.territories.items():
        if len(code) != 2 or not code.isalpha() or code in _NOT_PLACES:
            continue
        place = Place(code, english_name)
        for locale in locales:
            if (name := locale.territories.get(code)) is not None:
                add(name, place)
    zone_aliases = get_global("zone_aliases")
    for code, zones in get_global("territory_zones").items():
        if code in _NOT_PLACES or len(zones) > _MAX_ZONES:
            continue
        for zone in zones:
            zone = zone_aliases.get(zone, zone)
            default = zone.rpartition("/")[2].replace("_", " ")
            place = Place(zone, _city(english, zone) or default)
            add(default, place)
            for locale in locales:
                if city := _city(locale, zone):
                    add(city, place)
    return names


def _city(locale: Locale, zone: str) -> str | None:
    """The city ``zone`` is named after, in ``locale``'s language, when CLDR gives one."""
    city = locale.time_zones.get(zone, {}).get("city")
    return str(city) if city else None


@functools.cache
def _by_first_word() -> dict[str, list[tuple[tuple[str, ...], Place]]]:
    index: dict[str, list[tuple[tuple[str, ...], Place]]] = {}
    for words, place in gazetteer().items():
        index.setdefault(words[0], []).append((words, place))
    for candidates in index.values():
        candidates.sort(key=lambda item: -len(item[0]))  # the longest name first
    return index


def _matches(name: str, word: str) -> bool:
    if word == name:
        return True
    if len(name) < 4 or not word.startswith(name):
        return False
    return word[len(name) :] in _ENDINGS


def mentions(text: str) -> list[Mention]:
    """The places ``text`` names, in order: a name whose first word is capitalised in ``text``
    ("la France", "Sveriges delegation", "the United States"; not "france" or "polonais")."""
    tokens = [(m.group(), fold(m.group())) for m in _TOKEN.finditer(text)]
    index = _by_first_word()
    found: list[Mention] = []
    i = 0
    while i < len(tokens):
        word, folded = tokens[i]
        hit = None
        if word[0].isupper():
            for stem in _stems(folded):
                for words, place in index.get(stem, ()):
                    if _sequence_at(words, tokens, i):
                        hit = (words, place)
                        break
                if hit:
                    break
        if hit is None:
            i += 1
            continue
        words, place = hit
        found.append(Mention(place, " ".join(w for w, _ in tokens[i : i + len(words)])))
        i += len(words)
    return found


def _stems(folded: str) -> Iterable[str]:
    """``folded`` and the words it may be with an ending taken off."""
    yield folded
    for ending in _ENDINGS[1:]:
        if folded.endswith(ending) and len(folded) - len(ending) >= 4:
            yield folded[: -len(ending)]


def _sequence_at(words: tuple[str, ...], tokens: list[tuple[str, str]], i: int) -> bool:
    if i + len(words) > len(tokens):
        return False
    return all(_matches(name, tokens[i + j][1]) for j, name in enumerate(words))


def corpus_places(corpus: Corpus) -> frozenset[Place]:
    """The places the articles of ``corpus`` mention (any name, any language), computed once per
    set of source files."""
    from qa.grounding import cached_for_corpus

    def places(corpus: Corpus) -> set[Place]:
        return {m.place for doc in corpus.documents for p in doc.paragraphs for m in mentions(p.text)}

    return cached_for_corpus(corpus, "places", places)


def unknown_places(text: str, known: frozenset[Place] | set[Place]) -> list[Mention]:
    """Where ``text`` (a question or an answer) names places that are not in ``known``
    (:func:`corpus_places`), the first mention of each."""
    unknown: list[Mention] = []
    seen: set[Place] = set()
    for mention in mentions(text):
        if mention.place not in known and mention.place not in seen:
            seen.add(mention.place)
            unknown.append(mention)
    return unknown


def place_name(place: Place, lang: str) -> str:
    """``place``'s name in the language ``lang`` (CLDR), its English name when CLDR has none:
    "Sverige" for the "Sveriges" of a Swedish question, "Allemagne" for a French one."""
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return place.name
    if "/" not in place.key:
        return str(locale.territories.get(place.key, place.name))
    return _city(locale, place.key) or place.name


def place_names(places: Iterable[Place], lang: str, written: Callable[[str], str] = str) -> str:
    """The names of ``places`` in ``lang``, each as ``written`` makes it, as a list in that
    language ("Germany and Austria", "Deutschland und Österreich"; CLDR's list patterns)."""
    from babel import UnknownLocaleError
    from babel.lists import format_list

    names = list(dict.fromkeys(written(place_name(place, lang)) for place in places))
    try:
        return str(format_list(names, locale=lang))
    except (UnknownLocaleError, ValueError):
        return ", ".join(names)
