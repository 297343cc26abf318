"""The index's logic on a real embedded Chroma, with a deterministic fake embedder.

(The real bundled model is exercised in test_embeddings.py, test_index_real.py and
test_search_quality.py.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa import store
from qa.config import Settings
from qa.errors import IndexStoreError
from qa.index import PIPELINE, build_index, split_sentences
from qa.retrieve import Retriever
from tests.fake_embedder import FakeEmbedder

ALPHA = [
    "The harbour of Alphaville opened in 1901 after ten years of work.",
    "Kommentar (0)",
    "The mayor of Alphaville is Ada Lovelace. She was elected in 2019 with a large majority.",
    "Alphaville exports apples, pears and copper to twelve countries.",
]
BETA = [
    "Betatown hosts a jazz festival every July. Musicians come from forty countries.",
    "The festival was founded by Miles Okafor in 1988.",
]
GAMMA = [
    "Gammaburg builds ships. The shipyard employs 3,000 people.",
    "Its oldest ship, the Northern Star, sailed in 1850.",
    "Gammaburg is twinned with Alphaville.",
]


def write(folder: Path, name: str, lines: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    write(folder, "alpha.txt", ALPHA)
    write(folder, "beta.txt", BETA)
    write(folder, "gamma.txt", GAMMA)
    return folder


@pytest.fixture
def idx_settings(tmp_path: Path, sources: Path) -> Settings:
    return Settings(sources_dir=sources, index_dir=tmp_path / "index")


def sentence_count(*docs: list[str]) -> int:
    from qa.corpus import is_boilerplate

    return sum(len(split_sentences(line)) for doc in docs for line in doc if not is_boilerplate(line))


def stored_paragraphs(opened) -> dict[tuple[str, int], str]:
    return {(m["file"], m["paragraph"]): m["text"] for m in opened.paragraph_metadata()}


def test_first_build_indexes_every_content_paragraph(idx_settings: Settings) -> None:
    emb = FakeEmbedder()
    report, opened = build_index(idx_settings, emb)
    assert (report.added, report.updated, report.removed, report.unchanged) == (8, 0, 0, 0)
    assert report.embedded == sentence_count(ALPHA, BETA, GAMMA) == len(emb.embedded)
    paragraphs = stored_paragraphs(opened)
    assert ("alpha.txt", 2) not in paragraphs  # boilerplate keeps its number but is not indexed
    assert paragraphs[("alpha.txt", 3)] == ALPHA[2]
    assert paragraphs[("gamma.txt", 3)] == GAMMA[2]
    meta = store.raw_collection(opened.store_for("en")).metadata
    assert meta == {"model": "fake-bow-64", "dim": 64, "pipeline": PIPELINE, "lang": "en"}
    assert opened.manifest.langs == {"en": report.embedded}
    assert opened.manifest.paragraphs == 8
    assert opened.manifest.count == report.embedded
    assert "added" in report.summary() and "unchanged" in report.summary()


def test_noop_reindex_embeds_nothing_and_keeps_the_generation(idx_settings: Settings) -> None:
    emb = FakeEmbedder()
    _, first = build_index(idx_settings, emb)
    emb.embedded.clear()
    emb.sparse_embedded.clear()
    report, second = build_index(idx_settings, emb)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 8)
    assert emb.embedded == [] and emb.sparse_embedded == []
    assert second.manifest.active == first.manifest.active
    assert not report.changed


def test_changed_paragraph_is_the_only_one_reembedded(idx_settings: Settings, sources: Path) -> None:
    emb = FakeEmbedder()
    build_index(idx_settings, emb)
    emb.embedded.clear()
    emb.sparse_embedded.clear()
    changed = "The festival was founded by Nina Simone in 1990."
    write(sources, "beta.txt", [BETA[0], changed])
    report, opened = build_index(idx_settings, emb)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 7)
    assert emb.embedded == [changed]
    assert emb.sparse_embedded == [changed]
    assert stored_paragraphs(opened)[("beta.txt", 2)] == changed


def test_inserted_line_renumbers_without_reembedding_the_rest(idx_settings: Settings, sources: Path) -> None:
    emb = FakeEmbedder()
    build_index(idx_settings, emb)
    emb.embedded.clear()
    new_line = "Gammaburg has a new bridge since last spring."
    write(sources, "gamma.txt", [new_line, *GAMMA])
    report, opened = build_index(idx_settings, emb)
    assert emb.embedded == [new_line]  # moved paragraphs reuse their vectors
    paragraphs = stored_paragraphs(opened)
    assert paragraphs[("gamma.txt", 1)] == new_line
    assert paragraphs[("gamma.txt", 4)] == GAMMA[2]  # renumbered: citations follow the file
    # by position: ¶1-3 now hold other texts, ¶4 is new
    assert (report.added, report.updated, report.unchanged) == (1, 3, 5)


def test_added_file_becomes_searchable_and_deleted_file_disappears(
    idx_settings: Settings, sources: Path
) -> None:
    emb = FakeEmbedder()
    retriever = Retriever(idx_settings, embedder=emb)
    assert retriever.search("Who founded the jazz festival?", k=1)[0].file == "beta.txt"
    write(sources, "delta.txt", ["Deltaport grows rice and tea on terraces in the hills."])
    (sources / "beta.txt").unlink()
    report, opened = build_index(idx_settings, emb)
    assert (report.added, report.removed) == (1, 2)
    fresh = Retriever(idx_settings, embedder=emb)
    top = fresh.search("Which town grows rice and tea on terraces?", k=3)
    assert top[0].file == "delta.txt" and top[0].paragraph == 1
    assert "Deltaport" in top[0].text
    assert all(p.file != "beta.txt" for p in fresh.search("jazz festival founded by Miles Okafor", k=7))
    assert {f for f, _ in stored_paragraphs(opened)} == {"alpha.txt", "gamma.txt", "delta.txt"}


def test_a_long_lived_retriever_notices_changed_sources(
    idx_settings: Settings, sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("qa.retrieve._SOURCE_CHECK_INTERVAL", 0.0)
    retriever = Retriever(idx_settings, embedder=FakeEmbedder())
    retriever.search("apples and pears", k=1)
    write(sources, "epsilon.txt", ["Epsilon village keeps bees and sells honey at the market."])
    top = retriever.search("Who keeps bees and sells honey?", k=1)[0]
    assert top.file == "epsilon.txt"
    assert retriever.corpus.document("epsilon.txt").paragraphs[0].text == top.text
    assert retriever.last_report is not None and retriever.last_report.added == 1


def test_other_embedding_model_triggers_a_clean_rebuild(idx_settings: Settings) -> None:
    build_index(idx_settings, FakeEmbedder("model-a", dim=64))
    other = FakeEmbedder("model-b", dim=32)
    report, opened = build_index(idx_settings, other)
    assert report.rebuilt_because is not None
    assert "model-a" in report.rebuilt_because and "model-b" in report.rebuilt_because
    assert len(other.embedded) == report.embedded == sentence_count(ALPHA, BETA, GAMMA)
    assert store.raw_collection(opened.store_for("en")).metadata["dim"] == 32
    client = opened.client
    # no mixed vectors left: one generation, one collection for the one language
    assert store.generations(client, idx_settings) == [f"{opened.manifest.active}-en"]
    vectors = [v for _, _, v in store.iter_vectors(opened.store_for("en"))]
    assert {len(v) for v in vectors} == {32}


def test_rebuild_flag_reembeds_everything(idx_settings: Settings) -> None:
    emb = FakeEmbedder()
    build_index(idx_settings, emb)
    emb.embedded.clear()
    report, _ = build_index(idx_settings, emb, rebuild=True)
    assert report.rebuilt_because and "rebuild" in report.rebuilt_because
    assert len(emb.embedded) == sentence_count(ALPHA, BETA, GAMMA)


def test_a_generation_missing_behind_the_manifest_is_rebuilt(idx_settings: Settings) -> None:
    emb = FakeEmbedder()
    _, opened = build_index(idx_settings, emb)
    opened.client.delete_collection(store.language_collection(opened.manifest.active, "en"))
    report, reopened = build_index(idx_settings, emb)
    assert report.rebuilt_because == "the index was incomplete or damaged"
    assert len(stored_paragraphs(reopened)) == 8


def test_corrupt_index_folder_is_detected_and_rebuilt(idx_settings: Settings) -> None:
    from chromadb.api.shared_system_client import SharedSystemClient

    emb = FakeEmbedder()
    build_index(idx_settings, emb)
    SharedSystemClient.clear_system_cache()
    sqlite = idx_settings.index_dir / "chroma.sqlite3"
    sqlite.write_bytes(b"this is not a database" * 100)
    retriever = Retriever(idx_settings, embedder=emb)
    top = retriever.search("mayor of Alphaville", k=1)[0]
    assert (top.file, top.paragraph) == ("alpha.txt", 3)
    assert retriever.last_report is not None and retriever.last_report.added == 8


def test_index_folder_with_foreign_files_is_never_wiped(idx_settings: Settings) -> None:
    folder = idx_settings.index_dir
    folder.mkdir(parents=True)
    (folder / "chroma.sqlite3").write_bytes(b"garbage" * 100)
    precious = folder / "thesis.docx"
    precious.write_bytes(b"years of work")
    with pytest.raises(IndexStoreError, match="not part of an index"):
        build_index(idx_settings, FakeEmbedder())
    assert precious.read_bytes() == b"years of work"


def test_unreadable_manifest_metadata_means_no_manifest() -> None:
    assert store.Manifest.from_metadata(None) is None
    assert store.Manifest.from_metadata({"active": "x", "model": "m"}) is None
    manifest = store.Manifest("a-g1", "m", 3, "p", 7, {"f.txt": "abc"}, 1.5, 4, {"de": 7})
    assert store.Manifest.from_metadata(manifest.to_metadata()) == manifest


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8123", ("127.0.0.1", 8123, False)),
        ("https://chroma.example", ("chroma.example", 443, True)),
        ("localhost:9000", ("localhost", 9000, False)),
    ],
)
def test_chroma_url_parsing(url: str, expected: tuple[str, int, bool]) -> None:
    assert store._parse_url(url) == expected


def test_bad_chroma_url_is_a_clear_error() -> None:
    with pytest.raises(IndexStoreError, match="QA_CHROMA_URL"):
        store._parse_url("ftp://x")


def test_unreachable_chroma_server_names_the_url(tmp_path: Path, sources: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    settings = Settings(sources_dir=sources, index_dir=tmp_path / "index", chroma_url=url)
    with pytest.raises(IndexStoreError, match=f"Chroma server at {url}"):
        Retriever(settings, embedder=FakeEmbedder()).search("anything")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Die Konvention wurde am 24. Oktober unterzeichnet. Sie hat 9 Kapitel und 71 Artikel.",
            ["Die Konvention wurde am 24. Oktober unterzeichnet.", "Sie hat 9 Kapitel und 71 Artikel."],
        ),
        (
            "UN chief A. Guterres attended the ceremony in Hanoi. It lasted two full days.",
            ["UN chief A. Guterres attended the ceremony in Hanoi.", "It lasted two full days."],
        ),
        (
            "« C'est un grand jour », a-t-il dit. Yes. Then the delegates signed the text.",
            ["« C'est un grand jour », a-t-il dit. Yes.", "Then the delegates signed the text."],
        ),
        ("no end punctuation at all", ["no end punctuation at all"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_hubness_is_high_for_generic_vectors() -> None:
    from qa.rank import hubness

    rng = np.random.default_rng(1)
    generic = np.ones(8) / np.sqrt(8)
    vectors = [generic + 0.05 * rng.standard_normal(8) for _ in range(4)] + list(rng.standard_normal((6, 8)))
    vectors = np.array([v / np.linalg.norm(v) for v in vectors], dtype=np.float32)
    hub = hubness(vectors, owners=list(range(10)), k=3)
    assert hub[:4].min() > hub[4:].max()
    # vectors of the same owner are never each other's neighbours
    twins = np.array([vectors[0], vectors[0]])
    assert hubness(twins, owners=["p", "p"], k=1).tolist() == [0.0, 0.0]
