"""The apply journal: one JSON line per HTTP write, durable before the write counts as done.

* Append-only, opened without following links, mode 0600, never replaced
  (files.open_append_only); every line passes the redactor.
* Thread-safe, with group commit: a record is written to the file under a lock (whole lines, one
  ``write`` each, so lines never interleave or tear), then the caller waits until an ``fsync``
  that started after its line was written has finished. Writes that finish together share one
  ``fsync``: the first waiter syncs for everyone whose line is already in the file.
* A line is ``{"ts", "address", "addresses", "action", "request", "outcome", "id"[, "error"]}``:
  ``address`` is what the request wrote (a plan address, or ``salesbuildr:<document>`` for a
  settings PUT), ``addresses`` the plan changes it carries (a document PUT lists all of them).
* A journal continued after a killed run whose last line was cut short gets a line break first:
  the cut line stays one broken line, and the next record starts a line of its own.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.files import open_append_only
from reconciler.redact import redact
from reconciler.writes import WriteRecord


class JsonlJournal:
    """See the module docstring; ``records`` keeps what this run journalled."""

    def __init__(self, path: Path):
        self.path = path
        handle = open_append_only(path)
        self._fd = handle.fileno()
        self._file = handle  # keeps the descriptor open; written through ``os.write``
        size = os.fstat(self._fd).st_size
        self.created = size == 0
        """Whether this run started the file (an empty, unused one may be removed)."""
        if size and not _ends_with_newline(path):
            os.write(self._fd, b"\n")
        self.records: list[WriteRecord] = []
        self.syncs = 0
        """How many ``fsync`` calls this journal made (group commit: at most one per record)."""
        self._lock = threading.Lock()  # file writes and counters
        self._sync_lock = threading.Lock()  # one fsync at a time
        self._written = 0
        self._synced = 0

    def __call__(self, record: WriteRecord) -> None:
        line = (redact(json.dumps(_line(record), sort_keys=True)) + "\n").encode("utf-8")
        with self._lock:
            _write_all(self._fd, line)
            self.records.append(record)
            self._written += 1
            mine = self._written
        self._sync(mine)

    def _sync(self, upto: int) -> None:
        """Return once the first ``upto`` lines are on disk (maybe by another thread's sync)."""
        with self._sync_lock:
            if self._synced >= upto:
                return
            with self._lock:
                target = self._written
            os.fsync(self._fd)
            self.syncs += 1
            self._synced = target

    def close(self) -> None:
        self._file.close()


def _line(record: WriteRecord) -> dict[str, Any]:
    line: dict[str, Any] = {
        "ts": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "address": record.address,
        "addresses": list(record.carries),
        "action": record.action,
        "request": record.request,
        "outcome": record.outcome,
        "id": record.item_id,
    }
    if record.error:
        line["error"] = record.error
    return line


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _ends_with_newline(path: Path) -> bool:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        return size == 0 or os.pread(fd, 1, size - 1) == b"\n"
    finally:
        os.close(fd)
