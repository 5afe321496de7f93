"""Who may import whom (ARCHITECTURE.md), enforced by walking every module's imports with `ast`.

A module's layer is its first component under `reconciler` (`reconciler/config/loader.py` ->
`config`), except that each module of `psa` is its own layer (`psa.base`, `psa.registry`, each
PSA package `psa.<name>`: a core layer may be allowed the interface and never a package), each
sandbox package is its own layer
(`sandbox.common`, `sandbox.autotask`, `sandbox.salesbuildr`, ...) and `__main__.py` belongs to
`cli`. A module may always import from its own package; everyone but `sandbox` may import
`errors`, the one redactor (`redact`), the one safe file writer (`files`) and the root package
(which holds only `__version__`). The simulators import only `sandbox.common` (never each
other); `sandbox.common` imports no simulator: the launcher finds them by a "module:factory"
string.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "reconciler"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

EVERYTHING = "*"
CORE_BELOW_CLI = frozenset(
    {
        "config",
        "kinds",
        "plan",
        "state",
        "session",
        "connections",
        "writes",
        "write_resolve",
        "envvars",
        "hosts",
        "export",
        "render",
        "apply_workflow",
        "preflight",
        "writer",
    }
)
"""What a PSA package may use of the core (besides transport and salesbuildr)."""

ALLOWED: dict[str, frozenset[str]] = {
    "cli": frozenset({EVERYTHING}),
    # One run against the systems (connect, read, resolve, plan, wire the writer): the CLI's
    # wiring, kept out of cli.py so that the CLI stays thin. It reaches the YAML's PSA through
    # the registry and its Psa object only, never a PSA package.
    "session": frozenset(
        {
            "connections",
            "config",
            "kinds",
            "plan",
            "state",
            "envvars",
            "hosts",
            "transport",
            "salesbuildr",
            "writer",
            "writes",
            "psa.base",
            "psa.system",
            "psa.registry",
        }
    ),
    # The clients of one run, opened one way (credentials, reviewed URLs): session's part.
    "connections": frozenset(
        {"config", "kinds", "plan", "hosts", "transport", "salesbuildr", "psa.base", "psa.registry"}
    ),
    # Salesbuildr jobs (polling, durations, the --category choice): PSA-neutral; messages quote
    # live names through render.escape's terminal(). The PSA's operations are in its package.
    "jobs": frozenset({"kinds", "salesbuildr", "render"}),
    # The apply workflow out of the CLI (lock, journal, apply, after_apply jobs): the core's, so
    # of the PSA packages it may know only the interface (psa.base), never a package.
    "apply_workflow": frozenset(
        {"apply", "session", "plan", "writes", "salesbuildr", "render", "state", "psa.base"}
    ),
    # Whether the credentials may do what a YAML needs (reconcile preflight): reads, no writes;
    # the PSA's access rules come through its Psa object.
    "preflight": frozenset(
        {"config", "kinds", "salesbuildr", "state", "session", "psa.base", "psa.registry"}
    ),
    "apply": frozenset(
        {"plan", "state", "writes", "apply_graph", "apply_run", "apply_journal", "envvars"}
    ),
    # The apply engine's parts: the write graph (pure, from the plan), the bounded runner of its
    # steps, the thread-safe group-commit journal. Below apply; none knows a vendor.
    "apply_graph": frozenset({"plan"}),
    # ... the runner learns each write's endpoint through transport.in_flight (a protocol and a
    # context variable the HTTP limiter reads): it knows no client.
    "apply_run": frozenset({"apply_graph", "writes", "transport"}),
    "apply_journal": frozenset({"writes"}),
    # The engine's seam with the writers (changes, stages, write records): pure types.
    "writes": frozenset(),
    # The writer of an apply: a router over the systems' writers (psa.base.SystemWriter), by
    # each change's owner; it observes and verifies through the live reader.
    "writer": frozenset({"kinds", "state", "writes", "write_resolve", "psa.base"}),
    # Unknown outcomes resolved by natural key: every system's writer uses it; knows no vendor.
    "write_resolve": frozenset({"writes", "kinds"}),
    "render": frozenset({"plan", "state"}),
    "plan": frozenset({"state", "kinds"}),
    # The config union's members come from the PSA registry (never from a PSA package).
    "config": frozenset({"state", "kinds", "envvars", "hosts", "psa.base", "psa.registry"}),
    # The one HTTP transport (retries, limits, budgets, paging guards, credentials): PSA-neutral,
    # it knows only the hosts a credential may go to and the variables reconcile reads.
    "transport": frozenset({"envvars", "hosts"}),
    # Salesbuildr's client and its settings documents as state: the transport and the core
    # below the CLI (no PSA package: each PSA's pages are documents of its own).
    # ... the documents of the YAML's PSA come through the interface (psa.system's
    # SettingsDocuments), never from a package.
    "salesbuildr": frozenset(
        {"transport", "state", "kinds", "writes", "write_resolve", "hosts", "psa.system"}
    ),
    "kinds": frozenset({"state"}),
    # The PSA interface and registry (psa.base, psa.registry) and the PSA packages (psa.<name>):
    # a package may use the transport, Salesbuildr's client and the core's layers below the CLI;
    # the core reaches it only through the registry.
    # ... the operations of a package quote live names through render.escape's terminal().
    "psa": CORE_BELOW_CLI | {"transport", "salesbuildr"},
    # A PSA that brings its language only (ConnectWise, HaloPSA this round): lazy hooks.
    "psa.language_only": frozenset({"psa.base"}),
    # The run side's Protocols (types only; psa.base re-exports them).
    "psa.system": frozenset({"kinds", "plan", "state", "writes"}),
    # The simulators: the other side of the wire, sharing no code with the clients they test.
    # sandbox.common (servers, faults, stats, control surface, launcher) imports nothing of ours;
    # each simulator (sandbox.autotask, sandbox.salesbuildr, sandbox.connectwise, ...) imports
    # only sandbox.common; the package root (sandbox) holds no code.
    "sandbox": frozenset(),
    "sandbox.common": frozenset(),
    "sandbox.*": frozenset({"sandbox.common"}),
    "schema": frozenset({"config"}),
    # Live state -> YAML text (reconcile export): pure, like render, but of a State.
    "export": frozenset(
        {"state", "kinds", "envvars"}
    ),  # generates the JSON Schema from the config models
    "state": frozenset(),
    # The variables reconcile reads itself and the ${env:} syntax: one table, pure.
    "envvars": frozenset(),
    # Which hosts may receive a system's credentials: pure, from the real environment.
    "hosts": frozenset({"envvars"}),
    "errors": frozenset(),
    # The one redactor and the one safe file writer: leaves everyone may use (see SHARED).
    "redact": frozenset(),
    "files": frozenset(),
    # The one table of warning ids: pure data every layer's warnings name (see SHARED).
    "warning_ids": frozenset(),
    PACKAGE: frozenset(),
}
"""Layer -> the layers it may import besides its own package."""

EXCEPTIONS: dict[str, frozenset[str]] = {}
"""Module -> the modules it may import against its layer's rule, each with its reason."""

SHARED = frozenset({"errors", "redact", "files", "warning_ids", PACKAGE})
"""Importable by every layer but sandbox."""


def layer_of(module: str) -> str:
    parts = module.split(".")[1:]
    if not parts:
        return PACKAGE
    if parts[0] == "__main__":
        return "cli"
    if parts[0] in ("psa", "sandbox") and len(parts) > 1:
        return f"{parts[0]}.{parts[1]}"  # psa.base, psa.<name>, sandbox.common: told apart
    return parts[0]


def package_of(layer: str) -> str:
    return layer.split(".", maxsplit=1)[0]


def rules_for(layer: str) -> frozenset[str] | None:
    if package_of(layer) == "sandbox":
        # A sandbox layer's own entry, else the one every simulator shares.
        return ALLOWED.get(layer, ALLOWED["sandbox.*"] if "." in layer else None)
    return ALLOWED.get(package_of(layer))


def allowed(source: str, target: str) -> bool:
    if package_of(source) == "sandbox":
        # Each sandbox package is on its own: a simulator is not another's package.
        return source == target or target in (rules_for(source) or ())
    if package_of(source) == package_of(target):
        return True
    rules = rules_for(source)
    if rules is None:
        return False
    # A rule names a layer ("providers.base") or a whole package ("providers": any provider).
    return target in SHARED or EVERYTHING in rules or target in rules or package_of(target) in rules


@dataclass(frozen=True)
class Import:
    line: int
    target: str


def imports_of(
    module: str, source: str, *, is_package: bool = False, known: frozenset[str] = frozenset()
) -> Iterator[Import]:
    """Every `reconciler` module imported anywhere in `source` (relative imports resolved)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _ours(alias.name):
                    yield Import(node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: -(node.level - 1)]
                base = ".".join(base_parts)
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            if not _ours(base):
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield Import(node.lineno, submodule if submodule in known else base)


def _ours(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def violations(
    module: str, source: str, *, is_package: bool = False, known: frozenset[str] = frozenset()
) -> list[str]:
    layer = layer_of(module)
    found: list[str] = []
    for imported in imports_of(module, source, is_package=is_package, known=known):
        target = layer_of(imported.target)
        if imported.target in EXCEPTIONS.get(module, ()):
            continue
        if not allowed(layer, target):
            may = sorted(rules_for(layer) or ())
            found.append(
                f"{module}:{imported.line}: {layer} imports {imported.target} ({target}); "
                f"ARCHITECTURE.md allows {layer} -> {', '.join(may) or 'nothing of ours'}"
            )
    return found


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool


def modules() -> list[Module]:
    found: list[Module] = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found.append(Module(".".join(parts), path, is_package))
    return found


MODULES = modules()
KNOWN = frozenset(m.name for m in MODULES)


def test_the_walk_sees_the_package() -> None:
    assert {"reconciler", "reconciler.cli", "reconciler.config.loader", "reconciler.errors"} <= (
        KNOWN
    )
    assert len(MODULES) >= 15


def test_every_module_belongs_to_a_layer_of_the_architecture() -> None:
    homeless = sorted(m.name for m in MODULES if rules_for(layer_of(m.name)) is None)

    assert homeless == [], (
        "these modules are in no layer of ARCHITECTURE.md's 'Who may import whom'; "
        "add the layer there and in ALLOWED here"
    )


def test_no_module_imports_against_the_architecture() -> None:
    found: list[str] = []
    for module in MODULES:
        if rules_for(layer_of(module.name)) is None:
            continue  # reported by the test above
        found += violations(
            module.name,
            module.path.read_text(encoding="utf-8"),
            is_package=module.is_package,
            known=KNOWN,
        )

    assert found == [], "\n".join(found)


# --------------------------------------------------------------------------------------------
# The checker itself
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("reconciler", PACKAGE),
        ("reconciler.cli", "cli"),
        ("reconciler.__main__", "cli"),
        ("reconciler.config", "config"),
        ("reconciler.config.loader", "config"),
        ("reconciler.transport", "transport"),
        ("reconciler.transport.http", "transport"),
        ("reconciler.salesbuildr.client", "salesbuildr"),
        ("reconciler.writes", "writes"),
        ("reconciler.plan.compute", "plan"),
        ("reconciler.psa.base", "psa.base"),
        ("reconciler.psa.autotask.operations", "psa.autotask"),
        ("reconciler.sandbox", "sandbox"),
        ("reconciler.sandbox.common", "sandbox.common"),
        ("reconciler.sandbox.common.server", "sandbox.common"),
        ("reconciler.sandbox.autotask", "sandbox.autotask"),
        ("reconciler.sandbox.salesbuildr.app", "sandbox.salesbuildr"),
    ],
)
def test_layer_of(module: str, layer: str) -> None:
    assert layer_of(module) == layer


@pytest.mark.parametrize(
    ("module", "source", "is_package", "expected"),
    [
        # the rules, one by one
        ("reconciler.kinds.catalog", "from reconciler.plan import Plan\n", False, ["plan"]),
        ("reconciler.kinds.catalog", "from reconciler.state import Resource\n", False, []),
        ("reconciler.kinds.catalog", "import reconciler.config.models\n", False, ["config"]),
        ("reconciler.config.rules", "from reconciler.kinds.names import fold\n", False, []),
        ("reconciler.config.rules", "from reconciler.plan import Plan\n", False, ["plan"]),
        ("reconciler.render.text", "from reconciler.kinds import names\n", False, ["kinds"]),
        ("reconciler.render.text", "from reconciler.plan.model import Plan\n", False, []),
        ("reconciler.apply", "from reconciler.writes import P\n", False, []),
        ("reconciler.apply", "from reconciler.transport.http import C\n", False, ["http"]),
        ("reconciler.apply", "from reconciler.transport import http\n", False, ["http"]),
        ("reconciler.session", "from reconciler.psa.autotask import x\n", False, ["auto"]),
        ("reconciler.session", "from reconciler.psa.registry import get\n", False, []),
        ("reconciler.session", "from reconciler.salesbuildr.client import S\n", False, []),
        ("reconciler.preflight", "from reconciler.psa.autotask.client import r\n", False, ["a"]),
        ("reconciler.jobs", "from reconciler.psa.autotask.client import C\n", False, ["auto"]),
        ("reconciler.transport.http", "from reconciler.kinds import names\n", False, ["kinds"]),
        ("reconciler.transport.http", "from reconciler.hosts import h\n", False, []),
        ("reconciler.transport.http", "from reconciler.warning_ids import w\n", False, []),
        ("reconciler.salesbuildr.client", "from reconciler.transport import http\n", False, []),
        ("reconciler.salesbuildr.state", "from reconciler.psa.autotask import x\n", False, ["a"]),
        ("reconciler.salesbuildr.client", "from reconciler.session import x\n", False, ["s"]),
        ("reconciler.psa.autotask.read", "from reconciler.salesbuildr import state\n", False, []),
        ("reconciler.psa.autotask.client", "from reconciler.transport import http\n", False, []),
        ("reconciler.kinds.catalog", "from reconciler.psa.autotask import client\n", False, ["a"]),
        (
            "reconciler.kinds.catalog",
            "from reconciler.psa.autotask.webhook_wire import w\n",
            False,
            ["webhook_wire"],
        ),
        ("reconciler.apply", "from reconciler.psa.autotask.client import C\n", False, ["auto"]),
        ("reconciler.psa.autotask.client", "from reconciler.transport.http import C\n", False, []),
        ("reconciler.psa.autotask.client", "from reconciler.cli import main\n", False, ["cli"]),
        ("reconciler.schema", "from reconciler.config.models import Config\n", False, []),
        ("reconciler.schema", "from reconciler.kinds import names\n", False, ["kinds"]),
        ("reconciler.state", "from reconciler.kinds import names\n", False, ["kinds"]),
        ("reconciler.cli", "from reconciler.sandbox import server\n", False, []),
        ("reconciler.cli", "from reconciler.psa.autotask.client import C\n", False, []),
        ("reconciler.apply_workflow", "from reconciler.psa.base import JobAction\n", False, []),
        ("reconciler.apply_workflow", "from reconciler.psa.autotask import x\n", False, ["auto"]),
        # errors and the root package: everyone but sandbox
        ("reconciler.plan.compute", "from reconciler.errors import ConfigError\n", False, []),
        ("reconciler.transport.http", "from reconciler import __version__\n", False, []),
        # the sandbox: common imports nothing of ours, a simulator only common
        ("reconciler.sandbox.common.server", "from reconciler.errors import X\n", False, ["err"]),
        ("reconciler.sandbox.common.server", "import reconciler\n", False, ["reconciler"]),
        ("reconciler.sandbox.common.launcher", "from .server import X\n", False, []),
        ("reconciler.sandbox.common", "from reconciler.sandbox.autotask import A\n", True, ["a"]),
        ("reconciler.sandbox.common.x", "import reconciler.sandbox.salesbuildr\n", False, ["s"]),
        ("reconciler.sandbox.autotask.app", "from reconciler.sandbox.common import X\n", False, []),
        ("reconciler.sandbox.autotask.app", "from .store import Store\n", False, []),
        ("reconciler.sandbox.autotask.app", "from reconciler.errors import X\n", False, ["err"]),
        (
            "reconciler.sandbox.autotask.x",
            "from reconciler.sandbox.salesbuildr import S\n",
            False,
            ["s"],
        ),
        ("reconciler.sandbox.salesbuildr.x", "from ..autotask import seed\n", False, ["autotask"]),
        ("reconciler.sandbox.connectwise.x", "from reconciler.sandbox import common\n", False, []),
        ("reconciler.sandbox.halopsa", "from reconciler.state import S\n", True, ["state"]),
        # relative imports are resolved against the module's package
        ("reconciler.kinds.catalog", "from ..config import models\n", False, ["config"]),
        ("reconciler.kinds.catalog", "from .names import fold\n", False, []),
        ("reconciler.kinds.catalog", "from .. import state\n", False, []),
        ("reconciler.kinds.catalog", "from .. import plan\n", False, ["plan"]),
        ("reconciler.kinds", "from .names import fold\n", True, []),
        ("reconciler.kinds", "from ..render import text\n", True, ["render"]),
        ("reconciler.sandbox", "from ..errors import X\n", True, ["errors"]),
        ("reconciler.sandbox", "from .common import X\n", True, ["common"]),
        # imports anywhere count, and other packages do not
        ("reconciler.kinds.x", "def f():\n    from reconciler.plan import P\n", False, ["plan"]),
        ("reconciler.kinds.x", "import reconcilerx\nimport httpx\nimport os\n", False, []),
    ],
)
def test_checker_catches_violations(
    module: str, source: str, is_package: bool, expected: list[str]
) -> None:
    known = frozenset(
        {
            "reconciler.transport.http",
            "reconciler.psa.autotask.webhook_wire",
            "reconciler.psa.autotask.client",
            "reconciler.kinds.names",
            "reconciler.state",
            "reconciler.plan",
            "reconciler.sandbox.common",
        }
    )

    found = violations(module, source, is_package=is_package, known=known)

    assert len(found) == len(expected), found
    for message, word in zip(found, expected, strict=True):
        assert message.startswith(f"{module}:")
        assert word in message.split(" imports ", 1)[1]


def test_checker_reports_line_and_rule() -> None:
    source = "import os\n\nfrom reconciler.render.text import render\n"

    [message] = violations("reconciler.kinds.catalog", source)

    assert message == (
        "reconciler.kinds.catalog:3: kinds imports reconciler.render.text (render); "
        "ARCHITECTURE.md allows kinds -> state"
    )


def test_a_module_outside_every_layer_is_not_allowed_anything() -> None:
    assert rules_for(layer_of("reconciler.newthing")) is None
    assert violations("reconciler.newthing", "from reconciler.state import S\n") != []
