"""Running the real client against the simulators and measuring it.

A measured plan is what ``reconcile plan FILE`` does minus the rendering: parse the YAML, connect,
``session.make_plan``. A measured apply is ``reconcile apply FILE --auto-approve``: the same plan,
then the tenant lock, ``apply_plan`` (budget probe, writes, verification) and the unlock. Every
request goes through :class:`Recording`, a plain HTTP transport that also counts statuses and can
drop ``IncludeFields`` from query bodies (to measure what the field selection saves).
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from reconciler import session
from reconciler.apply import ApplyResult, JsonlJournal, RequestFloor, apply_plan
from reconciler.config import LoadedConfig, parse_config
from reconciler.config.desired import policy_settings
from reconciler.plan import compute_plan
from reconciler.psa.autotask.client import AutotaskClient, credentials_from_env
from reconciler.psa.autotask.export import export_yaml
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS
from reconciler.psa.autotask.kinds.registry import SECTIONS
from reconciler.salesbuildr.client import lock_owner
from reconciler.state import State

WEBHOOK_PREFIX = {
    "company": "Company",
    "contact": "Contact",
    "configuration_item": "ConfigurationItem",
    "ticket": "Ticket",
    "ticket_note": "TicketNote",
}


class Recording(httpx.BaseTransport):
    """An ``httpx.HTTPTransport`` that counts response statuses; with ``strip_include_fields``
    it removes ``IncludeFields`` from every Autotask query body (whole records come back)."""

    def __init__(self, *, strip_include_fields: bool = False) -> None:
        self._inner = httpx.HTTPTransport()
        self._strip = strip_include_fields
        self._lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.first: float | None = None
        self.last: float | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._strip and request.method == "POST" and request.url.path.endswith("/query"):
            request = _without_include_fields(request)
        started = time.perf_counter()
        response = self._inner.handle_request(request)
        response.read()
        ended = time.perf_counter()
        with self._lock:
            self.statuses[response.status_code] += 1
            self.first = started if self.first is None else min(self.first, started)
            self.last = ended if self.last is None else max(self.last, ended)
        return response

    def close(self) -> None:
        self._inner.close()


def _without_include_fields(request: httpx.Request) -> httpx.Request:
    body = json.loads(request.content or b"{}")
    if not isinstance(body, dict) or "IncludeFields" not in body:
        return request
    body.pop("IncludeFields")
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "content-length"]
    return httpx.Request(
        request.method,
        request.url,
        headers=headers,
        content=json.dumps(body).encode(),
        extensions=request.extensions,
    )


def secrets_for(text: str, env: Mapping[str, str]) -> dict[str, str]:
    """``env`` plus a value for every ``${env:NAME}`` the YAML names and ``env`` lacks."""
    filled = dict(env)
    for name in re.findall(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)", text):
        filled.setdefault(name, f"bench-secret-{name.lower()}"[:60])
    return filled


def export(env: Mapping[str, str], sections: Sequence[str] = SECTIONS) -> tuple[str, State]:
    """``reconcile export``: the live settings as YAML (and the live state it came from)."""
    with session.connect_env(env, sections=list(sections)) as connections:
        live = session.read_everything(connections, list(sections))
    return export_yaml(live.state, live.catalog, sections=list(sections)), live.state


@dataclass
class Measured:
    """One measured run of the client."""

    run: session.PlanRun
    loaded: LoadedConfig
    calls: dict[str, int]
    bytes_received: dict[str, int]
    wall_s: float
    cpu_s: float
    statuses: Counter[int]
    peak_mb: float | None = None
    apply: ApplyResult | None = None
    phases_s: dict[str, float] = field(default_factory=dict)
    apply_cpu_s: float | None = None
    """Client CPU after the plan (lock, writes, verification, unlock): per write, the goal."""


class Transports:
    """One :class:`Recording` per system."""

    def __init__(self, *, strip_include_fields: bool = False) -> None:
        self.autotask = Recording(strip_include_fields=strip_include_fields)
        self.salesbuildr = Recording()

    @property
    def statuses(self) -> Counter[int]:
        return self.autotask.statuses + self.salesbuildr.statuses

    def span(self, origin: float) -> tuple[float, float]:
        """(first request sent, last response read), in seconds after ``origin``."""
        firsts = [r.first for r in (self.autotask, self.salesbuildr) if r.first is not None]
        lasts = [r.last for r in (self.autotask, self.salesbuildr) if r.last is not None]
        if not firsts or not lasts:
            return 0.0, 0.0
        return min(firsts) - origin, max(lasts) - origin


def _connect(
    loaded: LoadedConfig, env: Mapping[str, str], transports: Transports
) -> session.Connections:
    return session.connect(
        loaded,
        env,
        sections=loaded.config.present_sections(),
        transports=session.Transports(psa=transports.autotask, salesbuildr=transports.salesbuildr),
    )


def _bytes(connections: session.Connections) -> dict[str, int]:
    return {
        "autotask": connections.psa_client.http.bytes_received if connections.psa_client else 0,
        "salesbuildr": (
            connections.salesbuildr.http.bytes_received if connections.salesbuildr else 0
        ),
    }


def measure_plan(
    env: Mapping[str, str],
    text: str,
    *,
    strip_include_fields: bool = False,
    trace_memory: bool = False,
) -> Measured:
    """``reconcile plan``: parse, connect, read, resolve, compute (no rendering)."""
    transport = Transports(strip_include_fields=strip_include_fields)
    if trace_memory:
        tracemalloc.start()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    loaded = parse_config(text.encode(), file="bench.yaml", environ=env)
    parsed = time.perf_counter() - wall0
    with _connect(loaded, env, transport) as connections:
        run = session.make_plan(loaded, connections)
        calls = connections.calls()
        received = _bytes(connections)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak = None
    if trace_memory:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    first, last = transport.span(wall0)
    phases = {
        "parse": parsed,
        "until_first_request": first - parsed,
        "requests": last - first,
        "after_last_response": wall - last,
    }
    return Measured(
        run, loaded, calls, received, wall, cpu, transport.statuses, peak, phases_s=phases
    )


def measure_apply(env: Mapping[str, str], text: str, *, parallelism: int = 8) -> Measured:
    """``reconcile apply FILE --auto-approve``: plan, lock, apply (budget checks, writes,
    verification), unlock, as the CLI does it (without the stale check: nothing else writes).
    ``parallelism`` goes to ``apply_plan`` (parallel apply)."""
    transport = Transports()
    phases: dict[str, float] = {}
    wall0, cpu0 = time.perf_counter(), time.process_time()
    loaded = parse_config(text.encode(), file="bench.yaml", environ=env)
    phases["parse"] = time.perf_counter() - wall0
    with (
        _connect(loaded, env, transport) as connections,
        tempfile.TemporaryDirectory() as scratch,
    ):
        run = session.make_plan(loaded, connections)
        phases["plan"] = time.perf_counter() - wall0
        cpu_plan = time.process_time() - cpu0
        owner = lock_owner()
        assert connections.salesbuildr is not None
        connections.salesbuildr.acquire_lock_or_take_over(owner)
        journal = JsonlJournal(Path(scratch) / "journal.jsonl")
        try:
            result = apply_plan(
                run.plan,
                session.writer_for(connections, env, run.desired, run.live.documents),
                journal=journal,
                request_floor=RequestFloor(
                    "autotask",
                    "Autotask",
                    "min_remaining_autotask_requests",
                    int(run.plan.policy.get("min_remaining_autotask_requests", 0)),
                ),
                check_stale=False,
                kinds=AUTOTASK_KINDS,
                parallelism=parallelism,
            )
        finally:
            journal.close()
            connections.salesbuildr.release_lock(owner)
        calls = connections.calls()
        received = _bytes(connections)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    phases["apply"] = wall - phases["plan"]
    phases["plan"] -= phases["parse"]
    return Measured(
        run,
        loaded,
        calls,
        received,
        wall,
        cpu,
        transport.statuses,
        apply=result,
        phases_s=phases,
        apply_cpu_s=cpu - cpu_plan,
    )


def compute_cpu(measured: Measured, repeat: int = 3) -> float:
    """CPU seconds of ``compute_plan`` alone on the run's desired and live states (best of N)."""
    policy = policy_settings(measured.loaded.config)
    sections = measured.loaded.config.present_sections()
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        compute_plan(
            measured.run.desired,
            measured.run.live.state,
            policy,
            sections=sections,
            kinds=AUTOTASK_KINDS,
        )
        best = min(best, time.process_time() - start)
    return best


def managed_objects(state: State) -> list[tuple[str, int]]:
    """(Autotask entity, id) of every managed Autotask object of a live state: what a
    per-resource provider keeps in its state file and refreshes one GET at a time."""
    found: list[tuple[str, int]] = []
    for resource in state:
        if resource.kind == "webhook":
            prefix = WEBHOOK_PREFIX[str(resource.attributes["entity"])]
            found.append((f"{prefix}Webhooks", int(resource.ids["id"])))
            children = resource.ids.get("children") or {}
            for child, entity in (
                ("fields", "WebhookFields"),
                ("udf_fields", "WebhookUdfFields"),
            ):
                for item in (children.get(child) or {}).values():
                    found.append((f"{prefix}{entity}", int(item["id"])))
            for child_id in (children.get("excluded_resources") or {}).values():
                found.append((f"{prefix}WebhookExcludedResources", int(child_id)))
        elif resource.kind == "inventory_location":
            found.append(("InventoryLocations", int(resource.ids["id"])))
    return found


def _interleaved(objects: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Round-robin over the endpoints, so 8 threads are not all queued on one endpoint's 3
    slots (the best order for the naive refresh, to be fair to it)."""
    queues: dict[str, list[tuple[str, int]]] = {}
    for item in objects:
        queues.setdefault(item[0], []).append(item)
    order: list[tuple[str, int]] = []
    while queues:
        for entity in list(queues):
            order.append(queues[entity].pop(0))
            if not queues[entity]:
                del queues[entity]
    return order


def naive_refresh(env: Mapping[str, str], objects: Sequence[tuple[str, int]]) -> tuple[float, int]:
    """Issue one ``GET /V1.0/{Entity}/{id}`` per object, 8 threads, at most 3 in flight per
    endpoint (our HTTP client's limit); (wall seconds, calls)."""
    client = AutotaskClient.connect(credentials_from_env(env), url=env["AUTOTASK_API_URL"])
    try:
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="naive") as pool:
            found = list(pool.map(lambda item: client.get(*item), _interleaved(objects)))
        wall = time.perf_counter() - start
        missing = sum(1 for row in found if row is None)
        if missing:
            raise RuntimeError(f"naive refresh: {missing} objects not found by id")
        return wall, client.calls
    finally:
        client.close()
