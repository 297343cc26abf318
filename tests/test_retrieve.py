"""qa.search: input validation (no model needed) and search over the real seeds (real model, real Chroma)."""

from __future__ import annotations

import pytest

import qa
from qa.config import Settings
from qa.errors import InputError, QAError
from qa.models import Passage
from qa.retrieve import Retriever, get_retriever, search, validate_k, validate_question


def test_validate_question_strips_controls_and_collapses_whitespace(settings: Settings) -> None:
    raw = "\x00Wer\tleitete\u200b die\n\nZeremonie?\x7f  "
    assert validate_question(raw, settings) == "Wer leitete die Zeremonie?"


def test_validate_question_keeps_joiners(settings: Settings) -> None:
    assert validate_question("a\u200db c", settings) == "a\u200db c"


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\x00\x01", "\u200b"])
def test_empty_question_is_an_input_error(settings: Settings, question: str) -> None:
    with pytest.raises(InputError, match="empty"):
        validate_question(question, settings)
    assert issubclass(InputError, QAError)


@pytest.mark.parametrize("question", ["???", "🙂", " ¿? ", "-- !! --", "\u200b?\u200b"])
def test_a_question_without_words_is_an_input_error_that_shows_it(settings: Settings, question: str) -> None:
    with pytest.raises(InputError, match="no words") as info:
        validate_question(question, settings)
    assert repr(question.replace("\u200b", "").strip()) in str(info.value)


@pytest.mark.parametrize("question", ["42?", "Hanoi", "越南在哪里签署了公约？", "¿Dónde?", "2024!"])
def test_a_letter_or_a_digit_in_any_script_is_enough(settings: Settings, question: str) -> None:
    assert validate_question(question, settings) == question


def test_over_long_question_names_the_limit_and_setting(settings: Settings) -> None:
    limit = settings.max_question_chars
    assert validate_question("a" * limit, settings) == "a" * limit
    with pytest.raises(InputError, match=r"QA_MAX_QUESTION_CHARS") as info:
        validate_question("a" * (limit + 1), settings)
    assert f"{limit:,}" in str(info.value)
    with pytest.raises(InputError):
        validate_question("a" * (limit * 100), settings)


def test_question_must_be_text(settings: Settings) -> None:
    with pytest.raises(InputError, match="text"):
        validate_question(42, settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("k", [0, -1, 51, 10**9, True, 2.5, "3"])
def test_bad_k_is_an_input_error(settings: Settings, k: object) -> None:
    with pytest.raises(InputError, match="k"):
        validate_k(k, settings)  # type: ignore[arg-type]


def test_good_k_passes(settings: Settings) -> None:
    assert validate_k(1, settings) == 1
    assert validate_k(settings.max_k, settings) == settings.max_k


def test_get_retriever_is_cached_per_settings(settings: Settings, tmp_path) -> None:
    assert get_retriever(settings) is get_retriever(settings.model_copy())
    other = settings.model_copy(update={"index_dir": tmp_path / "other"})
    assert get_retriever(other) is not get_retriever(settings)


def test_public_exports() -> None:
    assert qa.search is search
    assert qa.Passage is Passage


def test_search_validates_before_touching_the_index(settings: Settings) -> None:
    retriever = Retriever(settings)
    with pytest.raises(InputError):
        retriever.search("   ")
    with pytest.raises(InputError):
        retriever.search("ok", k=0)
    assert not settings.index_dir.exists()


@pytest.mark.slow
def test_search_finds_cross_lingual_answers(seeds_index_settings: Settings) -> None:
    settings = seeds_index_settings
    passages = search("How many chapters does the Hanoi Convention have?", k=5, settings=settings)
    assert len(passages) == 5
    assert all(isinstance(p, Passage) for p in passages)
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    top_files = {p.file for p in passages[:2]}
    assert top_files & {"000_471dacd1b07f6ea5.txt", "002_fdb1f30901b7e10f.txt"}
    assert any("71" in p.text for p in passages[:2])
    retriever = get_retriever(settings)
    for p in passages:
        assert retriever.corpus.paragraph(p.file, p.paragraph).text == p.text
        assert p.lang in {"de", "fr", "sv", "nl"}
    # k defaults to QA_TOP_K on the Retriever
    assert len(retriever.search("Wer ist Ghada Waly?")) == settings.top_k
    assert len(retriever.search("Wer ist Ghada Waly?", k=2)) == 2
