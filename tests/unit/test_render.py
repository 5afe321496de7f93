"""The three views of one plan: golden files, agreement on what changes, size limit, targeting."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import jsonschema
import pytest

from reconciler.cli import _plan_exit_code
from reconciler.plan import SENSITIVE, Action, Change, DriftItem, FieldDiff, Plan, Risk
from reconciler.plan.integrity import plan_checksum, seal
from reconciler.plan.targeting import matches, narrow, unmatched
from reconciler.render.escape import markdown_code
from reconciler.render.json import render_json
from reconciler.render.markdown import LIMIT, MARKER, render_markdown
from reconciler.render.text import render_plan

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def change(action: Action, address: str, section: str, **fields: object) -> Change:
    diff = tuple(FieldDiff(str(k), *v) for k, v in fields.items())  # type: ignore[misc]
    return Change(
        address=address,
        kind=section,
        key=address,
        section=section,
        owner="salesbuildr",
        action=action,
        before={k: v[0] for k, v in fields.items()} if action is not Action.CREATE else None,  # type: ignore[index]
        after={k: v[1] for k, v in fields.items()} if action is not Action.DELETE else None,  # type: ignore[index]
        diff=diff,
        reason="test",
    )


def sample_plan() -> Plan:
    webhook = Change(
        address='webhooks["sb-companies"]',
        kind="webhook",
        key="company/sb-companies",
        section="webhooks",
        owner="autotask",
        action=Action.CREATE,
        before=None,
        after={"entity": "company", "fields": ["CompanyName", "Phone"], "secret": SENSITIVE},
        diff=(
            FieldDiff("entity", None, "company"),
            FieldDiff("fields", None, ["CompanyName", "Phone"]),
            FieldDiff("secret", None, SENSITIVE),
        ),
        sensitive_paths=("secret",),
        reason="not in the live system",
        secret_refs={"secret": "${env:SALESBUILDR_WEBHOOK_SECRET}"},
    )
    changes = (
        change(
            Action.UPDATE,
            'billing_codes.categories["Software"]',
            "billing_codes",
            billing_code=("Labor", "Software Licensing"),
        ),
        change(Action.NO_OP, 'billing_codes.categories["Hardware"]', "billing_codes"),
        change(
            Action.DELETE,
            'company_types.to_salesbuildr["Dead"]',
            "company_types",
            company_type=("Lead", None),
        ),
        change(
            Action.DEACTIVATE,
            'inventory.locations["Old Stockroom"]',
            "inventory",
            active=(True, False),
        ),
        webhook,
    )
    return Plan(
        changes=changes,
        risk=Risk.DESTRUCTIVE,
        drift=(
            DriftItem(
                'opportunity.udfs["Sales/Expected margin"]',
                "opportunity_udf_mapping",
                "opportunity",
                "differs",
                (FieldDiff("udf", "Quote Number", "Quote Margin"),),
            ),
        ),
        observed={
            'webhooks["sb-companies"]': "sha256:" + "0" * 64,
            "salesbuildr:billing-codes": 'etag:"v3"',
        },
        api_calls={"autotask": 14, "salesbuildr": 6},
        targets={
            "autotask": "https://webservices5.autotask.net/atservicesrest",
            "salesbuildr": "https://acme.salesbuildr.com/public-api",
        },
        config_sha256="a" * 64,
        config_file="mappings.yaml",
        generated_at="2026-11-25T12:00:00Z",
        tool_version="0.1.0",
        sections=("billing_codes", "company_types", "inventory", "opportunity", "webhooks"),
    )


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("plan.txt", render_plan),
        ("plan.json", render_json),
        ("plan.md", render_markdown),
    ],
)
def test_golden(name: str, render: object) -> None:
    text = render(sample_plan().to_dict())  # type: ignore[operator]
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"run UPDATE_GOLDEN=1 pytest {__file__}"


def test_the_three_views_agree_on_what_changes() -> None:
    data = sample_plan().to_dict()
    pending = {c["address"] for c in data["changes"] if c["action"] != "no-op"}
    text = render_plan(data)
    markdown = render_markdown(data)
    shown_text = set(re.findall(r"^  [+~\-!] (.+?)(?:  \(.*)?$", text, re.M))
    changes_part = markdown.split("#### Drift")[0]
    codes = re.findall(r"^\| [^|]+ \| <code>(.+?)</code> \|", changes_part, re.M)
    shown_md = {html.unescape(code) for code in codes}
    shown_json = {
        c["address"] for c in json.loads(render_json(data))["changes"] if c["action"] != "no-op"
    }
    assert shown_text == shown_md == shown_json == pending


def test_secrets_are_only_shown_as_sensitive() -> None:
    data = sample_plan().to_dict()
    for text in (render_plan(data), render_markdown(data), render_json(data)):
        assert "(sensitive)" in text
    assert "${env:SALESBUILDR_WEBHOOK_SECRET}" in render_json(data)  # a reference, never a value


def test_every_produced_plan_validates_against_the_committed_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(sample_plan().to_dict(), SCHEMA)
    empty = Plan(changes=(), risk=Risk.SAFE, generated_at="2026-11-25T12:00:00Z")
    jsonschema.validate(empty.to_dict(), SCHEMA)


def test_plan_dict_round_trip() -> None:
    plan = sample_plan()
    assert Plan.from_dict(json.loads(render_json(plan.to_dict()))).to_dict() == plan.to_dict()


def test_no_changes_text() -> None:
    plan = Plan(
        changes=(change(Action.NO_OP, "x", "billing_codes"),),
        risk=Risk.SAFE,
        config_file="mappings.yaml",
    )
    text = render_plan(plan.to_dict())
    assert text.startswith("No changes. Live settings match mappings.yaml.")
    assert "1 unchanged" in text


def test_markdown_has_marker_checksum_and_apply_command() -> None:
    data = sample_plan().to_dict()
    markdown = render_markdown(data, plan_file="artifacts/plan.json")
    assert markdown.startswith(MARKER)
    assert plan_checksum(data) in markdown
    assert markdown_code("reconcile apply artifacts/plan.json") in markdown
    assert "<details>" in markdown and "Drift in observed sections" in markdown


def test_markdown_shows_the_checksum_the_saved_plan_carries() -> None:
    """The footer a reviewer reads is the `checksum` field of the file `plan --out` saved."""
    data = sample_plan().to_dict()
    saved = seal(data, None)
    assert f"Plan checksum `{saved['checksum']}`" in render_markdown(saved)
    assert f"Plan checksum `{saved['checksum']}`" in render_markdown(data)
    later = {**data, "generated_at": "2027-01-01T00:00:00Z"}
    assert saved["checksum"] not in render_markdown(later)


def test_a_very_large_plan_stays_under_the_limit_and_points_at_the_json() -> None:
    changes = tuple(
        change(
            Action.CREATE,
            f'billing_codes.categories["Category {i:05d}"]',
            "billing_codes",
            billing_code=(None, f"Billing code {i}"),
        )
        for i in range(20_000)
    )
    changes = (
        *changes,
        change(Action.UPDATE, "purchase_order", "purchase_order", queue=("A", "B")),
    )
    data = Plan(changes=changes, risk=Risk.SAFE).to_dict()
    markdown = render_markdown(data)
    assert len(markdown) <= LIMIT
    assert "see the JSON plan" in markdown
    assert markdown_code("purchase_order") in markdown  # small sections keep their detail
    assert "20000 to create" in markdown


@pytest.mark.parametrize(
    ("address", "pattern", "expected"),
    [
        ('webhooks["sb-companies"]', "webhooks", True),
        ("webhook_receiver", "webhooks", False),
        ("webhook_receiver", "webhook*", True),
        ('billing_codes.categories["Hardware"]', "billing_codes", True),
        ('billing_codes.categories["Hardware"]', 'billing_codes.categories["Hard*"]', True),
        ("billing_codes.default", "billing_codes.def", False),
        ('company_udfs["Customer"]["Contract Tier"]', 'company_udfs["Customer"]', True),
        ('company_udfs["Customer"]["Contract Tier"]', 'company_udfs["Lead"]', False),
    ],
)
def test_address_matching(address: str, pattern: str, expected: bool) -> None:
    assert matches(address, pattern) is expected


def test_narrow_keeps_targets_minus_excludes_and_recomputes_risk() -> None:
    plan = sample_plan()
    only_billing = narrow(plan, targets=["billing_codes"])
    assert {c.address for c in only_billing.changes} == {
        'billing_codes.categories["Software"]',
        'billing_codes.categories["Hardware"]',
    }
    assert only_billing.risk is Risk.SAFE
    without_inventory = narrow(plan, excludes=["inventory", "company_types"])
    assert all(c.section not in ("inventory", "company_types") for c in without_inventory.changes)
    assert without_inventory.risk is Risk.SAFE
    assert narrow(plan).to_dict() == plan.to_dict()
    assert unmatched(plan, ["webhooks", "nothing.here"]) == ["nothing.here"]


@pytest.mark.parametrize(
    ("actions", "risk", "code"),
    [
        ((Action.NO_OP,), Risk.SAFE, 0),
        ((Action.CREATE, Action.UPDATE), Risk.SAFE, 2),
        ((Action.DELETE,), Risk.DESTRUCTIVE, 3),
        ((Action.UPDATE,), Risk.BLOCKED, 3),
    ],
)
def test_detailed_exit_codes_by_risk(actions: tuple[Action, ...], risk: Risk, code: int) -> None:
    plan = Plan(
        changes=tuple(change(a, f"x{i}", "billing_codes", v=(1, 2)) for i, a in enumerate(actions)),
        risk=risk,
    )
    assert _plan_exit_code(plan) == code
