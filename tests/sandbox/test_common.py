"""The shared sandbox machinery (reconciler.sandbox.common), on a tiny app over real HTTP."""

from __future__ import annotations

import ast
import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from polling import wait_for
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import reconciler.sandbox
from reconciler.sandbox.common import (
    CalloutSender,
    MethodNotAllowedError,
    RequestStats,
    RunningServer,
    SandboxMiddleware,
    SandboxRng,
    TemplateRouter,
    choose_fault,
    control_routes,
    is_loopback_url,
    is_read_request,
    parse_faults,
)


def test_parse_faults_accepts_kind_rate_pairs() -> None:
    assert parse_faults(["429:0.1", "reset-after-commit:0.25", "timeout:0"]) == {
        "429": 0.1,
        "reset-after-commit": 0.25,
        "timeout": 0.0,
    }


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (["418:0.1"], "unknown fault kind"),
        (["500"], "KIND:RATE"),
        (["500:x"], "number"),
        (["500:1.5"], "outside 0..1"),
        (["500:0.1", "500:0.2"], "twice"),
        (["500:0.6", "503:0.6"], "more than 1"),
    ],
)
def test_parse_faults_rejects_bad_specs(specs: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_faults(specs)


def test_fault_choice_is_deterministic_and_spares_reads() -> None:
    faults = {"500": 0.2, "reset-after-commit": 0.3}
    first = [choose_fault(SandboxRng(7), faults, is_write=True) for _ in range(1)]
    rng_a, rng_b = SandboxRng(7), SandboxRng(7)
    run_a = [choose_fault(rng_a, faults, is_write=True) for _ in range(200)]
    run_b = [choose_fault(rng_b, faults, is_write=True) for _ in range(200)]
    assert run_a == run_b and run_a[:1] == first
    assert 20 < run_a.count("500") < 60 and 35 < run_a.count("reset-after-commit") < 85
    reads = SandboxRng(7)
    assert "reset-after-commit" not in {
        choose_fault(reads, faults, is_write=False) for _ in range(200)
    }
    assert choose_fault(SandboxRng(1), {}, is_write=True) is None


@pytest.mark.parametrize(
    ("method", "path", "read"),
    [
        ("GET", "/V1.0/Companies/1", True),
        ("POST", "/V1.0/Companies/query", True),
        ("POST", "/v1.0/companies/QUERY/count", True),
        ("POST", "/V1.0/Companies/query/next", True),
        ("POST", "/V1.0/Companies", False),
        ("PATCH", "/V1.0/Companies", False),
        ("DELETE", "/V1.0/CompanyWebhooks/3", False),
    ],
)
def test_reads_and_writes(method: str, path: str, read: bool) -> None:
    assert is_read_request(method, path) is read


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080/hook", True),
        ("http://127.9.8.7/hook", True),
        ("https://localhost/hook", True),
        ("http://[::1]:9000/x", True),
        ("https://acme.salesbuildr.com/webhooks/autotask", False),
        ("http://10.0.0.1/hook", False),
        ("http://127.0.0.1@evil.example/hook", False),
        ("ftp://127.0.0.1/x", False),
        ("http://127.0.0.1:99999/x", False),
        ("not a url", False),
    ],
)
def test_loopback_urls(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


async def _nothing(request: Request, params: dict[str, str]) -> Response:
    return Response()


def test_router_prefers_literals_and_matches_case_insensitively() -> None:
    router = TemplateRouter(case_insensitive=True)
    router.add("GET", "/V1.0/Companies/{id}", _nothing)
    router.add("GET", "/V1.0/Companies/query", _nothing)
    router.add("POST", "/V1.0/Companies/query", _nothing)
    router.declare("/V1.0/BillingCodes")
    found = router.match("get", "/v1.0/COMPANIES/query")
    assert found is not None and found.key == "GET /V1.0/Companies/query"
    by_id = router.match("GET", "/V1.0/companies/42")
    assert by_id is not None and by_id.params == {"id": "42"}
    assert router.match("GET", "/V1.0/Companies/abc") is None, "ids are integers"
    with pytest.raises(MethodNotAllowedError) as excinfo:
        router.match("DELETE", "/V1.0/Companies/query")
    assert excinfo.value.allowed == ["GET", "POST"]
    with pytest.raises(MethodNotAllowedError):
        router.match("POST", "/V1.0/BillingCodes")
    assert router.endpoint_key("POST", "/V1.0/companies/Query") == "POST /V1.0/Companies/query"
    assert router.endpoint_key("PUT", "/V1.0/Companies/query") is None
    with pytest.raises(ValueError, match="twice"):
        router.add("GET", "/V1.0/Companies/{id}", _nothing)


def test_stats_count_requests_writes_and_in_flight() -> None:
    stats = RequestStats()
    stats.count("GET /a", is_write=False)
    stats.count("POST /a", is_write=True)
    stats.count(None, is_write=True)
    assert stats.enter("GET /a", "a", 2) and stats.enter("GET /a", "a", 2)
    assert not stats.enter("GET /a", "a", 2)
    stats.leave("GET /a", "a")
    assert stats.snapshot() == {
        "requests": 3,
        "writes": 2,
        "endpoints": {
            "GET /a": {"requests": 1, "max_in_flight": 2},
            "POST /a": {"requests": 1, "max_in_flight": 0},
        },
    }
    stats.reset()
    assert stats.snapshot() == {"requests": 0, "writes": 0, "endpoints": {}}


class TinyApp:
    """One resource behind SandboxMiddleware: GET reads, POST appends (a committed write)."""

    def __init__(self, gate: threading.Event | None = None, **options: Any) -> None:
        """``gate``: when given, every ``/things`` request waits for it inside the app (holding
        its in-flight slot, without blocking the server's other requests)."""
        self.items: list[int] = []
        self.resets: list[str] = []
        self.stats = RequestStats()
        self.router = TemplateRouter()
        self.router.add("GET", "/things", _nothing)
        self.router.add("POST", "/things", _nothing)

        async def things(request: Request) -> Response:
            while gate is not None and not gate.is_set():
                await asyncio.sleep(0.01)
            if request.method == "POST":
                self.items.append(len(self.items))
            return JSONResponse({"items": self.items})

        def reset(seed: str) -> None:
            if seed != "empty":
                raise ValueError(f"unknown seed {seed!r}")
            self.resets.append(seed)

        inner = Starlette(
            routes=[
                *control_routes(stats=self.stats, reset=reset),
                Route("/things", things, methods=["GET", "POST"]),
            ]
        )
        self.app = SandboxMiddleware(
            inner,
            endpoint_key=self.router.endpoint_key,
            stats=self.stats,
            rng=SandboxRng(0),
            **options,
        )


@pytest.fixture
def tiny(serve: Callable[[Any], RunningServer]) -> Iterator[Callable[..., tuple[TinyApp, str]]]:
    apps: list[TinyApp] = []

    def start(**options: Any) -> tuple[TinyApp, str]:
        app = TinyApp(**options)
        apps.append(app)
        return app, serve(app.app).url

    yield start
    for app in apps:
        app.app.close()


def test_thread_limit_rejects_beyond_the_limit(tiny: Callable[..., tuple[TinyApp, str]]) -> None:
    """Two requests hold their slots (at a gate) until the other three were refused, so all
    five overlap however slowly a busy machine starts the threads."""
    gate = threading.Event()
    _app, url = tiny(gate=gate, thread_limit=2)
    results: list[int] = []
    lock = threading.Lock()
    with httpx.Client(base_url=url, timeout=120) as client:

        def call() -> None:
            status = client.get("/things").status_code
            with lock:
                results.append(status)

        threads = [threading.Thread(target=call) for _ in range(5)]
        for thread in threads:
            thread.start()
        try:
            wait_for(lambda: len(results) >= 3, what=f"three answers (have {results})")
            assert results == [429, 429, 429]
        finally:
            gate.set()
            for thread in threads:
                thread.join(120)
        assert sorted(results) == [200, 200, 429, 429, 429]
        assert (
            client.get("/_sandbox/stats").json()["endpoints"]["GET /things"]["max_in_flight"] == 2
        )


def test_injected_errors_and_control_routes_are_never_faulted(
    tiny: Callable[..., tuple[TinyApp, str]],
) -> None:
    app, url = tiny(faults={"500": 1.0})
    with httpx.Client(base_url=url) as client:
        response = client.get("/things")
        assert response.status_code == 500 and response.json()["errors"]
        assert client.get("/_sandbox/stats").status_code == 200
        assert client.post("/_sandbox/reset", json={"seed": "empty"}).json() == {"seed": "empty"}
        assert client.post("/_sandbox/reset", json={"seed": "nope"}).status_code == 400
        assert client.post("/_sandbox/reset", content=b"[").status_code == 400
        assert client.post("/_sandbox/usage", json={"count": 1}).status_code == 404
        assert client.get("/_sandbox/stats").json()["requests"] == 0, "reset zeroes the stats"
        app.app.faults = {"503": 1.0}
        assert client.get("/things").status_code == 503
        app.app.faults = {"429": 1.0}
        assert client.get("/things").status_code == 429


def test_reset_after_commit_commits_then_drops(tiny: Callable[..., tuple[TinyApp, str]]) -> None:
    app, url = tiny(faults={"reset-after-commit": 1.0})
    with httpx.Client(base_url=url) as client:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.post("/things")
        assert app.items == [0], "the write was committed"
        assert client.get("/things").json() == {"items": [0]}, "reads are never reset"


def test_timeout_holds_until_the_client_gives_up(tiny: Callable[..., tuple[TinyApp, str]]) -> None:
    # A hold far beyond the client's read timeout, then a client far more patient than the hold:
    # which side ends first never depends on how promptly a busy machine runs either.
    app, url = tiny(faults={"timeout": 1.0}, timeout_hold_s=600)
    with httpx.Client(base_url=url) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get("/things", timeout=httpx.Timeout(30, read=0.1))
        app.app.timeout_hold_s = 0.3
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.get("/things", timeout=120)
        app.app.faults = {}
        assert client.get("/things").status_code == 200


def test_callouts_go_to_loopback_only(receiver: Any) -> None:
    sender = CalloutSender(timeout_s=30)
    try:
        sender.submit("https://hooks.example.com/x", b'{"a":1}', {})
        sender.submit(receiver.url + "/ok", b'{"b":2}', {"X-Test": "1"})
        assert sender.wait_idle(60)
        records = sender.records()
        assert records[0]["delivered"] is False and "never contacted" in records[0]["error"]
        assert records[1]["delivered"] is True and records[1]["status"] == 200
        assert records[1]["payload"] == {"b": 2}
        got = receiver.wait_for(1)
        assert [r.path for r in got] == ["/ok"] and got[0].headers["x-test"] == "1"
        receiver.status = 500
        sender.submit(receiver.url + "/fail", b"{}", {})
        assert sender.wait_idle(60)
        assert sender.records()[-1]["delivered"] is False
        assert sender.records()[-1]["error"] == "HTTP 500"
    finally:
        sender.close()


def test_the_sandbox_imports_nothing_else_of_reconciler() -> None:
    """The simulators are the other side of the wire: they never share code with the client."""
    package = Path(reconciler.sandbox.__file__).parent
    for source in sorted(package.rglob("*.py")):
        tree = ast.parse(source.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name == "reconciler" or name.startswith("reconciler."):
                    assert name.startswith("reconciler.sandbox"), f"{source.name} imports {name}"
