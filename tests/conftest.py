"""Shared fixtures. Every test gets its own folders under tmp_path; nothing writes into the repo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.config import PROJECT_ROOT, Settings

SEEDS = PROJECT_ROOT / "seeds"
SHARED_SEEDS = PROJECT_ROOT.parent / "shared" / "seeds"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's QA_*/OPENAI_* environment and .env out of tests."""
    import os

    for name in list(os.environ):
        if name.startswith("QA_") or name in {"OPENAI_API_KEY", "OPENAI_BASE_URL"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed articles."""
    target = tmp_path / "sources"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on the real seeds with a private index folder."""
    return Settings(sources_dir=SEEDS, index_dir=tmp_path / "index", model_cache_dir=tmp_path / "cache")


@pytest.fixture(scope="session")
def extractive_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on the real seeds with the no-LLM ``extractive`` backend and one index folder
    shared by the whole session (the first test that searches builds it; later ones reuse it)."""
    base = tmp_path_factory.mktemp("extractive")
    return Settings(
        sources_dir=SEEDS, index_dir=base / "index", model_cache_dir=base / "cache", llm="extractive"
    )
