"""A misbehaving OpenAI-compatible server on loopback, for the ``openai`` backend's fault tests.

Each mode answers ``POST /v1/chat/completions`` in one broken way. It also records the
``Authorization`` headers it received, and can echo them back (a hostile server), so tests
can check that the key never reaches a user.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _chunk(content: str | None = None, *, choices: bool = True) -> bytes:
    delta = {"content": content} if content is not None else {}
    body: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}] if choices else [],
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


GOOD_REPLY = '{"answer": "The Hanoi Convention has 9 chapters.", "sources": [1], "found": true}'

MODES = {
    # name: what the server does
    "html_error_page": "HTTP 200 with an HTML page instead of an event stream",
    "broken_event_stream": "HTTP 200 event stream whose events are not JSON",
    "malformed_json_reply": "a complete stream whose reply is malformed JSON",
    "cut_off_reply": "the stream stops half-way through the reply, connection closed",
    "no_choices": "events without any choices, then [DONE]",
    "server_error": "HTTP 500 with an error body",
    "drip": "a valid reply, one token every 0.7 s (beyond the timeout)",
    "good": "a valid reply",
    "echo_key_400": "HTTP 400 whose error message repeats the Authorization header",
    "echo_key_500": "HTTP 500 whose error message repeats the Authorization header",
}


class FakeLLMServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.authorizations: list[str] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up on a dripping reply is what the tests are about

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FakeLLMServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, events: list[bytes], *, done: bool = True, pause: float = 0.0) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        self.end_headers()
        for event in events:
            self.wfile.write(event)
            self.wfile.flush()
            time.sleep(pause)
        if done:
            self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        authorization = self.headers.get("authorization", "")
        self.server.authorizations.append(authorization)
        mode = self.server.mode
        if mode == "html_error_page":
            self._send(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        elif mode == "broken_event_stream":
            self._stream([b"data: {this is not json\n\n", b"data: <html>\n\n"])
        elif mode == "malformed_json_reply":
            reply = '{"answer": "The Hanoi Convention has 9 chapters", "sources": [1], "found": tru'
            self._stream([_chunk(reply[i : i + 8]) for i in range(0, len(reply), 8)])
        elif mode == "cut_off_reply":
            self._stream([_chunk(GOOD_REPLY[i : i + 8]) for i in range(0, 40, 8)], done=False)
        elif mode == "no_choices":
            self._stream([_chunk(choices=False) for _ in range(3)])
        elif mode == "server_error":
            self._send(500, b'{"error": {"message": "internal failure", "type": "server_error"}}')
        elif mode == "drip":
            self._stream([_chunk(GOOD_REPLY[i : i + 6]) for i in range(0, len(GOOD_REPLY), 6)], pause=0.7)
        elif mode == "good":
            self._stream([_chunk(GOOD_REPLY[i : i + 8]) for i in range(0, len(GOOD_REPLY), 8)])
        elif mode in ("echo_key_400", "echo_key_500"):
            body = {
                "error": {"message": f"Bad request with header {authorization}", "type": "invalid_request"}
            }
            self._send(400 if mode == "echo_key_400" else 500, json.dumps(body).encode())
        else:  # pragma: no cover - a typo in a test
            self._send(404, b"{}")


@contextmanager
def fake_llm(mode: str) -> Iterator[FakeLLMServer]:
    """Serve ``mode`` on a free loopback port for the duration of the block."""
    server = FakeLLMServer(mode)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
