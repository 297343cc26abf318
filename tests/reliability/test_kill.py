"""SIGKILL at random points of builds over a few thousand paragraphs in five languages.

The kill safety is a property of the store (a new generation is written beside the active one
and the manifest flips in one write), not of the embedding model, so the builds use the fast
deterministic fake embedder: a build is then mostly Chroma writes, which is where a kill hurts.
Real embedded Chroma, real child processes, real SIGKILL.

After every kill a fresh process must find the old state or the new one, complete and
searchable, never a mix; at the end ``qa index`` (the real CLI) completes and the index holds
the new state. The kill times are random; the seed is printed in any failure message
(``RELIABILITY_SEED`` replays it).
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from qa.config import PROJECT_ROOT
from qa.corpus import load_corpus
from tests.reliability.helpers import child_env, run_child
from tests.reliability.synthetic import write_state

log = logging.getLogger(__name__)

KILLS = 6

BUILD = """
import sys
from pathlib import Path
from qa import index, store
from qa.config import Settings
from tests.fake_embedder import FakeEmbedder

def announce(marker, original):
    def wrapped(*args, **kwargs):
        print(marker, flush=True)
        return original(*args, **kwargs)
    return wrapped

store.add_records = announce("WRITING", store.add_records)
store.write_manifest = announce("FLIPPING", store.write_manifest)
index._collect_garbage = announce("COLLECTING", index._collect_garbage)
index._embed_missing = announce("EMBEDDING", index._embed_missing)
settings = Settings(sources_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]))
report, _ = index.build_index(settings, FakeEmbedder())
print("DONE", report.summary(), flush=True)
"""

# Reads the index in a fresh process: which state it holds, and what searches return. It searches
# through a copy of the sources the manifest was built from, so it never starts a build itself.
CHECK = """
import json, sys
from pathlib import Path
from qa import store
from qa.config import Settings
from qa.index import source_fingerprint
from qa.retrieve import Retriever
from tests.fake_embedder import FakeEmbedder

index_dir, states, probes = Path(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
settings = Settings(sources_dir=Path(states["a"]), index_dir=index_dir)
client = store.connect(settings)
manifest = store.read_manifest(client, settings)
if manifest is None:
    print(json.dumps({"state": None}))
    raise SystemExit(0)
state = next((s for s, folder in states.items() if manifest.sources == source_fingerprint(Path(folder))), "mixed")
paragraphs, total = {}, 0
for lang in manifest.langs:
    vs = store.vectorstore(client, store.language_collection(manifest.active, lang))
    got = vs.get(where={"sentence": 0}, include=["metadatas"])
    paragraphs.update({f"{m['file']}#{m['paragraph']}": m["text"] for m in got["metadatas"]})
    total += store.count(vs)
found = []
if state in states:
    retriever = Retriever(settings.model_copy(update={"sources_dir": Path(states[state])}), embedder=FakeEmbedder())
    found = [[(p.file, p.paragraph, p.text) for p in retriever.search(q, k=5)] for q, _, _ in probes]
print(json.dumps({"state": state, "paragraphs": paragraphs, "records": total, "count": manifest.count, "found": found}))
"""

CLI_INDEX = """
import sys
import qa.embeddings
from tests.fake_embedder import FakeEmbedder
qa.embeddings.get_embeddings = lambda settings: FakeEmbedder()
from qa.cli import main
sys.argv = ["qa", "index"]
main()
"""


def _expected(folder: Path) -> tuple[dict[str, str], set[str]]:
    """Paragraph id -> text of the sources in ``folder``, and their languages."""
    paragraphs = load_corpus(folder).content_paragraphs()
    return {p.id: p.text for p in paragraphs}, {p.lang for p in paragraphs}


def _probes(state_a: dict[str, str], state_b: dict[str, str]) -> list[tuple[str, str, str]]:
    """(question, paragraph id, states in which the question must find it): a sentence of a
    paragraph finds that paragraph. Some paragraphs changed between the states, some did not."""
    from qa.index import split_sentences

    changed = sorted(k for k in state_a if k in state_b and state_a[k] != state_b[k])[:3]
    same = sorted(k for k in state_a if state_b.get(k) == state_a[k])[::400][:3]
    probes = []
    for k in changed:  # the second sentence is the one that changed
        probes += [(split_sentences(state_a[k])[1], k, "a"), (split_sentences(state_b[k])[1], k, "b")]
    probes += [(split_sentences(state_a[k])[0], k, "ab") for k in same]
    return probes


class Build:
    """A build in a child process whose progress markers are read as they come."""

    def __init__(self, sources: Path, index: Path) -> None:
        self.started = time.monotonic()
        # stderr goes to a file: only the reader thread may read stdout, or a marker could be
        # consumed elsewhere (communicate() once swallowed the final DONE).
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (closed in finish/kill)
        self.process = subprocess.Popen(
            [sys.executable, "-c", BUILD, str(sources), str(index)],
            cwd=PROJECT_ROOT,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.markers: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.markers.append(line.split()[0] if line.strip() else "")

    def kill(self, *, after: str | None = None, nth: int = 1, delay: float = 0.0) -> str:
        """SIGKILL the build ``delay`` seconds after its ``nth`` ``after`` marker (or after it started);
        returns the phase it was in ("finished" if it ended first)."""
        if after is None:
            while time.monotonic() < self.started + delay and self.process.poll() is None:
                time.sleep(0.002)
        else:
            while self.markers.count(after) < nth and self.process.poll() is None:
                time.sleep(0.002)
            time.sleep(delay)
        finished = self.process.poll() is not None
        if not finished:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        if finished:
            return "finished"
        return self.markers[-1] if self.markers else "starting"

    def finish(self) -> float:
        self.process.wait(timeout=600)
        self._reader.join(timeout=30)
        self._stderr.seek(0)
        stderr = self._stderr.read()
        assert self.process.returncode == 0, stderr[-3000:]
        assert self.markers and self.markers[-1] == "DONE", self.markers
        return time.monotonic() - self.started


@pytest.mark.slow
def test_builds_killed_at_random_points_leave_the_old_or_new_index(tmp_path: Path) -> None:
    seed = int(os.environ.get("RELIABILITY_SEED") or time.time_ns() % 100_000)
    rng = random.Random(seed)
    context = f"(RELIABILITY_SEED={seed})"
    sources, index = tmp_path / "sources", tmp_path / "index"
    folders = {"a": tmp_path / "state-a", "b": tmp_path / "state-b"}
    for state, folder in folders.items():
        write_state(folder, state)
    (state_a, _), (state_b, languages) = _expected(folders["a"]), _expected(folders["b"])
    assert len(state_a) >= 2000 and state_a != state_b and len(languages) == 5
    probes = _probes(state_a, state_b)
    states_arg = json.dumps({k: str(v) for k, v in folders.items()})

    def check() -> dict:
        done = run_child(CHECK, str(index), states_arg, json.dumps(probes), timeout=300)
        assert done.returncode == 0, f"{context} reading the index failed:\n{done.stderr[-3000:]}"
        return json.loads(done.stdout.strip().splitlines()[-1])

    def assert_consistent(seen: dict, phase: str) -> None:
        assert seen["state"] in ("a", "b"), f"{context} a kill while {phase} left a {seen['state']} index"
        expected = state_a if seen["state"] == "a" else state_b
        assert seen["paragraphs"] == expected, f"{context} kill while {phase}: paragraphs differ from state"
        assert seen["records"] == seen["count"], f"{context} kill while {phase}: records missing"
        for (question, wanted, states), hits in zip(probes, seen["found"], strict=True):
            # Every hit is a paragraph of this state, with this state's text...
            assert all(expected.get(f"{file}#{n}") == text for file, n, text in hits), (
                f"{context} kill while {phase}: a search returned a paragraph of another state"
            )
            # ...and a sentence of a paragraph finds that paragraph.
            if seen["state"] in states:
                found = [f"{file}#{n}" for file, n, _ in hits]
                assert wanted in found, f"{context} kill while {phase}: {question!r} did not find {wanted}"

    # The first build ever, killed: no index yet is fine, a half index is not.
    shutil.copytree(folders["a"], sources)
    first = Build(sources, index)
    phase = first.kill(after="WRITING", nth=rng.randint(1, 3), delay=rng.uniform(0.0, 0.3))
    seen = check()
    assert seen["state"] in (None, "a"), f"{context} first build killed while {phase}: {seen['state']}"
    if seen["state"] == "a":
        assert_consistent(seen, phase)

    duration = Build(sources, index).finish()  # completes state a; its length scales the kill times
    seen = check()
    assert seen["state"] == "a"
    assert_consistent(seen, "never")
    state_a_index = tmp_path / "index-state-a"
    shutil.copytree(index, state_a_index)

    shutil.rmtree(sources)
    shutil.copytree(folders["b"], sources)
    # Random points: anywhere in a build, and at a random moment inside each risky phase.
    schedule: list[dict] = [
        {"delay": rng.uniform(0.5, duration)},
        {"after": "EMBEDDING", "delay": rng.uniform(0.0, 1.0)},
        {"after": "WRITING", "nth": rng.randint(1, len(languages)), "delay": rng.uniform(0.0, 0.3)},
        {"after": "WRITING", "nth": rng.randint(1, len(languages)), "delay": rng.uniform(0.0, 0.3)},
        {"after": "FLIPPING", "delay": rng.uniform(0.0, 0.02)},
        {"after": "COLLECTING", "delay": rng.uniform(0.0, 0.02)},
    ]
    phases = []
    for when in schedule[:KILLS]:
        if phases and phases[-1] == "finished":
            # That build completed state b (the machine ran it faster than the timed kill), so
            # the next one would have nothing left to do: give it the whole change again.
            shutil.rmtree(index)
            shutil.copytree(state_a_index, index)
        phase = Build(sources, index).kill(**when)
        phases.append(phase)
        assert_consistent(check(), phase)
    assert phases.count("finished") <= 2, f"{context} the builds finished before the kills: {phases}"
    assert "WRITING" in phases, f"{context} no build was killed while writing: {phases}"
    log.info("%s builds of %d paragraphs killed while: %s", context, len(state_b), ", ".join(phases))

    done = run_child(CLI_INDEX, timeout=600, QA_SOURCES_DIR=str(sources), QA_INDEX_DIR=str(index))
    assert done.returncode == 0, f"{context} `qa index` after the kills failed:\n{done.stderr[-3000:]}"
    seen = check()
    assert seen["state"] == "b", f"{context} after `qa index`: {seen['state']} (kills: {phases})"
    assert_consistent(seen, "never")
