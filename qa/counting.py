"""What an answer's count counts, read across languages by the language model (``QA_CHECK_COUNTS``).

Asked "Hoeveel landen stemden tegen het verdrag?", the bundled model took the 9 of "9 Kapiteln
und 71 Artikeln" and answered "9 landen"; asked "Combien de pages compte le texte ?", it answered
"71" from "71 articles". :mod:`qa.grounding` compares what a number counts by the word after it,
which works within one language only ("Kapiteln" and "landen" share no letters whether or not
they mean the same). Here the model itself names, in English, what the question asks the number
of and what the answer's number counts in the cited sentence; when none of the answer's counts
counts what was asked, the answer is refused. Measured in benchmarks/README.md ("What a count
counts").

The check runs only for a how-many question (not how long) whose answer gives a count in digits
that a cited paragraph states; a count in words ("tusentals delegater") leaves it out, and so
does a source whose word after the number shares its stem with a word of the question (same
language, same thing: "71 articles" to "Combien d'articles…?"), which costs no model call.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.grounding import (
    asks_duration,
    asks_quantity,
    counts_a_word_of,
    counts_in_words,
    digit_counts,
    numbers_in,
)
from qa.index import split_sentences
from qa.prompts import render

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from qa.config import Settings
    from qa.models import Passage

log = logging.getLogger(__name__)

# The model names a counted thing in one or two words; a few tokens are enough.
MAX_TOKENS = 8
# A named thing must be common English (see english).
_ENGLISH_ZIPF = 3.0
# Words of the model's reply that name no thing.
_FILLER = frozenset(
    {"the", "and", "number", "numbers", "count", "counts", "counted", "thing", "things", "plural"}
)


@dataclass(frozen=True)
class Miscount:
    """An answer's count that counts something other than what the question asks."""

    number: str
    counts: str  # what the number counts in the cited sentence (English, as the model named it)
    asked: str  # what the question asks the number of (English, as the model named it)

    def describe(self) -> str:
        return f'the answer\'s {self.number} counts "{self.counts}" in the cited source, and the question asks for "{self.asked}"'


def thing_words(reply: str) -> list[str]:
    """The words of a reply naming a counted thing, lower case, letters only, fillers left out
    ("The delegates." -> ["delegates"])."""
    return [w for w in re.findall(r"[a-z]+", reply.lower()) if len(w) >= 3 and w not in _FILLER][:4]


def same_thing(first: list[str], second: list[str]) -> bool:
    """True when two named things share a word, up to an ending (the first five letters, or the
    whole of a shorter word: "country"/"countries", "day"/"days")."""
    for a in first:
        for b in second:
            k = min(5, len(a), len(b))
            if a[:k] == b[:k]:
                return True
    return False


def sentence_with(number: str, passages: list[Passage]) -> str | None:
    """The first sentence of ``passages`` that states ``number``."""
    for passage in passages:
        for sentence in split_sentences(passage.text) or [passage.text]:
            if number in numbers_in(sentence):
                return sentence
    return None


def english(words: list[str]) -> bool:
    """True when every word is a common English one (wordfreq's list, Zipf 3 or more: about once
    in a million words). The bundled model sometimes leaves a question's word untranslated
    ("Wie viele Sitzungen…?" named "sitzungen", Zipf 0), and a German word set against the
    source's English "sessions" would refuse a right answer."""
    from wordfreq import zipf_frequency

    return bool(words) and all(zipf_frequency(w, "en") >= _ENGLISH_ZIPF for w in words)


def _name(model: BaseChatModel, settings: Settings, prompt: str) -> list[str]:
    """What the model names as counted, in English words; empty when it names nothing or not in
    English (then the check cannot compare, and stays out)."""
    from qa.llm import complete

    messages = [("system", render("count_system")), ("user", prompt)]
    words = thing_words(complete(model, messages, settings, max_tokens=MAX_TOKENS).split("\n", 1)[0])
    return words if english(words) else []


def miscounts(
    answer: str, question: str, cited: list[Passage], model: BaseChatModel, settings: Settings
) -> list[Miscount]:
    """The counts of ``answer`` that count something else than ``question`` asks, when none of
    its counts counts what it asks; empty when the check does not apply or cannot tell (the
    model names nothing). Backend errors propagate (see :func:`check_counts`)."""
    if not asks_quantity(question) or asks_duration(question) or counts_in_words(answer):
        return []
    stated = [(n, s) for n in digit_counts(answer) if (s := sentence_with(n, cited)) is not None]
    if not stated or any(counts_a_word_of(n, s, question) for n, s in stated):
        return []
    asked = _name(model, settings, render("count_question", question=question))
    if not asked:
        return []
    found = []
    for number, sentence in stated:
        counts = _name(model, settings, render("count_source", sentence=sentence, number=number))
        if not counts or same_thing(counts, asked):
            return []
        found.append(Miscount(number, " ".join(counts), " ".join(asked)))
    log.info("counts of something else: %s", [m.describe() for m in found])
    return found


def check_counts(
    answer: str, question: str, cited: list[Passage], model: BaseChatModel, settings: Settings
) -> list[Miscount]:
    """:func:`miscounts`, or none (with a warning) when the model fails in a way that may pass:
    the answer is kept rather than lost to a failed check."""
    from qa.llm import TransientBackendError

    try:
        return miscounts(answer, question, cited, model, settings)
    except TransientBackendError as exc:
        log.warning("could not check what the answer's count counts (%s); keeping the answer", exc)
        return []
