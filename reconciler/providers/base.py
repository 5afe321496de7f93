"""What the apply engine sees of the providers: a writer of plan changes and an observer of the
live objects a plan touches. apply.py imports only this module of the providers."""

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
    """One HTTP write as the journal keeps it: what, where, how it ended (never a secret)."""

    address: str
    action: str
    request: str
    outcome: str  # "ok" | "adopted" | "failed" | "unknown"
    item_id: Any = None
    error: str | None = None


Journal = Callable[[WriteRecord], None]


@dataclass(frozen=True)
class Observation:
    """Fresh fingerprints of the touched objects and the ETags of the touched documents, plus
    the attributes now live (to say what moved)."""

    fingerprints: Mapping[str, str]
    attributes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class SalesbuildrNeed:
    """The Salesbuildr requests an apply still needs (its writes, and the re-reads that check
    and verify them) and what the last answer said is left of the rolling window."""

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

    def salesbuildr_need(
        self, changes: Sequence[Change], *, check_stale: bool
    ) -> SalesbuildrNeed | None:
        """What applying ``changes`` needs of Salesbuildr's window and what is left (None when
        no answer told what is left)."""
        ...

    def write_autotask(self, change: Change, journal: Journal) -> None:
        """Create/update one Autotask object (and its children), resolving unknown outcomes."""
        ...

    def write_documents(self, changes: Sequence[Change], journal: Journal) -> None:
        """One PUT per Salesbuildr settings document that ``changes`` touch, with If-Match,
        including Salesbuildr flags of Autotask objects written before (stock tracking)."""
        ...

    def remove(self, change: Change, journal: Journal) -> None:
        """Delete or deactivate one Autotask object."""
        ...

    def verify(self, changes: Sequence[Change]) -> list[str]:
        """Re-read what was touched; describe every change that is not live now (empty: done)."""
        ...
