"""6. Autotask's hourly request budget (shared by every integration on the tenant) is nearly spent:
apply refuses (exit 3) before its first write, and says how much is left and what the floor is."""

from __future__ import annotations

import pytest
from reliability_support import Rig, journal_lines, lock_holder


@pytest.mark.parametrize("source", ["saved-plan", "yaml"])
def test_apply_refuses_before_its_first_write_when_the_budget_is_low(rig: Rig, source: str) -> None:
    mappings = rig.example()  # policy.min_remaining_autotask_requests: 1000
    rig.plan(mappings)
    # The simulator slows every call by up to 1 s past 50 % / 75 % of the budget, as Autotask
    # does; this test is about the refusal, not the slowdown.
    rig.autotask.usage_delays_s = (0.01, 0.02)
    used = rig.world.autotask.post(
        rig.control("autotask") + "/_sandbox/usage", json={"count": 9500}
    )
    assert used.status_code == 200, used.text

    args = ["apply", "plan.json"]
    if source == "yaml":
        args = ["apply", str(mappings), "--auto-approve"]
    refused = rig.reconcile(*args)

    assert refused.returncode == 3, refused.output
    assert "Autotask API requests are left this hour" in refused.stderr
    assert "min_remaining_autotask_requests is 1000" in refused.stderr
    assert "try again later" in refused.stderr
    assert rig.stats("autotask")["writes"] == 0
    assert rig.world.writes() == (0, 0)
    assert journal_lines(rig.workdir / "plan.json.journal.jsonl") == []
    assert not (rig.workdir / ".reconcile").exists() or not any(
        (rig.workdir / ".reconcile").iterdir()
    )
    assert lock_holder(rig.world) is None
    assert rig.world.webhooks("CompanyWebhooks") == []
