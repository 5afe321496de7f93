"""scripts/rewrite_imports.py: the old module paths of #20's moves become the new ones, split
modules send each name where it went, and a second run changes nothing (the lead re-runs it
over other branches when merging)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "rewrite_imports", ROOT / "scripts/rewrite_imports.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("rewrite_imports", module)
    spec.loader.exec_module(module)
    return module


OLD = """\
from reconciler.kinds.settings import PURCHASE_ORDER, Unresolved
from reconciler.kinds.webhooks import RECEIVER_URL, WEBHOOK
from reconciler.kinds import tables as t
from reconciler.kinds import tables as core
from reconciler.config import models, union
from reconciler.export import export_yaml, document
from reconciler.cli.psa_choice import psa_name, psa_of
from reconciler.config.rules import check, fold_name_path
from reconciler.config.desired import desired_resources, ref
monkeypatch.setattr("reconciler.kinds.registry.KINDS", ())
roles = t.AT_ROLES
categories = core.SB_CATEGORIES
"""

NEW = """\
from reconciler.kinds.catalog import Unresolved
from reconciler.psa.autotask.kinds.settings import PURCHASE_ORDER
from reconciler.kinds.tables import RECEIVER_URL
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK
from reconciler.psa.autotask.kinds import tables as t
from reconciler.kinds import tables as core
from reconciler.config import union
from reconciler.psa.autotask import models
from reconciler.export import document
from reconciler.psa.autotask.export import export_yaml
from reconciler.cli.psa_choice import psa_of
from reconciler.psa.registry import psa_name
from reconciler.config.rules import fold_name_path
from reconciler.psa.autotask.rules import check
from reconciler.config.desired import ref
from reconciler.psa.autotask.desired import desired_resources
monkeypatch.setattr("reconciler.psa.autotask.kinds.registry.KINDS", ())
roles = t.AT_ROLES
categories = core.SB_CATEGORIES
"""


def test_the_moves_are_rewritten() -> None:
    assert _script().rewrite(OLD) == NEW


def test_a_second_run_changes_nothing() -> None:
    script = _script()
    assert script.rewrite(NEW) == NEW
    assert script.rewrite(script.rewrite(OLD)) == NEW


def test_parenthesised_imports_are_split_too() -> None:
    old = "from reconciler.kinds.webhooks import (\n    RECEIVER_URL,\n    WEBHOOK,\n)\n"
    assert _script().rewrite(old) == (
        "from reconciler.kinds.tables import RECEIVER_URL\n"
        "from reconciler.psa.autotask.kinds.webhooks import WEBHOOK\n"
    )
