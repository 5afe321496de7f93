"""The one exception tree of reconcile.

Every error a user can cause is a :class:`ReconcileError` with a message written for a person, an
optional hint saying what to do next, and the process exit code the CLI maps it to (CLI.md "Exit
codes"). The CLI prints ``message`` and ``hint`` and exits; it never shows a traceback for these
unless ``--debug`` is given.

    ReconcileError                      exit 1 unless stated
    ├── ConfigError           the YAML document is wrong (carries every Diagnostic at once)
    ├── UsageError            a command-line argument or environment variable is wrong
    │   └── PlanFileError     a saved plan is unreadable, malformed, altered or unverifiable
    ├── ProviderError         an API answered with an error (method, path, the API's message)
    │   ├── AuthError         401/403 (Autotask: also a 500 naming a credential): refused
    │   ├── NotFoundError     404: no such route or object
    │   ├── ValidationFailed  400/422 (Autotask: also 500 with ``errors``): input refused
    │   ├── ConflictError     409/412: the object changed since it was read, or is locked
    │   ├── RateLimited       429 after the allowed retries
    │   ├── Unavailable       5xx/timeouts/connection errors on a read, after retries
    │   ├── UnknownOutcome    a write was sent but its outcome is unknown (timeout, reset, 503)
    │   └── ServerMisbehaved  an answer that cannot be right: paging that never ends or loops,
    │                         a category that is its own ancestor
    ├── AmbiguousMatch        two live objects match one name after folding, neither exactly
    ├── RefusedError          exit 3: apply refused before any write (stale plan, threshold,
    │   │                     hourly budget, lock held)
    │   └── StalePlanError    what the plan touches moved since it was made (names each move)
    ├── PartialApplyError     exit 4: some writes done, or the re-plan is not empty
    └── ApplyInterrupted      exit 130: Ctrl-C during apply, after the writes in flight ended

This module imports nothing of ours, so every layer may raise these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EXIT_ERROR = 1
EXIT_REFUSED = 3
EXIT_PARTIAL = 4
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a document, located as ``FILE:LINE:COL`` (1-based)."""

    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    hint: str | None = None
    severity: str = "error"
    id: str = ""
    """A warning's id from :mod:`reconciler.warning_ids` (``policy.acknowledge`` names it)."""

    @property
    def location(self) -> str:
        if not self.file:
            return ""
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"

    def render(self) -> str:
        where = self.location
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ReconcileError(Exception):
    """Base of every error a user can cause or act on."""

    exit_code: int = EXIT_ERROR

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class ConfigError(ReconcileError):
    """The configuration document is invalid; ``diagnostics`` holds every problem found."""

    def __init__(self, diagnostics: list[Diagnostic], *, hint: str | None = None):
        self.diagnostics = list(diagnostics)
        count = len(self.diagnostics)
        noun = "error" if count == 1 else "errors"
        super().__init__(f"{count} {noun} in the configuration", hint=hint)


class UsageError(ReconcileError):
    """A command-line argument, option or environment variable is missing or wrong."""


class UnsafePathError(UsageError):
    """A file the tool would write is a symbolic link (or not a regular file): never written
    through."""


class PlanFileError(UsageError):
    """A saved plan is not exactly a reviewed plan: not JSON, off the schema, its checksum or
    signature does not hold, or a write lacks what the stale check compares. Nothing is sent."""


class ProviderError(ReconcileError):
    """An API call failed. Carries the request line (never headers) and the API's own messages."""

    def __init__(
        self,
        message: str,
        *,
        system: str,
        method: str,
        path: str,
        status: int | None = None,
        api_messages: list[str] | None = None,
        hint: str | None = None,
    ):
        self.system = system
        self.method = method
        self.path = path
        self.status = status
        self.api_messages = list(api_messages or [])
        detail = f"{system}: {method} {path}"
        if status is not None:
            detail += f" -> {status}"
        full = f"{message} [{detail}]"
        if self.api_messages:
            full += ": " + "; ".join(self.api_messages)
        super().__init__(full, hint=hint)


class AuthError(ProviderError):
    """The API refused the credentials: 401/403, or an Autotask 500 whose message says which
    credential (see :mod:`reconciler.psa.autotask.auth`); the hint names it."""


class NotFoundError(ProviderError):
    """The route or object does not exist (404)."""


class ValidationFailed(ProviderError):
    """The API refused the input; its messages are kept verbatim. Never retried."""


class ConflictError(ProviderError):
    """The object changed since it was read (412) or is held by someone else (409)."""


class RateLimited(ProviderError):
    """Still rate limited (429) after the allowed retries."""


class Unavailable(ProviderError):
    """The API did not answer usefully (5xx, timeout, connection error) after retries."""


class UnknownOutcome(ProviderError):
    """A write was sent but no answer came back: it may or may not have been committed.

    The apply layer resolves it (look up by natural key, re-read and compare) before retrying.
    """


class ServerMisbehaved(ProviderError):
    """The API answered something impossible (a next page that repeats, pages that never end,
    a parent cycle): reading stops at once instead of looping or growing without bound."""


class AmbiguousMatch(ReconcileError):
    """Two or more live objects of one kind are equal to a desired name after folding (case,
    Unicode compatibility forms, spacing) and none is spelled exactly like it."""


class RefusedError(ReconcileError):
    """Apply refused before any write: stale plan, threshold, hourly budget or a held lock."""

    exit_code = EXIT_REFUSED


class StalePlanError(RefusedError):
    """Apply's stale check: objects the plan touches moved since it was made. ``moved`` says
    which and how, one line each, so the caller can word the refusal for what it applied (a
    saved plan, or a plan it just made from a YAML and then waited on)."""

    def __init__(self, message: str, *, moved: list[str], hint: str | None = None):
        super().__init__(message, hint=hint)
        self.moved = list(moved)


class PartialApplyError(ReconcileError):
    """Some writes were done and others were not, or the verification re-plan is not empty."""

    exit_code = EXIT_PARTIAL


def retry_when(seconds: float, now: datetime | None = None) -> str:
    """``retry after 2026-12-02 17:20:00 UTC (in 600 s)``: when a run stopped by a rate limit or
    a spent request budget may start again, as a time and as a countdown (``now``: for tests)."""
    start = datetime.now(UTC) if now is None else now
    wait = max(seconds, 0.0)
    when = start + timedelta(seconds=wait)
    return f"retry after {when:%Y-%m-%d %H:%M:%S} UTC (in {math.ceil(wait)} s)"


class ApplyInterrupted(ReconcileError):
    """Ctrl-C during apply: no further write was started, the writes in flight were allowed to
    finish (or journalled as unknown); ``written`` of ``total`` writes are done."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, written: int, total: int, *, journal: str | None = None):
        self.written = written
        self.total = total
        where = f"journal {journal}" if journal else "every write is in the journal"
        super().__init__(
            f"interrupted after {written} of {total} writes; {where}; the next apply converges"
        )

    def at(self, journal: str) -> ApplyInterrupted:
        """The same interruption, naming the journal file."""
        return ApplyInterrupted(self.written, self.total, journal=journal)
