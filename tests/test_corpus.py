from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest

from qa.corpus import is_boilerplate, load_corpus, read_source, split_paragraphs
from qa.errors import SourceError
from tests.conftest import SEEDS, SHARED_SEEDS

SEED_FILES = [
    "000_471dacd1b07f6ea5.txt",
    "001_5da9f8a340a8f379.txt",
    "002_fdb1f30901b7e10f.txt",
    "003_736721b06ed10590.txt",
    "004_f4e3faa662122174.txt",
]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="../shared/seeds is not beside the project")
def test_seeds_are_byte_identical_to_shared() -> None:
    assert sorted(p.name for p in SEEDS.iterdir()) == SEED_FILES
    for name in SEED_FILES:
        assert _sha(SEEDS / name) == _sha(SHARED_SEEDS / name), name


def test_paragraph_numbering_follows_non_empty_lines() -> None:
    corpus = load_corpus(SEEDS)
    assert corpus.paragraph("000_471dacd1b07f6ea5.txt", 6).text.startswith(
        "Die Hanoi-Konvention, bestehend aus 9 Kapiteln"
    )
    assert corpus.paragraph("004_f4e3faa662122174.txt", 1).text.startswith("Op 24 december 2024")
    # The contract: the n-th non-empty line of the file, counted by a reader.
    for doc in corpus.documents:
        lines = [ln.strip() for ln in doc.path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        assert [p.text for p in doc.paragraphs] == lines
        assert [p.number for p in doc.paragraphs] == list(range(1, len(lines) + 1))


def test_split_paragraphs_skips_blank_and_whitespace_lines() -> None:
    assert split_paragraphs("a\n\n  \n\tb  \r\nc") == ["a", "b", "c"]


def test_document_languages() -> None:
    corpus = load_corpus(SEEDS)
    assert [d.lang for d in corpus.documents] == ["de", "sv", "fr", "de", "nl"]
    for doc in corpus.documents:
        content = [p for p in doc.paragraphs if not p.boilerplate]
        assert all(p.lang == doc.lang for p in content), doc.file


@pytest.mark.parametrize(
    ("file", "number"),
    [
        ("000_471dacd1b07f6ea5.txt", 7),  # Vietnam.vn
        ("000_471dacd1b07f6ea5.txt", 8),  # Kommentar (0)
        ("001_5da9f8a340a8f379.txt", 2),  # photo caption (Foto: …)
        ("001_5da9f8a340a8f379.txt", 24),  # Källa: https://…
        ("001_5da9f8a340a8f379.txt", 25),
        ("002_fdb1f30901b7e10f.txt", 8),  # Comment (0)
        ("003_736721b06ed10590.txt", 2),  # Chia sẻ
        ("003_736721b06ed10590.txt", 4),  # caption with (Foto: …)
        ("004_f4e3faa662122174.txt", 15),  # Bron: https://…
        ("004_f4e3faa662122174.txt", 16),  # Reactie (0)
    ],
)
def test_boilerplate_is_flagged_but_keeps_its_number(file: str, number: int) -> None:
    paragraph = load_corpus(SEEDS).paragraph(file, number)
    assert paragraph.boilerplate
    assert paragraph.number == number


def test_content_paragraphs_are_not_boilerplate() -> None:
    corpus = load_corpus(SEEDS)
    assert not corpus.paragraph("001_5da9f8a340a8f379.txt", 3).boilerplate  # a short headline
    assert not corpus.paragraph("003_736721b06ed10590.txt", 1).boilerplate
    content = corpus.content_paragraphs()
    assert len(content) == 49
    assert all(not p.boilerplate for p in content)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Kommentar (0)", True),
        ("Chia sẻ", True),
        ("Vietnam.vn", True),
        ("Källa: https://example.org/a", True),
        ("Bild unter dem Text (Foto: AP)", True),
        ("Die Konvention hat 9 Kapitel und 71 Artikel.", False),
    ],
)
def test_is_boilerplate(line: str, expected: bool) -> None:
    assert is_boilerplate(line) is expected


def test_missing_sources_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"does not exist.*QA_SOURCES_DIR"):
        load_corpus(tmp_path / "nope")


def test_sources_path_that_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("x y z", encoding="utf-8")
    with pytest.raises(SourceError, match="not a folder"):
        load_corpus(f)


def test_empty_sources_folder(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "notes.pdf").write_bytes(b"%PDF")
    with pytest.raises(SourceError, match=r"no \.txt or \.md files"):
        load_corpus(tmp_path / "src")


def test_bad_files_are_skipped_with_reasons_and_the_rest_loads(
    seeds_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (seeds_copy / "latin1.txt").write_bytes("Caf\xe9 au lait est bon\n".encode("latin-1"))
    (seeds_copy / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (seeds_copy / "empty.md").write_text("  \n\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        corpus = load_corpus(seeds_copy)
    assert [d.file for d in corpus.documents] == SEED_FILES
    assert "not valid UTF-8" in corpus.skipped["latin1.txt"]
    assert "latin1.txt" in corpus.skipped["latin1.txt"]
    assert "binary" in corpus.skipped["binary.txt"]
    assert "empty" in corpus.skipped["empty.md"]
    assert "empty.md: empty file, skipped" in caplog.text


def test_folder_of_only_bad_files_is_an_error(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "bad.txt").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(SourceError, match=r"no usable files.*bad\.txt"):
        load_corpus(src)


def test_markdown_sources_and_subfolders(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "notes.md").write_text(
        "# A heading about cybercrime\n\nThe convention was signed in Hanoi in October.\n", encoding="utf-8"
    )
    corpus = load_corpus(src)
    doc = corpus.document("sub/notes.md")
    assert [p.number for p in doc.paragraphs] == [1, 2]
    assert doc.lang == "en"


def test_symlink_outside_sources_is_not_followed(tmp_path: Path, seeds_copy: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("A secret paragraph that must not be indexed at all.", encoding="utf-8")
    (seeds_copy / "link.txt").symlink_to(outside)
    corpus = load_corpus(seeds_copy)
    assert "link.txt" not in [d.file for d in corpus.documents]


def test_read_source_handles_bom_and_crlf(tmp_path: Path) -> None:
    f = tmp_path / "bom.txt"
    f.write_bytes("\ufeffErste Zeile mit Inhalt hier\r\n\r\nZweite Zeile mit Inhalt hier\r\n".encode())
    doc = read_source(f)
    assert doc is not None
    assert [p.text for p in doc.paragraphs] == ["Erste Zeile mit Inhalt hier", "Zweite Zeile mit Inhalt hier"]
