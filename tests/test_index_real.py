"""Incremental indexing with the real bundled model and embedded Chroma, and the CLI commands."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.cli import app
from qa.config import PROJECT_ROOT, Settings
from qa.embeddings import get_embeddings
from qa.index import build_index, split_sentences
from qa.retrieve import Retriever

SEEDS = PROJECT_ROOT / "seeds"


@pytest.mark.slow
def test_real_model_incremental_add_change_delete(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy(SEEDS / "003_736721b06ed10590.txt", sources)
    settings = Settings(sources_dir=sources, index_dir=tmp_path / "index")
    embedder = get_embeddings(settings)
    first, _ = build_index(settings, embedder)
    assert first.added == 4 and first.embedded > 4

    # adding a file makes it searchable, and only its paragraphs are embedded
    shutil.copy(SEEDS / "002_fdb1f30901b7e10f.txt", sources)
    added, _ = build_index(settings, embedder)
    assert (added.added, added.unchanged, added.removed) == (6, 4, 0)
    top = Retriever(settings).search("Wie viele Kapitel hat die Konvention?", k=1)[0]
    assert top.file == "002_fdb1f30901b7e10f.txt" and "9 chapitres" in top.text

    # a changed paragraph is re-embedded alone
    path = sources / "003_736721b06ed10590.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if line.startswith("Ghada Waly"))
    lines[number] = "Ghada Waly, die Exekutivdirektorin von UNODC, lobte Vietnams Rolle als Gastgeber."
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    changed, _ = build_index(settings, embedder)
    assert (changed.updated, changed.unchanged) == (1, 9)
    assert changed.embedded == len(split_sentences(lines[number]))
    top = Retriever(settings).search("Who praised Vietnam as host?", k=3)
    assert any("lobte Vietnams Rolle" in p.text for p in top)

    # deleting a file removes its paragraphs
    (sources / "002_fdb1f30901b7e10f.txt").unlink()
    removed, _ = build_index(settings, embedder)
    assert (removed.removed, removed.unchanged, removed.embedded) == (6, 4, 0)
    assert {p.file for p in Retriever(settings).search("chapitres", k=4)} == {"003_736721b06ed10590.txt"}


@pytest.mark.slow
def test_cli_index_and_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy(SEEDS / "003_736721b06ed10590.txt", sources)
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    runner = CliRunner()
    result = runner.invoke(app, ["--sources", str(sources), "index"])
    assert result.exit_code == 0, result.output
    assert "4 added, 0 updated, 0 removed, 0 unchanged in" in result.output
    result = runner.invoke(app, ["--sources", str(sources), "index"])
    assert "0 added, 0 updated, 0 removed, 4 unchanged" in result.output
    result = runner.invoke(app, ["--sources", str(sources), "search", "Wer ist Ghada Waly?", "-k", "2"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 2
    assert lines[0].startswith("003_736721b06ed10590.txt ¶7  ")
    result = runner.invoke(app, ["--sources", str(sources), "index", "--rebuild"])
    assert "rebuilt: requested (--rebuild)" in result.output


def test_cli_search_rejects_bad_input(tmp_path: Path) -> None:
    from qa.cli import main

    runner = CliRunner()
    result = runner.invoke(app, ["search", "   "])
    assert result.exit_code != 0
    assert "empty" in str(result.exception)
    with pytest.raises(SystemExit) as exit_info:
        import sys

        argv = sys.argv
        sys.argv = ["qa", "search", "x", "-k", "0"]
        try:
            main()
        finally:
            sys.argv = argv
    assert exit_info.value.code == 1
