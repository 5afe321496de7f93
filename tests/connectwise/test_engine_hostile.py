"""Hostile live values stay data through the ConnectWise engine: callbacks planted in the
simulator (as anyone with API access could) under descriptions holding ANSI escapes, Markdown,
HTML, mentions and newlines reach the text and Markdown plans only through the views' escaping.
The file manages callbacks fully, so each planted one is a delete in the plan."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "security"))

from engine_support import Tenant, cw_api
from escape_support import (
    EXAMPLES,
    assert_markdown_safe,
    assert_terminal_safe,
    assert_text_plan_safe,
)

from reconciler.render.escape import terminal

DESCRIPTIONS = tuple(dict.fromkeys(name[:100] for name in EXAMPLES))
"""ConnectWise keeps at most 100 characters of a callback's description."""


def _shown_fields(plan: dict[str, Any]) -> int:
    """Field lines a text plan shows: a create's and a delete's every attribute, an update's
    diff (as the views render them)."""
    count = 0
    for change in plan["changes"]:
        if change["action"] == "no-op":
            continue
        shown = change["after"] if change["action"] == "create" else change["before"]
        count += len(change["diff"]) if change["action"] == "update" else len(shown or {})
    return count


def test_planted_callbacks_cannot_forge_the_plan(tenant: Tenant) -> None:
    config = tenant.workdir / "mappings.yaml"
    text = config.read_text().replace("max_deletes: 5", "max_deletes: 50")
    config.write_text(text.replace("max_change_fraction: 0.3", "max_change_fraction: 1.0"))
    assert tenant.cli("apply", "mappings.yaml", "--auto-approve").exit_code == 0
    with cw_api(tenant.env) as api:
        for description in DESCRIPTIONS:
            body = {"description": description, "url": "http://127.0.0.1:9/cb", "type": "Company",
                    "level": "Owner", "objectId": 1}  # fmt: skip
            planted = api.post("system/callbacks", json=body)
            assert planted.status_code == 201, planted.text

    as_json = tenant.cli("plan", "mappings.yaml", "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    plan = json.loads(as_json.stdout)
    deleted = [c for c in plan["changes"] if c["action"] == "delete"]
    assert len(deleted) == len(DESCRIPTIONS), [c["address"] for c in deleted]
    assert "\x1b" not in as_json.stdout and "\u202e" not in as_json.stdout

    text = tenant.cli("plan", "mappings.yaml")
    assert text.exit_code == 0, text.output
    pending = [c for c in plan["changes"] if c["action"] != "no-op"]
    assert_text_plan_safe(text.stdout, pending=len(pending), fields=_shown_fields(plan))
    assert_terminal_safe(text.stderr)

    markdown = tenant.cli("plan", "mappings.yaml", "--format", "markdown")
    assert markdown.exit_code == 0, markdown.output
    assert_markdown_safe(markdown.stdout)
    cells = {html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", markdown.stdout)}
    for change in deleted:  # each address shown, and reading back as its escapes
        assert terminal(change["address"]) in cells, change["address"]
