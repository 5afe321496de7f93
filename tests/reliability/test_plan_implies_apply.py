"""Plan passes => apply succeeds (issue 16, item 2), as a property against the sandbox.

Documents draw their names from the ``demo`` seed's live data (read through the APIs: inventory
locations, billing codes, webhook field labels, resources), some new names, and now and then a
flaw Autotask or Salesbuildr would refuse (a name too long for Autotask, an unknown or inactive
billing code, an unknown webhook field, a permission the API user lacks). Whenever `plan` exits
0, `apply` exits 0 and the plan that follows is empty; whenever `plan` refuses (exit 1), nothing
was written. At least half of the examples must reach apply, so the property is not vacuous.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from reliability_support import Rig

SEED = "demo"
DEFAULT_EXAMPLES = 30
SLOW_EXAMPLES = int(os.environ.get("RECONCILE_PLAN_APPLY_EXAMPLES", "60"))


@dataclass(frozen=True)
class LiveNames:
    locations: list[str]
    billing_codes: list[str]
    inactive_billing_codes: list[str]
    webhook_fields: list[str]
    resources: list[str]


def _reset(rig: Rig) -> None:
    for simulator in (rig.sandbox.autotask, rig.sandbox.salesbuildr):
        simulator.reset(SEED)


def live_names(rig: Rig) -> LiveNames:
    """The seed's names, read through the Autotask API as a user would see them."""
    _reset(rig)
    world = rig.world
    billing = world.query("BillingCodes")
    fields = world.autotask.get("/CompanyWebhookFields/entityInformation/fields").json()
    labels = next(f for f in fields["fields"] if f["name"] == "fieldID")["picklistValues"]
    people = world.query("Resources")
    return LiveNames(
        locations=sorted(str(r["locationName"]) for r in world.query("InventoryLocations")),
        billing_codes=sorted(str(r["name"]) for r in billing if r["isActive"]),
        inactive_billing_codes=sorted(str(r["name"]) for r in billing if not r["isActive"]),
        webhook_fields=sorted(str(v["label"]) for v in labels if v["isActive"]),
        resources=sorted(
            f"{r['firstName']} {r['lastName']}" for r in people if r["isActive"] and r["lastName"]
        ),
    )


FLAWS = (
    "location_too_long",
    "unknown_billing_code",
    "inactive_billing_code",
    "unknown_webhook_field",
    "deny_location_create",
)


@st.composite
def documents(draw: st.DrawFn, names: LiveNames, flawed: bool) -> tuple[dict[str, Any], str | None]:
    """A document and the flaw in it (None: nothing wrong with it)."""
    # Every value is drawn whatever is used, so each example draws the same sequence of types.
    drawn = draw(st.sampled_from(FLAWS))
    flaw = drawn if flawed else None
    doc: dict[str, Any] = {
        "version": 1,
        "policy": {"max_deletes": 100, "max_change_fraction": 1.0},
    }
    pool = [*names.locations, "Service Van 1", "Returns Shelf", "Überlauf Lager 2"]
    chosen = draw(st.lists(st.sampled_from(pool), unique=True, min_size=1, max_size=4))
    length = draw(st.integers(51, 70))
    actives = draw(st.lists(st.booleans(), min_size=5, max_size=5))
    with_billing, with_hooks, active_hook = draw(
        st.tuples(st.booleans(), st.booleans(), st.booleans())
    )
    default = draw(st.sampled_from(names.billing_codes))
    inactive = draw(st.sampled_from(names.inactive_billing_codes))
    fields = draw(
        st.lists(st.sampled_from(names.webhook_fields), unique=True, min_size=1, max_size=4)
    )
    hook_name = draw(st.sampled_from(["sb-companies", "sb-accounts"]))
    events = draw(
        st.lists(st.sampled_from(["create", "update", "delete"]), unique=True, min_size=1)
    )
    excluded = draw(st.lists(st.sampled_from(names.resources), unique=True, max_size=2))
    if flaw == "location_too_long":
        chosen.append(("Overflow " + "x" * 80)[:length])
    elif flaw == "deny_location_create":
        chosen.append("Brand New Bay")
    doc["inventory"] = {
        "locations": {name: {"active": actives[i]} for i, name in enumerate(chosen)},
    }
    if with_billing or flaw in ("unknown_billing_code", "inactive_billing_code"):
        if flaw == "unknown_billing_code":
            default += " Extra"
        elif flaw == "inactive_billing_code":
            default = inactive
        doc["billing_codes"] = {"default": default}
    if with_hooks or flaw == "unknown_webhook_field":
        if flaw == "unknown_webhook_field":
            fields.append(fields[0] + "Typo")
        doc["webhook_receiver"] = {"secret": "${env:SALESBUILDR_WEBHOOK_SECRET}"}
        doc["webhooks"] = {
            hook_name: {
                "entity": "company",
                "fields": fields,
                "events": events,
                "excluded_resources": excluded,
                "active": active_hook,
            }
        }
    return doc, flaw


@dataclass
class Tally:
    examples: int = 0
    applied: int = 0
    refused: list[str | None] = field(default_factory=list)


def _one(rig: Rig, doc: dict[str, Any], flaw: str | None, tally: Tally) -> None:
    _reset(rig)
    if flaw == "deny_location_create":
        rig.sandbox.autotask.permissions.configure(
            {"entities": {"InventoryLocations": {"create": "None"}}}
        )
    tally.examples += 1
    path = rig.world.write(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    before = rig.world.writes()
    planned = rig.world.cli("plan", str(path))
    if planned.exit_code == 1:
        tally.refused.append(flaw)
        assert rig.world.writes() == before, planned.output
        assert f"{path}:" in planned.output, planned.output  # located in the YAML
        return
    assert planned.exit_code in (0, 2), planned.output
    assert flaw is None, f"plan passed a document with flaw {flaw}:\n{planned.output}"
    applied = rig.world.cli("apply", str(path), "--auto-approve")
    assert applied.exit_code == 0, f"{yaml.safe_dump(doc)}\n{applied.output}"
    tally.applied += 1
    again = rig.world.cli("plan", str(path), "--detailed-exitcode")
    assert again.exit_code == 0, again.output


@pytest.fixture
def in_workdir(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    monkeypatch.chdir(rig.workdir)
    for name in list(rig.sandbox.env):
        monkeypatch.delenv(name, raising=False)
    yield rig


def _check(rig: Rig, examples: int) -> Tally:
    names = live_names(rig)
    tally = Tally()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        phases=[Phase.generate],
    )
    @given(data=st.data())
    def prop(data: st.DataObject) -> None:
        # Every third example carries a flaw (hypothesis does not draw choices uniformly).
        case = data.draw(documents(names, tally.examples % 3 == 2))
        _one(rig, case[0], case[1], tally)

    prop()
    return tally


def test_plan_passes_implies_apply_succeeds(in_workdir: Rig) -> None:
    tally = _check(in_workdir, DEFAULT_EXAMPLES)
    assert tally.examples >= DEFAULT_EXAMPLES
    assert tally.applied * 2 >= tally.examples, tally
    assert any(flaw is not None for flaw in tally.refused), tally  # flaws were tried and refused
    assert None not in tally.refused, tally  # and nothing sound was refused


@pytest.mark.slow
def test_plan_passes_implies_apply_succeeds_many_examples(in_workdir: Rig) -> None:
    tally = _check(in_workdir, SLOW_EXAMPLES)
    assert tally.applied * 2 >= tally.examples, tally
