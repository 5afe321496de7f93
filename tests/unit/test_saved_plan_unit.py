"""Reading a saved plan, as pure unit tests: bytes in, a Plan or a PlanFileError naming each
problem out (the CLI and sandbox side of the same refusals is tests/security)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from reconciler.errors import PlanFileError
from reconciler.plan import FORMAT_VERSION, Action, Change, FieldDiff, Plan, Risk
from reconciler.plan.integrity import plan_checksum, seal, seal_problems
from reconciler.plan.saved import load_saved_plan, looks_like_plan, schema_problems, unverifiable

FP = "sha256:" + "0" * 64
UPDATE = Change(
    address='webhooks["sb"]',
    kind="webhook",
    key="company/sb",
    section="webhooks",
    owner="autotask",
    action=Action.UPDATE,
    before={"active": True},
    after={"active": False},
    diff=(FieldDiff("active", True, False),),
    reason="active differs",
    ids={"live": {"id": 5}},
)
DOC_UPDATE = Change(
    address='billing_codes.categories["Hardware"]',
    kind="billing_code_mapping",
    key="Hardware",
    section="billing_codes",
    owner="salesbuildr",
    action=Action.UPDATE,
    before={"billing_code": "Labor"},
    after={"billing_code": "Hardware Sales"},
    diff=(FieldDiff("billing_code", "Labor", "Hardware Sales"),),
)
CREATE = Change(
    address='webhooks["new"]',
    kind="webhook",
    key="company/new",
    section="webhooks",
    owner="autotask",
    action=Action.CREATE,
    before=None,
    after={"active": True},
    diff=(FieldDiff("active", None, True),),
)


def touched(change: Any) -> list[str]:
    return ["salesbuildr:billing_codes"] if change.owner == "salesbuildr" else []


def plan_data(**observed: str) -> dict[str, Any]:
    plan = Plan(
        changes=(CREATE, DOC_UPDATE, UPDATE),
        risk=Risk.SAFE,
        observed=observed
        or {UPDATE.address: FP, DOC_UPDATE.address: FP, "salesbuildr:billing_codes": "etag:3"},
        sections=("billing_codes", "webhooks"),
        tool_version="0.1.0",
        generated_at="2026-12-02T12:00:00Z",
    )
    return plan.to_dict()


def raw_of(data: dict[str, Any], key: str | None = None) -> bytes:
    return json.dumps(seal(data, key)).encode()


def load(raw: bytes, key: str | None = None) -> Any:
    return load_saved_plan(
        raw, source="plan.json", signing_key=key, documents_touched=lambda plan: touched
    )


def refusal(raw: bytes, key: str | None = None) -> PlanFileError:
    with pytest.raises(PlanFileError) as raised:
        load(raw, key)
    assert raised.value.exit_code == 1
    return raised.value


def test_a_sealed_plan_reads_back_as_the_plan() -> None:
    data = plan_data()
    saved = load(raw_of(data))
    assert saved.plan.to_dict() == data
    assert saved.warnings == ()


def test_a_signed_plan_needs_the_key_to_be_checked_and_warns_without_it() -> None:
    raw = raw_of(plan_data(), key="k1")
    assert load(raw, "k1").warnings == ()
    (warning,) = load(raw).warnings
    assert warning == (
        "plan.json is signed, but RECONCILE_PLAN_SIGNING_KEY is not set: its signature was not "
        "checked (only its checksum)"
    )
    assert "does not verify" in refusal(raw, "k2").message
    assert "field `signature` is missing" in refusal(raw_of(plan_data()), "k1").message


def test_an_edited_or_unsealed_plan_is_refused() -> None:
    data = seal(plan_data(), None)
    data["risk"] = "blocked"
    message = refusal(json.dumps(data).encode()).message
    assert message.startswith(
        "plan.json is not the plan `reconcile plan` wrote; nothing was applied, no API call "
        "was made:\n  - field `checksum` does not match"
    )
    del data["checksum"]
    assert "field `checksum` is missing" in refusal(json.dumps(data).encode()).message


def test_seal_problems_of_a_good_seal_are_none() -> None:
    sealed = seal(plan_data(), "k")
    assert seal_problems(sealed, "k") == [] and seal_problems(sealed, None) == []
    assert sealed["checksum"] == plan_checksum(sealed)


@pytest.mark.parametrize("version", ["2.0", "0.9", "None"])
def test_another_major_format_is_refused(version: str) -> None:
    data = plan_data()
    data["format_version"] = version
    error = refusal(raw_of(data))
    assert error.message == (
        f"plan.json is a plan of format {version}; this reconcile reads {FORMAT_VERSION}"
    )
    assert error.hint == "make the plan again with this version of reconcile"


def test_a_minor_format_version_is_read() -> None:
    data = plan_data()
    data["format_version"] = "1.7"
    assert load(raw_of(data)).plan.format_version == "1.7"


def test_missing_fingerprints_and_etags_are_each_named() -> None:
    data = plan_data(**{"salesbuildr:other": "etag:1"})
    message = refusal(raw_of(data)).message
    assert message.startswith("plan.json cannot be checked for staleness")
    assert 'webhooks["sb"]: an update without a fingerprint' in message
    assert 'billing_codes.categories["Hardware"]: an update without a fingerprint' in message
    assert (
        'billing_codes.categories["Hardware"]: writes the settings document '
        "'salesbuildr:billing_codes' "
        'without its ETag (`observed["salesbuildr:billing_codes"]` is missing)'
    ) in message
    assert 'webhooks["new"]' not in message  # a create needs neither


def test_unverifiable_names_the_article_and_each_document_once() -> None:
    plan = Plan(
        changes=(
            DOC_UPDATE,
            replace(DOC_UPDATE, address="x", action=Action.DELETE),
        ),
        risk=Risk.DESTRUCTIVE,
        observed={DOC_UPDATE.address: FP, "salesbuildr:billing_codes": "etag:"},
    )
    assert unverifiable(plan, touched) == [
        'x: a delete without a fingerprint (`observed["x"]` is missing)',
        'billing_codes.categories["Hardware"]: writes the settings document '
        "'salesbuildr:billing_codes' "
        'without its ETag (`observed["salesbuildr:billing_codes"]` is missing)',
    ]


def test_schema_problems_are_located_by_path_and_address() -> None:
    data = plan_data()
    data["changes"][2]["action"] = "explode"
    data["risk"] = 7
    problems = schema_problems(data)
    assert any(p.startswith('changes[2].action (webhooks["sb"]): ') for p in problems), problems
    assert any(p.startswith("risk: ") for p in problems), problems
    message = refusal(raw_of(data)).message
    assert message.startswith("plan.json does not match the plan format; nothing was applied")


def test_a_schema_problem_at_the_top_is_the_plan() -> None:
    data = plan_data()
    del data["changes"]
    assert any(p.startswith("the plan: ") for p in schema_problems(data))


def test_more_than_twenty_problems_are_cut_short() -> None:
    data = plan_data()
    data["changes"] = [{**data["changes"][0], "action": f"bad{i}"} for i in range(25)]
    message = refusal(raw_of(data)).message
    assert message.count("\n  - ") == 21
    assert message.endswith("\n  - ... and 5 more")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"a": 1,\n "b": }', "plan.json:2:7: the saved plan is not valid JSON: Expecting value"),
        (b'{"a": 1,\n "b": "tr', "plan.json:2:10: the saved plan is not valid JSON: the file ends"),
        (b'{"a": [1,\n  2', "plan.json:2:4: the saved plan is not valid JSON: the file ends"),
        (b'{"a": 1, "a": 2}', 'plan.json: the saved plan has the key "a" twice in one object'),
        (b"[1, 2]", "plan.json: the saved plan is not a JSON object"),
        (b'{"a":\n "\xff"}', "plan.json:2:3: the saved plan is not UTF-8 text"),
        (b"[" * 100_000, "plan.json: the saved plan is nested too deeply to be a plan"),
    ],
)
def test_bytes_that_are_not_a_plan_are_located(raw: bytes, expected: str) -> None:
    assert refusal(raw).message.startswith(expected)


def test_control_characters_from_the_file_are_shown_escaped() -> None:
    data = plan_data()
    data["format_version"] = "9\x1b[2J" + "x" * 300
    message = refusal(raw_of(data)).message
    assert "\x1b" not in message and "\\u001b" in message
    assert "…" in message and len(message) < 300


@pytest.mark.parametrize(
    ("raw", "name", "expected"),
    [
        (b'  {"format_version": "1.0"}', "x.yaml", True),
        (b'{"version": 1}', "mappings.json", False),
        (b"version: 1", "plan.json", False),
        (b'{"broken', "plan.json", True),
        (b'{"broken', "mappings.yaml", False),
        (b'{"format_version": "1.0", "x": ', "mappings.yaml", True),
        (b"[]", "plan.json", False),
    ],
)
def test_looks_like_plan(raw: bytes, name: str, expected: bool) -> None:
    assert looks_like_plan(raw, name) is expected
