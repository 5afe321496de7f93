"""Every byte the CLI writes passes the redactor: stdout and stderr wrapped once, logs formatted
through it.

The wrappers sit under click.echo, rich's console, ``traceback.print_exc``, Python's own traceback
printing and every logging handler, because all of them write to ``sys.stdout`` / ``sys.stderr``.
A write is redacted as one piece: callers (click, logging, rich) write a message in one call.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import IO, Any

from reconciler import redact as redactor
from reconciler.render.escape import terminal_lines


class RedactingStream:
    """A text stream that redacts every string before the stream under it sees it."""

    def __init__(self, inner: IO[str]):
        self._inner = inner

    @property
    def inner(self) -> IO[str]:
        return self._inner

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            # click probes a stream with write(b"") to tell binary from text: this is text.
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._inner.write(redactor.redact(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    @property
    def buffer(self) -> _RedactingBinary:
        return _RedactingBinary(self._inner)

    def __getattr__(self, name: str) -> Any:
        # flush, isatty, fileno, encoding, errors, ...: the stream under it answers.
        return getattr(self._inner, name)


class _RedactingBinary:
    """``sys.stdout.buffer`` of a redacting stream: bytes are decoded, redacted, re-encoded."""

    def __init__(self, inner: IO[str]):
        self._inner = inner

    def write(self, data: bytes) -> int:
        encoding = getattr(self._inner, "encoding", None) or "utf-8"
        text = bytes(data).decode(encoding, errors="replace")
        self._inner.write(redactor.redact(text))
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(getattr(self._inner, "buffer", self._inner), name)


class RedactingFormatter(logging.Formatter):
    """A log formatter whose lines (message, arguments, exception text) are redacted, then shown
    as the terminal view shows data (log lines quote vendor messages and paths)."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_lines(redactor.redact(super().format(record)))


def install_redacting_streams() -> None:
    """Wrap ``sys.stdout`` and ``sys.stderr`` once (idempotent) and learn the environment's
    credentials, so that nothing the process prints can carry one."""
    redactor.register_environment(os.environ)
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)


def configure_logging(verbose: int, debug: bool) -> None:
    """The ``reconciler`` logger to stderr at the level -v/-vv/--debug ask for, redacted."""
    level = logging.WARNING
    if verbose == 1:
        level = logging.INFO
    elif verbose >= 2 or debug:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(message)s" if verbose < 2 else "%(name)s: %(message)s")
    )
    logger = logging.getLogger("reconciler")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
