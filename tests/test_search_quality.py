"""Retrieval quality on the known-answer set: the real model, the real index, the seed articles.

Targets come from qa.evalset.THRESHOLDS["retrieval"]; nothing here is tuned per question.
Plain ``qa.search`` (the default), and with ``QA_RERANK=llm`` (the bundled 1.5B model reorders
the top 5).
"""

from __future__ import annotations

import pytest

from qa.config import Settings
from qa.evalset import DEFAULT_PATH, THRESHOLDS, KnownAnswer, load_known_answers, retrieval_metrics
from qa.retrieve import Retriever, search

TARGETS = THRESHOLDS["retrieval"]


@pytest.fixture(scope="module")
def metrics(seeds_index_settings: Settings) -> dict[str, float]:
    retriever = Retriever(seeds_index_settings)
    items: list[KnownAnswer] = [item for item in load_known_answers(DEFAULT_PATH) if item.answerable]
    ranked = {}
    for item in items:
        passages = retriever.search(item.retrieval_query, k=5)
        assert len(passages) == 5
        ranked[item.id] = [(p.file, p.paragraph, p.text) for p in passages]
    return retrieval_metrics(items, ranked, k=5)


@pytest.mark.slow
def test_recall_at_5_meets_the_target(metrics: dict[str, float]) -> None:
    assert metrics["n"] >= 30
    assert metrics["recall@5"] >= TARGETS["recall@5"], metrics


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="MRR measured 0.80 with the bundled e5-small (target 0.85, see docs/retrieval.md); "
    "strict: this fails as soon as the target is met, so the marker gets removed",
)
def test_mrr_meets_the_target(metrics: dict[str, float]) -> None:
    assert metrics["mrr"] >= TARGETS["mrr"], metrics


@pytest.mark.slow
def test_better_than_plain_dense_retrieval(metrics: dict[str, float]) -> None:
    # The baseline (dense e5 over raw paragraphs): recall@5 0.92, MRR 0.66, recall@1 0.53.
    assert metrics["recall@5"] > 0.92
    assert metrics["mrr"] > 0.66
    assert metrics["recall@1"] > 0.53


@pytest.fixture(scope="module")
def reranked_metrics(
    seeds_index_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, float]:
    settings = seeds_index_settings.model_copy(
        update={"llm": "local", "rerank": "llm", "model_cache_dir": tmp_path_factory.mktemp("model-cache")}
    )
    items: list[KnownAnswer] = [item for item in load_known_answers(DEFAULT_PATH) if item.answerable]
    ranked = {}
    for item in items:
        passages = search(item.retrieval_query, k=5, settings=settings)
        assert len(passages) == 5 and all(p.relevance is not None for p in passages)
        ranked[item.id] = [(p.file, p.paragraph, p.text) for p in passages]
    return retrieval_metrics(items, ranked, k=5)


@pytest.mark.slow
def test_llm_reranking_meets_the_mrr_target(
    reranked_metrics: dict[str, float], metrics: dict[str, float]
) -> None:
    # Reranking reorders the same five paragraphs: recall@5 cannot change, MRR must reach the target.
    assert reranked_metrics["recall@5"] == metrics["recall@5"]
    assert reranked_metrics["mrr"] >= TARGETS["mrr"], reranked_metrics
    assert reranked_metrics["recall@1"] > metrics["recall@1"], (reranked_metrics, metrics)
