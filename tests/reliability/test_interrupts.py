"""Interrupting the bundled local model: Ctrl-C and exit while llama.cpp is generating (slow).

Each case runs in a child process, since what is checked is how the process ends: a worker
thread left inside llama.cpp when Python exits aborts the interpreter ("FATAL: exception not
rethrown") or segfaults. The first three tests failed that way before the fix; the web-chat one
failed with a partial fix (waiting on close, no exit hook).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import PROJECT_ROOT, Settings
from tests.reliability.helpers import EXIT_WHILE_STREAMING, app_server, child_env, run_child

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def interruptible_children() -> Iterator[None]:
    """Children that react to SIGINT, even when the tests run as a shell's background job.

    A non-interactive shell starts background jobs with SIGINT ignored; an ignored signal stays
    ignored across ``exec``, and Python then installs no KeyboardInterrupt handler, so every
    child here would shrug off the interrupt it is sent. A handled signal is reset to the default
    on ``exec``: with Python's own handler in this process, each child starts as a terminal's would.
    """
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def local_env(settings: Settings) -> dict[str, str]:
    """``QA_*`` variables that give a child process ``settings``' local model, sources and index."""
    return {
        "QA_LLM": "local",
        "QA_SOURCES_DIR": str(settings.sources_dir),
        "QA_INDEX_DIR": str(settings.index_dir),
        "QA_MODEL_CACHE_DIR": str(settings.model_cache_dir),
    }


# Streams a long reply from the bundled model and interrupts itself (as Ctrl-C would) once the
# first text arrives, while llama.cpp is still generating on its worker thread.
INTERRUPTED_STREAM = """
import os, signal
from qa.config import Settings
from qa.local_llm import LocalChatModel

model = LocalChatModel.from_settings(Settings())
for chunk in model.stream("Count from 1 to 500, one number per line."):
    print("streaming", flush=True)
    os.kill(os.getpid(), signal.SIGINT)
"""


def test_ctrl_c_while_the_local_model_streams_exits_cleanly(local_settings: Settings) -> None:
    """The interrupt ends the program like any KeyboardInterrupt (exit 130), never an abort."""
    result = run_child(INTERRUPTED_STREAM, timeout=600, **local_env(local_settings))
    assert "streaming" in result.stdout, result.stderr[-2000:]
    assert result.returncode == -signal.SIGINT, result.stderr[-2000:]  # ended by its own SIGINT
    assert "KeyboardInterrupt" in result.stderr
    assert "FATAL" not in result.stderr


def test_exit_while_another_thread_streams_from_the_local_model_is_clean(local_settings: Settings) -> None:
    """At exit, running generations are stopped and awaited: no abort, no segfault."""
    result = run_child(EXIT_WHILE_STREAMING, timeout=600, **local_env(local_settings))
    assert "streaming" in result.stdout, result.stderr[-2000:]
    assert result.returncode == 0, result.stderr[-2000:]
    assert "FATAL" not in result.stderr


def test_ctrl_c_during_qa_ask_says_interrupted(local_settings: Settings) -> None:
    """``qa ask`` interrupted while the answer streams: a one-line note and exit 130, no traceback."""
    question = "Explain everything the articles say about the signing ceremony and who attended it."
    with subprocess.Popen(
        [sys.executable, "-m", "qa", "ask", question],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
        env=child_env(**local_env(local_settings)),
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        first = child.stdout.read(1)  # the answer has started streaming
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=300)
    assert first, err[-2000:]
    assert child.returncode == 130, err[-2000:]
    assert "interrupted" in err
    assert "Traceback" not in err and "FATAL" not in err


def test_ctrl_c_on_the_web_chat_while_it_answers_exits_cleanly(
    local_settings: Settings, tmp_path: Path
) -> None:
    """``python app.py`` interrupted while the local model streams an answer into the chat."""
    from gradio_client import Client

    work = tmp_path / "app"
    work.mkdir()
    with app_server(work, startup_timeout=180, **local_env(local_settings)) as server:
        job = Client(server.url, verbose=False).submit(
            "Explain everything the articles say about the signing ceremony and who attended it.",
            api_name="/chat",
        )
        deadline = time.monotonic() + 300
        while not any(_streamed_text(output) for output in job.outputs()):  # the model is generating
            assert time.monotonic() < deadline and not job.done(), "no streamed text"
            time.sleep(0.1)
        server.process.send_signal(signal.SIGINT)
        returncode = server.process.wait(timeout=300)
    log = server.log.read_text(errors="replace")
    assert returncode == 0, log[-3000:]
    assert "FATAL" not in log and "Segmentation" not in log


def _streamed_text(output: object) -> bool:
    """True when a /chat output shows a partial answer with some text in it."""
    chat = output[1] if isinstance(output, (list, tuple)) and len(output) > 1 else []
    last = chat[-1] if isinstance(chat, list) and chat else {}
    content = last.get("content", "") if isinstance(last, dict) else ""
    parts = content if isinstance(content, list) else [{"text": content}]
    html = "".join(str(part.get("text", "")) for part in parts if isinstance(part, dict))
    return "qa-streaming" in html and "qa-pending" not in html
