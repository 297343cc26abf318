"""Optional reranking of retrieved paragraphs by the language model (``QA_RERANK=llm``).

The chat model of the configured backend reads each retrieved paragraph (the excerpt the answer
prompt would show) with the question and is asked whether the paragraph states the answer. Its
judgement is the probability of "yes" against "no" as the first token of its reply (one token is
generated; the model's top log-probabilities are read). The retrieval order and the model's
order are then fused by reciprocal rank (k = 60, the method's usual constant), so a confident
judgement moves a paragraph up without discarding what retrieval knew.

Measured on the known-answer set with the bundled 1.5B model (docs/retrieval.md):
MRR 0.802 → 0.853, recall@1 0.691 → 0.765, at about 0.5 s per paragraph on 2 cores, which is
why it is off by default.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from qa.prompts import render

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from langchain_core.language_models import BaseChatModel

    from qa.config import Settings
    from qa.models import Passage

log = logging.getLogger(__name__)
T = TypeVar("T")

RRF_K = 60
# First tokens that mean yes / no (the model is asked in English, but may reply in the question's language).
_YES = frozenset({"yes", "ja", "oui"})
_NO = frozenset({"no", "nein", "nej", "nee", "non"})


def yes_probability(alternatives: dict[str, float]) -> float:
    """P(yes) / (P(yes) + P(no)) from the first token's alternatives ({token: logprob});
    0.5 (no opinion) when neither is among them."""
    yes = no = 0.0
    for token, logprob in alternatives.items():
        word = token.strip().lower()
        if word in _YES:
            yes += math.exp(logprob)
        elif word in _NO:
            no += math.exp(logprob)
    return yes / (yes + no) if yes + no > 0 else 0.5


def fuse(retrieval_order: Sequence[T], relevance: Sequence[float]) -> list[T]:
    """``retrieval_order`` reordered by reciprocal-rank fusion with the order of ``relevance``
    (one probability per passage; ties keep the retrieval order)."""
    if len(relevance) != len(retrieval_order):
        raise ValueError("one relevance score per passage is needed")
    positions = range(len(retrieval_order))
    by_model = sorted(positions, key=lambda i: (-relevance[i], i))
    model_rank = {i: r for r, i in enumerate(by_model)}
    fused = sorted(positions, key=lambda i: (-(1 / (RRF_K + i + 1) + 1 / (RRF_K + model_rank[i] + 1)), i))
    return [retrieval_order[i] for i in fused]


def rerank(
    question: str,
    passages: Sequence[Passage],
    model: BaseChatModel,
    settings: Settings,
    *,
    full_text: Callable[[Passage], str] | None = None,
) -> list[Passage]:
    """``passages`` (best first) reordered with the model's judgement of each.

    ``full_text`` gives a passage's whole paragraph (the index may hold a variant); the model
    sees the same excerpt of it the answer prompt shows. Backend errors propagate
    (:mod:`qa.llm`); callers decide whether to fall back to the retrieval order.
    """
    from qa.answering import excerpt
    from qa.llm import first_token_alternatives, secrets_of

    if len(passages) < 2:
        return list(passages)
    system = render("rerank_system")
    relevance = []
    for passage in passages:
        text = full_text(passage) if full_text else passage.text
        user = render(
            "rerank", passage=excerpt(text, passage.sentence, settings.answer_source_chars), question=question
        )
        alternatives = first_token_alternatives(
            model,
            [("system", system), ("user", user)],
            base_url=settings.openai_base_url,
            secrets=secrets_of(settings),
        )
        relevance.append(yes_probability(alternatives))
    log.debug(
        "rerank judgements: %s", [(p.label, round(r, 3)) for p, r in zip(passages, relevance, strict=True)]
    )
    order = fuse(range(len(passages)), relevance)
    return [replace(passages[i], relevance=relevance[i]) for i in order]


def rerank_or_keep(
    question: str,
    passages: Sequence[Passage],
    model: BaseChatModel,
    settings: Settings,
    *,
    full_text: Callable[[Passage], str] | None = None,
) -> list[Passage]:
    """:func:`rerank`, or ``passages`` in retrieval order (with a warning) when a judgement fails
    in a way that may pass (timeout, server error). Setup errors propagate."""
    from qa.llm import TransientBackendError

    try:
        return rerank(question, passages, model, settings, full_text=full_text)
    except TransientBackendError as exc:
        log.warning("reranking failed (%s); keeping the retrieval order", exc)
        return list(passages)


def reranking_model(settings: Settings) -> BaseChatModel:
    """The chat model that judges paragraphs under ``QA_RERANK=llm``: the configured backend's.

    With ``QA_LLM=extractive`` there is none: a ConfigError. Setup errors of the backend (no API
    key, missing model file) surface here, before any search work.
    """
    from qa.errors import ConfigError
    from qa.llm import get_chat_model

    if settings.llm_backend == "extractive":
        raise ConfigError("QA_RERANK=llm needs a language model, but QA_LLM=extractive has none.")
    return get_chat_model(settings)


def rerank_search(
    question: str,
    passages: Sequence[Passage],
    model: BaseChatModel,
    settings: Settings,
    retriever: object = None,
) -> list[Passage]:
    """What ``qa.search`` returns under ``QA_RERANK=llm``: the first ``QA_TOP_K`` of ``passages``
    reordered by ``model`` (see :func:`reranking_model`), the rest after them unchanged. A
    backend failure that may pass (timeout, server error) keeps the retrieval order, with a warning.
    """
    from qa.answering import full_paragraph

    head, tail = list(passages[: settings.top_k]), list(passages[settings.top_k :])
    reranked = rerank_or_keep(
        question, head, model, settings, full_text=lambda p: full_paragraph(retriever, p).text
    )
    return reranked + tail
