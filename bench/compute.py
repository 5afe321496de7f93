"""W4's compute series: ``compute_plan`` on hand-built states of N objects, no HTTP.

Each state holds N objects per side in the proportions of a large tenant: 95 % Salesbuildr
mapping rows (billing-code category mappings), 5 % Autotask webhooks with 20-39 subscribed
fields each. The live side differs from the desired side in 1 % of the objects (so deepdiff runs
on some pairs, as in W2). CPU time is ``time.process_time()``, best of several runs; memory is the
``tracemalloc`` peak of one more run. ``t = a·N^b`` is fitted by least squares on log-log.
"""

from __future__ import annotations

import gc
import math
import random
import time
import tracemalloc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler.kinds.base import address
from reconciler.plan import Action, compute_plan
from reconciler.psa.autotask.kinds.mappings import BILLING_CODE_MAPPING
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS
from reconciler.psa.autotask.kinds.webhooks import SECTION as WEBHOOKS
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK, natural_key
from reconciler.state import PolicySettings, Resource, State

FIELDS = [f"Field{n:03d}" for n in range(120)]


def _mapping(i: int, code: int) -> tuple[Resource, Resource]:
    key = f"Family {i // 50:04d}/Model {i:06d}"
    desired = Resource(
        address=BILLING_CODE_MAPPING.address_of([key]),
        kind=BILLING_CODE_MAPPING.name,
        section=BILLING_CODE_MAPPING.section,
        key=key,
        attributes={"billing_code": f"Billing Code {code:03d}"},
        owner="salesbuildr",
        ids={"keys": [f"c-{i}"], "billing_code": 29690000 + code},
    )
    return desired, desired


def _webhook(j: int, rng: random.Random) -> Resource:
    entity = ("company", "contact", "configuration_item", "ticket")[j % 4]
    name = f"hook-{j:05d}"
    fields = sorted(rng.sample(FIELDS, rng.randint(20, 39)))
    attributes = {
        "entity": entity,
        "name": name,
        "url": f"https://hooks.example.com/{entity}/{j}",
        "deactivation_url": f"https://hooks.example.com/{entity}/{j}",
        "active": j % 5 != 4,
        "events": ["create", "update"],
        "fields": fields[: len(fields) * 2 // 3],
        "always_send": fields[len(fields) * 2 // 3 :],
        "udf_fields": [f"Attribute {j % 40:02d}"],
        "excluded_resources": [],
        "notification_email": "jane.admin@acme-it.example",
        "threshold_notification": False,
    }
    return Resource(
        address=address(WEBHOOKS, name),
        kind=WEBHOOK.name,
        section=WEBHOOKS,
        key=natural_key(entity, name),
        attributes=WEBHOOK.normalise(attributes),
        owner="autotask",
        ids={"id": 30000000 + j},
        sensitive=WEBHOOK.sensitive,
    )


def _copied(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, list) else v for k, v in values.items()}


def states(n: int, drift: float = 0.01, seed: int = 1) -> tuple[State, State]:
    """(desired, live) with ``n`` objects each, ``drift`` of them different."""
    rng = random.Random(seed)
    hooks = max(1, n // 20)
    desired: list[Resource] = []
    live: list[Resource] = []
    changed = set(rng.sample(range(n), max(1, int(n * drift))))
    for i in range(n - hooks):
        want, have = _mapping(i, i % 200)
        if i in changed:
            have = have.with_attributes(billing_code=f"Billing Code {(i + 1) % 200:03d}")
        desired.append(want)
        # Live values are their own objects, as when read from the API: equal, never shared.
        live.append(
            replace(
                have,
                attributes=_copied(have.attributes),
                ids=_copied(have.ids),
                raw={"categoryId": f"c-{i}", "billingCodeId": i % 200},
            )
        )
    for j in range(hooks):
        hook = _webhook(j, rng)
        have = hook
        if (n - hooks + j) in changed:
            have = hook.with_attributes(active=not hook.attributes["active"])
        desired.append(hook)
        live.append(
            replace(
                have,
                attributes=_copied(have.attributes),
                ids=_copied(have.ids),
                raw={"webhook": _copied(have.attributes)},
            )
        )
    return State.of(desired), State.of(live)


@dataclass(frozen=True)
class Point:
    objects: int
    cpu_s: float
    peak_mb: float
    changes: int


def measure(n: int, repeat: int) -> Point:
    desired, live = states(n)
    policy = PolicySettings()
    sections = ["billing_codes", "webhooks"]
    best = float("inf")
    changes = 0
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        plan = compute_plan(desired, live, policy, sections=sections, kinds=AUTOTASK_KINDS)
        best = min(best, time.process_time() - start)
        changes = sum(1 for c in plan.changes if c.action is not Action.NO_OP)
    gc.collect()
    tracemalloc.start()
    compute_plan(desired, live, policy, sections=sections, kinds=AUTOTASK_KINDS)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return Point(objects=n, cpu_s=best, peak_mb=peak, changes=changes)


def exponent(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log(y) on log(x)."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(max(y, 1e-9)) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    den = sum((x - mx) ** 2 for x in lx)
    return sum((x - mx) * (y - my) for x, y in zip(lx, ly, strict=True)) / den if den else 0.0
