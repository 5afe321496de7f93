"""The per-PSA table and the rig of the ConnectWise and HaloPSA reliability and hostile-PR suites.

Each scenario is written once and runs for every row of :data:`CASES`: the PSA's simulator and
the Salesbuildr one started as ``reconcile sandbox --psa NAME`` starts them (loopback, in this
process, so a test can change their faults, rate caps and answers while a real ``python -m
reconciler`` subprocess talks to them), with credentials a scan recognises. What differs between
the PSAs is data here: the example file, the objects the PSA holds for Salesbuildr (callbacks,
webhooks) and how an admin plants one, the write they take, the variables that name hosts.

Every run's stdout and stderr, and every file a test leaves in its working directory, is scanned
for the secrets when the run or the test ends.
"""

from __future__ import annotations

import asyncio
import base64
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
from starlette.types import Receive, Scope, Send

from reconciler.sandbox.common import Sandbox, register_simulator, start_sandbox
from reconciler.sandbox.connectwise.launch import SandboxCredentials as CwSandboxCredentials
from reconciler.sandbox.connectwise.store import WriteError
from reconciler.sandbox.connectwise.wire import ConnectWiseCredentials
from reconciler.sandbox.halopsa.launch import HaloSandboxCredentials
from reconciler.sandbox.halopsa.store import WriteRefused
from tests.polling import wait_for

REPO = Path(__file__).resolve().parents[1]
WRITES = ("POST", "PUT", "PATCH", "DELETE")
RUN_TIMEOUT_S = 600.0  # a bound on a hung run, far beyond what any machine needs

SALESBUILDR_KEY = "RT-SALESBUILDR-API-KEY-6d1f0c9e"
RECEIVER_SECRET = "RT-RECEIVER-SECRET-6d1f0c9e"


def _cw_credentials() -> CwSandboxCredentials:
    return CwSandboxCredentials(
        connectwise=ConnectWiseCredentials(
            company="rtacme",
            public_key="RT-CW-PUBLIC-KEY-6d1f0c9e",
            private_key="RT-CW-PRIVATE-KEY-6d1f0c9e",
            client_id="RT-CW-CLIENT-ID-6d1f0c9e",
        ),
        salesbuildr_api_key=SALESBUILDR_KEY,
        salesbuildr_webhook_secret=RECEIVER_SECRET,
    )


def _halo_credentials() -> HaloSandboxCredentials:
    return HaloSandboxCredentials(
        client_id="RT-HALO-CLIENT-ID-6d1f0c9e",
        client_secret="RT-HALO-CLIENT-SECRET-6d1f0c9e",
        salesbuildr_api_key=SALESBUILDR_KEY,
        salesbuildr_webhook_secret=RECEIVER_SECRET,
    )


# --- what an admin does in each PSA ---------------------------------------------------------------


def _cw_client(env: Mapping[str, str]) -> httpx.Client:
    pair = f"{env['CONNECTWISE_COMPANY']}+{env['CONNECTWISE_PUBLIC_KEY']}:"
    pair += env["CONNECTWISE_PRIVATE_KEY"]
    return httpx.Client(
        base_url=env["CONNECTWISE_API_URL"],
        headers={
            "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
            "clientId": env["CONNECTWISE_CLIENT_ID"],
        },
        timeout=30.0,
        trust_env=False,
    )


def _cw_objects(env: Mapping[str, str]) -> list[dict[str, Any]]:
    with _cw_client(env) as api:
        rows: list[dict[str, Any]] = api.get("system/callbacks", params={"pageSize": 1000}).json()
    return rows


def _cw_plant(env: Mapping[str, str], name: str) -> None:
    body = {"description": name, "url": "http://127.0.0.1:9/cb", "type": "Company",
            "level": "Owner", "objectId": 1}  # fmt: skip
    with _cw_client(env) as api:
        planted = api.post("system/callbacks", json=body)
    assert planted.status_code == 201, planted.text


def _halo_client(env: Mapping[str, str]) -> httpx.Client:
    token = httpx.post(
        env["HALOPSA_AUTH_URL"] + "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": env["HALOPSA_CLIENT_ID"],
            "client_secret": env["HALOPSA_CLIENT_SECRET"],
            "scope": "all",
        },
        timeout=30.0,
        trust_env=False,
    ).json()["access_token"]
    return httpx.Client(
        base_url=env["HALOPSA_URL"] + "/api",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30.0,
        trust_env=False,
    )


def _halo_objects(env: Mapping[str, str]) -> list[dict[str, Any]]:
    with _halo_client(env) as api:
        body = api.get("/Webhook").json()
    rows = body if isinstance(body, list) else next(v for v in body.values() if isinstance(v, list))
    return list(rows)


def _halo_plant(env: Mapping[str, str], name: str) -> None:
    with _halo_client(env) as api:
        # One event, as an admin subscribes a webhook to (export states only those with one).
        hook = {"name": name, "url": "http://127.0.0.1:9/hook", "events": [{"eventno": 2}]}
        planted = api.post("/Webhook", json=[hook])
    assert planted.status_code in (200, 201), planted.text


def _cw_refuse(simulator: Any) -> None:
    """ConnectWise's own refusal of an invalid object: 400 InvalidObject naming the field."""

    def create(*args: Any, **kwargs: Any) -> dict[str, Any]:
        problem = {"code": "InvalidField", "message": "url is not a valid callback URL",
                   "resource": "Callback", "field": "url"}  # fmt: skip
        raise WriteError(400, "InvalidObject", "Callback object is invalid", [problem])

    simulator.store.create = create


def _halo_refuse(simulator: Any) -> None:
    """Halo's refusal of a webhook: a 422 whose message names the field."""

    def upsert(*args: Any, **kwargs: Any) -> list[Any]:
        raise WriteRefused("url: Please enter a valid URL.", 422)

    simulator.store.upsert = upsert


@dataclass(frozen=True)
class PsaCase:
    """What the suites need to know of one PSA (a row of :data:`CASES`)."""

    name: str
    hook: str
    example: Path
    credentials: Callable[[], Any]
    secrets: tuple[str, ...]
    """Every credential value of its sandbox (a scan must never find one)."""
    fast: Mapping[str, str]
    """Environment that takes the client-side rate cap out of a test that is not about it."""
    objects: Callable[[Mapping[str, str]], list[dict[str, Any]]]
    key: str
    """The natural key of :attr:`objects` (a callback's description, a webhook's name)."""
    plant: Callable[[Mapping[str, str], str], None]
    section: str
    """The section of the example whose objects :attr:`objects` lists."""
    write: Callable[[str, str], bool]
    """(method, path) of the PSA's create of one of :attr:`objects`."""
    refuse: Callable[[Any], None]
    """Make the simulator refuse those creates with its own validation answer."""
    refused_field: str
    url_variables: tuple[str, ...]
    max_name: int
    """How much of a planted name the PSA keeps."""

    def __str__(self) -> str:
        return self.name


CASES: tuple[PsaCase, ...] = (
    PsaCase(
        name="connectwise",
        hook="reconciler.sandbox.connectwise:sandbox_hook",
        example=REPO / "examples" / "connectwise" / "mappings.yaml",
        credentials=_cw_credentials,
        secrets=(
            "RT-CW-PUBLIC-KEY-6d1f0c9e",
            "RT-CW-PRIVATE-KEY-6d1f0c9e",
            "RT-CW-CLIENT-ID-6d1f0c9e",
            SALESBUILDR_KEY,
            RECEIVER_SECRET,
        ),
        fast={"CONNECTWISE_REQUESTS_PER_MINUTE": "1000000"},
        objects=_cw_objects,
        key="description",
        plant=_cw_plant,
        section="callbacks",
        write=lambda method, path: method == "POST" and path.lower().endswith("/system/callbacks"),
        refuse=_cw_refuse,
        refused_field="url",
        url_variables=("CONNECTWISE_API_URL",),
        max_name=100,
    ),
    PsaCase(
        name="halopsa",
        hook="reconciler.sandbox.halopsa:sandbox_hook",
        example=REPO / "examples" / "halopsa" / "mappings.yaml",
        credentials=_halo_credentials,
        secrets=(
            "RT-HALO-CLIENT-ID-6d1f0c9e",
            "RT-HALO-CLIENT-SECRET-6d1f0c9e",
            SALESBUILDR_KEY,
            RECEIVER_SECRET,
        ),
        fast={},
        objects=_halo_objects,
        key="name",
        plant=_halo_plant,
        section="webhooks",
        write=lambda method, path: method == "POST" and path.lower().endswith("/api/webhook"),
        refuse=_halo_refuse,
        refused_field="url",
        url_variables=("HALOPSA_URL", "HALOPSA_AUTH_URL"),
        max_name=255,
    ),
)

PSAS = pytest.mark.parametrize("case", CASES, ids=str)
"""Run a test once per PSA; the test takes ``psa`` (a :class:`PsaRig`) from the fixture."""


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
        """Writes the PSA's simulator answered (Halo's token POST is not a write)."""
        endpoints = self.simulator.stats()["endpoints"]
        return sum(
            e["requests"]
            for key, e in endpoints.items()
            if key.split(" ", 1)[0] in WRITES and "/token" not in key
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
    """A fresh ``demo`` tenant of one PSA (every row of :data:`CASES`), its example copied into
    an empty working directory; processes reaped and files scanned for secrets at the end."""
    case: PsaCase = request.param
    register_simulator(case.name, case.hook)
    sandbox = start_sandbox(psa=case.name, seed="demo", credentials=case.credentials())
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


def wait_until(condition: Callable[[], bool], what: str) -> None:
    wait_for(condition, timeout=RUN_TIMEOUT_S, what=what)
