"""The ``local`` backend for real: the bundled GGUF on llama.cpp, in process (slow)."""

from __future__ import annotations

import pytest

from qa.answering import stream_answer
from qa.config import Settings
from qa.corpus import load_corpus
from qa.models import Answer
from qa.prompts import message
from tests.conftest import SEEDS
from tests.test_answer import CHAPTERS, CHAPTERS_FR, FakeRetriever

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_settings(local_settings: Settings) -> Settings:
    """The session's local-model settings (conftest), with two passages per answer."""
    return local_settings.model_copy(update={"answer_passages": 2})


def test_local_model_answers_with_a_correct_citation(local_settings: Settings) -> None:
    retriever = FakeRetriever(load_corpus(SEEDS), [CHAPTERS, ("001_5da9f8a340a8f379.txt", 4)])
    items = list(
        stream_answer(
            "How many chapters does the Hanoi Convention have?", settings=local_settings, retriever=retriever
        )
    )
    *chunks, final = items
    assert isinstance(final, Answer)
    assert final.backend == "local" and final.fallback is None
    assert final.found, final.text
    assert "9" in final.text
    assert [(c.file, c.paragraph) for c in final.citations] == [CHAPTERS]
    assert "".join(c for c in chunks if isinstance(c, str))


def test_local_model_abstains_when_the_sources_do_not_answer(local_settings: Settings) -> None:
    corpus = load_corpus(SEEDS)
    retriever = FakeRetriever(corpus, [CHAPTERS_FR, ("001_5da9f8a340a8f379.txt", 4)])
    result = list(
        stream_answer("What is the population of Hanoi?", settings=local_settings, retriever=retriever)
    )[-1]
    assert isinstance(result, Answer)
    assert not result.found, result.text
    assert result.text == message("not_found", "en")
    assert result.citations == []
