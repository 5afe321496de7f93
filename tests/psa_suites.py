"""The rig of the per-PSA reliability and hostile-PR suites, and the PSAs they run for.

Each scenario is written once and runs for every PSA of :data:`CASES`: every registered PSA
whose plugin names a suite case (``Psa.fixtures``, :class:`reconciler.psa.base.TestFixtures`).
The case (:class:`tests.reliability.psa_case.PsaCase`) is the PSA's data: the objects it holds
for Salesbuildr (callbacks, webhooks) and how an admin plants one, the write they take, the
variables that name hosts; the plugin adds its simulator, its example file and the hostile
inputs. Each test gets the PSA's simulator and the Salesbuildr one started as ``reconcile
sandbox --psa NAME`` starts them (loopback, in this process, so a test can change their
faults, rate caps and answers while a real ``python -m reconciler`` subprocess talks to them),
with credentials a scan recognises.

Every run's stdout and stderr, and every file a test leaves in its working directory, is scanned
for the secrets when the run or the test ends.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
import yaml
from starlette.types import Message, Receive, Scope, Send

from reconciler.psa import registry
from reconciler.psa.base import Psa
from reconciler.sandbox.common import Sandbox, is_read_request, register_simulator
from tests.polling import wait_for
from tests.reliability.psa_case import PsaCase

REPO = Path(__file__).resolve().parents[1]
RUN_TIMEOUT_S = 600.0  # a bound on a hung run, far beyond what any machine needs


def resolve(reference: str) -> Any:
    """The object a ``module:name`` string names."""
    module, sep, name = reference.partition(":")
    assert sep and module and name, f"expected 'module:name', not {reference!r}"
    return getattr(importlib.import_module(module), name)


def suite_case(psa: Psa) -> PsaCase:
    """The PSA's case, completed from its plugin: name, simulator, example, hostile inputs."""
    fixtures = psa.fixtures
    case = resolve(fixtures.suite_case)
    assert isinstance(case, PsaCase), f"{fixtures.suite_case} is not a PsaCase"
    assert psa.simulator is not None, f"{psa.name} names a suite case but no simulator"
    assert fixtures.example_config, f"{psa.name} names a suite case but no example"
    hostile = tuple(resolve(fixtures.hostile_inputs)) if fixtures.hostile_inputs else ()
    return dataclasses.replace(
        case,
        name=psa.name,
        hook=psa.simulator.launcher,
        example=REPO / fixtures.example_config,
        hostile=hostile,
    )


CASES: tuple[PsaCase, ...] = tuple(
    suite_case(psa) for psa in registry.installed().values() if psa.fixtures.suite_case
)
"""Every PSA in the suites, in the registry's order."""


def cases(predicate: Callable[[PsaCase], bool]) -> Any:
    """``@cases(lambda c: ...)``: a test run for the PSAs the predicate keeps (a scenario that
    does not apply to a PSA is not collected for it, rather than skipped)."""
    kept = [case for case in CASES if predicate(case)]
    return pytest.mark.parametrize("psa", kept, indirect=True, ids=str)


# --- running reconcile ----------------------------------------------------------------------------

CLEARED_PREFIXES = (
    "RECONCILE_", "AUTOTASK_", "SALESBUILDR_", "CONNECTWISE_", "HALOPSA_", "WEBHOOK_SECRET_",
)  # fmt: skip


@dataclass
class Run:
    """A finished ``reconcile`` process."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return f"$ reconcile {' '.join(self.args)} -> {self.returncode}\n{self.stdout}{self.stderr}"


@dataclass
class Process:
    """A running ``reconcile`` process; its output goes to files (no pipe can fill up)."""

    args: tuple[str, ...]
    popen: subprocess.Popen[bytes]
    out: Path
    err: Path
    files: tuple[IO[bytes], IO[bytes]]

    def kill(self) -> None:
        """SIGKILL: no handler, no cleanup, no lock release."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=60)

    def wait(self) -> Run:
        try:
            code = self.popen.wait(timeout=RUN_TIMEOUT_S)
        finally:
            for handle in self.files:
                handle.close()
        return Run(
            self.args,
            code,
            self.out.read_text(encoding="utf-8", errors="replace"),
            self.err.read_text(encoding="utf-8", errors="replace"),
        )


@dataclass
class PsaRig:
    """One fresh sandbox of one PSA, a working directory with its example, real subprocesses."""

    case: PsaCase
    sandbox: Sandbox
    workdir: Path
    runs: list[Run] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)

    @property
    def simulator(self) -> Any:
        return self.sandbox.psa_simulator

    @property
    def env(self) -> dict[str, str]:
        """The sandbox's variables and the test's knobs, as an operator would export them."""
        return {**self.sandbox.env, **self.case.fast}

    def environment(self, extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
        merged = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_PREFIXES)}
        for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            merged.pop(proxy, None)
        merged.update(self.env)
        merged.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})
        for name, value in (extra or {}).items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        return merged

    def start(self, *args: str, env: Mapping[str, str | None] | None = None) -> Process:
        n = len(self.processes)
        out, err = self.workdir / f".run{n}.out", self.workdir / f".run{n}.err"
        files = (out.open("wb"), err.open("wb"))
        popen = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *args],
            cwd=self.workdir,
            env=self.environment(env),
            stdin=subprocess.DEVNULL,
            stdout=files[0],
            stderr=files[1],
        )
        process = Process(tuple(args), popen, out, err, files)
        self.processes.append(process)
        return process

    def finished(self, process: Process, *, killed: bool = False) -> Run:
        run = process.wait()
        out, err = process.out, process.err
        out.unlink()
        err.unlink()
        self.runs.append(run)
        leaked = self.secrets_in(run.stdout + run.stderr)
        assert not leaked, f"secret value(s) {leaked} printed by:\n{run.output}"
        if "--debug" not in run.args:
            assert "Traceback" not in run.stdout + run.stderr, run.output
            assert "internal error" not in run.stderr, run.output
        if not killed:
            assert run.returncode >= 0, run.output
        return run

    def __call__(self, *args: str, env: Mapping[str, str | None] | None = None) -> Run:
        return self.finished(self.start(*args, env=env))

    def secrets_in(self, text: str) -> list[str]:
        return [value for value in self.case.secrets if value in text]

    def objects(self) -> list[dict[str, Any]]:
        return self.case.objects(self.env)

    def keys(self) -> list[str]:
        return sorted(str(row[self.case.key]) for row in self.objects())

    def plant(self, name: str) -> None:
        self.case.plant(self.env, name)

    def salesbuildr(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.env["SALESBUILDR_API_URL"],
            headers={"api-key": self.env["SALESBUILDR_API_KEY"]},
            timeout=30.0,
            trust_env=False,
        )

    @property
    def lock_path(self) -> str:
        return f"/integration/{self.case.name}/lock"

    def lock_holder(self) -> dict[str, Any] | None:
        with self.salesbuildr() as api:
            response = api.get(self.lock_path)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        holder: dict[str, Any] = response.json()
        return holder

    def psa_writes(self) -> int:
        """Writes the PSA's simulator answered (Halo's token POST and Autotask's POST queries
        are not writes)."""
        endpoints = self.simulator.stats()["endpoints"]
        return sum(
            e["requests"]
            for key, e in endpoints.items()
            if not is_read_request(*key.split(" ", 1)) and "/token" not in key
        )

    def settings_writes(self) -> int:
        """Settings documents PUT to Salesbuildr (the lock's PUT and DELETE are not counted)."""
        endpoints = self.sandbox.salesbuildr.stats()["endpoints"]
        return sum(
            e["requests"] for k, e in endpoints.items() if k.startswith("PUT") and "/settings/" in k
        )

    def plan_json(self, name: str = "plan.json") -> dict[str, Any]:
        document: dict[str, Any] = json.loads((self.workdir / name).read_text(encoding="utf-8"))
        return document

    def replan_is_empty(self, config: str = "mappings.yaml") -> bool:
        return self("plan", config, "--detailed-exitcode").returncode == 0

    def journals(self) -> list[dict[str, Any]]:
        files = [*self.workdir.glob("*.journal.jsonl"), *self.workdir.glob(".reconcile/*.jsonl")]
        return [json.loads(line) for f in sorted(files) for line in f.read_text().splitlines()]

    def desired_keys(self, config: str = "mappings.yaml") -> list[str]:
        """The natural keys of the case's section in the working directory's ``config``."""
        document: dict[str, Any] = yaml.safe_load((self.workdir / config).read_text())
        return sorted(document[self.case.section])

    def missing(self) -> list[str]:
        """The desired objects the PSA does not hold yet: what an apply creates."""
        return sorted(set(self.desired_keys()) - set(self.keys()))

    def creates(self) -> list[dict[str, Any]]:
        """The journal's creates of the case's objects (not of other sections' rows)."""
        prefix = f"{self.case.section}["
        return [
            r
            for r in self.journals()
            if r["action"] == "create"
            and any(a.startswith(prefix) for a in r["addresses"])
            and self.case.journal_create(r["request"])
        ]

    def assert_converged(self) -> None:
        """Each desired object live once (nothing duplicated, nothing else kept), an empty
        re-plan, the lock released."""
        keys = self.keys()
        assert keys == self.desired_keys(), keys
        assert self.replan_is_empty()
        assert self.lock_holder() is None

    def reap(self) -> None:
        for process in self.processes:
            if process.popen.poll() is None:
                process.kill()
            for handle in process.files:
                handle.close()

    def scan_files(self) -> list[str]:
        """``path: secret`` of every file under the working directory that holds a secret."""
        found = []
        for path in sorted(self.workdir.rglob("*")):
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                found += [f"{path.name}: {s}" for s in self.secrets_in(text)]
        return found


@pytest.fixture(params=CASES, ids=str)
def psa(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PsaRig]:
    """A fresh ``demo`` tenant of one PSA (every one of :data:`CASES`), its example copied into
    an empty working directory; processes reaped and files scanned for secrets at the end."""
    case: PsaCase = request.param
    register_simulator(case.name, case.hook)
    start = resolve(registry.get(case.name).fixtures.sandbox_factory)
    sandbox: Sandbox = start(psa=case.name, seed="demo", credentials=case.credentials())
    workdir = tmp_path / "work"
    workdir.mkdir()
    shutil.copy(case.example, workdir / "mappings.yaml")
    rig = PsaRig(case, sandbox, workdir)
    try:
        yield rig
    finally:
        rig.reap()
        sandbox.stop()
    leaked = rig.scan_files()
    assert not leaked, f"secret values in files: {leaked}"


# --- holding a request inside a simulator ---------------------------------------------------------


@contextmanager
def held_and_dropped(
    middleware: Any, selected: Callable[[str, str], bool]
) -> Iterator[threading.Event]:
    """Hold every ``selected`` (method, path) request inside the simulator (behind its
    middleware) until the block ends, then drop it without running the app: the write is never
    committed. Yields an event set when the first one arrived, so a test acts at a known point
    of an apply however slowly a busy machine runs it."""
    app = middleware.app
    arrived, done = threading.Event(), threading.Event()

    async def held(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and selected(scope["method"], scope["path"]):
            arrived.set()
            while not done.is_set():
                await asyncio.sleep(0.01)  # a yield to the loop, not a timing assumption
            return  # no answer: the client is gone by then
        await app(scope, receive, send)

    middleware.app = held
    try:
        yield arrived
    finally:
        done.set()
        middleware.app = app


@contextmanager
def held_then_answered(
    middleware: Any, selected: Callable[[str, str], bool]
) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Hold every ``selected`` (method, path) request inside the simulator until ``release``
    is set (at the latest when the block ends), then serve it as usual. Yields ``(arrived,
    release)``: ``arrived`` is set when the first one came in whole (its body read, so the
    client has sent everything and waits for the answer)."""
    app = middleware.app
    arrived, release = threading.Event(), threading.Event()

    async def held(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not selected(scope["method"], scope["path"]):
            await app(scope, receive, send)
            return
        messages = [await receive()]
        while messages[-1]["type"] == "http.request" and messages[-1].get("more_body"):
            messages.append(await receive())
        arrived.set()
        while not release.is_set():
            await asyncio.sleep(0.01)  # a yield to the loop, not a timing assumption

        async def replayed() -> Message:
            return messages.pop(0) if messages else await receive()

        await app(scope, replayed, send)

    middleware.app = held
    try:
        yield arrived, release
    finally:
        release.set()
        middleware.app = app


def wait_until(condition: Callable[[], bool], what: str) -> None:
    wait_for(condition, timeout=RUN_TIMEOUT_S, what=what)
