"""Rewrite import paths after the provider seam's moves (#20): ``old.module -> new.module``.

Run from the repository root, over everything that may import the moved modules (re-run it
after merging work that still names the old paths)::

    python scripts/rewrite_imports.py            # reconciler/ tests/ bench/ ci/ scripts/
    python scripts/rewrite_imports.py some/dir   # or given files and directories

It rewrites dotted names (``import``, ``from ... import``, ``monkeypatch`` strings, logger names,
docstring references), ``from <package> import <moved module> [as y]``, the names of a module
split up (SYMBOLS: ``reconciler.providers.targets``, ``reconciler.kinds.webhooks``'s
RECEIVER_URL, ``reconciler.kinds.tables``' Autotask tables, ...) and ``tables as t`` imports
whose ``t.AT_...`` names moved (MODULE_ALIASES). Idempotent; run it with ``--check`` to list
the files it would change without writing them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MOVES: dict[str, str] = {
    "reconciler.providers.http": "reconciler.transport.http",
    "reconciler.providers.connect": "reconciler.transport.connect",
    "reconciler.providers.paging": "reconciler.transport.paging",
    "reconciler.providers.rate_wait": "reconciler.transport.rate_wait",
    "reconciler.providers.credentials": "reconciler.transport.credentials",
    "reconciler.providers.salesbuildr_state": "reconciler.salesbuildr.state",
    "reconciler.providers.salesbuildr_window": "reconciler.salesbuildr.window",
    "reconciler.providers.salesbuildr": "reconciler.salesbuildr.client",
    "reconciler.providers.category_tree": "reconciler.salesbuildr.category_tree",
    "reconciler.providers.budget_need": "reconciler.salesbuildr.budget_need",
    "reconciler.providers.autotask_access": "reconciler.psa.autotask.access",
    "reconciler.providers.autotask_auth": "reconciler.psa.autotask.auth",
    "reconciler.providers.autotask_fields": "reconciler.psa.autotask.fields",
    "reconciler.providers.autotask_state": "reconciler.psa.autotask.read",
    "reconciler.providers.autotask": "reconciler.psa.autotask.client",
    "reconciler.providers.webhook_writes": "reconciler.psa.autotask.webhook_writes",
    "reconciler.kinds.webhook_wire": "reconciler.psa.autotask.webhook_wire",
    "reconciler.providers.base": "reconciler.writes",
    "reconciler.providers.write_resolve": "reconciler.write_resolve",
    "reconciler.providers.writer": "reconciler.writer",
    "reconciler.providers.targets": "reconciler.psa.autotask.targets",
    # Autotask out of the core (#20, the rest): its kinds, ...
    "reconciler.kinds.webhooks": "reconciler.psa.autotask.kinds.webhooks",
    "reconciler.kinds.inventory": "reconciler.psa.autotask.kinds.inventory",
    "reconciler.kinds.mappings": "reconciler.psa.autotask.kinds.mappings",
    "reconciler.kinds.settings": "reconciler.psa.autotask.kinds.settings",
    "reconciler.kinds.sections": "reconciler.psa.autotask.kinds.sections",
    "reconciler.kinds.registry": "reconciler.psa.autotask.kinds.registry",
    # ... its YAML language (the document, the webhook models, the names module), its export
    "reconciler.config.autotask_webhooks": "reconciler.psa.autotask.config_webhooks",
    "reconciler.config.autotask": "reconciler.psa.autotask.config",
    "reconciler.config.models": "reconciler.psa.autotask.models",
    "reconciler.export.sections": "reconciler.psa.autotask.export",
}
"""Old module -> new module (longest names first where one prefixes another: see _dotted)."""

AUTOTASK_TABLES = frozenset(
    {
        "AT_BILLING_CODES",
        "AT_COMPANY_TYPES",
        "AT_ROLES",
        "AT_SERVICES",
        "AT_RESOURCES",
        "AT_PRODUCT_CATEGORIES",
        "AT_COMPANY_UDFS",
        "AT_OPPORTUNITY_UDFS",
        "AT_TICKET_QUEUES",
        "AT_TICKET_PRIORITIES",
        "AT_TICKET_ISSUE_TYPES",
        "AT_TICKET_SUB_ISSUE_TYPES",
        "AT_TICKET_CATEGORIES",
        "AT_TICKET_SOURCES",
        "WEBHOOK_ENTITIES",
        "at_webhook_fields",
        "at_webhook_udf_fields",
    }
)
"""The Autotask names of kinds/tables.py (moved to psa/autotask/kinds/tables.py, which
re-exports the generic ones, so a ``tables as t`` that uses any of them is pointed there)."""

SYMBOLS: dict[str, dict[str, str]] = {
    # targets.py held one function per system; each went to its system's package.
    "reconciler.providers.targets": {"salesbuildr_url": "reconciler.salesbuildr.targets"},
    # The webhook kind went to Autotask's package; its catalog fact is generic (HaloPSA's too).
    "reconciler.kinds.webhooks": {"RECEIVER_URL": "reconciler.kinds.tables"},
    # The desired builder and the rules moved; the helpers every PSA shares stayed.
    "reconciler.config.desired": {
        "desired_resources": "reconciler.psa.autotask.desired",
    },
    "reconciler.config.rules": {"check": "reconciler.psa.autotask.rules"},
    # The export's Autotask sections moved; the YAML dumper stays in reconciler.export.
    "reconciler.export": dict.fromkeys(
        (
            "RECEIVER_SECRET_VARIABLE",
            "Exported",
            "export_sections",
            "export_yaml",
            "row_problem",
            "unusable",
        ),
        "reconciler.psa.autotask.export",
    ),
    # The Autotask pages' section specs went to its documents adapter; the machinery stayed
    # (section_resources and apply_changes now take the SectionSpec, not the section name).
    "reconciler.salesbuildr.state": dict.fromkeys(
        ("SECTIONS", "EXTRA_DOCUMENTS", "documents_touched", "documents_for"),
        "reconciler.psa.autotask.documents",
    ),
    # The reason a reference is unresolved is the catalog's (Resolved.reason).
    "reconciler.kinds.settings": {"Unresolved": "reconciler.kinds.catalog"},
    # One reader of a source's PSA name: the registry's (connections had a copy).
    "reconciler.cli.psa_choice": {"psa_name": "reconciler.psa.registry"},
    # The generic table names stay; Autotask's moved.
    "reconciler.kinds.tables": dict.fromkeys(
        AUTOTASK_TABLES, "reconciler.psa.autotask.kinds.tables"
    ),
}
"""Old module -> {name: the module it moved to}, where a module's names were split up (names
not listed go to MOVES[module], or stay where they are when the module did not move)."""

MODULE_ALIASES: dict[str, tuple[str, frozenset[str]]] = {
    "reconciler.kinds.tables": ("reconciler.psa.autotask.kinds.tables", AUTOTASK_TABLES),
}
"""Module imported under an alias (``from pkg import mod as t``) -> (the module to import
instead, the names whose use as ``t.NAME`` calls for it)."""

DEFAULT_ROOTS = ("reconciler", "tests", "bench", "ci", "scripts")
SELF = Path(__file__).resolve()
KEEP = frozenset({"tests/test_layering.py", "tests/unit/test_rewrite_imports.py"})
"""Files left alone: their module names are examples of the layering rules, not imports."""

_DOTTED = re.compile(
    r"(?<![\w.])("
    + "|".join(re.escape(old) for old in sorted(MOVES, key=len, reverse=True))
    + r")(?![\w])"
)
_LEAVES: dict[str, dict[str, str]] = {}
for _old, _new in MOVES.items():
    _LEAVES.setdefault(_old.rpartition(".")[0], {})[_old.rpartition(".")[2]] = _new
"""Package -> {module name: the module it moved to}: ``from package import module``."""

_FROM_PACKAGE = re.compile(
    r"^(?P<indent>[ \t]*)from (?P<package>"
    + "|".join(re.escape(p) for p in sorted(_LEAVES, key=len, reverse=True))
    + r") import (?:\((?P<group>[^)]*)\)|(?P<names>[\w, ]+?))(?P<rest>[ \t]*(?:#.*)?)$",
    re.MULTILINE,
)
_FROM_SPLIT = re.compile(
    r"^(?P<indent>[ \t]*)from (?P<module>"
    + "|".join(re.escape(m) for m in sorted(SYMBOLS, key=len, reverse=True))
    + r") import (?:\((?P<group>[^)]*)\)|(?P<names>[\w, ]+?))(?P<rest>[ \t]*(?:#.*)?)$",
    re.MULTILINE,
)


def _from_package(match: re.Match[str]) -> str:
    leaves = _LEAVES[match["package"]]
    listed = match["group"] if match["group"] is not None else match["names"]
    items = [n.strip() for n in re.sub(r"#[^\n]*", "", listed).split(",") if n.strip()]
    if not any(item.split(" as ")[0].strip() in leaves for item in items):
        return match[0]
    kept: list[str] = []
    lines: list[str] = []
    for item in items:
        name, _, alias = (part.strip() for part in item.partition(" as "))
        if name not in leaves:
            kept.append(item)
            continue
        package, _, leaf = leaves[name].rpartition(".")
        bound = alias or name  # the name the code uses stays bound
        suffix = f" as {bound}" if bound != leaf else ""
        lines.append(f"{match['indent']}from {package} import {leaf}{suffix}{match['rest']}")
    if kept:
        lines.insert(
            0, f"{match['indent']}from {match['package']} import {', '.join(kept)}{match['rest']}"
        )
    return "\n".join(lines)


def _from_split(match: re.Match[str]) -> str:
    module = match["module"]
    moved = SYMBOLS[module]
    listed = match["group"] if match["group"] is not None else match["names"]
    groups: dict[str, list[str]] = {}
    for item in (n.strip() for n in re.sub(r"#[^\n]*", "", listed).split(",")):
        if item:
            name = item.split(" as ")[0].strip()
            groups.setdefault(moved.get(name, MOVES.get(module, module)), []).append(item)
    lines = []
    for target, names in sorted(groups.items()):
        line = f"{match['indent']}from {target} import {', '.join(names)}"
        if len(line) > 99:  # the project's line length: ruff format's parenthesised form
            body = "".join(f"{match['indent']}    {n},\n" for n in names)
            line = f"{match['indent']}from {target} import (\n{body}{match['indent']})"
        lines.append(line + match["rest"])
    return "\n".join(lines)


def _aliased(text: str) -> str:
    for old, (new, names) in MODULE_ALIASES.items():
        package, _, leaf = old.rpartition(".")
        pattern = re.compile(
            rf"^(?P<indent>[ \t]*)(?:from {re.escape(package)} import {leaf}"
            rf"|import {re.escape(old)}) as (?P<alias>\w+)(?P<rest>[ \t]*(?:#.*)?)$",
            re.MULTILINE,
        )
        for match in list(pattern.finditer(text)):
            alias = re.escape(match["alias"])
            if re.search(rf"(?<![\w.]){alias}\.(?:{'|'.join(sorted(names))})\b", text):
                new_package, _, new_leaf = new.rpartition(".")
                line = f"{match['indent']}from {new_package} import {new_leaf} as {match['alias']}"
                text = text.replace(match[0], line + match["rest"], 1)
    return text


def rewrite(text: str) -> str:
    text = _aliased(text)
    text = _FROM_SPLIT.sub(_from_split, text)
    text = _FROM_PACKAGE.sub(_from_package, text)
    return _DOTTED.sub(lambda m: MOVES[m[0]], text)


def files(roots: list[str]) -> list[Path]:
    found: list[Path] = []
    for root in map(Path, roots):
        candidates = [root] if root.is_file() else sorted(root.rglob("*.py"))
        found += [
            p
            for p in candidates
            if p.resolve() != SELF and ".venv" not in p.parts and p.as_posix() not in KEEP
        ]
    return found


def main(argv: list[str]) -> int:
    check = "--check" in argv
    roots = [a for a in argv if a != "--check"]
    changed = 0
    for path in files(roots or [r for r in DEFAULT_ROOTS if Path(r).exists()]):
        text = path.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            if not check:
                path.write_text(new, encoding="utf-8")
            changed += 1
            print(f"{'would rewrite' if check else 'rewrote'} {path}")
    print(f"{changed} file(s) {'to rewrite' if check else 'rewritten'}")
    return 1 if check and changed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
