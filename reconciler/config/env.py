"""The environment a run sees: real variables win over a ``.env`` file in the working directory.

A ``.env`` file sits beside the YAML, so a pull request can add one: it may supply values for the
YAML's ``${env:NAME}`` references only. A ``.env`` that sets one of reconcile's own variables
(credentials, API URLs, limits such as a PSA's rate cap or page size, ``RECONCILE_*``, CI
tokens) is refused: those come from the real environment alone, and silently ignoring them
would leave the operator guessing. Besides the table of :mod:`reconciler.envvars`, the
variables every installed PSA declares (``Psa.env_vars``, ``Psa.limit_vars``) are refused, so
a PSA added by a plugin is covered without an entry there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from reconciler.config.references import own_variable_role
from reconciler.errors import UsageError
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
    """``.env`` of ``cwd`` overlaid by the real environment; a UsageError when the ``.env`` sets
    one of reconcile's own variables (see the module docstring)."""
    path = (cwd or Path.cwd()) / ".env"
    base = read_dotenv(path)
    roles_of = {name: own_variable_role(name) for name in base}
    refused = sorted(name for name, role in roles_of.items() if role is not None)
    if refused:
        roles = ", ".join(f"{name} ({roles_of[name]})" for name in refused)
        raise UsageError(
            f"{path.name} sets reconcile's own variables: {roles}; a .env file may only supply "
            "values for the YAML's ${env:NAME} references",
            hint=f"remove {', '.join(refused)} from {path.name} and export them in the real "
            "environment (your shell or the CI job's secret variables)",
        )
    base.update(os.environ if environ is None else environ)
    register_environment(base)  # the redactor hides every credential it holds, .env's included
    return base
