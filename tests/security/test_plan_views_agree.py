"""The refusal of a saved plan whose view disagrees with what it would write (plan/saved.py
``view_problems``) never refuses a plan ``reconcile plan`` made: every kind's create, update,
removal (full mode) and secret rotation passes it, saved and loaded back. And an ignored
attribute (``policy.ignore_fields``) is neither shown nor written: ``after`` keeps the live value.

Plans come from compute_plan on hand-built states (tests/unit/kind_fixtures), no HTTP.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

UNIT = Path(__file__).resolve().parents[1] / "unit"
if str(UNIT) not in sys.path:
    sys.path.insert(0, str(UNIT))

from kind_fixtures import plan, receiver, webhook  # noqa: E402
from test_compute_plan import CASES, HOOK_YAML, IDS, KindCase, document  # noqa: E402

from reconciler.config.references import refused_reference  # noqa: E402
from reconciler.plan import Plan  # noqa: E402
from reconciler.plan.integrity import seal  # noqa: E402
from reconciler.plan.saved import load_saved_plan, view_problems  # noqa: E402


def agrees(computed: Plan) -> None:
    result = computed.with_meta(generated_at="2026-12-04T12:00:00Z", tool_version="0.1.0")
    data = result.to_dict()
    assert view_problems(data, result) == []
    loaded = load_saved_plan(
        json.dumps(seal(data, None)).encode(),
        source="plan.json",
        signing_key=None,
        documents_touched=lambda plan: lambda change: [],
        refused_reference=refused_reference,
    )
    assert loaded.plan.to_dict() == data


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("rotate", [False, True], ids=["kept", "rotated"])
def test_every_plan_compute_makes_shows_what_it_writes(case: KindCase, rotate: bool) -> None:
    extra = [case.extra()] if case.extra else []
    made = [
        plan(document(case, "full"), list(case.base()), rotate_secrets=rotate),
        plan(document(case, "full"), [*case.base(), case.other()], rotate_secrets=rotate),
        plan(document(case, "full"), [*case.base(), case.same(), *extra], rotate_secrets=rotate),
    ]
    assert any(result.has_changes for result in made), case.kind
    for result in made:
        agrees(result)


def test_an_ignored_attribute_is_neither_shown_nor_written() -> None:
    live = webhook(
        "sb-companies",
        31,
        notification_email="someone@else.example",
        threshold_notification=False,
        fields=(),  # and one attribute that does differ, so the webhook is updated
    )
    result = plan(HOOK_YAML, [receiver(True), live])
    (change,) = result.pending
    assert [d.path for d in change.diff] == ["fields"]
    assert change.after is not None and change.before is not None
    assert change.after["notification_email"] == "someone@else.example"
    assert change.after["threshold_notification"] == change.before["threshold_notification"]
    agrees(result)


def _webhook_plan(live: list[Any]) -> dict[str, Any]:
    """The plan JSON of the webhook example on ``live``, to tamper with."""
    return plan(HOOK_YAML, live).to_dict()


def test_a_value_hidden_as_sensitive_without_a_secret_behind_it_is_refused() -> None:
    data = _webhook_plan([receiver(True)])
    change = next(c for c in data["changes"] if c["address"] == 'webhooks["sb-companies"]')
    change["sensitive_paths"] = [*change["sensitive_paths"], "url"]  # every view hides url
    tampered = Plan.from_dict(data)
    assert view_problems(data, tampered) == [
        'webhooks["sb-companies"]: url is hidden as sensitive, but it is not a secret the plan '
        "sends"
    ]


def test_a_removal_whose_reason_is_not_the_plans_is_refused() -> None:
    data = _webhook_plan([receiver(True), webhook("stray", 32)])
    change = next(c for c in data["changes"] if c["action"] == "delete")
    change["reason"] = "kept: only a cosmetic cleanup"  # printed beside the address
    problems = view_problems(data, Plan.from_dict(data))
    assert problems == [
        f"{change['address']}: a delete whose reason is 'kept: only a cosmetic cleanup', not "
        "'not in the YAML (manage: full)'"
    ]


def test_sides_an_action_does_not_have_are_refused() -> None:
    data = _webhook_plan([receiver(True)])
    change = next(c for c in data["changes"] if c["action"] == "create")
    change["before"] = dict(change["after"])
    assert view_problems(data, Plan.from_dict(data)) == [
        f"{change['address']}: a create that has not exactly `after`"
    ]
