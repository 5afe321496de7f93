"""What the bench needs to know of a PSA whose bound is computed from recorded requests
(ConnectWise Manage, HaloPSA): its limits and where its kinds live.

Each PSA's plugin names its function here in ``Psa.bench`` (:class:`~reconciler.psa.base.
BenchHooks` ``spec``); the bench finds it through the registry (:func:`spec_of`), so the bench
names no PSA and adding one is a function here plus one line in its plugin. The values come from
the PSA's own modules (the client's defaults, its endpoint paths, its documents), never copied.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.psa import registry

UNCAPPED = 1_000_000
"""Requests a window for an unmeasured run: no cap in effect."""


@dataclass(frozen=True)
class PsaBench:
    """How one PSA is bounded: its pages' order, its client's in-flight cap, its client-side
    rate cap (requests per window), and where its kinds are read and written.

    ``collections``: a PSA-owned kind -> the path (suffix, no leading slash) of the listing a
    stale check and a verification re-read for it; ``documents``: a Salesbuildr-owned section ->
    the settings document holding it (one PUT per document touched)."""

    psa: str
    paging: str  # "chain" (forward-only cursor) or "offset" (page 1, then the rest together)
    in_flight: int
    rate: tuple[int, float]  # (requests, per seconds)
    collections: Mapping[str, str] = field(default_factory=dict)
    documents: Mapping[str, str] = field(default_factory=dict)
    scoped: Mapping[str, str] = field(default_factory=dict)
    """A collection (path suffix) -> the YAML path (dotted) naming the parents whose child
    listings a run needs (``service/boards`` -> ``ticket_settings.board``): the bound counts
    nothing for a listing below another parent's id."""
    uncapped_env: Mapping[str, str] = field(default_factory=dict)
    """Environment that lifts the client's rate cap, for the unmeasured runs (the export a plan
    workload starts from, the re-plan after an apply); empty: the cap has no variable."""


def resolve(reference: str) -> Callable[..., Any]:
    """The function a ``module:function`` hook names (ValueError when it names none)."""
    module, _, name = reference.partition(":")
    if not module or not name:
        raise ValueError(f"not a module:function hook: {reference!r}")
    found = getattr(importlib.import_module(module), name)
    if not callable(found):
        raise ValueError(f"{reference} is not callable")
    return found  # type: ignore[no-any-return]


def hook(psa: str, name: str) -> Callable[..., Any]:
    """The bench hook ``name`` (``spec``, ``read_floor``, ``write_floor``) of ``psa``'s plugin."""
    reference = str(getattr(registry.get(psa).bench, name))
    if not reference:
        raise ValueError(f"the {psa} plugin sets no bench hook {name}")
    return resolve(reference)


def spec_of(psa: str) -> PsaBench:
    spec = hook(psa, "spec")()
    if not isinstance(spec, PsaBench) or spec.psa != psa:
        raise ValueError(f"the {psa} plugin's bench spec is not a PsaBench of {psa}")
    return spec


def connectwise() -> PsaBench:
    from reconciler.psa.connectwise import client, endpoints  # noqa: PLC0415 (the hook's)
    from reconciler.psa.connectwise.kinds_callbacks import CALLBACK  # noqa: PLC0415
    from reconciler.psa.connectwise.kinds_documents import PAGES  # noqa: PLC0415
    from reconciler.psa.connectwise.system import RATE_VARIABLE  # noqa: PLC0415

    return PsaBench(
        "connectwise",
        "chain",
        client.DEFAULT_MAX_IN_FLIGHT,
        (client.DEFAULT_REQUESTS_PER_MINUTE, 60.0),
        collections={CALLBACK.name: endpoints.CALLBACKS},
        documents=dict(PAGES),
        scoped={endpoints.BOARDS: "ticket_settings.board"},
        uncapped_env={RATE_VARIABLE: str(UNCAPPED)},
    )


def halopsa() -> PsaBench:
    from reconciler.psa.halopsa import client  # noqa: PLC0415 (the hook's)
    from reconciler.psa.halopsa.kinds_documents import PAGES  # noqa: PLC0415
    from reconciler.psa.halopsa.kinds_webhooks import HALO_WEBHOOK  # noqa: PLC0415
    from reconciler.psa.halopsa.resources import WEBHOOK  # noqa: PLC0415

    cap = client.RateCap()
    return PsaBench(
        "halopsa",
        "offset",
        client.DEFAULT_MAX_IN_FLIGHT,
        (cap.limit, cap.window_s),
        collections={HALO_WEBHOOK.name: WEBHOOK.name},
        documents=dict(PAGES),
    )
