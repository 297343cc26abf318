"""A damaged, read-only or full index folder: a clear error or a rebuild, never a wrong answer.

Real embedded Chroma throughout; the deterministic fake embedder, because what is tested is
what the store does with damaged files, not the model. The damaged index is big enough
(over a thousand records) for Chroma to keep a vector index on disk beside its database.
"""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from qa import store
from qa.config import Settings
from qa.corpus import load_corpus
from qa.errors import IndexStoreError
from qa.index import build_index, split_sentences
from qa.retrieve import Retriever
from tests.fake_embedder import FakeEmbedder
from tests.reliability.helpers import OBEY_FILE_PERMISSIONS, run_child
from tests.reliability.synthetic import write_state

BUILD = """
import sys
from pathlib import Path
from qa.config import Settings
from qa.index import build_index
from tests.fake_embedder import FakeEmbedder
settings = Settings(sources_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]))
print("DONE", build_index(settings, FakeEmbedder())[0].summary())
"""


def _probes(sources: Path, every: int = 97) -> list[tuple[str, str, str]]:
    """(question, paragraph id, paragraph text): a paragraph's first sentence finds that paragraph."""
    return [
        (split_sentences(p.text)[0], p.id, p.text) for p in load_corpus(sources).content_paragraphs()[::every]
    ]


def assert_answers_correctly(settings: Settings, probes: list[tuple[str, str, str]]) -> None:
    """Every probe finds its paragraph, and every hit carries its paragraph's true text."""
    texts = {p.id: p.text for p in load_corpus(settings.sources_dir).content_paragraphs()}
    retriever = Retriever(settings, embedder=FakeEmbedder())
    for question, wanted, _ in probes:
        hits = retriever.search(question, k=5)
        assert wanted in [f"{h.file}#{h.paragraph}" for h in hits], f"{question!r} did not find {wanted}"
        for hit in hits:
            assert texts[f"{hit.file}#{hit.paragraph}"] == hit.text, "a hit carries another paragraph's text"


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sources, index) of 700 two-sentence paragraphs in one language, built by another process."""
    root = tmp_path_factory.mktemp("pristine")
    sources, index = root / "sources", root / "index"
    write_state(sources, "a", files=1, per_file=700)
    done = run_child(BUILD, str(sources), str(index))
    assert done.returncode == 0, done.stderr[-3000:]
    assert [p for p in index.iterdir() if p.is_dir()], "no vector index folder on disk"
    return sources, index


def _segments(index: Path) -> list[Path]:
    return [p for p in index.iterdir() if p.is_dir()]


def _delete_vector_index(index: Path) -> None:
    for folder in _segments(index):
        shutil.rmtree(folder)


def _truncate_vector_index(index: Path) -> None:
    for folder in _segments(index):
        for path in folder.iterdir():
            with path.open("r+b") as fh:
                fh.truncate(path.stat().st_size // 2)


def _zero_vector_index(index: Path) -> None:
    for folder in _segments(index):
        for path in folder.iterdir():
            path.write_bytes(b"\0" * path.stat().st_size)


def _truncate_database(index: Path) -> None:
    database = index / "chroma.sqlite3"
    with database.open("r+b") as fh:
        fh.truncate(database.stat().st_size // 2)


def _delete_database(index: Path) -> None:
    (index / "chroma.sqlite3").unlink()


def _drop_the_active_generation(index: Path) -> None:
    settings = Settings(index_dir=index)
    client = store.connect(settings)
    manifest = store.read_manifest(client, settings)
    assert manifest is not None
    for lang in manifest.langs:
        client.delete_collection(store.language_collection(manifest.active, lang))
    store.reset_clients()


DAMAGE: dict[str, Callable[[Path], None]] = {
    "vector index deleted": _delete_vector_index,
    "vector index truncated": _truncate_vector_index,
    "vector index zeroed": _zero_vector_index,
    "database truncated": _truncate_database,
    "database deleted": _delete_database,
    "active generation dropped": _drop_the_active_generation,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_index_is_rebuilt_or_refused_never_wrong(
    damage: str, pristine: tuple[Path, Path], tmp_path: Path
) -> None:
    sources, clean = pristine
    index = tmp_path / "index"
    shutil.copytree(clean, index)
    DAMAGE[damage](index)
    settings = Settings(sources_dir=sources, index_dir=index)
    try:
        assert_answers_correctly(settings, _probes(sources))
    except IndexStoreError as exc:  # refusing is fine, with a message a user can act on
        assert "index" in str(exc).lower()
    finally:
        store.reset_clients()


def test_a_damaged_vector_index_is_noticed_when_opened(pristine: tuple[Path, Path], tmp_path: Path) -> None:
    """Counts come from the database and still match; only a query shows the damage."""
    sources, clean = pristine
    index = tmp_path / "index"
    shutil.copytree(clean, index)
    _delete_vector_index(index)
    report, _ = build_index(Settings(sources_dir=sources, index_dir=index), FakeEmbedder())
    assert report.rebuilt_because == "the index was incomplete or damaged"
    store.reset_clients()


# --- read-only ------------------------------------------------------------------------------------

READ_ONLY_SEARCH = (
    OBEY_FILE_PERMISSIONS
    + """
import json, sys
from pathlib import Path
from qa.config import Settings
from qa.errors import QAError
from qa.retrieve import Retriever
from tests.fake_embedder import FakeEmbedder
settings = Settings(sources_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]))
try:
    hits = Retriever(settings, embedder=FakeEmbedder()).search(sys.argv[3], k=5)
    print(json.dumps({"hits": [f"{h.file}#{h.paragraph}" for h in hits]}))
except QAError as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
"""
)


def _make_read_only(path: Path) -> None:
    for p in [path, *path.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)


def _make_writable(path: Path) -> None:
    for p in [path, *path.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)


@pytest.mark.parametrize("what", ["index folder", "parent folder of a new index"])
def test_a_read_only_index_folder_is_a_clear_error_and_left_intact(
    what: str, pristine: tuple[Path, Path], tmp_path: Path
) -> None:
    sources, clean = pristine
    question, wanted, _ = _probes(sources)[0]
    if what == "index folder":
        index = tmp_path / "index"
        shutil.copytree(clean, index)
        locked = index
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        index = locked / "index"
    before = _files(locked)
    _make_read_only(locked)
    try:
        done = run_child(READ_ONLY_SEARCH, str(sources), str(index), question, timeout=120)
    finally:
        _make_writable(locked)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if "hits" in result:  # a read-only index that can still be searched is fine, if it is right
        assert wanted in result["hits"]
    else:
        assert result["error"] == "IndexStoreError"
        assert str(index) in result["message"] and "QA_INDEX_DIR" in result["message"], result["message"]
        assert "cannot be written" in result["message"] or "Permission denied" in result["message"]
    assert _files(locked) == before, "the read-only index folder was changed"


# --- full disk ------------------------------------------------------------------------------------

FULL_DISK = """
import json, resource, signal, sys, time
from pathlib import Path
from qa.config import Settings
from qa.errors import QAError
from qa.index import build_index
from tests.fake_embedder import FakeEmbedder

# The disk "fills up": no file of this process may grow beyond `limit` bytes (writes fail
# with EFBIG, as they would with ENOSPC). Unprivileged, and only for this process.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
settings = Settings(sources_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]))
outcomes = []
for attempt in sys.argv[4].split(","):  # e.g. "full,full,freed"
    if attempt == "freed":
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    started = time.monotonic()
    try:
        report, _ = build_index(settings, FakeEmbedder())
        outcomes.append({"ok": report.summary()})
    except QAError as exc:
        outcomes.append({"error": type(exc).__name__, "message": str(exc)})
    outcomes[-1]["seconds"] = round(time.monotonic() - started, 2)
print(json.dumps(outcomes))
"""


@pytest.mark.slow
def test_a_full_disk_fails_the_build_clearly_and_keeps_the_old_index(
    pristine: tuple[Path, Path], tmp_path: Path
) -> None:
    """Two failed builds in one process (the second used to wait forever on a database lock
    left by the first), then space comes back and the third completes."""
    sources_a, clean = pristine
    index, sources = tmp_path / "index", tmp_path / "sources"
    shutil.copytree(clean, index)
    write_state(sources, "b", files=2, per_file=700)  # a bigger, changed corpus to write
    probes_a = _probes(sources_a)
    limit = (index / "chroma.sqlite3").stat().st_size + 64 * 1024

    done = run_child(FULL_DISK, str(sources), str(index), str(limit), "full,full,freed", timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    first, second, third = json.loads(done.stdout.strip().splitlines()[-1])
    for failed in (first, second):
        assert failed.get("error") == "IndexStoreError", failed
        assert "disk is full" in failed["message"] and "qa index" in failed["message"], failed
    assert "ok" in third, third
    assert_answers_correctly(Settings(sources_dir=sources, index_dir=index), _probes(sources))
    store.reset_clients()

    # The old index survives a failed build untouched.
    shutil.rmtree(index)
    shutil.copytree(clean, index)
    done = run_child(FULL_DISK, str(sources), str(index), str(limit), "full", timeout=300)
    assert done.returncode == 0 and "IndexStoreError" in done.stdout, done.stderr[-3000:]
    assert_answers_correctly(Settings(sources_dir=sources_a, index_dir=index), probes_a)
    store.reset_clients()


def test_no_space_left_while_writing_is_an_index_error_and_the_old_index_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources, index = tmp_path / "sources", tmp_path / "index"
    write_state(sources, "a", files=2, per_file=60)
    settings = Settings(sources_dir=sources, index_dir=index)
    build_index(settings, FakeEmbedder())
    probes_a = _probes(sources, every=17)

    write_state(sources, "b", files=2, per_file=60)
    real_add = store.add_records
    calls = []

    def add_then_fill_the_disk(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_add(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "add_records", add_then_fill_the_disk)
    with pytest.raises(IndexStoreError, match=r"No space left on device.*disk is full"):
        build_index(settings, FakeEmbedder())
    monkeypatch.setattr(store, "add_records", real_add)

    # The manifest still names the complete old generation: a reader of the old sources is served.
    old_sources = tmp_path / "old"
    write_state(old_sources, "a", files=2, per_file=60)
    assert_answers_correctly(Settings(sources_dir=old_sources, index_dir=index), probes_a)
    report, _ = build_index(settings, FakeEmbedder())  # space is back
    assert report.changed and report.removed > 0
    assert_answers_correctly(settings, _probes(sources, every=17))
