"""An indexing run killed half-way (SIGKILL) leaves an index that answers from the old or the
new sources, never a mix; the next run repairs it. Real embedded Chroma, real child processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa.config import PROJECT_ROOT
from qa.corpus import load_corpus

CHILD_BUILD = """
import sys
from pathlib import Path
from qa import store
from qa.config import Settings
from qa.index import build_index
from tests.fake_embedder import FakeEmbedder

original = store.add_records
def announcing(*args, **kwargs):
    print("WRITING", flush=True)
    return original(*args, **kwargs)
store.add_records = announcing
settings = Settings(sources_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]))
report, _ = build_index(settings, FakeEmbedder(delay=float(sys.argv[3])))
print("DONE", report.summary(), flush=True)
"""

CHILD_READ = """
import json, sys
from pathlib import Path
from qa import store
from qa.config import Settings
from qa.retrieve import Retriever

settings = Settings(sources_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]))
client = store.connect(settings)
manifest = store.read_manifest(client, settings)
if manifest is None:
    print(json.dumps(None))
    raise SystemExit(0)
paragraphs = {}
total = 0
for lang in manifest.langs:
    vs = store.vectorstore(client, store.language_collection(manifest.active, lang))
    got = vs.get(where={"sentence": 0}, include=["metadatas"])
    paragraphs.update({f"{m['file']}#{m['paragraph']}": m["text"] for m in got["metadatas"]})
    total += store.count(vs)
assert total == manifest.count, "generation does not hold what the manifest says"
print(json.dumps(paragraphs))
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env["ANONYMIZED_TELEMETRY"] = "False"
    return env


def _write_state(folder: Path, state: str) -> None:
    """Sources of state "a" or "b": b changes a file, drops one and adds one."""
    for path in folder.glob("*.txt"):
        path.unlink()
    for f in range(4):
        if state == "b" and f == 3:
            continue
        lines = [
            f"File {f} line {n} tells about topic {n * 7 % 13} in town {f}. "
            f"It has a second sentence with the number {n} in it."
            for n in range(250)
        ]
        if state == "b" and f == 1:
            lines = [line.replace("tells about", "now reports on") for line in lines]
        (folder / f"doc{f}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if state == "b":
        extra = [f"A new file, line {n}, about rivers and bridges number {n}." for n in range(250)]
        (folder / "doc9.txt").write_text("\n".join(extra) + "\n", encoding="utf-8")


def _expected(folder: Path) -> dict[str, str]:
    return {p.id: p.text for p in load_corpus(folder).content_paragraphs()}


def _run(script: str, *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=PROJECT_ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _read_index(sources: Path, index: Path) -> dict[str, str] | None:
    return json.loads(_run(CHILD_READ, str(sources), str(index)).strip().splitlines()[-1])


def _build_and_kill(
    sources: Path, index: Path, *, after_writing: float | None, after_start: float = 0.0
) -> bool:
    """Start a build and SIGKILL it; True if it was killed before finishing."""
    delay = "0.002" if after_writing is None else "0"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD_BUILD, str(sources), str(index), delay],
        cwd=PROJECT_ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        if after_writing is None:
            time.sleep(after_start)
        else:
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line.startswith(("WRITING", "DONE")), line
            time.sleep(after_writing)
        finished = child.poll() is not None
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        return not finished
    finally:
        if child.poll() is None:
            child.kill()


@pytest.mark.slow
def test_killed_builds_leave_old_or_new_state_and_the_next_run_repairs(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    index = tmp_path / "index"
    _write_state(sources, "a")
    state_a = _expected(sources)
    _run(CHILD_BUILD, str(sources), str(index), "0")
    assert _read_index(sources, index) == state_a

    _write_state(sources, "b")
    state_b = _expected(sources)
    assert state_a != state_b
    killed = 0
    # killed while embedding, then at several points while writing the new generation
    for kill in [{"after_writing": None, "after_start": 3.0}] + [
        {"after_writing": d} for d in (0.0, 0.2, 0.6)
    ]:
        killed += _build_and_kill(sources, index, **kill)
        seen = _read_index(sources, index)
        assert seen in (state_a, state_b), "a killed build left a mixed or damaged index"
    assert killed >= 2, "the builds finished before they could be killed; the test proved nothing"

    out = _run(CHILD_BUILD, str(sources), str(index), "0")
    assert "DONE" in out
    assert _read_index(sources, index) == state_b
