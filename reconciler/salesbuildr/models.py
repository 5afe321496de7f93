"""The values the Salesbuildr client returns (reference rows, settings documents, jobs) and the
apply lock's holder, with the lock's own helpers (who we are, whether a holder still runs)."""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import ConflictError

SYSTEM = "salesbuildr"


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    parent_id: str | None
    path: tuple[str, ...]


@dataclass(frozen=True)
class CompanyType:
    key: str
    name: str


@dataclass(frozen=True)
class DataPoint:
    id: str
    name: str
    group: str | None
    type: str
    multi_select: bool
    company_types: tuple[str, ...]
    entity: str

    @property
    def path(self) -> tuple[str, ...]:
        return (self.group, self.name) if self.group else (self.name,)


@dataclass(frozen=True)
class CategoryUsage:
    category_id: str
    product_count: int
    service_count: int


@dataclass(frozen=True)
class Section:
    """One settings document as read: its body and the ETag to send back in If-Match."""

    name: str
    body: dict[str, Any]
    etag: str


@dataclass(frozen=True)
class LockHolder:
    owner: str
    acquired_at: str
    expires_at: str

    @property
    def host(self) -> str:
        return self.owner.rsplit("@", 1)[-1].rsplit(":", 1)[0] if "@" in self.owner else ""

    @property
    def pid(self) -> int | None:
        tail = self.owner.rsplit(":", 1)
        return int(tail[1]) if len(tail) == 2 and tail[1].isdigit() else None

    def is_dead(self, *, here: str, alive: Callable[[int], bool]) -> bool:
        """True only when the holder is a process on this host (``here``) that is not running;
        a holder elsewhere, or one whose owner names no pid, may be alive."""
        return self.host == here and self.pid is not None and not alive(self.pid)

    def liveness(self, *, here: str, alive: Callable[[int], bool]) -> str:
        """What this host can tell about the holder, as a sentence for ``force-unlock``."""
        if self.host == here and self.pid is not None:
            running = "is running" if alive(self.pid) else "is not running"
            return f"holder process {self.pid} on this host {running}"
        where = f"on {self.host}" if self.host else "not a user@host:pid owner"
        return f"the holder is {where}: this host cannot tell whether it is still running"


@dataclass(frozen=True)
class Job:
    id: str
    status: str
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.status in ("succeeded", "failed")


class LockHeld(ConflictError):
    """Another apply holds the tenant's lock."""

    def __init__(self, holder: LockHolder):
        self.holder = holder
        super().__init__(
            f"another apply holds the lock: {holder.owner} since {holder.acquired_at} "
            f"(expires {holder.expires_at})",
            system=SYSTEM,
            method="PUT",
            path="/integration/autotask/lock",
            status=409,
            hint="wait for it (--lock-timeout), or if that run is dead: reconcile force-unlock",
        )


def lock_owner() -> str:
    """``user@host:pid``, the owner recorded in the apply lock."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}:{os.getpid()}"


def process_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
