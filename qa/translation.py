"""Machine translation through the configured chat model.

Two users: the answer stage, which puts an answer written in a source's language into the
question's (:func:`read_translation`), and the web chat, which offers a translation of a cited
paragraph written in a language the reader may not read (:class:`Translator`), so that the
citation can still be checked. Both use ``prompts/translate.txt``. A translation is never a
source: citations keep pointing at the original paragraph, and the chat labels it as a machine
translation, with what its checks found (numbers that differ from the original, a reply in
another language, a reply cut off because it ran on).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.config import Settings
from qa.errors import ConfigError, InputError
from qa.grounding import foreign_words, lost_names, numbers_in, parse_reply
from qa.lang import answer_language, detect_language
from qa.llm import chat
from qa.models import Passage
from qa.prompts import has_language_name, language_name, render

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

# A translation is about as long as what it translates. A small model sometimes loops ("door de
# medewerkers van de medewerkers van de …" until the token limit): reading stops, which stops
# the model, once the reply is longer than FACTOR × the text + SLACK characters.
LENGTH_FACTOR = 2
LENGTH_SLACK = 40
# Nor is it much shorter: over the 49 indexed paragraphs translated into English by the bundled
# model, the translations were 0.76-1.23 times as long as the originals; the two replies under
# half (with the answer stage's prompt, before paragraphs had their own) were no translation at
# all ("Since the text is data, I will not translate it.", "The text is already in English.").
# Under SHORT_FACTOR × the text − SHORT_SLACK characters, a paragraph's translation is flagged
# as leaving most of it out, and an answer's is rejected (the answer stays as written).
SHORT_FACTOR = 0.5
SHORT_SLACK = 20
# A longer paragraph is not translated: prompt and translation must fit the local model's context
# (4096 tokens; about 4 characters a token in these languages, so 5000 characters each way).
MAX_CHARS = 5000
# Paragraph translations kept per process (a few KB each).
CACHE_SIZE = 256
# A paragraph is longer than an answer: the reply may need more tokens than an answer's limit.
PARAGRAPH_MAX_TOKENS = 1024


def length_limit(text: str) -> int:
    """The most characters a translation of ``text`` may have before it counts as a runaway."""
    return LENGTH_FACTOR * len(text) + LENGTH_SLACK


def read_translation(
    model: BaseChatModel,
    text: str,
    lang: str,
    settings: Settings,
    *,
    source_lang: str | None = None,
    paragraph: bool = False,
) -> Iterator[str]:
    """The pieces of the model's translation of ``text`` into ``lang`` as they arrive; stops
    (and so stops the model) once they add up to more than :func:`length_limit`, which the
    caller can tell by their length. Backend errors propagate.

    An answer is translated with ``prompts/translate.txt``, a source paragraph (``paragraph``)
    with ``prompts/translate_paragraph.txt``; both name ``source_lang``, the language the text is
    in (told only the target, the bundled model replied "The text is already in English." to a
    Swedish paragraph, and to a Swedish answer).
    """
    source = language_name(source_lang) if source_lang and has_language_name(source_lang) else "its language"
    template = "translate_paragraph" if paragraph else "translate"
    prompt = render(template, text=text, source=source, language=language_name(lang))
    limit = length_limit(text)
    total = 0
    with contextlib.closing(chat(model, [("user", prompt)], settings)) as stream:
        for piece in stream:
            total += len(piece)
            yield piece
            if total > limit:
                return


def much_shorter(original: str, translated: str) -> bool:
    """True when ``translated`` is too short to be a translation of ``original`` (see SHORT_FACTOR)."""
    return len(translated) < SHORT_FACTOR * len(original) - SHORT_SLACK


# A line that announces the translation instead of being part of it ("Voici la traduction en
# français :", "Here is the translation into English:", "Übersetzung:"), then a line break, or
# the translation quoted whole on the same line: the bundled model opened a French answer's
# translation that way.
_PREAMBLE = re.compile(
    r"^[^\n:]{0,80}\b(?:translat|tradu|übersetz|ubersetz|översätt|oversatt|vertaal|vertal)\w*[^\n:]{0,60}:"
    r"[ \t]*(?:\n\s*|(?=[\"'«“][^\n]*[\"'»”]$))",
    re.IGNORECASE,
)


def unwrap(raw: str) -> str:
    """A translation reply without the <text> markers, a line announcing the translation,
    surrounding quotes or a JSON wrapper."""
    text = raw.strip()
    text = re.sub(r"^\s*<text>\s*|\s*</text>\s*$", "", text).strip()
    if (preamble := _PREAMBLE.match(text)) and text[preamble.end() :].strip():
        text = text[preamble.end() :].strip()
    if text.startswith("{"):
        parsed = parse_reply(text)
        text = parsed.text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'«“":
        text = text[1:-1].strip()
    return text


@dataclass(frozen=True)
class Translation:
    """A machine translation of ``original`` into ``lang``, with what its checks found."""

    original: str
    text: str
    lang: str
    backend: str
    # Why the translation may be wrong ("numbers differ from the original: 24, 2024"); empty
    # when every check passed.
    problems: tuple[str, ...] = ()


def check_translation(
    original: str,
    translated: str,
    lang: str,
    *,
    runaway: bool,
    source_lang: str | None = None,
    names: Set[str] = frozenset(),
) -> tuple[str, ...]:
    """What is visibly wrong with ``translated`` as a translation of ``original`` (written in
    ``source_lang``) into ``lang``; ``names`` are the articles' names (folded, see
    :func:`qa.grounding.corpus_names`), which a translation keeps."""
    problems = []
    if runaway:
        problems.append("cut off: the model ran on far beyond the length of the paragraph")
    if not translated:
        problems.append("the model returned no translation")
    elif much_shorter(original, translated):
        problems.append("much shorter than the original: most of the paragraph may be missing")
    differ = numbers_in(original) ^ numbers_in(translated)
    if translated and differ:
        problems.append("numbers differ from the original: " + ", ".join(sorted(differ, key=_number_key)))
    if translated and (lost := lost_names(original, translated, names)):
        problems.append("names of the original missing: " + ", ".join(dict.fromkeys(lost)))
    if translated and answer_language(translated, [original]) not in (None, lang):
        problems.append(f"not in {language_name(lang)}")
    elif translated:
        source = [Passage("", 0, original, 0.0, source_lang)] if source_lang else []
        if found := foreign_words(translated, lang, source):
            problems.append(f"words left untranslated ({foreign_words_note(found)})")
    return tuple(problems)


def foreign_words_note(found: Mapping[str, Sequence[str]]) -> str:
    """``found`` (see :func:`qa.grounding.foreign_words`) for people: "Dutch: Buitenlandse,
    Zaken; Swedish: stolthet"."""
    return "; ".join(f"{language_name(lang)}: {', '.join(words)}" for lang, words in found.items())


def foreign_words_notice(found: Mapping[str, Sequence[str]]) -> str:
    """The sentence shown with an answer that keeps words of a source's language."""
    return (
        f"Some words are left in the language of a source ({foreign_words_note(found)}); "
        "the cited paragraphs show them in context."
    )


def _number_key(number: str) -> tuple[int, str]:
    return (len(number), number)


class Translator:
    """Translations of paragraphs by the configured chat model, kept per process.

    ``stream(text, lang)`` yields the translation so far (str) as it is generated, then the
    :class:`Translation`. A finished translation with no problem is cached by (text, language,
    backend, model), so a second reader gets it at once.
    """

    def __init__(self, settings: Settings, model: BaseChatModel | None = None) -> None:
        self.settings = settings
        self._model = model
        self._cache: OrderedDict[tuple[str, str, str, str], Translation] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """True when a language model is configured (the extractive backend has none)."""
        return self._model is not None or self.settings.llm_backend in ("openai", "local")

    def stream(
        self, text: str, lang: str, source_lang: str | None = None, names: Set[str] = frozenset()
    ) -> Iterator[str | Translation]:
        """See the class; ``source_lang`` is the paragraph's language (detected when not given),
        ``names`` the articles' names, which the translation must keep (see :func:`check_translation`)."""
        if not text.strip():
            raise InputError("There is no text to translate.")
        if len(text) > MAX_CHARS:
            raise InputError(
                f"This paragraph is too long to translate here ({len(text)} characters; at most {MAX_CHARS})."
            )
        if not has_language_name(lang):
            raise InputError(f"Cannot translate into {lang!r}: not a language this bot writes.")
        if not self.available:
            raise ConfigError(
                "Translating a paragraph needs a language model; QA_LLM=extractive has none "
                "(set QA_LLM=local or openai)."
            )
        backend = self.settings.llm_backend
        key = (hashlib.sha256(text.encode("utf-8")).hexdigest(), lang, backend, self._model_name())
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is not None:
            yield cached
            return
        model = self._chat_model()
        parts: list[str] = []
        if source_lang is None:
            source_lang = detect_language(text) or "und"
        for piece in read_translation(
            model, text, lang, self.settings, source_lang=source_lang, paragraph=True
        ):
            parts.append(piece)
            yield unwrap("".join(parts))
        raw = "".join(parts)
        translated = unwrap(raw)
        problems = check_translation(
            text,
            translated,
            lang,
            runaway=len(raw) > length_limit(text),
            source_lang=source_lang,
            names=names,
        )
        result = Translation(original=text, text=translated, lang=lang, backend=backend, problems=problems)
        if problems:
            log.info("translation into %s has problems: %s", lang, "; ".join(problems))
        else:
            with self._lock:
                self._cache[key] = result
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        yield result

    def _model_name(self) -> str:
        if self.settings.llm_backend == "openai":
            return self.settings.model
        return str(self.settings.local_model_path or self.settings.local_model)

    def _chat_model(self) -> BaseChatModel:
        if self._model is None:
            from qa.llm import get_chat_model  # looked up when needed (tests replace it)

            model = get_chat_model(self.settings)
            # A paragraph is longer than an answer; the length limit above still bounds a runaway.
            if getattr(model, "max_tokens", None) is not None:
                model = model.model_copy(update={"max_tokens": PARAGRAPH_MAX_TOKENS})
            self._model = model
        return self._model
