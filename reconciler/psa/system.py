"""The run side of a PSA (:attr:`reconciler.psa.base.Psa.system`): what ``session``, the
writer router and apply need of it, as Protocols the PSA package satisfies.

* :class:`PsaSystem` — its client (opened on a checked URL, credentials from the real
  environment), its kinds, the YAML's desired resources, the reference tables they need, its
  reads (:class:`SystemReads`), its writer (:class:`SystemWriter`), its metadata and preflight;
* :class:`SettingsDocuments` — the Salesbuildr settings documents of the PSA's pages
  (``/integration/<psa>/settings/<page>``): which to read, their live resources, the body a
  PUT sends. Salesbuildr's reads and writer use the adapter of the YAML's PSA, so the
  Salesbuildr side names no PSA's documents.

Only type names are imported here (start-up: ``--help`` imports this module).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from reconciler.kinds.base import Kind, Problem
    from reconciler.kinds.catalog import Catalog, NameTable
    from reconciler.kinds.constraints import EntityRules
    from reconciler.plan.budgets import Budget
    from reconciler.plan.model import Plan
    from reconciler.state import Resource, SectionSnapshot, State
    from reconciler.writes import Change, Stages, WriteOp


class SystemReads(Protocol):
    """One system's reads of one run, in phases, so that every system's requests are out at
    once (``session.read_live``): :meth:`start` submits what waits for nothing (the longest
    chains first), :meth:`tables` the reference tables known once the YAML's resources are
    built. A context manager over its own pool: leaving it waits for every read."""

    prefix: str
    """The names of its reference tables begin with it (``autotask.``)."""

    def __enter__(self) -> SystemReads: ...

    def __exit__(self, *exc: object) -> None: ...

    def start(self, sections: Sequence[str], tables: Sequence[str]) -> None: ...

    def tables(self, names: Sequence[str]) -> None:
        """Read the tables of ``names`` that are its own and not yet asked for."""
        ...

    def read_tables(self) -> Mapping[str, NameTable]: ...

    def documents(self) -> Mapping[str, SectionSnapshot]:
        """The settings documents read (Salesbuildr's; a PSA has none)."""
        ...

    def resources(
        self,
        sections: Sequence[str],
        catalog: Catalog,
        documents: Mapping[str, SectionSnapshot],
    ) -> list[Resource]:
        """The live resources of ``sections`` (``documents``: every system's, for the flags a
        PSA object keeps in a Salesbuildr document)."""
        ...


LiveReader = Callable[[Sequence[str], Sequence[str]], "tuple[State, Catalog]"]
"""Re-reads sections (and the webhook entities named) for observation and verification."""


class SystemWriter(Protocol):
    """The writes of the changes one system owns (the router dispatches on ``change.owner``)."""

    document_sections: frozenset[str]
    """The sections whose settings document this writer writes itself (a PSA's flags kept in a
    Salesbuildr document, written once its objects' ids are known); the others: Salesbuildr's."""

    def writes(self, change: Change) -> Stages: ...

    def removal_writes(self, change: Change) -> Stages: ...

    def section_op(self, section: str, group: Sequence[Change]) -> WriteOp | None:
        """The document write of ``section`` carrying ``group`` (None: nothing of it)."""
        ...

    def remaining_requests(self) -> int | None: ...


class SettingsDocuments(Protocol):
    """The Salesbuildr settings documents of one PSA's pages (one per admin page, a JSON
    Schema each in the PSA's ``salesbuildr_documents.json``)."""

    integration: str
    """The path segment of its documents and jobs: ``/integration/<integration>/settings/``."""

    def documents_for(self, sections: Sequence[str]) -> list[str]:
        """The documents a run of ``sections`` reads (in a stable order)."""
        ...

    def document_of(self, section: str) -> str | None:
        """The document the Salesbuildr-owned changes of ``section`` are written to (None:
        the section has none)."""
        ...

    def documents_touched(self, change: Change) -> tuple[str, ...]:
        """The documents a write of ``change`` PUTs (the request window; stale checks)."""
        ...

    def live(
        self,
        sections: Sequence[str],
        documents: Mapping[str, SectionSnapshot],
        catalog: Catalog,
    ) -> list[Resource]:
        """The live resources the documents hold for ``sections`` (and any catalog facts
        they carry, set on ``catalog``)."""
        ...

    def apply_changes(
        self, section: str, body: Mapping[str, Any], changes: Sequence[Change]
    ) -> dict[str, Any]:
        """The body to PUT: the live ``body`` of ``section``'s document with ``changes``."""
        ...

    def read_table(self, client: Any, name: str) -> NameTable | None:
        """One Salesbuildr reference table its kinds name (None: not one of its tables);
        ``client``: the Salesbuildr client."""
        ...


class PsaSystem(Protocol):
    """The PSA's side of a run, for ``session``: how its client is opened (credentials from the
    real environment, a reviewed URL checked before any request), read, checked and written."""

    owner: str
    """The owner of its kinds; the key of its plan target, budget and request count."""
    title: str
    sections: frozenset[str]
    """The YAML sections whose objects its client reads or writes."""
    credentials: tuple[str, ...]
    """The variables its client needs (named with Salesbuildr's, all at once, when unset)."""
    url_variable: str
    url_key: str
    """Where the YAML names its URL (``autotask.url``; "" when the YAML cannot)."""

    @property
    def kinds(self) -> Mapping[str, Kind]:
        """Every kind of the PSA's files by name (its own and the Salesbuildr-owned ones)."""
        ...

    @property
    def documents(self) -> SettingsDocuments: ...

    def desired(self, loaded: Any) -> list[Resource]:
        """The YAML's resources (a ``LoadedConfig`` of this PSA), before name resolution."""
        ...

    def tables_needed(self, sections: Sequence[str], desired: Sequence[Resource]) -> set[str]:
        """The reference tables (every system's) the kinds of ``sections`` and ``desired``
        name; with ``desired`` empty: those known before the YAML's resources are built."""
        ...

    def yaml_url(self, config: Any) -> str | None: ...

    def url(
        self, reviewed: str | None, source: str, environ: Mapping[str, str], transport: Any
    ) -> str:
        """The URL to send the credentials to (``reviewed``: the YAML's or a saved plan's)."""
        ...

    def open(self, environ: Mapping[str, str], url: str, transport: Any) -> Any: ...

    def target(self, client: Any) -> str: ...

    def budget(self, client: Any) -> Budget | None:
        """Its request budget for the plan's footer (None: it has none, or would not say)."""
        ...

    def reads(self, client: Any, entities: Sequence[str] | None) -> SystemReads: ...

    def stand_ins(self, entities: Sequence[str] | None) -> list[Resource]:
        """Resources standing for "every live object" (None: all) when there is no YAML."""
        ...

    def rules(
        self, client: Any, entities: Sequence[str], cache: dict[str, EntityRules]
    ) -> Mapping[str, EntityRules]:
        """Its metadata (fields, picklists, access) of ``entities``, read once a run."""
        ...

    def plan_problems(self, plan: Plan) -> list[Problem]:
        """What the PSA would refuse of the plan's writes that the engine's check against
        :meth:`rules` cannot see (constraints its vendor document states, in its own words).
        Pure; the session raises them with the engine's, before any write."""
        ...

    def writer(
        self, client: Any, documents: Any, secret: Callable[[Change, str], str]
    ) -> SystemWriter:
        """Its writer; ``documents``: the Salesbuildr writer (its flags live there)."""
        ...

    def preflight(
        self, client: Any, sections: Sequence[str], desired: Sequence[Resource], cache: Any
    ) -> list[Any]:
        """The access checks (``preflight.AccessCheck``) of what the sections manage."""
        ...
