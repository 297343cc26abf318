"""The local model gives a question the same answer whatever was asked before it (slow, real model)."""

from __future__ import annotations

from unittest import mock

import pytest

from qa.answering import answer
from qa.config import Settings
from qa.local_llm import LocalChatModel
from qa.models import Answer
from qa.retrieve import get_retriever

pytestmark = pytest.mark.slow

# Found with the shipped pipeline on 2026-12-05: asked first, this question got "9 Staaten haben…";
# asked right after BETWEEN, whose prompt shares the system prompt and more with it, llama.cpp
# reused the shared part of its cache and the answer became an abstention.
QUESTION = "Wie viele Staaten haben das Übereinkommen in Hanoi unterzeichnet?"
BETWEEN = "How many chapters does the Hanoi Convention have?"


def _seen(result: Answer) -> tuple[str, bool, list[str]]:
    return result.text, result.found, [c.marker() for c in result.citations]


def test_an_answer_does_not_depend_on_the_question_asked_before(local_settings: Settings) -> None:
    # The count checks (the recount rule and the model-read one) now turn "9 Staaten …" (the
    # chapters' 9) into an abstention, which is also what the cache reuse made of it; with them
    # off, the model's own answer is compared.
    settings = local_settings.model_copy(update={"llm_fallback": "none", "check_counts": "off"})
    retriever = get_retriever(settings)
    model = LocalChatModel.from_settings(settings)  # one model object, as the web chat keeps
    with mock.patch("qa.answering.recounts_a_source", return_value=[]):
        first = answer(QUESTION, settings=settings, retriever=retriever, chat_model=model)
        answer(BETWEEN, settings=settings, retriever=retriever, chat_model=model)
        again = answer(QUESTION, settings=settings, retriever=retriever, chat_model=model)
    assert first.found, first.abstention_reason
    assert _seen(again) == _seen(first)
