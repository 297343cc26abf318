"""``qa.answer`` / ``qa.stream_answer``: question → retrieval → prompt → model → checked citations.

Steps: validate the question; condense a follow-up into a standalone question (when there is
history); retrieve (with ``QA_RERANK=llm``, let the model reorder what was retrieved: :mod:`qa.rerank`);
show the model a few numbered sources; stream its JSON reply (the
"answer" field streams as text); map source numbers to paragraphs, dropping invented
ones; check that every number in the answer occurs in a cited paragraph, that no full name
in it is one the articles never mention, that it gives a count when asked how many, that a
count in it counts what a cited paragraph counts with that number, that it does not rest on a
number of the question no source states, and that the question is not anchored to a year no
article states;
abstain in the question's language when the model says the sources do not answer or a check
fails.

The final :class:`~qa.models.Answer`'s ``text`` can differ from the streamed chunks: an
answer that fails the grounding check is replaced by the abstention message, and a failed
LLM is replaced by an extractive answer (``Answer.fallback == "extractive"``). Interfaces
should show the final ``Answer.text`` once it arrives.

Failure policy: setup problems (no API key, key rejected, unknown model, missing or corrupt
model file) raise a BackendError/ConfigError that says how to fix them. Failures that may
pass (server unreachable, timeout or rate limit after bounded retries, server error,
unusable output) give an extractive answer labelled ``fallback="extractive"`` with the
reason in ``fallback_reason``; ``QA_LLM_FALLBACK=none`` raises them instead.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterator, Set
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from qa.config import Settings, get_settings
from qa.errors import InputError
from qa.grounding import (
    answer_schema,
    corpus_capitalised,
    corpus_names,
    corpus_vocabulary,
    corpus_years,
    counts_something_else,
    drop_yes_no,
    echoes_question_number,
    foreign_words,
    ground,
    leaks_prompt,
    lost_names,
    map_sources,
    misses_name,
    misses_quantity,
    misses_time,
    mostly_foreign,
    numbers_in,
    outside_names,
    parse_reply,
    prune_citations,
    recounts_a_source,
    repeats_question,
    shares_nothing,
    spliced_dates,
    unknown_question_years,
    unsupported_first,
    unsupported_numerals,
    unverified_yes_no,
)
from qa.lang import answer_language, own_words, word_list_language
from qa.llm import chat
from qa.models import Answer, Citation, Passage
from qa.prompts import has_language_name, language_name, message, message_languages, render
from qa.translation import length_limit, much_shorter, read_translation, unwrap

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from qa.corpus import Corpus
    from qa.places import Mention

log = logging.getLogger(__name__)

MAX_HISTORY_TURNS = 3
MAX_HISTORY_ANSWER_CHARS = 600


def answer(
    question: str,
    history: list[tuple[str, str]] | None = None,
    *,
    settings: Settings | None = None,
    retriever: Any = None,
    chat_model: BaseChatModel | None = None,
) -> Answer:
    """Answer ``question`` from the articles, citing paragraphs (see the module docstring)."""
    final: Answer | None = None
    for item in stream_answer(
        question, history, settings=settings, retriever=retriever, chat_model=chat_model
    ):
        if isinstance(item, Answer):
            final = item
    assert final is not None
    return final


def stream_answer(
    question: str,
    history: list[tuple[str, str]] | None = None,
    *,
    settings: Settings | None = None,
    retriever: Any = None,
    chat_model: BaseChatModel | None = None,
) -> Iterator[str | Answer]:
    """Yield the answer's text in chunks as it is generated, then the final :class:`Answer`.

    ``chat_model`` replaces the backend's model (tests pass LangChain fake chat models).
    """
    settings = settings or get_settings()
    started = time.perf_counter()
    from qa.retrieve import get_retriever, validate_question

    question = validate_question(question, settings)
    turns = _clean_history(history, settings)
    retriever = retriever if retriever is not None else get_retriever(settings)
    lang = question_language(question, turns, _source_words(retriever))
    backend = settings.llm_backend
    run = _Run(settings, retriever, question, lang, backend, started)

    model = chat_model
    if model is None and backend != "extractive":
        from qa.llm import get_chat_model

        model = get_chat_model(settings)  # setup errors surface here, before any output
    if turns:
        run.standalone = condense_question(question, turns, model, settings, run.timings)
    yield from run.answer(model)


@dataclass
class _Run:
    """One answer in progress: the inputs, what was retrieved, timings."""

    settings: Settings
    retriever: Any
    question: str
    lang: str
    backend: str
    started: float
    standalone: str | None = None

    def __post_init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.passages: list[Passage] = []
        self._first_token: float | None = None

    @property
    def query(self) -> str:
        return self.standalone or self.question

    @property
    def asked(self) -> str:
        """What the person asked, for the name check (an answer may repeat a name from it):
        the question and, for a follow-up, its standalone form too."""
        return f"{self.question} {self.standalone}" if self.standalone else self.question

    def _shown(self, backend: str) -> list[Passage]:
        """The retrieved paragraphs ``backend`` reads, whole (see ``Settings.passages_for``)."""
        return [self._full(p) for p in self.passages[: self.settings.passages_for(backend)]]

    def _mark_first_token(self) -> None:
        if self._first_token is None:
            self._first_token = time.perf_counter() - self.started

    def answer(self, model: BaseChatModel | None) -> Iterator[str | Answer]:
        t = time.perf_counter()
        self.passages = list(self.retriever.search(self.query, self.settings.top_k))
        self.timings["retrieval"] = time.perf_counter() - t
        if unknown := self._unknown_places():
            context = self._shown(self.backend)
            places = ", ".join(f'"{mention.text}"' for mention in unknown)
            yield from self._abstain(
                context,
                f"the question names {places}, which no article mentions",
                text=self._no_such_place(unknown),
            )
            return
        if model is not None and self.settings.rerank == "llm":
            self._rerank(model)
        if model is None:
            yield from self._extractive(fallback_reason=None)
            return
        from qa.llm import TransientBackendError

        try:
            yield from self._generate(model)
        except TransientBackendError as exc:
            if self.settings.llm_fallback == "none":
                raise
            log.warning("LLM failed (%s); answering extractively", exc)
            yield from self._extractive(fallback_reason=str(exc))

    # --- LLM path ------------------------------------------------------------------------

    def _rerank(self, model: BaseChatModel) -> None:
        """Reorder the retrieved passages by the model's judgement (``QA_RERANK=llm``); a failure
        that may pass keeps the retrieval order."""
        from qa.rerank import rerank_or_keep

        t = time.perf_counter()
        self.passages = rerank_or_keep(
            self.query, self.passages, model, self.settings, full_text=lambda p: self._full(p).text
        )
        self.timings["rerank"] = time.perf_counter() - t

    def _generate(self, model: BaseChatModel) -> Iterator[str | Answer]:
        from qa.llm import TransientBackendError

        context = self._shown(self.backend)
        if not context:
            yield from self._abstain(context, "no passage retrieved")
            return
        messages = build_messages(self.query, context, self.lang, self.settings.answer_source_chars)
        streamer = AnswerFieldStreamer()
        raw_parts: list[str] = []
        t = time.perf_counter()
        # A remote server may trickle forever; a local model is bounded by its max_tokens instead.
        deadline = (
            time.monotonic() + self.settings.llm_timeout * (self.settings.llm_max_retries + 1)
            if self.backend == "openai"
            else None
        )
        for piece in chat(
            model, messages, self.settings, schema=answer_schema(len(context)), deadline=deadline
        ):
            raw_parts.append(piece)
            if text := streamer.feed(piece):
                self._mark_first_token()
                yield text
        self.timings["generation"] = time.perf_counter() - t
        raw = "".join(raw_parts)
        log.debug("raw reply: %s", raw)
        parsed = parse_reply(raw)
        if not raw.strip():
            raise TransientBackendError("The language model returned an empty reply")
        if parsed.malformed:
            raise TransientBackendError("The language model's reply was broken JSON (cut off or invalid)")
        if not parsed.found:
            yield from self._abstain(context, "the model found no answer in the sources")
            return
        if (text := drop_yes_no(parsed.text, self.asked, self.lang)) != parsed.text:
            log.info("dropped the yes/no opening an answer to an open question: %r", parsed.text)
            if not text.strip():
                yield from self._abstain(
                    context, "the question asks more than yes or no, and the answer only says yes or no"
                )
                return
            parsed = replace(parsed, text=text)
        cited, invented = map_sources(parsed.sources, context)
        if invented:
            log.info("dropped invented source number(s) %s (only %d sources)", invented, len(context))
        check = ground(
            parsed.text,
            cited,
            context,
            self.asked,
            check_names=self.settings.check_names,
            vocabulary=self._vocabulary(),
        )
        unknown_year = self._unknown_years(parsed.text)
        foreign_places = self._unknown_places(parsed.text)
        recounted = recounts_a_source(parsed.text, check.citations, self.lang)
        shown = [p.text for p in context]
        echoed = echoes_question_number(parsed.text, shown, self.asked)
        spliced = spliced_dates(parsed.text, shown)
        numerals = unsupported_numerals(parsed.text, shown, self.asked)
        for failed, problem in (
            (leaks_prompt(parsed.text, messages[0][1]), "the answer repeats the system prompt"),
            (shares_nothing(parsed.text, context), "the answer shares no number or word with any source"),
            (repeats_question(parsed.text, self.query), "the answer only repeats words of the question"),
            (
                misses_quantity(parsed.text, self.asked),
                "the question asks how many, and the answer gives no number",
            ),
            (
                misses_time(parsed.text, self.asked),
                "the question asks when, and the answer gives no time",
            ),
            (
                unverified_yes_no(parsed.text, self.asked, self.lang, shown, self._names()),
                "the answer says yes or no and otherwise repeats the question, which no source states in those words",
            ),
            (
                misses_name(parsed.text, self.asked, self.lang),
                "the question asks who or which country or city, and the answer names no one and nowhere",
            ),
            (
                unsupported_first(parsed.text, self.asked, self.lang, [p.text for p in check.citations]),
                "the question asks what came first, and no cited source speaks of a first",
            ),
            (
                counts_something_else(parsed.text, self.asked),
                "the question asks how many or how long, and the answer does not count what it asks",
            ),
            (unknown_year is not None, unknown_year or ""),
            (
                bool(foreign_places),
                "the answer names "
                + ", ".join(f'"{mention.text}"' for mention in foreign_places)
                + ", which no article mentions",
            ),
            (
                bool(recounted),
                "the answer's "
                + ", ".join(f'"{count}"' for count in recounted)
                + " counts something else in the cited source",
            ),
            (
                bool(echoed),
                f"the answer takes the question's number {', '.join(sorted(echoed, key=int))}, which no source states",
            ),
            (
                bool(numerals),
                "the answer's "
                + ", ".join(f'"{word}"' for word in numerals)
                + " is a number no source states",
            ),
            (
                bool(spliced),
                "the answer's date "
                + ", ".join(f'"{date}"' for date in spliced)
                + " joins a day and a year that no source states together",
            ),
        ):
            if failed:
                check.ok = False
                check.problems.append(problem)
        if check.ok and self.settings.check_counts == "model":
            from qa.counting import check_counts

            t = time.perf_counter()
            miscounted = check_counts(parsed.text, self.query, check.citations, model, self.settings)
            self.timings["count_check"] = time.perf_counter() - t
            if miscounted:
                check.ok = False
                check.problems.extend(m.describe() for m in miscounted)
        if not check.ok:
            yield from self._abstain(context, "; ".join(check.problems))
            return
        citations = prune_citations(parsed.text, check.citations)
        text = self._in_question_language(model, parsed.text, context, messages[0][1])
        final = self._finish(text, citations, found=True, context=context)
        final.foreign_words = self._foreign_words(text, context)
        yield final

    def _in_question_language(
        self, model: BaseChatModel, text: str, context: list[Passage], system_prompt: str
    ) -> str:
        """``text``, translated into the question's language when it is clearly in another one.

        Small models often answer in the language of the source they read. The language is
        lingua's (:func:`qa.lang.answer_language`) or, for an answer too short for it, the one
        most of its words are in (:func:`qa.grounding.mostly_foreign`: "Vicepremier en minister
        van Buitenlandse Zaken" to a German question). The translation is kept only when it is
        in the right language, keeps every number and repeats no part of the system prompt;
        otherwise, or when the model fails, the answer stays as it was.
        """
        written_in = self._written_in(text, context)
        if written_in is None or written_in == self.lang or not has_language_name(self.lang):
            return text
        from qa.llm import TransientBackendError

        t = time.perf_counter()
        parts: list[str] = []
        try:
            parts.extend(read_translation(model, text, self.lang, self.settings, source_lang=written_in))
        except TransientBackendError as exc:
            log.warning("could not translate the answer (%s); keeping it in %s", exc, written_in)
            return text
        finally:
            self.timings["translation"] = time.perf_counter() - t
        limit = length_limit(text)
        runaway = sum(map(len, parts)) > limit
        translated = unwrap("".join(parts))
        problems = []
        if runaway:
            problems.append(f"over {limit} characters for a {len(text)}-character answer")
        if not translated:
            problems.append("empty")
        elif translated == text:
            problems.append("unchanged")
        elif much_shorter(text, translated):
            problems.append("much shorter than the answer")
        if not numbers_in(text) <= numbers_in(translated):
            problems.append("numbers changed")
        if translated and (lost := lost_names(text, translated, self._names())):
            problems.append("drops the name(s) " + ", ".join(lost))
        if self._written_in(translated, context) not in (None, self.lang):
            problems.append("still not in the question's language")
        if leaks_prompt(translated, system_prompt):
            problems.append("repeats the system prompt")
        vocabulary = self._vocabulary()
        if vocabulary is not None and outside_names(translated, vocabulary, self.asked, language=self.lang):
            problems.append("adds a name no article mentions")
        if problems:
            log.info("translation of the answer from %s rejected: %s", written_in, ", ".join(problems))
            return text
        log.info("answer translated from %s into %s", written_in, self.lang)
        return translated

    def _written_in(self, text: str, context: list[Passage]) -> str | None:
        """The language ``text`` is written in when that can be told (see _in_question_language)."""
        return answer_language(text, [p.text for p in context]) or mostly_foreign(
            text, self.lang, context, asked=self.asked, names=self._names()
        )

    def _abstain(
        self, context: list[Passage], reason: str, text: str | None = None
    ) -> Iterator[str | Answer]:
        """Answer that the articles do not say (``text``, else the fixed message), with ``reason``."""
        log.info("abstaining: %s", reason)
        text = text or message("not_found", self.lang)
        if self._first_token is None:
            self._mark_first_token()
            yield text
        final = self._finish(text, [], found=False, context=context)
        final.abstention_reason = reason
        yield final

    # --- extractive path -----------------------------------------------------------------

    def _extractive(self, fallback_reason: str | None) -> Iterator[str | Answer]:
        from qa.extractive import Extract, NoExtract, extract_answer

        context = self._shown("extractive")  # as many as the extractive backend quotes from, in fallback too
        result = extract_answer(self.query, context, self.retriever, self.settings, asked=self.question)
        # A quoted sentence is picked for its closeness to the question; a year in it is not set
        # against the question's, so it does not vouch for the question (see _unknown_years).
        if isinstance(result, Extract) and (unknown := self._unknown_years("")):
            result = NoExtract(unknown)
        # The same rule as for a model's answer: a first must be spoken of in the quoted paragraph.
        if isinstance(result, Extract) and unsupported_first(
            result.text, self.asked, self.lang, [c.text for c in result.citations]
        ):
            result = NoExtract("the question asks what came first, and the best paragraph speaks of no first")
        if isinstance(result, Extract):
            text, citations, reason = result.text, result.citations, None
        else:
            text, citations, reason = message("not_found", self.lang), [], result.reason
        self._mark_first_token()
        yield text
        final = self._finish(text, citations, found=reason is None, context=context)
        final.abstention_reason = reason
        if fallback_reason is not None:
            final.fallback = "extractive"
            final.fallback_reason = fallback_reason
        yield final

    # --- result --------------------------------------------------------------------------

    def _finish(self, text: str, cited: list[Passage], *, found: bool, context: list[Passage]) -> Answer:
        total = time.perf_counter() - self.started
        self.timings["first_token"] = self._first_token if self._first_token is not None else total
        self.timings["total"] = total
        return Answer(
            question=self.question,
            text=text,
            citations=[self._citation(p) for p in cited] if found else [],
            found=found,
            lang=self.lang,
            backend=self.backend,
            passages=context,
            timings=dict(self.timings),
            standalone_question=self.standalone,
        )

    def _citation(self, passage: Passage) -> Citation:
        return Citation(passage.file, passage.paragraph, self._full(passage).text)

    def _full(self, passage: Passage) -> Passage:
        return full_paragraph(self.retriever, passage)

    def _corpus(self) -> Corpus | None:
        """The retriever's corpus (see :func:`corpus_of`)."""
        return corpus_of(self.retriever)

    def _vocabulary(self) -> frozenset[str] | None:
        """The corpus's word stems for the name check; None (the retrieved passages') when the
        retriever has no corpus to give."""
        if self.settings.check_names != "corpus":
            return None
        corpus = self._corpus()
        return None if corpus is None else corpus_vocabulary(corpus)

    def _names(self) -> frozenset[str]:
        """The articles' names (:func:`qa.grounding.corpus_names`); none when the retriever has
        no corpus to give."""
        corpus = self._corpus()
        return corpus_names(corpus) if corpus is not None else frozenset()

    def _foreign_words(self, text: str, context: list[Passage]) -> dict[str, list[str]]:
        """The words of the answer left in another language (:func:`qa.grounding.foreign_words`);
        logged, and shown with the answer, not held against it: the answer may still be right."""
        found = foreign_words(text, self.lang, context, asked=self.asked, names=self._names())
        for lang, words in found.items():
            log.info("answer keeps %s word(s) in a %s answer: %s", lang, self.lang, ", ".join(words))
        return found

    def _unknown_places(self, text: str | None = None) -> list[Mention]:
        """Where the question (or ``text``, an answer) names places that no article mentions
        (:mod:`qa.places`); none when ``QA_CHECK_PLACES=off`` or the retriever has no corpus. An
        answer naming such a place cannot rest on the articles ("Le premier pays africain à signer
        la Convention est le Ghana.")."""
        if self.settings.check_places != "corpus":
            return []
        corpus = self._corpus()
        if corpus is None:
            return []
        from qa.places import corpus_places, unknown_places

        return unknown_places(self.asked if text is None else text, corpus_places(corpus))

    def _no_such_place(self, unknown: list[Mention]) -> str:
        """The answer to a question about places no article mentions, naming them in the
        question's language ("none of them mentions Germany"); the fixed "not found" message in a
        language ``prompts/messages.toml`` has no such sentence for."""
        if self.lang not in message_languages("not_found_place"):
            return message("not_found", self.lang)
        from qa.places import place_names

        places = place_names(
            [m.place for m in unknown], self.lang, lambda name: message("place_name", self.lang, place=name)
        )
        return message("not_found_place", self.lang, places=places)

    def _unknown_years(self, answer: str) -> str | None:
        """Why ``answer`` cannot be from the articles when the question is anchored to a year
        none of them states (:func:`qa.grounding.unknown_question_years`); None otherwise, and
        when the retriever has no corpus. ``answer`` is what the model wrote; empty for a quote,
        whose years are not set against the question's."""
        corpus = self._corpus()
        if corpus is None:
            return None
        missing = unknown_question_years(self.asked, answer, corpus_years(corpus))
        if not missing:
            return None
        return f"the question's year {', '.join(sorted(missing))} is in no article"


def full_paragraph(retriever: Any, passage: Passage) -> Passage:
    """``passage`` with the paragraph's full text from ``retriever``'s corpus (the index may hold
    a variant); ``passage`` itself when the corpus cannot give it."""
    from qa.errors import QAError

    try:
        text = retriever.corpus.paragraph(passage.file, passage.paragraph).text
    except (QAError, AttributeError) as exc:
        log.debug("full text of %s unavailable (%s); using the passage text", passage.label, exc)
        return passage
    return passage if text == passage.text else replace(passage, text=text)


# --- prompts ---------------------------------------------------------------------------------


def build_messages(
    question: str, passages: list[Passage], lang: str, source_chars: int = 500
) -> list[tuple[str, str]]:
    """The chat messages for one answer: the fixed system prompt, then the numbered sources and question.

    Each source is the paragraph, or for a long one the ``source_chars`` around its sentence that
    best matched the question: on 2 cores the bundled model reads about 96 tokens/s, so the prompt's
    length is most of the time to the first token.
    """
    sources = "\n\n".join(
        render("source", number=i, text=excerpt(p.text, p.sentence, source_chars))
        for i, p in enumerate(passages, start=1)
    )
    user = render("answer", sources=sources, question=question, language=language_name(lang))
    return [("system", render("system")), ("user", user)]


def excerpt(text: str, sentence: int | None, limit: int) -> str:
    """At most about ``limit`` characters of ``text``: whole sentences around sentence number
    ``sentence`` (0-based; the first when unknown), growing after it first, then before it.
    Cut ends are marked with "…"."""
    if len(text) <= limit:
        return text
    from qa.index import split_sentences

    sentences = split_sentences(text)
    lo = hi = min(max(sentence or 0, 0), len(sentences) - 1)
    size = len(sentences[lo])
    grew = True
    while grew:
        grew = False
        if hi + 1 < len(sentences) and size + 1 + len(sentences[hi + 1]) <= limit:
            hi += 1
            size += 1 + len(sentences[hi])
            grew = True
        if lo > 0 and size + 1 + len(sentences[lo - 1]) <= limit:
            lo -= 1
            size += 1 + len(sentences[lo])
            grew = True
    body = " ".join(sentences[lo : hi + 1])
    if len(body) > limit:  # one sentence longer than the limit
        body = body[:limit].rsplit(" ", 1)[0]
        hi = -1  # always marked as cut
    head = "… " if lo > 0 else ""
    tail = " …" if hi != len(sentences) - 1 else ""
    return head + body + tail


def question_language(
    question: str, history: list[tuple[str, str]] | None = None, source_words: Set[str] = frozenset()
) -> str:
    """ISO code of the question's language; short, ambiguous questions borrow the conversation's,
    else English. Names of the sources (``source_words``: words they write only capitalised,
    case-folded, see :func:`qa.grounding.corpus_capitalised`) are left out first, as for
    answers: a question made only of them ("Hanoi?", "To Lam?") has no language of its own (the
    detector called "Hanoi?" Finnish, and "Hanoi, wann?" too). Over the 244 questions of the
    known-answers set and the probes, it changes the language of one, rightly: "Did Krzysztof
    Gawkowski meet Bui Thanh Son on 24 October?" is Polish to the detector, English without the
    names. (Leaving out every capitalised word the sources use, as before, made "Har
    konventionen 20 kapitel?" German: the Swedish article writes "har".) The language is told by
    word lists (:func:`qa.lang.word_list_language`), which over the set's questions and the 182
    of the probes differs from lingua on one, rightly: "Wie won de Tour de France in 2023?" is
    Dutch (lingua: French); so is "Wer vertrat die Niederlande?" German (lingua: Dutch)."""
    if source_words:
        words = own_words(question, source_words)
        lang = word_list_language(" ".join(words)) if words else None
    else:
        lang = word_list_language(question)
    if lang is None and history:
        lang = word_list_language(history[-1][0])
    return lang or "en"


def _source_words(retriever: Any) -> frozenset[str]:
    """The words ``retriever``'s corpus writes only capitalised, case-folded; empty when it has
    no corpus to give."""
    corpus = corpus_of(retriever)
    return frozenset() if corpus is None else corpus_capitalised(corpus)


def corpus_of(retriever: Any) -> Corpus | None:
    """``retriever``'s corpus, for the checks that look at every article; None when it has none
    to give (a test's fake, an index that cannot be read)."""
    from qa.errors import QAError

    try:
        corpus: Corpus = retriever.corpus
    except (QAError, AttributeError) as exc:
        log.debug("no corpus for the checks (%s); using the retrieved passages", exc)
        return None
    return corpus


def _clean_history(history: Any, settings: Settings) -> list[tuple[str, str]]:
    """The last few (question, answer) turns, validated and with control characters removed."""
    if not history:
        return []
    from qa.retrieve import has_words, validate_question

    turns: list[tuple[str, str]] = []
    try:
        pairs = [(q, a) for q, a in history]
    except (TypeError, ValueError) as exc:
        raise InputError("history must be a list of (question, answer) pairs") from exc
    for q, a in pairs[-MAX_HISTORY_TURNS:]:
        if not isinstance(q, str) or not isinstance(a, str):
            raise InputError("history must be a list of (question, answer) pairs of strings")
        if not has_words(q):  # blank, or a turn a question with no words would have refused
            continue
        clean_a = " ".join(a.split())[:MAX_HISTORY_ANSWER_CHARS]
        turns.append((validate_question(q, settings), clean_a))
    return turns


def condense_question(
    question: str,
    history: list[tuple[str, str]],
    model: BaseChatModel | None,
    settings: Settings,
    timings: dict[str, float] | None = None,
) -> str:
    """Turn a follow-up into a standalone question, using the model when there is one.

    Without a model (extractive backend), or when the model fails, the previous question is
    prepended so retrieval still sees what the follow-up refers to.
    """
    t = time.perf_counter()
    fallback = f"{history[-1][0]} {question}"
    if model is None:
        return fallback
    from qa.llm import TransientBackendError

    transcript = "\n".join(f"User: {q}\nAssistant: {a}" for q, a in history)
    prompt = render("condense", history=transcript, question=question)
    try:
        raw = "".join(chat(model, [("user", prompt)], settings))
    except TransientBackendError as exc:
        log.warning("could not condense the follow-up (%s); using it with the previous question", exc)
        return fallback
    finally:
        if timings is not None:
            timings["condense"] = time.perf_counter() - t
    standalone = _first_line(raw)
    if not standalone or len(standalone) > settings.max_question_chars:
        return fallback
    return standalone


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        line = line.strip().strip('"').strip()
        for prefix in ("Rewritten question:", "Standalone question:", "Question:"):
            if line.lower().startswith(prefix.lower()):
                line = line[len(prefix) :].strip()
        if line:
            return line
    return ""


# --- streaming the "answer" field of a JSON reply -----------------------------------------------


class AnswerFieldStreamer:
    """Incrementally extract the ``"answer"`` string from a JSON reply as it streams.

    A reply that does not start with ``{`` is plain text (a backend that ignored the schema)
    and passes through unchanged, minus ``[n]`` markers, which become citations later.
    """

    _ESCAPES: ClassVar[dict[str, str]] = {
        '"': '"',
        "\\": "\\",
        "/": "/",
        "b": "\b",
        "f": "\f",
        "n": "\n",
        "r": "\r",
        "t": "\t",
    }

    def __init__(self) -> None:
        self._buffer = ""
        self._sent = ""
        self._mode: str | None = None  # "json" or "text"

    def feed(self, piece: str) -> str:
        self._buffer += piece
        if self._mode is None:
            head = self._buffer.lstrip()
            if not head:
                return ""
            self._mode = "json" if head[0] in "{`" else "text"
        decoded = self._decode_answer() if self._mode == "json" else self._plain_text()
        if not decoded.startswith(self._sent):
            return ""  # a marker removal changed earlier text; the final Answer.text is right
        new = decoded[len(self._sent) :]
        self._sent = decoded
        return new

    def _plain_text(self) -> str:
        from qa.grounding import strip_markers

        # Hold back a trailing partial marker ("[1") so it is never shown.
        text = self._buffer
        cut = text.rfind("[")
        if cut != -1 and "]" not in text[cut:]:
            text = text[:cut]
        return strip_markers(text)[0]

    def _decode_answer(self) -> str:
        match = re.search(r'"answer"\s*:\s*"', self._buffer)
        if match is None:
            return ""
        out: list[str] = []
        i = match.end()
        buf = self._buffer
        while i < len(buf):
            ch = buf[i]
            if ch == '"':
                break
            if ch == "\\":
                if i + 1 >= len(buf):
                    break
                code = buf[i + 1]
                if code == "u":
                    if i + 6 > len(buf):
                        break
                    with contextlib.suppress(ValueError):
                        out.append(chr(int(buf[i + 2 : i + 6], 16)))
                    i += 6
                    continue
                out.append(self._ESCAPES.get(code, code))
                i += 2
                continue
            out.append(ch)
            i += 1
        return "".join(out)
