"""The two ends of the wire share no code: the simulator imports only ``sandbox.common`` (and the
server runner), the client only the transport, paging, errors, redactor, hosts and envvars."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "reconciler"
ALLOWED = {
    "sandbox/connectwise": ("reconciler.sandbox.connectwise", "reconciler.sandbox.common",
                            "reconciler.sandbox.server"),
    "psa/connectwise": ("reconciler.psa.connectwise", "reconciler.transport.http",
                        "reconciler.transport.paging", "reconciler.errors", "reconciler.redact",
                        "reconciler.hosts", "reconciler.envvars"),
}  # fmt: skip
LANGUAGE = frozenset(p.name for p in (ROOT / "psa/connectwise").glob("*.py")) - {
    "__init__.py", "client.py", "conditions.py", "credentials.py", "endpoints.py", "errors.py"
}  # fmt: skip
"""The language's modules (models, kinds, rules) use the engine's layers (tests/test_layering.py
holds them to the psa rules); the wire's modules only what a client needs."""


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] if node.module != "reconciler" else [
                f"reconciler.{alias.name}" for alias in node.names
            ]  # fmt: skip
            found.update(names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "reconciler" or name.startswith("reconciler.")}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_end_imports_only_what_it_may(package: str) -> None:
    files = sorted(p for p in (ROOT / package).rglob("*.py") if p.name not in LANGUAGE)
    assert files
    for path in files:
        for name in _imports(path):
            assert name.startswith(ALLOWED[package]), f"{path.name} imports {name}"


def test_every_module_stays_short() -> None:
    for package in ALLOWED:
        for path in (ROOT / package).rglob("*.py"):
            assert len(path.read_text("utf-8").splitlines()) <= 400, path.name
