"""Shared fixtures. Every test gets its own folders under tmp_path; nothing writes into the repo."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import PROJECT_ROOT, Settings
from qa.corpus import Corpus, load_corpus
from qa.evalset import KnownAnswer, load_known_answers

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
def local_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on the real seeds with the bundled local model (no fallback), one index folder and
    one model cache for the session, so the model is assembled once for every test that runs it."""
    base = tmp_path_factory.mktemp("local")
    return Settings(
        sources_dir=SEEDS,
        index_dir=base / "index",
        model_cache_dir=base / "cache",
        llm="local",
        llm_fallback="none",
    )


@pytest.fixture(scope="session")
def extractive_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on the real seeds with the no-LLM ``extractive`` backend and one index folder
    shared by the whole session (the first test that searches builds it; later ones reuse it)."""
    base = tmp_path_factory.mktemp("extractive")
    return Settings(
        sources_dir=SEEDS, index_dir=base / "index", model_cache_dir=base / "cache", llm="extractive"
    )


@pytest.fixture(scope="session")
def seeds_index_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings on the real seeds whose index (real model, real Chroma) is built once per session.

    Shared by the slow search tests, so it is read-only: search with it, never build other
    sources into it or rebuild it (use ``settings`` for that). At the end of the session the
    fixture checks that the active generation is still the one it built; a test that wrote
    into the index makes it fail.
    """
    from qa import store
    from qa.embeddings import get_embeddings
    from qa.index import build_index

    base = tmp_path_factory.mktemp("seeds-index")
    with pytest.MonkeyPatch.context() as mp:  # the function-scoped _isolated_env is not active here
        for name in list(os.environ):
            if name.startswith("QA_") or name in {"OPENAI_API_KEY", "OPENAI_BASE_URL"}:
                mp.delenv(name)
        mp.chdir(base)  # no developer .env
        mp.setenv("ANONYMIZED_TELEMETRY", "False")
        settings = Settings(sources_dir=SEEDS, index_dir=base / "index", model_cache_dir=base / "cache")
        _, opened = build_index(settings, get_embeddings(settings))
    built = opened.manifest.active
    yield settings
    manifest = store.read_manifest(store.connect(settings), settings)
    assert manifest is not None and manifest.active == built, (
        "a test wrote into the shared seeds index (seeds_index_settings is read-only)"
    )


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    """The seed articles, read once (tests only read it)."""
    return load_corpus(SEEDS)


@pytest.fixture(scope="session")
def items() -> list[KnownAnswer]:
    """The known-answer set, read once (tests only read it)."""
    return load_known_answers()
