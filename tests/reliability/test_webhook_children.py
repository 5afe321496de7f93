"""8. A webhook is created but adding one of its fields fails: it is left inactive (a half-built
webhook never fires); the re-run adds only the children that are missing, then activates it.

With ``--parallelism 1`` the children are written one after the other, so exactly the first
field exists when the second fails. In parallel the children are fanned out: those already in
flight when the second field fails finish, none starts after it; the test then checks that
every child journalled exists live (and nothing else does), and that the re-run adds exactly
the ones that are missing."""

from __future__ import annotations

import pytest
from reliability_support import Rig, journal_lines, natural_key_duplicates, nth, pending

COMPANY_NAME, COMPANY_TYPE, PHONE, COMPANY_NUMBER = 7, 24, 14, 6
FIELD_POST = "POST /V1.0/CompanyWebhooks/{parentId}/Fields"

ONE_WEBHOOK = """\
version: 1
webhook_receiver:
  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}
webhooks:
  sb-companies:
    entity: company
    events: [create, update, delete]
    fields: [CompanyName, CompanyType, Phone]
    always_send: [CompanyNumber]
    udf_fields: [Contract Tier]
    excluded_resources: [Salesbuildr API]
"""


CHILDREN = {
    "Fields": ("CompanyWebhookFields", 4),  # 3 subscribed + 1 always-send
    "UdfFields": ("CompanyWebhookUdfFields", 1),
    "ExcludedResources": ("CompanyWebhookExcludedResources", 1),
}


@pytest.mark.parametrize("parallelism", ["1", "8"])
def test_a_failed_field_leaves_the_webhook_inactive_and_the_rerun_completes_it(
    rig: Rig, parallelism: str
) -> None:
    mappings = rig.write(ONE_WEBHOOK)
    rig.plan(mappings)
    faults = rig.targeted("autotask").arm("500", nth(FIELD_POST, 2))

    applied = rig.reconcile("apply", "plan.json", "--parallelism", parallelism)

    faults.disarm()
    assert applied.returncode == 4, applied.output
    assert faults.hits == [f"{FIELD_POST} #2"]
    (hook,) = rig.world.webhooks("CompanyWebhooks", "sb-companies")
    assert hook["isActive"] is False
    journal = journal_lines(rig.workdir / "plan.json.journal.jsonl")
    assert all(line["action"] != "activate" for line in journal)
    live = {
        child: {r["id"] for r in rig.world.children(root, [hook["id"]])}
        for child, (root, _) in CHILDREN.items()
    }
    if parallelism == "1":
        assert len(live["Fields"]) == 1  # the first one; the second failed; the rest never tried
        assert live["UdfFields"] == set()
        assert [line["outcome"] for line in journal] == ["ok", "ok", "ok", "failed"]
    else:
        # Exactly one failed write; the journal is the truth about every child that exists.
        assert [line["outcome"] for line in journal].count("failed") == 1
        assert {line["outcome"] for line in journal} == {"ok", "failed"}
        for child, ids in live.items():
            journalled = {
                line["id"]
                for line in journal
                if line["outcome"] == "ok" and f"/{child} " in line["request"]
            }
            assert journalled == ids, (child, journalled, ids)
        assert len(live["Fields"]) < 4  # the failed one is missing

    replanned = rig.reconcile("plan", str(mappings), "--out", "rest.json")
    assert replanned.returncode == 0, replanned.output
    (rest,) = pending(rig.plan_json("rest.json"))
    assert (rest["address"], rest["action"]) == ('webhooks["sb-companies"]', "update")
    everything = {"active", "fields", "always_send", "udf_fields", "excluded_resources"}
    paths = {d["path"] for d in rest["diff"]}
    if parallelism == "1":
        assert paths == everything
    else:
        assert {"active"} < paths <= everything
        assert ("udf_fields" in paths) == (not live["UdfFields"])
        assert ("excluded_resources" in paths) == (not live["ExcludedResources"])
    before = {
        key: rig.endpoint_requests("autotask", key)
        for key in (
            "POST /V1.0/CompanyWebhooks",
            FIELD_POST,
            "POST /V1.0/CompanyWebhooks/{parentId}/UdfFields",
            "POST /V1.0/CompanyWebhooks/{parentId}/ExcludedResources",
            "PATCH /V1.0/CompanyWebhooks",
        )
    }

    rerun = rig.reconcile("apply", "rest.json")

    assert rerun.returncode == 0, rerun.output
    after = {key: rig.endpoint_requests("autotask", key) - n for key, n in before.items()}
    missing = {child: wanted - len(live[child]) for child, (_, wanted) in CHILDREN.items()}
    assert after == {
        "POST /V1.0/CompanyWebhooks": 0,  # not created again
        FIELD_POST: missing["Fields"],  # only the missing fields (three when one at a time)
        "POST /V1.0/CompanyWebhooks/{parentId}/UdfFields": missing["UdfFields"],
        "POST /V1.0/CompanyWebhooks/{parentId}/ExcludedResources": missing["ExcludedResources"],
        "PATCH /V1.0/CompanyWebhooks": 1,  # then activated
    }
    if parallelism == "1":
        assert missing == {"Fields": 3, "UdfFields": 1, "ExcludedResources": 1}
    lines = journal_lines(rig.workdir / "rest.json.journal.jsonl")
    assert lines[-1]["action"] == "activate"
    assert all(line["action"] == "create" for line in lines[:-1])
    (hook,) = rig.world.webhooks("CompanyWebhooks", "sb-companies")
    assert hook["isActive"] is True
    field_ids = {f["fieldID"] for f in rig.world.children("CompanyWebhookFields", [hook["id"]])}
    assert field_ids == {COMPANY_NAME, COMPANY_TYPE, PHONE, COMPANY_NUMBER}
    assert natural_key_duplicates(rig.world) == []
    assert rig.replan_is_empty(mappings)
