"""Questions about a first ("Which country signed first?") and the sources that speak of one.

Who or what came first is a fact a source states in so many words ("the first global legal
framework", "C'est la première fois", "för första gången"). A small model asked which country
signed or ratified first answers with the most salient country of its sources, which say nothing
of an order; so an answer to a question about a first must cite a source that speaks of one.
"""

from __future__ import annotations

from collections.abc import Iterable

from qa.grounding.words import WORD
from qa.lang import fold

# The words for "first" (the ordinal and its adverbs), folded, by language.
_FIRST_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset({"first", "firstly"}),
    "de": frozenset(
        {"erste", "ersten", "erster", "erstes", "erstem", "erstmals", "erstmalig", "erstmalige", "zuerst"}
    ),
    "fr": frozenset({"premier", "premiere", "premiers", "premieres", "premierement"}),
    "sv": frozenset({"forsta", "forst", "forste"}),
    "nl": frozenset({"eerste", "eerst"}),
}
_ANY_FIRST_WORD = frozenset().union(*_FIRST_WORDS.values())
# "Premier ministre", "vice-Premier ministre": a title, not an order.
_TITLE_AFTER_PREMIER = frozenset({"ministre", "ministres", "minister"})


def _first_words(text: str, words_for_first: frozenset[str]) -> list[str]:
    words = [fold(w) for w in WORD.findall(text)]
    found = []
    for i, word in enumerate(words):
        if word not in words_for_first:
            continue
        following = words[i + 1] if i + 1 < len(words) else ""
        if word.startswith("premier") and (
            following in _TITLE_AFTER_PREMIER or (i and words[i - 1] == "vice")
        ):
            continue
        found.append(word)
    return found


def asks_about_a_first(question: str, lang: str) -> bool:
    """True when ``question``, in language ``lang``, asks who or what came first: it has a word of
    that language for "first" ("Which country was the first to sign …?", "Quel pays a ratifié …
    en premier ?", "am ersten Tag"; not "le Premier ministre"). A language without a list is read
    with every list."""
    return bool(_first_words(question, _FIRST_WORDS.get(lang, _ANY_FIRST_WORD)))


def speaks_of_a_first(texts: Iterable[str]) -> bool:
    """True when one of ``texts`` has a word for "first" in any of the five languages."""
    return any(_first_words(text, _ANY_FIRST_WORD) for text in texts)


def unsupported_first(answer: str, question: str, lang: str, cited: Iterable[str]) -> bool:
    """True when ``question`` asks about a first and none of the ``cited`` paragraphs ``answer``
    rests on speaks of one: "Vietnam" to "Which country was the first to sign the Hanoi
    Convention?", cited from a paragraph about the ceremony. A yes to "Is this the first time
    …?" needs such a paragraph too."""
    if not answer.strip() or not asks_about_a_first(question, lang):
        return False
    return not speaks_of_a_first(cited)
