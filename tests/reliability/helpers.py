"""Shared by the reliability tests (and ``benchmarks/load.py``): child processes, servers, memory.

Nothing here is a test. Child processes run with the project on ``PYTHONPATH`` and without the
developer's ``QA_*`` environment.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qa.config import PROJECT_ROOT

# Prepended to child scripts that must not be able to write read-only files. Root ignores file
# permissions (CAP_DAC_OVERRIDE); dropping those capabilities makes it obey them like any user.
# Capabilities are per thread and restored by exec for root, so this runs first in the child,
# before any library starts a thread.
OBEY_FILE_PERMISSIONS = """
import ctypes, os
if os.geteuid() == 0:
    _libc = ctypes.CDLL(None, use_errno=True)
    class _Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
    class _Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]
    _header, _data = _Header(0x20080522, 0), (_Data * 2)()
    if _libc.capget(ctypes.byref(_header), _data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    _mask = ~((1 << 1) | (1 << 2) | (1 << 3))  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
    _data[0].effective &= _mask
    _data[0].permitted &= _mask
    if _libc.capset(ctypes.byref(_header), _data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
"""


def finishes_within(seconds: float, work: Callable[[], object]) -> bool:
    """Run ``work`` in a thread; False if it is still running after ``seconds`` (a hang, or
    quadratic work on a big input). Not a speed test: the bound is far above normal."""
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive()


# Streams from the bundled model on a worker thread (as the web chat does) and lets the main
# thread end (as a Ctrl-C on the server does) while llama.cpp is still generating. Used by
# test_interrupts.py and benchmarks/exit_stress.py; an argument (seconds) makes the main thread
# end at a random moment within that long after the first text instead of at once.
EXIT_WHILE_STREAMING = """
import random, sys, threading, time
from qa.config import Settings
from qa.local_llm import LocalChatModel

model = LocalChatModel.from_settings(Settings())
streaming = threading.Event()

def consume():
    for chunk in model.stream("Count from 1 to 500, one number per line."):
        streaming.set()

threading.Thread(target=consume, daemon=True).start()
assert streaming.wait(300)
print("streaming", flush=True)
if len(sys.argv) > 1:
    time.sleep(random.random() * float(sys.argv[1]))
"""


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: no QA_*/GRADIO_* settings, the project importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QA_", "GRADIO_"))}
    env.pop("OPENAI_API_KEY", None)
    env.pop("OPENAI_BASE_URL", None)
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env["ANONYMIZED_TELEMETRY"] = "False"
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    env["PYTHONFAULTHANDLER"] = "1"  # a crash in a child prints every thread's Python stack
    env.update(extra)
    return env


def run_child(script: str, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -c script args`` to completion (a hang fails the test through ``timeout``)."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=PROJECT_ROOT,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak resident set) of a process, in KiB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by the nearest-rank method."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class LatencySummary:
    count: int
    p50: float
    p95: float
    max: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> LatencySummary:
        return cls(len(samples), statistics.median(samples), percentile(samples, 0.95), max(samples))

    def __str__(self) -> str:
        return f"n={self.count} p50={self.p50:.2f}s p95={self.p95:.2f}s max={self.max:.2f}s"


def wait_for_http(
    url: str, process: subprocess.Popen[str] | None, timeout: float, log: Path | None = None
) -> None:
    """Poll ``url`` until it answers 200; fail early if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"the server exited early (code {process.returncode}):\n{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.3)


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class AppServer:
    """``python app.py`` running in its own process (so its memory can be measured)."""

    url: str
    process: subprocess.Popen[str]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None


@contextmanager
def app_server(workdir: Path, *, startup_timeout: float = 120, **env: str) -> Iterator[AppServer]:
    """Serve the chat with ``app.py`` on a free loopback port, with ``QA_*`` settings from ``env``."""
    port = free_port()
    log = workdir / f"app-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(PROJECT_ROOT / "app.py")],
            cwd=workdir,
            env=child_env(QA_PORT=str(port), **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(url, process, startup_timeout, log)
        yield AppServer(url, process, log)
    finally:
        stop(process)


def chroma_executable() -> str | None:
    beside = Path(sys.executable).parent / "chroma"
    return str(beside) if beside.exists() else shutil.which("chroma")


@dataclass
class ChromaServer:
    """A ``chroma run`` server on a fixed loopback port and data folder, stoppable and restartable."""

    data: Path
    port: int
    process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        exe = chroma_executable()
        assert exe is not None, "the `chroma` command is not installed"
        log = self.data.parent / f"chroma-{self.port}.log"
        with log.open("a") as out:
            self.process = subprocess.Popen(
                [exe, "run", "--path", str(self.data), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        wait_for_http(f"{self.url}/api/v2/heartbeat", self.process, timeout, log)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None
