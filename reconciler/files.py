"""Every file the tool writes, written safely: never through a symbolic link, never half-written.

* :func:`write_text_atomically` (plan files, exports, the schema, the sandbox's env file): the
  text goes through the redactor into a temporary file in the target's folder, is synced, and is
  renamed over the target (``os.replace``), so a reader sees the old file or the new one, whole.
* :func:`open_append_only` (journals): ``O_APPEND|O_NOFOLLOW|O_CREAT``, mode 0600, never replaced.

A symbolic link at the target (or, for a journal, as its folder) is refused with
:class:`UnsafePathError` (exit 1): a link planted in a pull request must not turn a write into an
overwrite of a file elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import IO

from reconciler.errors import UnsafePathError
from reconciler.redact import redact

PRIVATE_MODE = 0o600
"""Plan files, journals and env files: they hold live data or credentials."""

PUBLIC_MODE = 0o666
"""Exports and the schema (meant to be committed, no secret in them): the umask applies."""


def refuse_unsafe_target(path: Path) -> None:
    """Refuse a target that is a symbolic link or exists as something other than a regular file."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePathError(
            f"{path} is a symbolic link; reconcile does not write through links",
            hint=f"remove the link or choose another path (the link points to {_target(path)})",
        )
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePathError(
            f"{path} exists and is not a regular file", hint="choose another path"
        )


def write_text_atomically(path: Path, text: str, *, mode: int = PRIVATE_MODE) -> None:
    """Write redacted ``text`` to ``path`` via a temporary file and a rename (see the module)."""
    refuse_unsafe_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode != PRIVATE_MODE:
        mode &= ~_umask()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(redact(text))
            file.flush()
            os.fsync(file.fileno())
        # Checked again just before the rename; os.replace never follows a link anyway.
        refuse_unsafe_target(path)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def open_append_only(path: Path) -> IO[str]:
    """Open (or create, mode 0600) ``path`` to append to; a link at it or as its folder is
    refused."""
    if path.parent.is_symlink():
        raise UnsafePathError(
            f"{path.parent} is a symbolic link; reconcile does not write journals through links",
            hint="remove the link (a real folder is created when missing)",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        handle = os.open(path, flags, PRIVATE_MODE)
    except OSError as error:
        if path.is_symlink():
            raise UnsafePathError(
                f"{path} is a symbolic link; reconcile does not write journals through links",
                hint=f"remove the link (it points to {_target(path)}); no write was made",
            ) from None
        raise UnsafePathError(f"cannot open the journal {path}: {error.strerror}") from None
    info = os.fstat(handle)
    if not stat.S_ISREG(info.st_mode):
        os.close(handle)
        raise UnsafePathError(f"the journal {path} is not a regular file", hint="remove it")
    os.set_blocking(handle, True)
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != PRIVATE_MODE:
        os.fchmod(handle, PRIVATE_MODE)
    return os.fdopen(handle, "a", encoding="utf-8")


def _target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
