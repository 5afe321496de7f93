"""The rig of the reliability suite: a sandbox with recognisable secrets, real `reconcile`
subprocesses, targeted faults, and the "nothing lost" checks.

Every apply in this suite runs as a real process (``python -m reconciler``) against the sandbox's
simulators over loopback HTTP, so SIGKILL, two processes racing for the lock and the journal's
fsync are the real thing. The sandbox itself runs in the test process, which is what lets a test
change its faults, latency and limits while a subprocess is talking to it.

"Nothing lost" (shared/reference/limits-and-reliability.md B6) is checked through the simulators'
own APIs, never through reconcile: every write the server accepted is in the journal or is found
by natural key by the next plan; no natural key has two remote objects; a re-plan shows exactly the
work left; no secret value appears in any output or file (every run is scanned as it finishes,
every working directory when its test ends).
"""

from __future__ import annotations

import contextvars
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import polling
from scenario_world import LOCK, World

from reconciler.sandbox.autotask import SandboxCredentials
from reconciler.sandbox.common import FAULT_KINDS, Sandbox, validate_faults

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mappings.yaml"

# --- recognisable secrets -------------------------------------------------------------------------

SECRETS = SandboxCredentials(
    autotask_username="rt-api-user-q7w3@acme-it.example",
    autotask_secret="RT-AUTOTASK-SECRET-6d1f0c9e",
    autotask_integration_code="RTAUTOTASKINTEGRATIONCODE6D1F0C9E",
    salesbuildr_api_key="RT-SALESBUILDR-API-KEY-6d1f0c9e",
    salesbuildr_webhook_secret="RT-RECEIVER-SECRET-6d1f0c9e",
)
"""The sandbox's credentials in this suite: every value is recognisable, so a scan finds it."""

EXTRA_SECRETS = {
    "WEBHOOK_SECRET_SB_EXTERNAL": "RT-EXTERNAL-HOOK-SECRET-6d1f0c9e",
    "RT_ROTATED_SECRET": "RT-ROTATED-SECRET-6d1f0c9e",
}
"""Secrets the YAML of some tests references with ``${env:NAME}`` (always set in the runs)."""


def secret_values() -> list[str]:
    """Every secret value the suite uses (the API user name included: it is a credential)."""
    return [
        SECRETS.autotask_username,
        SECRETS.autotask_secret,
        SECRETS.autotask_integration_code,
        SECRETS.salesbuildr_api_key,
        SECRETS.salesbuildr_webhook_secret,
        *EXTRA_SECRETS.values(),
    ]


def secrets_in(text: str) -> list[str]:
    return [value for value in secret_values() if value in text]


TRANSCRIPTS: list[tuple[str, str]] = []
"""(what, text) of every run and file this session saw, for the final secret scan."""


# --- running reconcile ----------------------------------------------------------------------------

CLEARED_PREFIXES = ("RECONCILE_", "AUTOTASK_", "SALESBUILDR_", "WEBHOOK_SECRET_", "RT_")


def base_environment(sandbox: Sandbox) -> dict[str, str]:
    """The process environment of a run: ours minus anything that could steer reconcile, plus
    the sandbox's variables and the suite's extra secrets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_PREFIXES)}
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(proxy, None)
    env.update(sandbox.env)
    env.update(EXTRA_SECRETS)
    env["NO_COLOR"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Run:
    """A finished ``reconcile`` process."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return (
            f"$ reconcile {' '.join(self.args)}  -> {self.returncode}\n{self.stdout}{self.stderr}"
        )


@dataclass
class Process:
    """A running ``reconcile`` process; its output goes to files (no pipe can fill up)."""

    args: tuple[str, ...]
    popen: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    started: float
    files: tuple[IO[bytes], IO[bytes]]

    @property
    def pid(self) -> int:
        return self.popen.pid

    def kill(self) -> None:
        """SIGKILL: no handler, no cleanup, no lock release, no journal close."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def wait(self, timeout: float = 120) -> Run:
        try:
            code = self.popen.wait(timeout=timeout)
        finally:
            for handle in self.files:
                handle.close()
        run = Run(
            self.args,
            code,
            self.stdout_path.read_text(encoding="utf-8", errors="replace"),
            self.stderr_path.read_text(encoding="utf-8", errors="replace"),
            time.monotonic() - self.started,
        )
        _checked(run, allow_kill=code == -signal.SIGKILL)
        return run


def _checked(run: Run, *, allow_kill: bool = False) -> Run:
    TRANSCRIPTS.append((run.output[:200], run.stdout + run.stderr))
    leaked = secrets_in(run.stdout + run.stderr)
    assert not leaked, f"secret value(s) {leaked} printed by:\n{run.output}"
    if "--debug" not in run.args:
        assert "Traceback" not in run.stderr, run.output
        assert "internal error" not in run.stderr, run.output
    if not allow_kill:
        assert run.returncode >= 0, run.output
    return run


class Reconcile:
    """Starts ``python -m reconciler`` in a working directory with the sandbox's environment."""

    def __init__(self, sandbox: Sandbox, workdir: Path):
        self.sandbox = sandbox
        self.workdir = workdir
        self.processes: list[Process] = []
        self._logs = 0

    def environment(self, env: Mapping[str, str | None] | None = None) -> dict[str, str]:
        merged = base_environment(self.sandbox)
        for name, value in (env or {}).items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        return merged

    def __call__(
        self, *args: str, env: Mapping[str, str | None] | None = None, timeout: float = 120
    ) -> Run:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=self.workdir,
            env=self.environment(env),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        return _checked(
            Run(
                tuple(args),
                done.returncode,
                done.stdout.decode("utf-8", errors="replace"),
                done.stderr.decode("utf-8", errors="replace"),
                time.monotonic() - started,
            )
        )

    def start(self, *args: str, env: Mapping[str, str | None] | None = None) -> Process:
        self._logs += 1
        logs = self.workdir / "logs"
        logs.mkdir(exist_ok=True)
        out_path = logs / f"run{self._logs}.stdout"
        err_path = logs / f"run{self._logs}.stderr"
        out, err = out_path.open("wb"), err_path.open("wb")
        popen = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *args],
            cwd=self.workdir,
            env=self.environment(env),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
        process = Process(tuple(args), popen, out_path, err_path, time.monotonic(), (out, err))
        self.processes.append(process)
        return process

    def reap(self) -> None:
        """Kill and wait for whatever a failed test left running."""
        for process in self.processes:
            if process.popen.poll() is None:
                process.popen.kill()
            process.popen.wait(timeout=30)
            for handle in process.files:
                if not handle.closed:
                    handle.close()


# --- the world a test looks at -------------------------------------------------------------------


def journal_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a journal; each must be a complete JSON object (fsync per line)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def pending(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [c for c in plan["changes"] if c["action"] != "no-op"]


def plan_shape(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What a plan says, without what differs run to run (time, call counts, ports)."""
    return sorted(
        (
            {k: c.get(k) for k in ("address", "action", "diff", "before", "after", "ids")}
            for c in plan["changes"]
        ),
        key=lambda c: str(c["address"]),
    )


WEBHOOK_PREFIXES = ("Company", "Contact", "ConfigurationItem", "Ticket", "TicketNote")
CHILD_KEYS = {"Fields": "fieldID", "UdfFields": "udfFieldID", "ExcludedResources": "resourceID"}


def natural_key_duplicates(world: World) -> list[str]:
    """Every natural key with more than one remote object (webhooks by entity + name, their
    children by webhook + field, inventory locations by name), read through the APIs."""
    found: list[str] = []

    def twice(kind: str, keys: Sequence[Any]) -> None:
        seen: set[Any] = set()
        for key in keys:
            if key in seen:
                found.append(f"{kind}: {key!r} exists more than once")
            seen.add(key)

    for prefix in WEBHOOK_PREFIXES:
        hooks = world.query(f"{prefix}Webhooks")
        twice(f"{prefix}Webhooks", [str(h["name"]).casefold() for h in hooks])
        ids = [int(h["id"]) for h in hooks]
        for child, id_field in CHILD_KEYS.items():
            if prefix == "TicketNote" and child == "UdfFields":
                continue
            rows = world.children(f"{prefix}Webhook{child}", ids)
            twice(f"{prefix}Webhook{child}", [(r["webhookID"], r[id_field]) for r in rows])
    locations = world.query("InventoryLocations")
    twice(
        "InventoryLocations",
        [" ".join(str(r["locationName"]).split()).casefold() for r in locations],
    )
    return found


def live_object_ids(world: World) -> dict[int, str]:
    """id -> what, for every Autotask object reconcile may create (webhooks, their children,
    inventory locations)."""
    ids: dict[int, str] = {}
    for prefix in WEBHOOK_PREFIXES:
        hooks = world.query(f"{prefix}Webhooks")
        for hook in hooks:
            ids[int(hook["id"])] = f"{prefix}Webhooks {hook['name']}"
        for child, id_field in CHILD_KEYS.items():
            if prefix == "TicketNote" and child == "UdfFields":
                continue
            for row in world.children(f"{prefix}Webhook{child}", [int(h["id"]) for h in hooks]):
                ids[int(row["id"])] = f"{prefix}Webhook{child} {row['webhookID']}/{row[id_field]}"
    for row in world.query("InventoryLocations"):
        ids[int(row["id"])] = f"InventoryLocations {row['locationName']}"
    return ids


def lock_holder(world: World) -> dict[str, Any] | None:
    response = world.salesbuildr.get(LOCK)
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


wait_for = polling.wait_for  # the one polling helper of the suite (tests/polling.py)


# --- targeted faults ------------------------------------------------------------------------------

_TARGETED: contextvars.ContextVar[bool] = contextvars.ContextVar("rt_targeted", default=False)


class _ScriptedRng:
    """Stands in for the middleware's SandboxRng: every draw of a targeted request is 0.0 (the
    fault happens), every other draw 1.0 (it does not)."""

    def random(self) -> float:
        return 0.0 if _TARGETED.get() else 1.0

    def chance(self, rate: float) -> bool:
        return rate > 0 and self.random() < rate

    def reseed(self, seed: int) -> None:
        return None


Selector = Callable[[str, int], bool]
"""``(endpoint key, n-th request to that key since the fault was armed) -> fault it?``"""


class TargetedFaults:
    """Inject one fault kind into exactly the requests a selector picks, through the sandbox's
    own fault machinery (SandboxMiddleware).

    The sandbox draws faults at a rate from a seeded RNG; with reads running concurrently, which
    request a rate hits is not reproducible. For "the 2nd field POST of this webhook fails" or
    "this one create loses its answer" the test replaces the middleware's RNG with a scripted one
    and learns each request's endpoint key from the middleware's ``endpoint_key`` hook (the key
    travels to the fault draw in a context variable: uvicorn runs each request in its own task).
    Everything else (what a ``timeout`` or ``reset-after-commit`` does on the wire) is the
    sandbox's.
    """

    def __init__(self, simulator: Any):
        self.middleware = simulator.middleware
        self.simulator = simulator
        self.counts: dict[str, int] = {}
        self.hits: list[str] = []
        self._saved: tuple[Any, Any, Any] | None = None

    def arm(self, kind: str, selector: Selector) -> TargetedFaults:
        assert kind in FAULT_KINDS, kind
        middleware = self.middleware
        if self._saved is None:
            self._saved = (middleware.endpoint_key, middleware.rng, middleware.faults)
        original_key = self._saved[0]

        def endpoint_key(method: str, path: str) -> str | None:
            key: str | None = original_key(method, path)
            name = key or f"{method} {path}"
            self.counts[name] = self.counts.get(name, 0) + 1
            chosen = selector(name, self.counts[name])
            if chosen:
                self.hits.append(f"{name} #{self.counts[name]}")
            _TARGETED.set(chosen)
            return key

        middleware.endpoint_key = endpoint_key
        middleware.rng = _ScriptedRng()
        if hasattr(self.simulator, "rng"):
            self.simulator.rng = middleware.rng
        middleware.faults = validate_faults({kind: 1.0})
        return self

    def disarm(self) -> None:
        if self._saved is None:
            return
        middleware = self.middleware
        middleware.endpoint_key, middleware.rng, middleware.faults = self._saved
        if hasattr(self.simulator, "rng"):
            self.simulator.rng = middleware.rng
        self._saved = None


def nth(key: str, *numbers: int) -> Selector:
    """Fault the given occurrences (1-based) of requests to one endpoint key."""
    return lambda name, n: name == key and n in numbers


def every(key: str) -> Selector:
    return lambda name, n: name == key


def writes_to(keys: Sequence[str]) -> Selector:
    """Fault the first request to each of ``keys`` (its re-send goes through)."""
    return lambda name, n: name in keys and n == 1


# --- the rig --------------------------------------------------------------------------------------


@dataclass
class Rig:
    """One test's view: the sandbox, `reconcile`, the live state, and the working directory."""

    sandbox: Sandbox
    world: World
    reconcile: Reconcile
    workdir: Path
    faults: dict[str, TargetedFaults] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Rig(workdir={self.workdir})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis prints with it
        printer.text(repr(self))

    @property
    def autotask(self) -> Any:
        return self.sandbox.autotask

    @property
    def salesbuildr(self) -> Any:
        return self.sandbox.salesbuildr

    def write(self, text: str, name: str = "mappings.yaml") -> Path:
        return self.world.write(text, name)

    def example(self, *replacements: tuple[str, str], name: str = "mappings.yaml") -> Path:
        text = EXAMPLE.read_text(encoding="utf-8")
        for old, new in replacements:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        return self.write(text, name)

    def plan(self, config: Path, out: str = "plan.json") -> dict[str, Any]:
        """`reconcile plan CONFIG --out OUT`; the saved plan as a dict."""
        planned = self.reconcile("plan", str(config), "--out", out)
        assert planned.returncode == 0, planned.output
        return self.plan_json(out)

    def plan_json(self, path: str = "plan.json") -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.workdir / path).read_text(encoding="utf-8"))
        return data

    def replan_is_empty(self, config: Path) -> bool:
        again = self.reconcile("plan", str(config), "--detailed-exitcode")
        assert again.returncode in (0, 2, 3), again.output
        return again.returncode == 0

    def targeted(self, system: str) -> TargetedFaults:
        simulator = self.autotask if system == "autotask" else self.salesbuildr
        if system not in self.faults:
            self.faults[system] = TargetedFaults(simulator)
        return self.faults[system]

    def control(self, system: str) -> str:
        """Base URL of a simulator's ``/_sandbox/`` control surface."""
        if system == "autotask":
            return self.sandbox.env["AUTOTASK_API_URL"].removesuffix("/atservicesrest")
        return self.sandbox.env["SALESBUILDR_API_URL"].removesuffix("/public-api")

    def stats(self, system: str) -> dict[str, Any]:
        response = self.world.autotask.get(self.control(system) + "/_sandbox/stats")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def endpoint_requests(self, system: str, key: str) -> int:
        return int(self.stats(system)["endpoints"].get(key, {}).get("requests", 0))


def scan_directory(root: Path) -> list[str]:
    """Every file under ``root`` holding a secret value (plans, journals, exports, logs)."""
    found: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        TRANSCRIPTS.append((str(path), text))
        found += [f"{path}: {value}" for value in secrets_in(text)]
    return found


def iter_files(root: Path) -> Iterator[Path]:
    yield from sorted(p for p in root.rglob("*") if p.is_file())
