"""Kept objects (live, in an additive section, not in the YAML) in every view; targeting."""

from __future__ import annotations

import html
import json
from pathlib import Path

import jsonschema

from reconciler.plan import Action, Change, Plan, Risk
from reconciler.plan.model import KeptItem
from reconciler.plan.targeting import narrow
from reconciler.render.drift import render_drift_markdown, render_drift_text
from reconciler.render.json import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_plan

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())


def types(n: int) -> list[KeptItem]:
    return [
        KeptItem(
            f'company_types.to_autotask["T{i:02}"]', "company_types", "company_type", f"T{i:02}"
        )
        for i in range(n)
    ]


WHEN = "2026-11-25T12:00:00Z"
ROLE = KeptItem('roles["Engineer"]', "roles", "role", "Engineer")


def no_op(address: str, section: str) -> Change:
    return Change(
        address=address,
        kind=section,
        key=address,
        section=section,
        owner="autotask",
        action=Action.NO_OP,
        before={},
        after={},
    )


def kept_plan(n: int = 25, *, changes: tuple[Change, ...] = ()) -> Plan:
    return Plan(
        changes=changes or (no_op('billing_codes.categories["Hardware"]', "billing_codes"),),
        risk=Risk.SAFE,
        kept=(*types(n), ROLE),
        config_file="rm.yaml",
        generated_at=WHEN,
    )


def test_text_counts_lists_the_first_20_and_says_how_to_delete() -> None:
    text = render_plan(kept_plan().to_dict())
    first = text.splitlines()[0]
    assert first == (
        "No changes. 25 live objects in company_types and 1 live object in roles "
        "are not in rm.yaml and are kept (additive)."
    )
    assert "match" not in text
    assert '    = company_types.to_autotask["T19"]' in text
    assert "T20" not in text
    assert "    … 5 more" in text
    assert "set `policy.manage.company_types: full`" in text
    assert "set `policy.manage.roles: full`" in text
    assert '    = roles["Engineer"]' in text


def test_text_one_kept_object_is_singular() -> None:
    text = render_plan(kept_plan(1).to_dict())
    assert "1 live object in company_types and 1 live object in roles are not" in text
    assert "more" not in text


def test_text_with_changes_adds_the_kept_count_to_the_summary() -> None:
    update = Change(
        address='roles["Admin"]',
        kind="role",
        key="Admin",
        section="roles",
        owner="autotask",
        action=Action.UPDATE,
        before={"rate": 1},
        after={"rate": 2},
    )
    text = render_plan(kept_plan(2, changes=(update,)).to_dict())
    assert "Plan: 0 to create, 1 to update, 0 to deactivate, 0 to delete. 2 live objects" in text


def test_text_escapes_kept_addresses() -> None:
    plan = Plan(
        changes=(),
        risk=Risk.SAFE,
        kept=(KeptItem('roles["a\x1b[31mb"]', "roles", "role", "a\x1b[31mb"),),
    )
    text = render_plan(plan.to_dict())
    assert "\x1b" not in text
    assert "roles[" in text


def test_markdown_lists_the_first_20_per_section() -> None:
    markdown = render_markdown(kept_plan().to_dict())
    shown = html.unescape(markdown)
    assert "Live settings match" not in shown
    assert "25 live objects in <code>company_types</code> and 1 live object in" in shown
    assert '<code>company_types.to_autotask["T19"]</code>' in shown
    assert "T20" not in shown
    assert "- … 5 more" in shown
    assert "set <code>policy.manage.company_types: full</code>" in shown
    assert '<code>roles["Engineer"]</code>' in shown


def test_json_lists_every_kept_object_and_validates() -> None:
    data = json.loads(render_json(kept_plan().to_dict()))
    assert len(data["kept"]) == 26
    assert data["kept"][24] == {
        "address": 'company_types.to_autotask["T24"]',
        "section": "company_types",
        "kind": "company_type",
        "key": "T24",
    }
    jsonschema.validate(data, SCHEMA)
    assert Plan.from_dict(data).kept == kept_plan().kept


def test_json_without_kept_objects_has_no_kept_key() -> None:
    assert "kept" not in kept_plan().with_meta(kept=()).to_dict()


def report(drift: list[dict[str, object]], kept: list[KeptItem]) -> dict[str, object]:
    return {
        "config_file": "rm.yaml",
        "drift": drift,
        "kept": [k.to_dict() for k in kept],
        "checked": 3,
        "api_calls": {},
        "generated_at": "2026-01-01T00:00:00Z",
    }


def test_drift_lists_kept_as_unlisted_kept_and_never_says_match() -> None:
    text = render_drift_text(report([], types(2)))
    assert text.startswith("No drift in the 3 object(s) rm.yaml lists.")
    assert '  * company_types.to_autotask["T01"]: unlisted (kept)' in text
    many = render_drift_text(report([], types(23)))
    assert '["T19"]: unlisted (kept)' in many and "T20" not in many
    assert "    … 3 more" in many
    assert "match" not in text
    markdown = html.unescape(render_drift_markdown(report([], types(2))))
    assert '| <code>company_types.to_autotask["T00"]</code> | unlisted (kept) |' in markdown
    assert "match" not in markdown


def test_drift_with_differences_still_lists_kept_after_them() -> None:
    differs = {"address": 'roles["Admin"]', "kind": "role", "section": "roles", "state": "differs"}
    text = render_drift_text(report([differs], [ROLE]))
    assert text.startswith("Drift: 1 live object(s) differ from rm.yaml:")
    assert text.index('roles["Admin"]: differs') < text.index('roles["Engineer"]: unlisted (kept)')


def test_targeting_warns_in_every_view_and_never_claims_a_match() -> None:
    plan = Plan(
        changes=(no_op('roles["Admin"]', "roles"),), risk=Risk.SAFE, kept=(ROLE,), generated_at=WHEN
    )
    narrowed = narrow(plan, targets=["billing_codes"], excludes=["roles.x"])
    assert narrowed.kept == ()
    text = render_plan(narrowed.to_dict())
    assert text.startswith(
        "warning[targeting_in_effect]: targeting in effect "
        "(--target billing_codes, --exclude roles.x)"
    )
    assert "match" not in text
    markdown = render_markdown(narrowed.to_dict())
    assert "targeting in effect" in markdown
    assert "match" not in markdown.split("---")[0]
    data = json.loads(render_json(narrowed.to_dict()))
    assert any(d["message"].startswith("targeting in effect") for d in data["diagnostics"])
    jsonschema.validate(data, SCHEMA)
    assert narrow(plan, targets=["roles"]).kept == (ROLE,)


def test_without_targeting_or_kept_objects_the_plan_says_match() -> None:
    plan = Plan(changes=(no_op('roles["Admin"]', "roles"),), risk=Risk.SAFE, config_file="m.yaml")
    assert render_plan(plan.to_dict()).startswith("No changes. Live settings match m.yaml.")
    assert "Live settings match" in render_markdown(plan.to_dict())
