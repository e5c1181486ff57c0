"""A scripted OpenAI-compatible chat server on 127.0.0.1 for protocol tests and benches.

It records every request body (so tests can check the exact wire format vLLM expects),
counts requests in flight (so tests can check a concurrency bound), and answers from a
script: a list of replies consumed in order, then a default, or a function of the body.
A reply is a string (assistant content, status 200) or ``Reply(status, content, delay_s)``.
Standard library only (``ThreadingHTTPServer``), so it runs anywhere the tests run.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: HTTP status, assistant content (or raw error text), delay."""

    status: int = 200
    content: str = "A scripted caption."
    delay_s: float = 0.0
    headers: dict[str, str] | None = None


Responder = Callable[[dict[str, Any]], "Reply | str"]


def completion(content: str, model: str = "fake") -> dict[str, Any]:
    """A minimal chat-completions response body."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class FakeOpenAIServer:
    """Context manager running the fake server on an ephemeral port.

    Args:
        script: Replies used in order, one per request.
        default: Reply once the script is used up (or a responder function of the body).
        delay_s: Delay added to every reply (to hold requests in flight).
        record: Keep parsed request bodies (turn off for throughput benches).
    """

    def __init__(
        self,
        script: list[Reply | str] | None = None,
        default: Reply | str | Responder = "A scripted caption.",
        delay_s: float = 0.0,
        record: bool = True,
    ):
        self.script = list(script or [])
        self.default = default
        self.delay_s = delay_s
        self.record = record
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.count = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Base URL with ``/v1``, as an OpenAI client expects."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            item = self.script.pop(0) if self.script else self.default
        if callable(item):
            item = item(body)
        return Reply(content=item) if isinstance(item, str) else item

    def __enter__(self) -> FakeOpenAIServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with fake._lock:
                    fake.in_flight += 1
                    fake.count += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    body = json.loads(raw) if fake.record or callable(fake.default) else {}
                    if fake.record:
                        with fake._lock:
                            fake.requests.append(body)
                            fake.paths.append(self.path)
                    reply = fake._next(body)
                    if reply.delay_s or fake.delay_s:
                        time.sleep(reply.delay_s + fake.delay_s)
                    if reply.status == 200:
                        payload = json.dumps(completion(reply.content)).encode()
                    else:
                        payload = json.dumps({"error": {"message": reply.content}}).encode()
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in (reply.headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def dead_url() -> str:
    """A loopback URL where nothing listens (a port just released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
