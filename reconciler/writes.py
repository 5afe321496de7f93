"""What the apply engine sees of the providers: a writer of plan changes and an observer of the
live objects a plan touches. apply.py imports only this module of the providers.

The writer does not perform an apply's writes itself: it *describes* them (:class:`WriteOp`, in
:data:`Stages`), and the engine runs them, concurrently where the stages allow, so that one
bounded pool decides how many writes are in flight and the number of writes is known before the
first one is sent (the progress counter counts writes, not objects)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class FieldChange(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def before(self) -> Any: ...
    @property
    def after(self) -> Any: ...


class Change(Protocol):
    """What providers need of a plan change (``reconciler.plan.Change`` is one); providers do
    not import the plan layer."""

    @property
    def address(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def section(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def before(self) -> Mapping[str, Any] | None: ...
    @property
    def after(self) -> Mapping[str, Any] | None: ...
    @property
    def diff(self) -> Sequence[FieldChange]: ...
    @property
    def sensitive_paths(self) -> Sequence[str]: ...
    @property
    def ids(self) -> Mapping[str, Any]: ...
    @property
    def secret_refs(self) -> Mapping[str, str | None]: ...


@dataclass(frozen=True)
class WriteRecord:
    """One HTTP write as the journal keeps it: what, where, how it ended (never a secret).

    ``address`` is what the request wrote: a plan address, or for a settings document PUT the
    document's key (``salesbuildr:billing-codes``); ``addresses`` the plan changes the write
    carries (a document PUT carries every mapping of its section; empty: just ``address``)."""

    address: str
    action: str
    request: str
    outcome: str  # "ok" | "adopted" | "failed" | "unknown"
    item_id: Any = None
    error: str | None = None
    addresses: tuple[str, ...] = ()

    @property
    def carries(self) -> tuple[str, ...]:
        """The plan addresses this write is part of."""
        return self.addresses or (self.address,)


Journal = Callable[[WriteRecord], None]


@dataclass(frozen=True)
class WriteOp:
    """One HTTP write ready to be sent (with the reads that resolve a lost answer), which
    journals exactly one :class:`WriteRecord` however it ends. ``label`` says what it does
    (progress lines); ``run`` may read what an earlier stage of the same chain produced (a
    created webhook's id): the engine starts a stage only after the one before finished."""

    label: str
    run: Callable[[Journal], None]
    carries: tuple[str, ...] = ()
    """The plan addresses this write is part of (its record's ``carries``)."""


Stages = Sequence[Sequence[WriteOp]]
"""The writes of one step in order: the ops of a stage are independent of each other (the
engine may run them concurrently); each stage starts when every op of the one before is done.
A webhook is ``[[create inactive], [fields, UDF fields, excluded resources...], [activate]]``."""


@dataclass(frozen=True)
class Observation:
    """Fresh fingerprints of the touched objects and the ETags of the touched documents, plus
    the attributes now live (to say what moved)."""

    fingerprints: Mapping[str, str]
    attributes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestWindowNeed:
    """The Salesbuildr requests an apply still needs (its writes, and the re-reads that check
    and verify them) and what the last answer said is left of the rolling window."""

    title: str
    """How messages name the system ("Salesbuildr")."""
    writes: int
    rereads: int
    remaining: int
    window_s: float
    retry_at: float | None = None


class ChangeWriter(Protocol):
    """Carries out plan changes against the live systems."""

    def observe(self, changes: Sequence[Change]) -> Observation:
        """Re-read only what ``changes`` touch (and the Salesbuildr documents' ETags)."""
        ...

    def remaining_requests(self) -> int | None:
        """What is left of the Autotask hourly budget (None when Autotask is not involved)."""
        ...

    def window_need(
        self, changes: Sequence[Change], *, check_stale: bool
    ) -> RequestWindowNeed | None:
        """What applying ``changes`` needs of Salesbuildr's window and what is left (None when
        no answer told what is left)."""
        ...

    def object_writes(self, change: Change) -> Stages:
        """The writes that create/update one Autotask object (and its children); each
        resolves its own unknown outcome before anything else happens to the object."""
        ...

    def document_writes(self, changes: Sequence[Change]) -> Stages:
        """One PUT (with If-Match) of the Salesbuildr settings document of ``changes``' section
        when they change it, including the Salesbuildr flags of Autotask objects of that
        section written before (stock tracking of created, updated or deactivated locations).
        No op when nothing in the document changes."""
        ...

    def removal_writes(self, change: Change) -> Stages:
        """The writes that delete or deactivate one Autotask object (its Salesbuildr flags are
        cleared by the section's :meth:`document_writes` after every removal)."""
        ...

    def remove(self, change: Change, journal: Journal) -> None:
        """Delete or deactivate one Autotask object now, one write after the other, its
        Salesbuildr flags included (outside an apply: ``webhooks uninstall``)."""
        ...

    def verify(self, changes: Sequence[Change]) -> list[str]:
        """Re-read what was touched; describe every change that is not live now (empty: done)."""
        ...
