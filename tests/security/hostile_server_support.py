"""A loopback proxy in front of the simulators that misbehaves on chosen routes.

Every request is forwarded to the real simulator unless a :class:`Rule` claims it; a rule
answers instead (a next page that repeats, pages that never end, a deep or cyclic category
tree ...). The proxy counts the requests each rule answered, so a test can assert that a hostile
server cost a bounded number of them. It listens on 127.0.0.1 only and runs in a thread that
the fixture stops.
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
from urllib.parse import parse_qs, urlsplit

import httpx

Answer = tuple[int, Any]
"""(status, JSON body) a rule sends back."""


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class Rule:
    """Answers ``method`` requests whose path matches ``pattern`` (``re.search``)."""

    method: str
    pattern: str
    answer: Callable[[Seen, int], Answer]
    hits: int = 0


@dataclass
class HostileProxy:
    upstream: str
    rules: list[Rule] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def rule(self, method: str, pattern: str, answer: Callable[[Seen, int], Answer]) -> Rule:
        made = Rule(method, pattern, answer)
        self.rules.append(made)
        return made

    def claim(self, seen: Seen) -> Answer | None:
        with self.lock:
            for rule in self.rules:
                if rule.method == seen.method and re.search(rule.pattern, seen.path):
                    rule.hits += 1
                    number = rule.hits
                    break
            else:
                return None
        return rule.answer(seen, number)


def _handler(proxy: HostileProxy, client: httpx.Client) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            seen = Seen(self.command, parts.path, parse_qs(parts.query), body)
            answer = proxy.claim(seen)
            if answer is None:
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length", "connection")
                }
                upstream = client.request(self.command, self.path, content=raw, headers=headers)
                status, payload = upstream.status_code, upstream.content
                extra = {
                    k: v
                    for k, v in upstream.headers.items()
                    if k.lower() in ("etag", "content-type", "retry-after")
                }
            else:
                status, payload = answer[0], json.dumps(answer[1]).encode()
                extra = {"content-type": "application/json"}
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

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


@contextmanager
def hostile_proxy(upstream: str) -> Iterator[HostileProxy]:
    """A proxy for ``upstream`` (scheme://host:port) on a free loopback port."""
    parts = urlsplit(upstream)
    proxy = HostileProxy(upstream=f"{parts.scheme}://{parts.netloc}")
    with httpx.Client(base_url=proxy.upstream, timeout=60) as client:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy, client))
        server.daemon_threads = True
        proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, name="hostile-proxy")
        thread.start()
        try:
            yield proxy
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=60)


def via(proxy: HostileProxy, url: str) -> str:
    """``url`` with its origin replaced by the proxy's (same path)."""
    return proxy.url + urlsplit(url).path
