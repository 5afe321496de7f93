"""The environment a run sees: real variables win over a ``.env`` file in the working directory."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from reconciler.redact import register_environment

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse ``NAME=value`` / ``export NAME=value`` lines; quotes around a value are removed."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError, PermissionError):
        return values
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            continue
        name, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def run_environment(
    cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``.env`` of ``cwd`` overlaid by the real environment."""
    base = read_dotenv((cwd or Path.cwd()) / ".env")
    base.update(os.environ if environ is None else environ)
    register_environment(base)  # the redactor hides every credential it holds, .env's included
    return base
