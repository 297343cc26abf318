"""Serving the chat: ``python app.py`` on the configured loopback port, and no traffic off the machine."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import huggingface_hub.constants
import pytest
from gradio_client import Client

from qa.config import PROJECT_ROOT, Settings
from qa.corpus import load_corpus
from qa.web import build_app
from tests.conftest import SEEDS
from tests.web_fakes import FakeBackend, free_port, running

STARTUP_TIMEOUT = 90.0
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}


def _listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses with a socket listening on ``port`` (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:
            found.add(str(ipaddress.IPv4Address(bytes(reversed(bytes.fromhex(address))))))
    return found


def _app_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QA_", "GRADIO_"))}
    env.update(
        QA_SOURCES_DIR=str(SEEDS),
        QA_INDEX_DIR=str(tmp_path / "index"),
        QA_MODEL_CACHE_DIR=str(tmp_path / "cache"),
        QA_LLM="extractive",
        **extra,
    )
    return env


@pytest.mark.slow
def test_python_app_py_serves_on_the_configured_loopback_port(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / "app.py")],
        cwd=tmp_path,
        env=_app_env(tmp_path, QA_PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            assert process.poll() is None, (
                f"app.py exited early:\n{process.stdout.read() if process.stdout else ''}"
            )
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "app.py did not start serving in time"
                time.sleep(0.5)
        assert response.status_code == 200
        assert "Hanoi Convention Q&amp;A" in response.text or "Hanoi Convention Q&A" in response.text
        if Path("/proc/net/tcp").exists():
            assert _listening_addresses(port) == {"127.0.0.1"}  # loopback only, not 0.0.0.0
        api = Client(f"http://127.0.0.1:{port}/", verbose=False, analytics_enabled=False)
        assert "/ask" in api.view_api(print_info=False, return_format="dict")["named_endpoints"]
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_app_py_refuses_a_malformed_login_setting(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "app.py")],
        cwd=tmp_path,
        env=_app_env(tmp_path, QA_PORT=str(free_port()), QA_AUTH="no-colon-here"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "QA_AUTH" in result.stderr


def test_serving_and_answering_make_no_connection_off_the_machine(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    """No analytics, version check, share tunnel or font fetch: every connection stays on loopback."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        if (
            sock.family in (socket.AF_INET, socket.AF_INET6)
            and not ipaddress.ip_address(address[0]).is_loopback
        ):
            attempts.append(address)
            raise OSError("outbound connection blocked by the test")
        return real_connect(sock, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        if name not in _LOOPBACK_NAMES:
            try:
                is_loopback = ipaddress.ip_address(name).is_loopback
            except ValueError:
                is_loopback = False
            if not is_loopback:
                attempts.append(name)
                raise OSError("name lookup blocked by the test")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.delenv("GRADIO_ANALYTICS_ENABLED", raising=False)

    corpus = load_corpus(SEEDS)
    fake = FakeBackend(corpus)
    app = build_app(settings, stream_fn=fake.stream, answer_fn=fake.ask, corpus_fn=lambda: corpus)
    with running(app, settings) as url:
        page = httpx.get(url)
        assert page.status_code == 200
        assert "fonts.googleapis.com" not in page.text
        with monkeypatch.context() as offline:
            # huggingface_hub >= 2.4 looks up a list of "agent harnesses" on huggingface.co when
            # gradio_client builds a Client's request headers: the test's client library, not
            # the app (docs/web-chat.md, "Scripting": HF_HUB_OFFLINE=1). Offline for that call only.
            offline.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
            client = Client(url, verbose=False, analytics_enabled=False)
        answer = client.predict("Who chaired it?", api_name="/ask")
        assert "¶" in answer
    time.sleep(0.5)  # let any background thread (analytics, version check) try its luck
    assert attempts == []
