"""W7/W8: a no-op ``plan`` of ConnectWise Manage and HaloPSA on their ``large`` seeds, held to
the lower bound of the reads it needs.

The simulators run in a child process (as :mod:`bench.sim` does for Autotask); the client here.
The live settings are exported first (unmeasured), then the export is planned, measured.

**The bound.** Every request the client makes is recorded with the rows its answer carried.
Requests are grouped into *listings* (one resource: method, path and the query minus its
paging parameters). A listing of ``R`` rows needs ``max(1, ceil(R / P))`` pages, ``P`` the page
size it asked for; a single object, one request; a listing below a parent the YAML does not name
(``PsaBench.scoped``: ConnectWise's board children, needed for the board the ticket settings
name, not for the other boards), none. That is the fewest requests (``LB``) and the
``calls/LB`` ratio. Its schedule under the real limits is the latency floor: ConnectWise pages
follow each other (``Link`` rel="next", forward-only), Halo's and Salesbuildr's follow page 1
and then run together (the count is in page 1); a listing below an id (``/boards/7/statuses``)
follows its parent collection; every HaloPSA request follows its token request; each system
holds its client's in-flight cap. The client-side rate cap adds its own floor (the ``n``-th
request of a window of ``r`` per ``w`` seconds starts no earlier than ``floor((n-1)/r) * w``).
``floor = max(latency floor, rate floor, (client + simulator CPU) / 2 cores)``.
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from click.testing import CliRunner

from bench import floors
from bench.measure import secrets_for
from bench.psa_specs import PsaBench, hook, spec_of
from reconciler import session
from reconciler.cli import cli
from reconciler.cli.psa_choice import registered_simulator
from reconciler.config import LoadedConfig, parse_config
from reconciler.kinds.names import fold
from reconciler.sandbox.common import register_simulator, start_sandbox

START_TIMEOUT_S = 60.0
CALL_TIMEOUT_S = 300.0
PAGING_PARAMS = frozenset({"page", "pageSize", "pageId", "page_no", "page_size", "pageinate"})
SIZE_PARAMS = ("pageSize", "page_size", "size")
OFFSET_PARAMS = frozenset({"from", "size"})  # Salesbuildr's: paging too


# --- the simulators, in a child process ---------------------------------------------------------


def _serve(conn: Connection, psa: str, seed: str, latency_ms: float) -> None:
    # The launcher imports no PSA: the PSA's own entry point names its simulator (as the CLI).
    register_simulator(psa, registered_simulator(psa))
    sandbox = start_sandbox(psa=psa, seed=seed, latency_ms=latency_ms)
    conn.send(sandbox.env)
    try:
        while True:
            name, _args = conn.recv()
            if name == "stop":
                break
            if name == "stats":
                conn.send(
                    (
                        "ok",
                        {"psa": sandbox.psa_simulator.stats(), "sb": sandbox.salesbuildr.stats()},
                    )
                )
            elif name == "cpu":
                conn.send(("ok", time.process_time()))
            else:
                conn.send(("error", f"unknown command {name}"))
    finally:
        sandbox.stop()
        conn.send(("ok", None))


class PsaSimulators:
    def __init__(self, psa: str, seed: str, latency_ms: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, psa, seed, latency_ms))
        self._process.start()
        child.close()
        if not self._conn.poll(START_TIMEOUT_S):
            self.stop()
            raise RuntimeError(f"the {psa} sandbox ({seed}) did not start")
        self.env: dict[str, str] = self._conn.recv()

    def call(self, name: str) -> Any:
        self._conn.send((name, ()))
        if not self._conn.poll(CALL_TIMEOUT_S):
            raise RuntimeError(f"the sandbox did not answer {name}")
        status, result = self._conn.recv()
        if status != "ok":
            raise RuntimeError(str(result))
        return result

    def stop(self) -> None:
        if self._process.is_alive():
            try:
                self._conn.send(("stop", ()))
                self._conn.poll(15)
            except (BrokenPipeError, OSError):
                pass
            self._process.join(15)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)

    def __enter__(self) -> PsaSimulators:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- recording --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    system: str
    listing: str
    rows: int | None  # None: not a page of a listing (one object, a token)
    page_size: int | None
    started: float
    ended: float
    method: str
    path: str


def _rows(body: Any) -> int | None:
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        if isinstance(body.get("results"), list):
            return len(body["results"])
        if "record_count" in body:
            lists = [v for v in body.values() if isinstance(v, list)]
            return len(lists[0]) if lists else 0
    return None


class Recording(httpx.BaseTransport):
    """An HTTP transport that records every request of one system (see :class:`Request`)."""

    def __init__(self, system: str, keep: Iterable[str] = ()) -> None:
        self.system = system
        self._inner = httpx.HTTPTransport()
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self._keep = tuple(keep)
        self.kept: dict[str, list[tuple[str, str]]] = {}
        """Per path suffix in ``keep``: (id, name) of every row its GET answers carried."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        response = self._inner.handle_request(request)
        content = response.read()
        ended = time.perf_counter()
        query = parse_qsl(request.url.query.decode(), keep_blank_values=True)
        kept = sorted((k, v) for k, v in query if k not in PAGING_PARAMS | OFFSET_PARAMS)
        sizes = [int(v) for k, v in query if k in SIZE_PARAMS and v.isdigit()]
        try:
            body = json.loads(content) if content else None
        except ValueError:
            body = None
        rows = _rows(body) if body is not None else None
        path = request.url.path
        if request.method == "GET" and isinstance(body, list):
            self._keep_rows(path, body)
        record = Request(
            system=self.system,
            listing=f"{request.method} {path}?{urlencode(kept)}",
            rows=rows if sizes or (rows is not None and request.method == "GET") else None,
            page_size=max(sizes) if sizes else None,
            started=started,
            ended=ended,
            method=request.method,
            path=path,
        )
        with self._lock:
            self.requests.append(record)
        return response

    def _keep_rows(self, path: str, body: list[Any]) -> None:
        for suffix in self._keep:
            if path.rstrip("/").endswith("/" + suffix.strip("/")):
                named = [
                    (str(row.get("id")), str(row.get("name", "")))
                    for row in body
                    if isinstance(row, dict)
                ]
                with self._lock:
                    self.kept.setdefault(suffix, []).extend(named)

    def close(self) -> None:
        self._inner.close()


# --- the bound --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    system: str
    key: str
    path: str
    method: str
    requests: int
    rows: int
    page_size: int | None

    @property
    def needed(self) -> int:
        if self.method != "GET" or self.page_size is None:
            return 1 if self.method == "GET" or self.path.endswith("/token") else self.requests
        return max(1, math.ceil(self.rows / self.page_size))


def listings(requests: Sequence[Request]) -> list[Listing]:
    grouped: dict[tuple[str, str], list[Request]] = {}
    for request in requests:
        grouped.setdefault((request.system, request.listing), []).append(request)
    found = []
    for (system, key), group in sorted(grouped.items()):
        sizes = [r.page_size for r in group if r.page_size is not None]
        found.append(
            Listing(
                system=system,
                key=key,
                path=group[0].path,
                method=group[0].method,
                requests=len(group),
                rows=sum(r.rows or 0 for r in group),
                page_size=max(sizes) if sizes else None,
            )
        )
    return found


def scoped_parents(
    spec: PsaBench, document: Any, kept: Mapping[str, Sequence[tuple[str, str]]]
) -> dict[str, set[str]]:
    """Per collection of ``spec.scoped``: the ids of the parents the YAML names there (a name,
    folded as the engine compares names, looked up in the rows recorded; or ``{id: N}``)."""
    found: dict[str, set[str]] = {}
    for collection, yaml_path in spec.scoped.items():
        value: Any = document
        for part in yaml_path.split("."):
            value = getattr(value, part, None)
        values = value if isinstance(value, list) else [] if value is None else [value]
        ids = {str(v.id) for v in values if hasattr(v, "id")}
        names = {fold(v) for v in values if isinstance(v, str)}
        ids |= {ident for ident, name in kept.get(collection, ()) if fold(name) in names}
        found[collection] = ids
    return found


def parent_id(path: str, collection: str) -> str | None:
    """The id a path is below in ``collection`` (``/x/service/boards/7/statuses`` -> ``7``)."""
    _, marker, tail = path.partition("/" + collection.strip("/") + "/")
    first, _, rest = tail.partition("/")
    return first if marker and first.isdigit() and rest else None


def needed(listing: Listing, parents: Mapping[str, set[str]]) -> int:
    """The requests ``listing`` needs: none when it is below a parent the YAML does not name."""
    for collection, ids in parents.items():
        parent = parent_id(listing.path, collection)
        if parent is not None and parent not in ids:
            return 0
    return listing.needed


def _parent(path: str, paths: set[str]) -> str | None:
    """The collection a path below an id belongs to (``/boards/7/statuses`` -> ``/boards``)."""
    parts = path.rstrip("/").split("/")
    for n in range(len(parts) - 1, 0, -1):
        if parts[n].isdigit():
            parent = "/".join(parts[:n])
            if parent in paths:
                return parent
    return None


def graph(found: Sequence[Listing], paging: Mapping[str, str]) -> floors.Graph:
    """The bound's requests as a graph (see the module docstring)."""
    g = floors.Graph()
    token_nodes: dict[str, list[int]] = {}
    for x in found:
        if x.path.endswith("/token"):
            token_nodes.setdefault(x.system, []).append(g.add(x.system, x.key, []))
    paths: dict[str, set[str]] = {}
    for x in found:
        paths.setdefault(x.system, set()).add(x.path)
    ends: dict[tuple[str, str], list[int]] = {}
    # Parents before children: a path below an id is longer than its collection's.
    for x in sorted(found, key=lambda x: (x.path.count("/"), x.key)):
        if x.path.endswith("/token"):
            continue
        before = list(token_nodes.get(x.system, []))
        parent = _parent(x.path, paths[x.system])
        if parent is not None:
            before += ends.get((x.system, parent), [])
        if paging.get(x.system) == "chain":
            previous = before
            for _ in range(x.needed):
                previous = [g.add(x.system, x.key, previous)]
            nodes = previous
        else:
            first = g.add(x.system, x.key, before)
            nodes = [g.add(x.system, x.key, [first]) for _ in range(x.needed - 1)] or [first]
        ends.setdefault((x.system, x.path), []).extend(nodes)
    return g


def rate_floor(requests: int, rate: tuple[int, float]) -> float:
    limit, window = rate
    return 0.0 if requests <= 0 else ((requests - 1) // limit) * window


class Uniform:
    """One latency for every system."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def of(self, system: str) -> float:
        return self.seconds


def limits_of(spec: PsaBench) -> floors.Limits:
    """The PSA client's in-flight cap, Salesbuildr's 4, both at once overall."""
    return floors.Limits(overall=spec.in_flight + 4, systems={spec.psa: spec.in_flight})


def bound(
    requests: Sequence[Request],
    spec: PsaBench,
    latency_s: float,
    parents: Mapping[str, set[str]] | None = None,
) -> dict[str, Any]:
    """The lower bound of ``requests`` (calls per system, latency and rate floors); with
    ``parents`` (:func:`scoped_parents`) a listing below a parent the YAML does not name needs
    nothing (:func:`needed`)."""
    found = listings(requests)
    need: Counter[str] = Counter()
    made: Counter[str] = Counter()
    kept: list[Listing] = []
    unneeded = Counter[str]()
    for x in found:
        n = needed(x, parents or {})
        need[x.system] += n
        made[x.system] += x.requests
        if n:
            kept.append(x)
        else:
            unneeded["listings"] += 1
            unneeded["requests"] += x.requests
    paging = {spec.psa: spec.paging, "salesbuildr": "offset"}
    latency_floor, rounds = floors.schedule(
        graph(kept, paging), Uniform(latency_s), limits_of(spec)
    )
    return {
        "calls": dict(made),
        "lower_bound": dict(need),
        "not_named_by_the_yaml": dict(unneeded),
        "floor_latency_s": round(latency_floor, 3),
        "floor_rounds": rounds,
        "floor_rate_s": round(rate_floor(need[spec.psa], spec.rate), 3),
        "listings": len(found),
    }


# --- the workloads ------------------------------------------------------------------------------


def export(env: Mapping[str, str], spec: PsaBench) -> str:
    """``reconcile export --psa`` of the live settings (unmeasured: the rate cap lifted)."""
    psa = spec.psa
    result = CliRunner().invoke(cli, ["export", "--psa", psa], env={**env, **spec.uncapped_env})
    if result.exit_code != 0:
        raise RuntimeError(f"export --psa {psa} failed: {result.output[-2000:]}")
    return result.stdout


def floor_by(floor: float, cpu: float, rate: float) -> str:
    """Which part the floor is: the CPU, the rate cap or the latency schedule."""
    return "cpu" if cpu == floor else "rate" if rate == floor else "latency"


def ratios(calls: Mapping[str, int], lower_bound: Mapping[str, int]) -> dict[str, float]:
    """calls/LB per system (the systems with a bound)."""
    return {
        system: round(calls.get(system, 0) / need, 3)
        for system, need in lower_bound.items()
        if need
    }


@dataclass
class Recorded:
    """One measured run's recordings, its parsed YAML and when it started."""

    loaded: LoadedConfig
    psa: Recording
    salesbuildr: Recording
    wall0: float
    cpu0: float
    parsed_s: float

    @property
    def requests(self) -> list[Request]:
        return [*self.psa.requests, *self.salesbuildr.requests]

    def parents(self, spec: PsaBench) -> dict[str, set[str]]:
        return scoped_parents(spec, self.loaded.config, self.psa.kept)


@contextlib.contextmanager
def recorded_session(
    spec: PsaBench, text: str, env: Mapping[str, str]
) -> Iterator[tuple[Recorded, session.Connections]]:
    """Parse ``text`` and connect as ``reconcile`` does, every request recorded; the clock
    starts before the parse."""
    psa_rec, sb_rec = Recording(spec.psa, keep=spec.scoped), Recording("salesbuildr")
    wall0, cpu0 = time.perf_counter(), time.process_time()
    loaded = parse_config(text.encode(), file="bench.yaml", environ=dict(env))
    parsed = time.perf_counter() - wall0
    transports = session.Transports(psa=psa_rec, salesbuildr=sb_rec)
    sections = loaded.config.present_sections()
    with session.connect(loaded, env, sections=sections, transports=transports) as connections:
        yield Recorded(loaded, psa_rec, sb_rec, wall0, cpu0, parsed), connections


def plan_workload(
    workload: str,
    psa: str,
    *,
    latency_ms: float,
    check: Callable[..., dict[str, Any]],
    calls_target: float,
    wall_target: float,
) -> dict[str, Any]:
    """A no-op plan of ``psa``'s large seed at ``latency_ms``, against its bound."""
    spec = spec_of(psa)
    read_floor = hook(psa, "read_floor")
    with PsaSimulators(psa, "large", latency_ms) as sims:
        text = export(sims.env, spec)
        env = secrets_for(text, sims.env)
        sim_cpu0 = float(sims.call("cpu"))
        with recorded_session(spec, text, env) as (recorded, c):
            run = session.make_plan(recorded.loaded, c)
        wall, cpu = time.perf_counter() - recorded.wall0, time.process_time() - recorded.cpu0
        sim_cpu = float(sims.call("cpu")) - sim_cpu0
    parents = recorded.parents(spec)
    found = read_floor(recorded.requests, spec, latency_ms / 1000, parents)
    cpu_floor = (cpu + sim_cpu) / 2
    floor = max(found["floor_latency_s"], found["floor_rate_s"], cpu_floor)
    by_system = ratios(found["calls"], found["lower_bound"])
    result: dict[str, Any] = {
        "workload": workload,
        "title": f"plan, no-op, {psa} large",
        "psa": psa,
        "latency_ms": latency_ms,
        "changes": run.plan.summary,
        "wall_s": round(wall, 3),
        "client_cpu_s": round(cpu, 3),
        "simulator_cpu_s": round(sim_cpu, 3),
        "floor_s": round(floor, 3),
        "floor_by": floor_by(floor, cpu_floor, found["floor_rate_s"]),
        "wall_ratio": round((wall - recorded.parsed_s) / floor, 4) if floor else 0.0,
        "calls_ratio": by_system,
        "rate_cap": {"requests": spec.rate[0], "per_s": spec.rate[1]},
        "in_flight_cap": spec.in_flight,
        **found,
    }
    pending = sum(v for k, v in run.plan.summary.items() if k != "no_op")
    result["checks"] = [
        *(check(f"{workload} {s} calls/LB", r, calls_target) for s, r in sorted(by_system.items())),
        check(f"{workload} wall/floor", result["wall_ratio"], wall_target),
        check(f"{workload} export plans to zero changes", pending, 0),
    ]
    return result
