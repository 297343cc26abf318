from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from qa.cli import app
from qa.config import Settings
from tests.conftest import SEEDS


def _qa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qa", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_commands() -> None:
    out = _qa("--help")
    assert out.returncode == 0
    assert "corpus" in out.stdout


def test_corpus_command_lists_paragraphs() -> None:
    out = _qa("--sources", str(SEEDS), "corpus")
    assert out.returncode == 0, out.stderr
    assert "000_471dacd1b07f6ea5.txt" in out.stdout


def test_missing_sources_is_a_clean_error(tmp_path: Path) -> None:
    out = _qa("--sources", str(tmp_path / "missing"), "corpus")
    assert out.returncode == 1
    assert "does not exist" in out.stderr
    assert "Traceback" not in out.stderr


def test_search_rerank_without_a_language_model_is_a_clean_error(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "qa", "--sources", str(SEEDS), "search", "--rerank", "Wie viele Kapitel?"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QA_LLM": "extractive", "QA_INDEX_DIR": str(tmp_path / "index")},
    )
    assert out.returncode == 1
    assert "QA_RERANK=llm needs a language model" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "index").exists()  # refused before any index work


@pytest.fixture
def ask_extractive(extractive_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``qa ask --backend extractive [ARGS…]`` on the seeds, with the shared extractive index."""
    monkeypatch.setenv("QA_INDEX_DIR", str(extractive_settings.index_dir))
    monkeypatch.setenv("QA_MODEL_CACHE_DIR", str(extractive_settings.model_cache_dir))

    def ask(*args: str) -> Result:
        return CliRunner().invoke(app, ["--sources", str(SEEDS), "ask", "--backend", "extractive", *args])

    return ask


def test_ask_says_why_there_is_no_answer(ask_extractive: Callable[..., Result]) -> None:
    result = ask_extractive("Vilket land vann fotbolls-VM för herrar år 2022?")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Artiklarna säger inget om det."
    assert (
        "no answer: no sentence of the retrieved paragraphs is close enough to the question" in result.stderr
    )


def test_ask_prints_each_cited_paragraph_whole(ask_extractive: Callable[..., Result]) -> None:
    """Piped output keeps every cited paragraph on one line (not cut at 80 columns)."""
    question = "How many chapters and articles does the Hanoi Convention have?"
    result = ask_extractive("--json", question)
    assert result.exit_code == 0, result.output
    cited = [c["text"] for c in json.loads(result.stdout)["citations"]]
    assert cited and max(map(len, cited)) > 80, "the check needs a cited paragraph over 80 characters"
    plain = ask_extractive(question)
    assert plain.exit_code == 0, plain.output
    lines = plain.stdout.splitlines()
    assert all(text in lines for text in cited), plain.stdout


def test_ask_translate_without_a_language_model_is_refused_before_any_work(
    ask_extractive: Callable[..., Result],
) -> None:
    result = ask_extractive("--translate", "How many chapters does the Hanoi Convention have?")
    assert result.exit_code == 1
    assert "--translate needs a language model" in str(result.exception)  # main() prints it as an error
    assert result.stdout == ""


@pytest.fixture
def ask_with_fake_model(
    ask_extractive: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """``qa ask --backend local`` on the seeds with the shared index, the chat model replaced by a
    fake that answers "9 [1]" and then gives each translation it is asked for (the model's
    replies as given in ``replies``, in order)."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    import qa.llm

    # The fake scripts the answer and the translations only, not the count check's questions.
    monkeypatch.setenv("QA_CHECK_COUNTS", "off")

    def ask(replies: list[str], *args: str, answer_text: str = "9 [1]") -> Result:
        answer = json.dumps({"answer": answer_text, "sources": [1], "found": True})
        model = GenericFakeChatModel(messages=iter([answer, *replies]))
        monkeypatch.setattr(qa.llm, "get_chat_model", lambda settings, backend=None: model)
        return CliRunner().invoke(app, ["--sources", str(SEEDS), "ask", "--backend", "local", *args])

    return ask


def test_ask_notes_words_left_in_a_sources_language(ask_with_fake_model: Callable[..., Result]) -> None:
    question = "How many chapters does the Hanoi Convention have?"
    text = "The Hanoi Convention has 9 chapters, which the article calls Kapiteln [1]."
    result = ask_with_fake_model([], question, answer_text=text)
    assert result.exit_code == 0, result.output
    assert "left in the language of a source (German: Kapiteln)" in result.stderr
    as_json = json.loads(ask_with_fake_model([], "--json", question, answer_text=text).stdout)
    assert as_json["foreign_words"] == {"de": ["Kapiteln"]}


def test_ask_translate_prints_a_labelled_translation_under_each_foreign_citation(
    ask_with_fake_model: Callable[..., Result],
) -> None:
    question = "How many chapters does the Hanoi Convention have?"
    # The cited paragraph gives 9 chapters and 71 articles; this translation turns 71 into 17.
    translation = "The convention consists of 9 chapters and 17 articles."
    result = ask_with_fake_model([translation], "--translate", question)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("9")
    label = next(i for i, line in enumerate(lines) if line.startswith("machine translation into English"))
    cited = lines[label - 1]  # right under the cited paragraph
    assert "9 " in cited and "71 " in cited, cited
    assert lines[label + 1] == translation
    assert "check this one: numbers differ from the original: 17, 71" in result.stderr
    as_json = json.loads(ask_with_fake_model([translation], "--translate", "--json", question).stdout)
    (entry,) = as_json["translations"]
    assert entry["lang"] == "en" and entry["text"] == translation and entry["backend"] == "local"
    assert "numbers differ from the original: 17, 71" in entry["problems"]
    assert (entry["file"], entry["paragraph"]) == (
        as_json["citations"][0]["file"],
        as_json["citations"][0]["paragraph"],
    )
