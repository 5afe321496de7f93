"""HaloPSA's live rules at plan time, through ``reconcile plan`` against the simulators:

* names exist in Halo's data: an unknown one is refused with did-you-mean from the tenant's own
  names, and the same file plans once an admin adds that name in Halo;
* quote statuses come from Halo's own list (its quotation-status lookup), not a fixed one;
* a write Halo's request schema refuses stops the plan (``PsaSystem.plan_problems``, called by
  the core): no value the YAML can state breaks a subset request-schema constraint (every one is
  typed by the language: names are strings, ``url`` a URL, ``active`` a strict boolean, events a
  closed list mapped to int32 numbers), so the refused value here is Halo's own, a live
  subscription id outside int32, planted in the simulator's store as Halo's API would not
  accept it.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import Result

from reconciler.errors import EXIT_ERROR
from reconciler.psa.halopsa.live_rules import LIVE_HINT
from reconciler.psa.halopsa.resources import LOOKUP_LISTS
from reconciler.sandbox.common import Sandbox
from reconciler.sandbox.halopsa.webhooks import EVENT_NUMBERS
from tests.halopsa.engine_support import halo_api, halo_list, halo_post, run

HEAD = "version: 1\npsa: halopsa\n"
REFUSED_HINT = "no API writes were made; HaloPSA would refuse these, fix them first"


def plan(sandbox: Sandbox, workdir: Path, text: str | None = None) -> Result:
    if text is not None:
        (workdir / "mappings.yaml").write_text(text, encoding="utf-8")
    return run(sandbox, "plan", "mappings.yaml")


def _writes(sandbox: Sandbox) -> list[str]:
    endpoints = sandbox.psa_simulator.stats()["endpoints"]
    return [e for e in endpoints if not e.startswith("GET ") and e != "POST /auth/token"]


def test_an_unknown_item_group_says_did_you_mean_from_halos_names(
    halo_sandbox: Sandbox, workdir: Path
) -> None:
    text = HEAD + "account_codes: {Hardwear: {income: '4000', expense: '5000'}}\n"
    refused = plan(halo_sandbox, workdir, text)
    assert refused.exit_code == EXIT_ERROR, refused.output
    assert "mappings.yaml:3" in refused.output
    assert "unknown Halo item group 'Hardwear'" in refused.output
    assert "did you mean 'Hardware'?" in refused.output

    halo_post(halo_sandbox.env, "ItemGroup", {"name": "Hardwear"})  # an admin adds it in Halo
    planned = plan(halo_sandbox, workdir)
    assert planned.exit_code == 0, planned.output
    assert 'account_codes["Hardwear"]' in planned.output
    assert _writes(halo_sandbox) == ["POST /ItemGroup"]  # the test's own; plan wrote none


def test_quote_statuses_are_halos_own_list(halo_sandbox: Sandbox, workdir: Path) -> None:
    text = HEAD + "quotes:\n  statuses: {approved: Acepted, declined: Signed off}\n"
    refused = plan(halo_sandbox, workdir, text)
    assert refused.exit_code == EXIT_ERROR, refused.output
    assert "unknown Halo quotation status 'Acepted'" in refused.output
    assert "did you mean 'Accepted'?" in refused.output
    assert "unknown Halo quotation status 'Signed off'" in refused.output

    lookup = LOOKUP_LISTS["quote_statuses"]
    halo_post(halo_sandbox.env, "Lookup", {"lookupid": lookup, "name": "Signed off"})
    fixed = HEAD + "quotes:\n  statuses: {approved: Accepted, declined: Signed off}\n"
    planned = plan(halo_sandbox, workdir, fixed)
    assert planned.exit_code == 0, planned.output
    assert 'quotes.statuses["declined"]' in planned.output
    assert "Signed off" in planned.output


def test_a_write_halos_request_schema_refuses_stops_the_plan(
    halo_sandbox: Sandbox, workdir: Path
) -> None:
    # Halo's own data: the subscription id is beyond int32 (halopsa-api.md §5, UnameNotification).
    halo_sandbox.psa_simulator.store.insert(
        "Webhook",
        {
            "name": "Salesbuildr tickets",
            "url": "https://elsewhere.example/halo",
            "active": False,  # the YAML says active: an update, re-posting the subscription
            "events": [{"id": 2**31, "eventno": EVENT_NUMBERS["ticket_updated"]}],
        },
    )
    refused = plan(halo_sandbox, workdir)
    assert refused.exit_code == EXIT_ERROR, refused.output
    assert "mappings.yaml:23:3: error: " in refused.output  # the webhook's line in the file
    assert (
        f"Halo would refuse this webhook: Webhook.events[0].id must be integer (int32), not {2**31}"
    ) in refused.output
    assert " ".join(LIVE_HINT.split()) in " ".join(refused.output.split())
    assert REFUSED_HINT in " ".join(refused.output.split())
    assert _writes(halo_sandbox) == []
    assert [h["active"] for h in halo_list(halo_sandbox.env, "Webhook")] == [True, False]

    # What the plan refused is what Halo refuses: the same element, posted.
    [live] = [h for h in halo_list(halo_sandbox.env, "Webhook") if not h["active"]]
    with halo_api(halo_sandbox.env) as api:
        answer = api.post("/Webhook", json=[{**live, "active": True}])
    assert answer.status_code == 400
    assert "events/0/id: 2147483648 is not a 'int32'" in answer.json()
