"""8. A webhook is created but adding one of its fields fails: it is left inactive (a half-built
webhook never fires); the re-run adds only the children that are missing, then activates it."""

from __future__ import annotations

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


def test_a_failed_field_leaves_the_webhook_inactive_and_the_rerun_completes_it(rig: Rig) -> None:
    mappings = rig.write(ONE_WEBHOOK)
    rig.plan(mappings)
    faults = rig.targeted("autotask").arm("500", nth(FIELD_POST, 2))

    applied = rig.reconcile("apply", "plan.json")

    faults.disarm()
    assert applied.returncode == 4, applied.output
    assert faults.hits == [f"{FIELD_POST} #2"]
    (hook,) = rig.world.webhooks("CompanyWebhooks", "sb-companies")
    assert hook["isActive"] is False
    fields = rig.world.children("CompanyWebhookFields", [hook["id"]])
    assert len(fields) == 1  # the first one; the second failed; the rest were never tried
    assert rig.world.children("CompanyWebhookUdfFields", [hook["id"]]) == []
    journal = journal_lines(rig.workdir / "plan.json.journal.jsonl")
    assert [line["outcome"] for line in journal] == ["ok", "ok", "ok", "failed"]
    assert all(line["action"] != "activate" for line in journal)

    replanned = rig.reconcile("plan", str(mappings), "--out", "rest.json")
    assert replanned.returncode == 0, replanned.output
    (rest,) = pending(rig.plan_json("rest.json"))
    assert (rest["address"], rest["action"]) == ('webhooks["sb-companies"]', "update")
    assert {d["path"] for d in rest["diff"]} == {
        "active",
        "fields",
        "always_send",
        "udf_fields",
        "excluded_resources",
    }
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
    assert after == {
        "POST /V1.0/CompanyWebhooks": 0,  # not created again
        FIELD_POST: 3,  # only the three missing fields
        "POST /V1.0/CompanyWebhooks/{parentId}/UdfFields": 1,
        "POST /V1.0/CompanyWebhooks/{parentId}/ExcludedResources": 1,
        "PATCH /V1.0/CompanyWebhooks": 1,  # then activated
    }
    lines = journal_lines(rig.workdir / "rest.json.journal.jsonl")
    assert lines[-1]["action"] == "activate"
    assert all(line["action"] == "create" for line in lines[:-1])
    (hook,) = rig.world.webhooks("CompanyWebhooks", "sb-companies")
    assert hook["isActive"] is True
    field_ids = {f["fieldID"] for f in rig.world.children("CompanyWebhookFields", [hook["id"]])}
    assert field_ids == {COMPANY_NAME, COMPANY_TYPE, PHONE, COMPANY_NUMBER}
    assert natural_key_duplicates(rig.world) == []
    assert rig.replan_is_empty(mappings)
