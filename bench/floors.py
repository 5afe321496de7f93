"""The latency floor of a run: its requests scheduled in rounds under the APIs' real limits.

Every request costs one latency ``L`` (Autotask's includes the usage penalty the tenant is under).
A *round* is one latency in which requests run side by side, at most:

* ``per_autotask_endpoint`` (3) to one Autotask endpoint (its thread limit),
* ``salesbuildr`` (4) to Salesbuildr (the client's pages and PUTs in flight),
* ``overall`` (N = apply's parallelism, 8 by default; the plan's read pool is 8 as well).

A request starts in the round after everything it depends on finished: the next page of an
Autotask cursor follows the previous one; Salesbuildr's offset pages follow page 1 and then run
together; webhook children follow the webhook list (plan) or the webhook's create (apply), and
its activation follows all its children. Phases follow each other (plan reads; live-rule
metadata; lock; writes; deletes and deactivations; verification; unlock).

The schedule is critical-path first (list scheduling: the ready request with the longest chain
after it goes first). With unit requests and these limits it is optimal or within a round or two
of it; :func:`resource_bound` is the bound no schedule can beat, reported beside it, and the
floor is never below it. ``floor = max(latency floor, (client CPU + simulator CPU) / 2 cores)``
is taken in the workloads, where the CPU is measured.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

AT = "autotask"
SB = "salesbuildr"


@dataclass(frozen=True)
class Limits:
    overall: int = 8
    per_autotask_endpoint: int = 3
    salesbuildr: int = 4
    systems: Mapping[str, int] = field(default_factory=dict)
    """In flight at most to each other system (a PSA client's cap, over all its endpoints)."""


DEFAULT = Limits()


class Latencies(Protocol):
    def of(self, system: str) -> float: ...


class StepLike(Protocol):
    """What :mod:`bench.bounds` steps say about their requests."""

    @property
    def name(self) -> str: ...
    @property
    def system(self) -> str: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def requests(self) -> int: ...
    @property
    def paging(self) -> str: ...
    @property
    def after(self) -> tuple[str, ...]: ...


@dataclass
class Graph:
    """Unit requests: (system, endpoint) and the requests each must wait for."""

    system: list[str] = field(default_factory=list)
    endpoint: list[str] = field(default_factory=list)
    after: list[list[int]] = field(default_factory=list)

    def add(self, system: str, endpoint: str, after: Sequence[int]) -> int:
        self.system.append(system)
        self.endpoint.append(endpoint)
        self.after.append(list(after))
        return len(self.system) - 1

    def __len__(self) -> int:
        return len(self.system)


def graph_of(steps: Sequence[StepLike]) -> Graph:
    """Each step as unit requests: ``chain`` pages one after another, ``offset`` page 1 then
    the rest together, ``fan`` all together; a step waits for the last requests of the steps it
    names in ``after`` (unknown names are ignored: a step that was not needed)."""
    graph = Graph()
    ends: dict[str, list[int]] = {}
    for step in steps:
        before = [n for name in step.after for n in ends.get(name, [])]
        nodes: list[int] = []
        if step.requests <= 0:
            ends[step.name] = before
            continue
        if step.paging == "fan":
            nodes = [graph.add(step.system, step.endpoint, before) for _ in range(step.requests)]
            ends[step.name] = nodes
        elif step.paging == "offset":
            first = graph.add(step.system, step.endpoint, before)
            rest = [
                graph.add(step.system, step.endpoint, [first]) for _ in range(step.requests - 1)
            ]
            ends[step.name] = rest or [first]
        else:
            previous = before
            for _ in range(step.requests):
                node = graph.add(step.system, step.endpoint, previous)
                previous = [node]
            ends[step.name] = previous
    return graph


def _priorities(graph: Graph, latency: Latencies) -> list[float]:
    """The longest chain (seconds) from each request to the end of the phase, itself included."""
    successors: list[list[int]] = [[] for _ in range(len(graph))]
    for node, before in enumerate(graph.after):
        for b in before:
            successors[b].append(node)
    tail = [0.0] * len(graph)
    for node in reversed(range(len(graph))):  # nodes are added after what they wait for
        cost = latency.of(graph.system[node])
        tail[node] = cost + max((tail[s] for s in successors[node]), default=0.0)
    return tail


def schedule(graph: Graph, latency: Latencies, limits: Limits | None = None) -> tuple[float, int]:
    """(seconds, rounds) of the critical-path-first schedule of ``graph``."""
    limits = limits or DEFAULT
    if not len(graph):
        return 0.0, 0
    priority = _priorities(graph, latency)
    waiting = [len(before) for before in graph.after]
    successors: list[list[int]] = [[] for _ in range(len(graph))]
    for node, before in enumerate(graph.after):
        for b in before:
            successors[b].append(node)
    ready = [(-priority[n], n) for n in range(len(graph)) if waiting[n] == 0]
    heapq.heapify(ready)
    seconds, rounds, done = 0.0, 0, 0
    while done < len(graph):
        chosen: list[int] = []
        skipped: list[tuple[float, int]] = []
        per_endpoint: Counter[str] = Counter()
        per_system: Counter[str] = Counter()
        salesbuildr = 0
        while ready and len(chosen) < limits.overall:
            item = heapq.heappop(ready)
            node = item[1]
            system = graph.system[node]
            if system == SB and salesbuildr >= limits.salesbuildr:
                skipped.append(item)
                continue
            if system in limits.systems:
                if per_system[system] >= limits.systems[system]:
                    skipped.append(item)
                    continue
                per_system[system] += 1
                chosen.append(node)
                continue
            key = graph.endpoint[node]
            if system == AT and per_endpoint[key] >= limits.per_autotask_endpoint:
                skipped.append(item)
                continue
            chosen.append(node)
            if system == SB:
                salesbuildr += 1
            else:
                per_endpoint[key] += 1
        for item in skipped:
            heapq.heappush(ready, item)
        seconds += max(latency.of(graph.system[n]) for n in chosen)
        rounds += 1
        done += len(chosen)
        for node in chosen:
            for s in successors[node]:
                waiting[s] -= 1
                if waiting[s] == 0:
                    heapq.heappush(ready, (-priority[s], s))
    return seconds, rounds


def resource_bound(graph: Graph, latency: Latencies, limits: Limits | None = None) -> float:
    """What no schedule beats: the longest chain, all requests over N, one Autotask endpoint's
    over 3, Salesbuildr's over 4."""
    limits = limits or DEFAULT
    if not len(graph):
        return 0.0
    chain = max(_priorities(graph, latency))
    costs = [latency.of(s) for s in graph.system]
    per_endpoint: Counter[str] = Counter()
    salesbuildr = 0.0
    for node, system in enumerate(graph.system):
        if system == AT:
            per_endpoint[graph.endpoint[node]] += 1
        else:
            salesbuildr += costs[node]
    endpoint = max(per_endpoint.values(), default=0) * latency.of(AT) / limits.per_autotask_endpoint
    return max(chain, sum(costs) / limits.overall, endpoint, salesbuildr / limits.salesbuildr)
