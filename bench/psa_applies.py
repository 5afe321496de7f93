"""W9/W10: a cold ``apply`` of ConnectWise Manage and HaloPSA on their ``large`` seeds, held to
the lower bound of the calls it needs, then a re-plan that must find nothing to do.

The YAML is the PSA's example (its plugin's ``fixtures.example_config``: every section, the
callbacks or webhooks, every settings document, the ticket settings); the ``large`` seeds hold
no integration settings of these PSAs (their documents at Salesbuildr's defaults, no callbacks;
Halo keeps one foreign webhook, which the example's ``manage: full`` deletes). The run is
``reconcile apply FILE --auto-approve`` without its ``after_apply`` jobs: plan, the tenant's
lock, the stale check, the writes, the verification, the unlock (:mod:`reconciler.apply_workflow`).

**The bound** (``LB``), from the plan's changes and the plan's recorded listings:

* the plan's reads: as W7/W8 (:func:`bench.psa_plans.bound`: per listing ``max(1, ceil(rows /
  page size))``);
* the lock: one ``PUT`` and one ``DELETE``;
* the stale check: each listing a PSA-owned change's kind lives in, at its plan-time rows, and a
  ``GET`` per Salesbuildr document the plan writes;
* the writes: one request per PSA-owned change (a create, an update, a delete: each one
  ``POST``/``PATCH``/``DELETE``) and one ``PUT`` per document touched (the contract has no
  per-row write);
* the verification: the stale check's reads again, at the rows after the apply (plan-time
  rows + creates - deletes).

**The floor**: the phases one after the other (plan reads; lock; stale check; writes; deletes;
verification; unlock), each scheduled in rounds under the client's in-flight cap, Salesbuildr's
4 and, after the plan, apply's parallelism N overall (:mod:`bench.floors`); the client-side rate
cap over every PSA request of the run (:func:`bench.psa_plans.rate_floor`); ``floor =
max(latency floor, rate floor, (client + simulator CPU) / 2 cores)``.
"""

from __future__ import annotations

import contextlib
import math
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import floors
from bench.bounds import Phase, Step
from bench.measure import secrets_for
from bench.psa_plans import (
    Listing,
    PsaSimulators,
    Request,
    Uniform,
    floor_by,
    limits_of,
    listings,
    rate_floor,
    ratios,
    recorded_session,
)
from bench.psa_specs import PsaBench, hook, spec_of
from reconciler import session
from reconciler.apply_workflow import ApplyRequest, LockReporting, run_apply
from reconciler.config import parse_config
from reconciler.plan import Action
from reconciler.psa import registry

SB = "salesbuildr"
ROOT = Path(__file__).resolve().parents[1]
REMOVALS = frozenset({"delete", "deactivate"})


def _action(change: Any) -> str:
    return str(getattr(change.action, "value", change.action))


def _collection_rows(collection: str, plan_reads: Sequence[Listing]) -> tuple[int, int | None]:
    """(rows, page size) of the plan's GET listing of ``collection`` (a path suffix)."""
    found = [
        x
        for x in plan_reads
        if x.method == "GET" and x.path.rstrip("/").endswith("/" + collection.strip("/"))
    ]
    rows = sum(x.rows for x in found)
    sizes = [x.page_size for x in found if x.page_size]
    return rows, max(sizes) if sizes else None


def _pages(rows: int, size: int | None) -> int:
    return max(1, math.ceil(rows / size)) if size else 1


def _rereads(
    name: str,
    spec: PsaBench,
    rows: Mapping[str, tuple[int, int | None]],
    documents: Sequence[str],
) -> Phase:
    steps = [
        Step(f"{name}:{c}", spec.psa, c, "read", _pages(n, size), paging=spec.paging)
        for c, (n, size) in sorted(rows.items())
    ]
    steps += [Step(f"{name}:doc:{d}", SB, "settings", "read") for d in documents]
    return Phase(name, steps)


def write_floor(
    changes: Sequence[Any], spec: PsaBench, plan_reads: Sequence[Listing]
) -> list[Phase]:
    """The phases after the plan's reads at their lower bound (see the module docstring):
    lock, stale check, writes, deletes, verification, unlock. ``changes`` are the plan's
    pending changes; ``plan_reads`` the plan's listings (the rows of what is re-read)."""
    documents: set[str] = set()
    writes: list[Step] = []
    removals: list[Step] = []
    before: dict[str, tuple[int, int | None]] = {}
    net: Counter[str] = Counter()
    for n, change in enumerate(changes):
        action = _action(change)
        if change.owner == spec.psa:
            collection = spec.collections.get(change.kind)
            if collection is None:
                raise ValueError(f"the {spec.psa} bench spec names no listing of {change.kind}")
            before.setdefault(collection, _collection_rows(collection, plan_reads))
            step = Step(f"w{n}", spec.psa, collection, "write", paging="fan")
            (removals if action in REMOVALS else writes).append(step)
            net[collection] += 1 if action == "create" else -1 if action == "delete" else 0
        elif change.owner == SB:
            if change.section not in spec.documents:
                raise ValueError(f"the {spec.psa} bench spec names no document of {change.section}")
            documents.add(spec.documents[change.section])
        else:
            raise ValueError(f"a change of {change.owner!r}: neither {spec.psa} nor {SB}")
    touched = sorted(documents)
    writes += [Step(f"put:{d}", SB, "settings", "write") for d in touched]
    after = {c: (max(0, n + net[c]), size) for c, (n, size) in before.items()}
    phases = [
        Phase("lock", [Step("lock", SB, "lock", "write")]),
        _rereads("stale check", spec, before, touched),
        Phase("writes", writes),
    ]
    if removals:
        phases.append(Phase("deletes", removals))
    phases += [
        _rereads("verify", spec, after, touched),
        Phase("unlock", [Step("unlock", SB, "lock", "write")]),
    ]
    return phases


def actual_phases(requests: Sequence[Request], planned: float) -> dict[str, Counter[str]]:
    """The recorded requests by phase, per system: ``plan`` (before the plan was made),
    ``lock`` (both lock calls), ``writes``, ``stale check`` (reads before the first write),
    ``verify`` (reads after the last write), ``during writes`` (any other read)."""
    later = [r for r in requests if r.started >= planned]
    lock = [r for r in later if r.path.rstrip("/").endswith("/lock")]
    written = [r for r in later if r.method != "GET" and r not in lock]
    first = min((r.started for r in written), default=float("inf"))
    last = max((r.ended for r in written), default=float("-inf"))
    found: dict[str, Counter[str]] = {}

    def add(phase: str, request: Request) -> None:
        found.setdefault(phase, Counter())[request.system] += 1

    for request in requests:
        if request.started < planned:
            add("plan", request)
        elif request in lock:
            add("lock", request)
        elif request in written:
            add("writes", request)
        elif request.started < first:
            add("stale check", request)
        elif request.started >= last:
            add("verify", request)
        else:
            add("during writes", request)
    return found


def _silent(message: str, done: int, total: int) -> None:
    """Apply's progress, not shown."""


def _no_output() -> LockReporting:
    def ignore(_: object) -> None:
        return None

    return LockReporting(on_wait=ignore, warn_not_released=ignore, note=ignore)


def _replan_pending(text: str, env: Mapping[str, str]) -> int:
    """The changes a fresh plan of ``text`` still finds (unmeasured)."""
    loaded = parse_config(text.encode(), file="bench.yaml", environ=dict(env))
    sections = loaded.config.present_sections()
    with session.connect(loaded, env, sections=sections) as connections:
        plan = session.make_plan(loaded, connections).plan
    return sum(1 for c in plan.changes if c.action is not Action.NO_OP)


def apply_workload(
    workload: str,
    psa: str,
    *,
    latency_ms: float,
    parallelism: int,
    check: Callable[..., dict[str, Any]],
    calls_target: float,
    wall_target: float,
) -> dict[str, Any]:
    """A cold apply of ``psa``'s example on its ``large`` seed at ``latency_ms``, against its
    bound (see the module docstring), then the re-plan."""
    plugin = registry.get(psa)
    spec = spec_of(psa)
    read_floor, write_phases = hook(psa, "read_floor"), hook(psa, "write_floor")
    example = plugin.fixtures.example_config
    text = (ROOT / example).read_text(encoding="utf-8")
    with PsaSimulators(psa, "large", latency_ms) as sims, tempfile.TemporaryDirectory() as tmp:
        env = secrets_for(text, sims.env)
        sim_cpu0 = float(sims.call("cpu"))
        with recorded_session(spec, text, env) as (recorded, c):
            run = session.make_plan(recorded.loaded, c)
            planned = time.perf_counter()
            request = ApplyRequest(
                plan=run.plan,
                environ=env,
                journal_path=Path(tmp) / "journal.jsonl",
                desired=run.desired,
                documents=run.live.documents,
                check_stale=True,
                parallelism=parallelism,
                floor_key=plugin.request_floor_key,
                psa=plugin.name,
                psa_title=plugin.title,
            )
            applied = run_apply(
                request, c, progress=lambda: contextlib.nullcontext(_silent), reporting=_no_output()
            )
        wall, cpu = time.perf_counter() - recorded.wall0, time.process_time() - recorded.cpu0
        sim_cpu = float(sims.call("cpu")) - sim_cpu0
        pending_after = _replan_pending(text, {**env, **spec.uncapped_env})
    requests = recorded.requests
    plan_requests = [r for r in requests if r.started < planned]
    latency_s = latency_ms / 1000
    reads = read_floor(plan_requests, spec, latency_s, recorded.parents(spec))
    phases = write_phases(run.plan.pending, spec, listings(plan_requests))
    lower: Counter[str] = Counter(reads["lower_bound"])
    for phase in phases:
        lower.update(phase.calls)
    made = Counter(r.system for r in requests)
    uniform, reading = Uniform(latency_s), limits_of(spec)
    limits = replace(reading, overall=min(parallelism, reading.overall))  # apply's N
    latency_floor, rounds = reads["floor_latency_s"], reads["floor_rounds"]
    for phase in phases:
        seconds, n = floors.schedule(floors.graph_of(phase.steps), uniform, limits)
        latency_floor, rounds = latency_floor + seconds, rounds + n
    rate = rate_floor(lower[spec.psa], spec.rate)
    cpu_floor = (cpu + sim_cpu) / 2
    floor = max(latency_floor, rate, cpu_floor)
    by_system = ratios(dict(made), dict(lower))
    result: dict[str, Any] = {
        "workload": workload,
        "title": f"apply, cold, {psa} large ({example})",
        "psa": psa,
        "latency_ms": latency_ms,
        "changes": run.plan.summary,
        "writes": applied.writes,
        "wall_s": round(wall, 3),
        "parse_s": round(recorded.parsed_s, 3),
        "client_cpu_s": round(cpu, 3),
        "simulator_cpu_s": round(sim_cpu, 3),
        "floor_s": round(floor, 3),
        "floor_by": floor_by(floor, cpu_floor, rate),
        "floor_latency_s": round(latency_floor, 3),
        "floor_rounds": rounds,
        "floor_rate_s": round(rate, 3),
        "wall_ratio": round((wall - recorded.parsed_s) / floor, 4) if floor else 0.0,
        "calls": dict(made),
        "lower_bound": dict(lower),
        "calls_ratio": by_system,
        "lower_bound_by_phase": {
            "plan": reads["lower_bound"],
            **{p.name: dict(p.calls) for p in phases},
        },
        "calls_by_phase": {k: dict(v) for k, v in actual_phases(requests, planned).items()},
        "not_named_by_the_yaml": reads["not_named_by_the_yaml"],
        "rate_cap": {"requests": spec.rate[0], "per_s": spec.rate[1]},
        "in_flight_cap": spec.in_flight,
        "parallelism": parallelism,
        "replan_changes": pending_after,
    }
    result["checks"] = [
        *(check(f"{workload} {s} calls/LB", r, calls_target) for s, r in sorted(by_system.items())),
        check(f"{workload} wall/floor", result["wall_ratio"], wall_target),
        check(f"{workload} re-plan after the apply: zero changes", pending_after, 0),
    ]
    return result
