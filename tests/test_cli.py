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
