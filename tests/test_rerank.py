"""Reranking by the language model (QA_RERANK=llm): the judgement, the fusion, the wiring.

A deterministic fake chat model stands in for the LLM here (the point is the logic); the real
bundled model reranks the whole known-answer set in tests/test_search_quality.py.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from qa.answering import stream_answer
from qa.config import Settings
from qa.corpus import Corpus
from qa.errors import ConfigError
from qa.llm import TransientBackendError, first_token_alternatives
from qa.local_llm import LocalChatModel
from qa.models import Answer, Passage
from qa.rerank import fuse, rerank, reranking_model, yes_probability
from qa.retrieve import search
from tests.test_answer import CHAPTERS, FakeRetriever

RECEPTION = ("001_5da9f8a340a8f379.txt", 4)
GUTERRES = ("000_471dacd1b07f6ea5.txt", 1)


class JudgingChatModel(BaseChatModel):
    """Says "yes" (with probability ``p_yes``) to a rerank request whose passage holds ``keyword``,
    "no" otherwise; any other request gets ``answer_reply``. Records every call's options."""

    keyword: str = "Kapiteln"
    p_yes: float = 0.9
    answer_reply: str = ""
    with_logprobs: bool = True
    calls: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "judging-fake"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(c.text for c in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self.calls.append(dict(kwargs))
        if not kwargs.get("logprobs"):
            yield ChatGenerationChunk(message=AIMessageChunk(content=self.answer_reply))
            return
        user = str(messages[-1].content)
        passage = user.split("Question:")[0]
        yes = self.p_yes if self.keyword in passage else 1 - self.p_yes
        token = "yes" if yes >= 0.5 else "no"
        top = [
            {"token": "yes", "logprob": math.log(yes)},
            {"token": "no", "logprob": math.log(1 - yes)},
            {"token": "Yes", "logprob": math.log(1e-4)},
        ]
        info = (
            {
                "logprobs": {
                    "content": [{"token": token, "logprob": math.log(max(yes, 1 - yes)), "top_logprobs": top}]
                }
            }
            if self.with_logprobs
            else {}
        )
        yield ChatGenerationChunk(message=AIMessageChunk(content=token), generation_info=info)


def passages(corpus: Corpus, refs: list[tuple[str, int]]) -> list[Passage]:
    out = []
    for rank, (file, n) in enumerate(refs):
        p = corpus.paragraph(file, n)
        out.append(Passage(file, n, p.text, 1.0 - rank / 10, p.lang))
    return out


def test_yes_probability_weighs_yes_against_no() -> None:
    assert yes_probability({" yes": math.log(0.6), "no": math.log(0.2)}) == pytest.approx(0.75)
    assert yes_probability(
        {"Ja": math.log(0.3), "Nein": math.log(0.1), "Maybe": math.log(0.6)}
    ) == pytest.approx(0.75)
    assert yes_probability({"Maybe": 0.0}) == 0.5  # neither: no opinion


def test_fusion_moves_a_confident_paragraph_up_but_keeps_retrieval_order_on_ties() -> None:
    a, b, c = (Passage("f.txt", n, f"p{n}", 1.0, "en") for n in (1, 2, 3))
    assert fuse([a, b, c], [0.1, 0.9, 0.5]) == [b, a, c]
    assert fuse([a, b, c], [0.5, 0.5, 0.5]) == [a, b, c]
    # One place down in the model's order does not outweigh one place up in retrieval's.
    assert fuse([a, b, c], [0.6, 0.5, 0.9]) == [a, c, b]
    with pytest.raises(ValueError):
        fuse([a, b], [0.5])


def test_rerank_puts_the_paragraph_the_model_judges_relevant_first(
    corpus: Corpus, settings: Settings
) -> None:
    model = JudgingChatModel()
    ranked = passages(corpus, [RECEPTION, GUTERRES, CHAPTERS])
    out = rerank("How many chapters does the Hanoi Convention have?", ranked, model, settings)
    # Fused with the retrieval order: third → second; the first keeps its place (its fused
    # score, ranks 1 and 2, beats ranks 3 and 1).
    assert [(p.file, p.paragraph) for p in out] == [RECEPTION, CHAPTERS, GUTERRES]
    assert out[1].relevance == pytest.approx(0.9, abs=1e-3)
    assert out[0].relevance == pytest.approx(0.1, abs=1e-3)
    # One judgement per paragraph, each one token long, with the log-probabilities asked for.
    assert len(model.calls) == 3
    assert all(c["max_tokens"] == 1 and c["logprobs"] is True and c["top_logprobs"] >= 2 for c in model.calls)


def test_a_model_without_log_probabilities_is_a_transient_backend_error(settings: Settings) -> None:
    model = JudgingChatModel(with_logprobs=False)
    with pytest.raises(TransientBackendError, match="log-probabilities"):
        first_token_alternatives(model, [("user", "Passage: x\n\nQuestion: y")])


def ask_chapters(corpus: Corpus, settings: Settings, model: JudgingChatModel, *, rerank: bool) -> Answer:
    """The answer pipeline over [reception, Guterres, chapters] (retrieval order) with ``model``."""
    retriever = FakeRetriever(corpus, [RECEPTION, GUTERRES, CHAPTERS])
    update = {"llm": "openai", "llm_fallback": "none", "rerank": "llm" if rerank else "none"}
    final = list(
        stream_answer(
            "How many chapters?",
            settings=settings.model_copy(update=update),
            retriever=retriever,
            chat_model=model,
        )
    )[-1]
    assert isinstance(final, Answer)
    return final


def chapters_reply(source: int) -> str:
    return json.dumps({"answer": "9", "sources": [source], "found": True})


def test_the_answer_pipeline_shows_the_model_the_reranked_sources(corpus: Corpus, settings: Settings) -> None:
    final = ask_chapters(corpus, settings, JudgingChatModel(answer_reply=chapters_reply(2)), rerank=True)
    # The model was shown the reranked order: source [2] is the chapters paragraph.
    assert [(p.file, p.paragraph) for p in final.passages] == [RECEPTION, CHAPTERS, GUTERRES]
    assert final.found and [(c.file, c.paragraph) for c in final.citations] == [CHAPTERS]
    assert final.passages[1].relevance == pytest.approx(0.9, abs=1e-3)
    assert "rerank" in final.timings


def test_without_rerank_the_pipeline_keeps_the_retrieval_order(corpus: Corpus, settings: Settings) -> None:
    model = JudgingChatModel(answer_reply=chapters_reply(3))
    final = ask_chapters(corpus, settings, model, rerank=False)
    assert [(p.file, p.paragraph) for p in final.passages] == [RECEPTION, GUTERRES, CHAPTERS]
    assert all(p.relevance is None for p in final.passages)
    assert not any(c.get("logprobs") for c in model.calls)


def test_a_failed_judgement_keeps_the_retrieval_order(corpus: Corpus, settings: Settings) -> None:
    model = JudgingChatModel(with_logprobs=False, answer_reply=chapters_reply(3))
    final = ask_chapters(corpus, settings, model, rerank=True)
    assert [(p.file, p.paragraph) for p in final.passages] == [RECEPTION, GUTERRES, CHAPTERS]
    assert final.found and [(c.file, c.paragraph) for c in final.citations] == [CHAPTERS]


def test_reranked_search_needs_a_language_model(settings: Settings) -> None:
    extractive = settings.model_copy(update={"llm": "extractive", "rerank": "llm"})
    with pytest.raises(ConfigError, match="QA_RERANK=llm needs a language model"):
        reranking_model(extractive)
    # qa.search says so before any search work (the index is never built).
    with pytest.raises(ConfigError, match="QA_RERANK=llm needs a language model"):
        search("How many chapters?", settings=extractive)
    assert not extractive.index_dir.exists() or not any(extractive.index_dir.iterdir())


def test_local_model_request_carries_the_log_probability_options() -> None:
    model = LocalChatModel(model_path="unused.gguf")
    request = model._request(
        [HumanMessage(content="hi")], None, {"max_tokens": 1, "logprobs": True, "top_logprobs": 5}
    )
    assert request["max_tokens"] == 1 and request["logprobs"] is True and request["top_logprobs"] == 5
    plain = model._request([HumanMessage(content="hi")], None, {})
    assert "logprobs" not in plain and "top_logprobs" not in plain
