"""Rewrite import paths after the provider seam's moves (#20): ``old.module -> new.module``.

Run from the repository root, over everything that may import the moved modules (re-run it
after merging work that still names the old paths)::

    python scripts/rewrite_imports.py            # reconciler/ tests/ bench/ ci/ scripts/
    python scripts/rewrite_imports.py some/dir   # or given files and directories

It rewrites dotted names (``import``, ``from ... import``, ``monkeypatch`` strings, logger names,
docstring references), ``from reconciler.providers import x [as y]`` and the names of
``reconciler.providers.targets`` (split between Salesbuildr and Autotask). Idempotent.
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
}
"""Old module -> new module (longest names first where one prefixes another: see _dotted)."""

SYMBOLS: dict[str, dict[str, str]] = {
    # targets.py held one function per system; each went to its system's package.
    "reconciler.providers.targets": {"salesbuildr_url": "reconciler.salesbuildr.targets"},
}
"""Old module -> {name: the module it moved to}, where a module's names were split up."""

DEFAULT_ROOTS = ("reconciler", "tests", "bench", "ci", "scripts")
SELF = Path(__file__).resolve()

_DOTTED = re.compile(
    "|".join(re.escape(old) for old in sorted(MOVES, key=len, reverse=True)) + r"(?![\w])"
)
_FROM_PACKAGE = re.compile(
    r"^(?P<indent>[ \t]*)from reconciler\.providers import (?P<name>\w+)(?P<alias> as \w+)?"
    r"(?P<rest>[ \t]*(?:#.*)?)$",
    re.MULTILINE,
)
_FROM_SPLIT = re.compile(
    r"^(?P<indent>[ \t]*)from (?P<module>reconciler\.providers\.targets) import (?P<names>[\w, ]+)"
    r"(?P<rest>[ \t]*(?:#.*)?)$",
    re.MULTILINE,
)


def _from_package(match: re.Match[str]) -> str:
    old = f"reconciler.providers.{match['name']}"
    if old not in MOVES:
        return match[0]
    package, _, name = MOVES[old].rpartition(".")
    alias = match["alias"] or ""
    if not alias and name != match["name"]:
        alias = f" as {match['name']}"  # the name the code uses stays bound
    return f"{match['indent']}from {package} import {name}{alias}{match['rest']}"


def _from_split(match: re.Match[str]) -> str:
    moved = SYMBOLS[match["module"]]
    groups: dict[str, list[str]] = {}
    for name in (n.strip() for n in match["names"].split(",")):
        if name:
            groups.setdefault(moved.get(name, MOVES[match["module"]]), []).append(name)
    return "\n".join(
        f"{match['indent']}from {module} import {', '.join(names)}{match['rest']}"
        for module, names in sorted(groups.items())
    )


def rewrite(text: str) -> str:
    text = _FROM_SPLIT.sub(_from_split, text)
    text = _FROM_PACKAGE.sub(_from_package, text)
    return _DOTTED.sub(lambda m: MOVES[m[0]], text)


def files(roots: list[str]) -> list[Path]:
    found: list[Path] = []
    for root in map(Path, roots):
        candidates = [root] if root.is_file() else sorted(root.rglob("*.py"))
        found += [p for p in candidates if p.resolve() != SELF and ".venv" not in p.parts]
    return found


def main(argv: list[str]) -> int:
    changed = 0
    for path in files(argv or [r for r in DEFAULT_ROOTS if Path(r).exists()]):
        text = path.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
            print(f"rewrote {path}")
    print(f"{changed} file(s) rewritten")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
