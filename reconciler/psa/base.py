"""What a PSA package brings to the engine: one :class:`Psa` object, found through the
``reconciler.psa`` entry-point group (:mod:`reconciler.psa.registry`).

Everything specific to a PSA hangs off this object, so the core (config, plan, apply, render,
the CLI) dispatches to it and never names a PSA. Fields are filled lazily by the package: a
PSA's heavy parts (its HTTP client, its simulator) are imported only by the commands that use
them, so ``reconcile --help`` and ``validate`` keep their start-up targets."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Psa:
    """One PSA as the engine sees it.

    ``name`` is the YAML's ``psa:`` value and the key of its kinds and documents; ``title`` is
    how messages name it ("Autotask"). ``env_vars`` are the variables its connection reads from
    the real environment (never from the YAML). ``sections`` maps each YAML section of its
    admin pages to its pydantic model (the config union and the schema are built from them).

    The callables are hooks the core calls; each takes and returns plain core types (see their
    own docs in the PSA package). ``extra`` holds what only some PSAs have, keyed by hook name,
    so a new hook is added here once rather than guessed at by the core."""

    name: str
    title: str
    env_vars: tuple[str, ...]
    sections: Callable[[], Mapping[str, Any]]
    kinds: Callable[[], tuple[Any, ...]]
    connect: Callable[..., Any] | None = None
    read: Callable[..., Any] | None = None
    writer: Callable[..., Any] | None = None
    export: Callable[..., Any] | None = None
    preflight: Callable[..., Any] | None = None
    operations: Callable[[], Any] | None = None
    policy_keys: tuple[str, ...] = ()
    after_apply: tuple[str, ...] = ()
    salesbuildr_documents: str = ""
    """The package resource (``reconciler.psa.autotask:salesbuildr_documents.json``) holding
    the JSON Schema of each Salesbuildr settings document its pages use."""
    sandbox: str = ""
    """The module of its simulator (``reconciler.sandbox.autotask``), imported only by
    ``reconcile sandbox`` and the tests; the core never imports it."""
    extra: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
