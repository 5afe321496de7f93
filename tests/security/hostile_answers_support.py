"""A loopback proxy in front of a simulator that answers chosen routes with raw bytes.

Unlike :mod:`hostile_server_support` (JSON bodies only), a rule here chooses the status, the
headers and the body's bytes: a body that is not JSON, JSON nested 100,000 deep, a ``Link``
header holding an escape, a declared ``Content-Length`` of gigabytes, or a chunked body that
never ends (the proxy counts what it managed to send before the client hung up). A rule may
forward the request first (``forward()``: the simulator does the write) and then answer oddly,
as a server that committed a write but answered nonsense would. Loopback only; the fixture
stops the thread.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx

Body = bytes | Iterator[bytes]
"""A whole body (sent with its length) or chunks (sent chunked, until the client hangs up)."""


@dataclass
class Raw:
    status: int
    body: Body = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None
    """A ``Content-Length`` to declare instead of the body's own (the body then is not sent)."""


def json_answer(value: Any, status: int = 200, **headers: str) -> Raw:
    return Raw(status, json.dumps(value).encode(), {"content-type": "application/json", **headers})


def deep_json(depth: int = 100_000) -> bytes:
    """``[[[...]]]`` ``depth`` deep: valid JSON no recursive parser reads."""
    return b"[" * depth + b"]" * depth


def endless(chunk: bytes = b" " * 65_536) -> Iterator[bytes]:
    """A JSON-looking body that never ends: ``[`` then whitespace for ever."""
    yield b"["
    while True:
        yield chunk


Forward = Callable[[], httpx.Response]


@dataclass
class RawRule:
    """Answers ``method`` requests whose path matches ``pattern`` (``re.search``)."""

    method: str
    pattern: str
    answer: Callable[[Forward], Raw]
    hits: int = 0
    sent: int = 0
    """Body bytes written for this rule (before the client hung up)."""


@dataclass
class RawProxy:
    upstream: str
    rules: list[RawRule] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def rule(self, method: str, pattern: str, answer: Callable[[Forward], Raw]) -> RawRule:
        made = RawRule(method, pattern, answer)
        self.rules.append(made)
        return made

    def claim(self, method: str, path: str) -> RawRule | None:
        with self.lock:
            for rule in self.rules:
                if rule.method == method and re.search(rule.pattern, path):
                    rule.hits += 1
                    return rule
        return None

    def via(self, url: str) -> str:
        """``url`` with its origin replaced by the proxy's (same path)."""
        parts = urlsplit(url)
        return self.url + parts.path + (f"?{parts.query}" if parts.query else "")


def _handler(proxy: RawProxy, client: httpx.Client) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in ("host", "content-length", "connection", "accept-encoding")
            }

            def forward() -> httpx.Response:
                return client.request(self.command, self.path, content=raw, headers=headers)

            rule = proxy.claim(self.command, urlsplit(self.path).path)
            if rule is None:
                upstream = forward()
                kept = {
                    k: v
                    for k, v in upstream.headers.items()
                    if k.lower() in ("etag", "content-type", "retry-after", "link")
                }
                answer = Raw(upstream.status_code, upstream.content, kept)
            else:
                answer = rule.answer(forward)
            self._send(answer, rule)

        def _send(self, answer: Raw, rule: RawRule | None) -> None:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            if answer.length is not None:
                self.send_header("Content-Length", str(answer.length))
                self.end_headers()
                self.close_connection = True
                return
            if isinstance(answer.body, bytes):
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.close_connection = True
            try:
                for chunk in answer.body:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    if rule is not None:
                        with proxy.lock:
                            rule.sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client stopped reading: what the test wants

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that hangs up mid-answer is what these tests provoke


@contextmanager
def raw_proxy(upstream: str) -> Iterator[RawProxy]:
    """A proxy for ``upstream``'s origin on a free loopback port."""
    parts = urlsplit(upstream)
    proxy = RawProxy(upstream=f"{parts.scheme}://{parts.netloc}")
    with httpx.Client(base_url=proxy.upstream, timeout=60, trust_env=False) as client:
        server = _QuietServer(("127.0.0.1", 0), _handler(proxy, client))
        proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, name="raw-proxy")
        thread.start()
        try:
            yield proxy
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=60)
