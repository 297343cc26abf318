"""Hostile source files: each one is indexed or refused with a message naming it; the rest index.

The folder holds the five seed articles plus invalid UTF-8, a binary file, a 50 MB file, a
single 1 MB line, an empty file, a FIFO, symlinks (a file and a folder) pointing outside the
sources folder, file names with spaces, non-ASCII letters and markup characters, and a file
name that is not valid UTF-8 (it broke the whole index before it was refused on its own). Index
logic runs with the deterministic fake embedder; one slow test feeds the 1 MB line to the
real model.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from qa.config import Settings
from qa.corpus import load_corpus
from qa.index import build_index, split_sentences
from qa.retrieve import Retriever
from qa.web_render import cite_href, parse_cite_ref, render_article
from tests.conftest import SEEDS
from tests.fake_embedder import FakeEmbedder
from tests.reliability.helpers import finishes_within, run_child

SECRET = "This outside paragraph holds a secret that must never be indexed by anyone."
UNICODE_NAME = "Überblick über die Konvention – été 2024 (Ω).txt"
MARKUP_NAME = "<img src=x onerror=alert(1)> & 'quoted' name.md"  # no "/": it separates folders
UNICODE_TEXT = "Die Ratifizierung der Konvention durch Åland und Łódź beginnt im Frühjahr mit zwölf Staaten."
ONE_LINE_WORDS = 120_000  # about 1 MB on one line
TINY_SENTENCES = "Ja. Nein. Vielleicht doch. " * 38_000  # 1 MB line of sentences too short to stand alone

NON_UTF8_NAME = b"caf\xe9 notes.txt"  # a Latin-1 file name: undecodable bytes
REFUSED = {
    "caf\ufffd notes.txt": "file name is not valid UTF-8",
    "latin1.txt": "not valid UTF-8",
    "image.txt": "binary",
    "huge.txt": "MiB limit",
    "empty.txt": "empty",
}


def _one_megabyte_line() -> str:
    """One line of about 1 MB: a long list with a sentence end every few hundred words."""
    words = []
    for i in range(ONE_LINE_WORDS):
        words.append(f"item{i % 997}")
        if i % 400 == 399:
            words[-1] += "."
    return "Inventory list " + " ".join(words)


def make_hostile_sources(root: Path) -> Path:
    """The five seeds plus every hostile kind of file; returns the sources folder."""
    sources = root / "sources"
    shutil.copytree(SEEDS, sources)
    (sources / "latin1.txt").write_bytes("Caf\xe9 au lait, d\xe9j\xe0 vu, na\xefve.\n".encode("latin-1"))
    (sources / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with (sources / "huge.txt").open("wb") as fh:
        line = b"A line of a very large file about the Hanoi Convention and nothing else.\n"
        fh.write(line * (50 * 1024 * 1024 // len(line) + 1))
    (sources / "one-line.md").write_text(_one_megabyte_line() + "\n", encoding="utf-8")
    (sources / "tiny-sentences.txt").write_text(TINY_SENTENCES + "\n", encoding="utf-8")
    (sources / "empty.txt").write_text("\n  \n\t\n", encoding="utf-8")
    with open(os.path.join(os.fsencode(sources), NON_UTF8_NAME), "wb") as fh:
        fh.write(b"These notes about the Hanoi Convention have a file name that is not UTF-8.\n")
    (sources / UNICODE_NAME).write_text(f"{UNICODE_TEXT}\n", encoding="utf-8")
    (sources / MARKUP_NAME).write_text(
        "The <script>alert(1)</script> convention has <b>bold</b> markup & entities &amp; in it.\n",
        encoding="utf-8",
    )
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    (sources / "link-out.txt").symlink_to(outside / "secret.txt")
    (sources / "linked-folder").symlink_to(outside, target_is_directory=True)
    os.mkfifo(sources / "pipe.txt")  # reading it would block forever
    return sources


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_hostile_sources(tmp_path_factory.mktemp("hostile"))


def test_each_hostile_file_is_loaded_or_refused_by_name(hostile: Path) -> None:
    corpus = load_corpus(hostile)
    loaded = {d.file for d in corpus.documents}
    seeds = {p.name for p in SEEDS.iterdir()}
    assert seeds | {UNICODE_NAME, MARKUP_NAME, "one-line.md", "tiny-sentences.txt"} == loaded
    for name, reason in REFUSED.items():
        assert name in corpus.skipped, f"{name} was neither loaded nor refused"
        assert name in corpus.skipped[name] and reason in corpus.skipped[name], corpus.skipped[name]
    # Links out of the folder and special files are not sources at all.
    for name in ("link-out.txt", "linked-folder/secret.txt", "pipe.txt"):
        assert name not in loaded
    one_line = corpus.document("one-line.md")
    assert len(one_line.paragraphs) == 1 and len(one_line.paragraphs[0].text) > 900_000


def test_a_paragraph_of_a_hundred_thousand_tiny_sentences_is_split_in_linear_time() -> None:
    """Splitting looked at the whole text before every sentence end: hours for this line."""
    done: list[list[str]] = []
    assert finishes_within(60, lambda: done.append(split_sentences(TINY_SENTENCES))), "split_sentences hangs"
    assert len(done[0]) == 1  # fragments under four words merge into one sentence


def test_the_index_holds_every_good_file_and_nothing_from_outside(hostile: Path, tmp_path: Path) -> None:
    settings = Settings(sources_dir=hostile, index_dir=tmp_path / "index")
    report, opened = build_index(settings, FakeEmbedder())
    expected = {p.id for p in load_corpus(hostile).content_paragraphs()}
    stored = {f"{m['file']}#{m['paragraph']}": str(m["text"]) for m in opened.paragraph_metadata()}
    assert set(stored) == expected
    assert report.added == len(expected)
    assert all(SECRET not in text for text in stored.values())
    assert stored[f"{UNICODE_NAME}#1"] == UNICODE_TEXT

    retriever = Retriever(settings, embedder=FakeEmbedder())
    top = retriever.search(UNICODE_TEXT, k=1)[0]
    assert top.label == f"{UNICODE_NAME} ¶1"
    assert retriever.search(SECRET, k=1)[0].file != "link-out.txt"
    # The odd names survive the citation links of the web chat, and are escaped in the viewer.
    for name in (UNICODE_NAME, MARKUP_NAME):
        ref = parse_cite_ref(cite_href(name, 1))
        assert ref is not None and ref.file == name
    html = render_article(retriever.corpus.document(MARKUP_NAME), 1)
    assert "<img" not in html and "&lt;img src=x" in html
    assert "<b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html and "<script>" not in html


CLI_WITH_FAKE_EMBEDDER = """
import sys
import qa.embeddings
from tests.fake_embedder import FakeEmbedder
qa.embeddings.get_embeddings = lambda settings: FakeEmbedder()
from qa.cli import main
sys.argv = ["qa", "index"]
main()
"""


def test_qa_index_names_every_refused_file(hostile: Path, tmp_path: Path) -> None:
    done = run_child(
        CLI_WITH_FAKE_EMBEDDER, timeout=600, QA_SOURCES_DIR=str(hostile), QA_INDEX_DIR=str(tmp_path / "i")
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "added" in done.stdout
    for name in [*REFUSED, "link-out.txt"]:
        assert name in done.stderr, f"`qa index` did not mention {name}:\n{done.stderr[-3000:]}"


REAL_MODEL_BUILD = """
import sys
from pathlib import Path
from qa.config import Settings
from qa.embeddings import get_embeddings
from qa.index import build_index, split_sentences
settings = Settings(sources_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]))
report, _ = build_index(settings, get_embeddings(settings))
print("DONE", report.added)
"""


@pytest.mark.slow
def test_real_model_indexes_a_one_megabyte_line_in_bounded_time(tmp_path: Path) -> None:
    """The bundled model reads long texts in 512-token windows, all of them: a 1 MB paragraph
    would keep it busy for most of an hour. A hang shows up as the child's timeout."""
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy(SEEDS / "000_471dacd1b07f6ea5.txt", sources)
    (sources / "one-line.md").write_text(
        "Inventory list " + " ".join(f"item{i % 997}" for i in range(ONE_LINE_WORDS)) + "\n", encoding="utf-8"
    )
    done = run_child(REAL_MODEL_BUILD, str(sources), str(tmp_path / "index"), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    expected = len(load_corpus(sources).content_paragraphs())
    assert f"DONE {expected}" in done.stdout
