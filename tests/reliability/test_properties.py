"""11. Properties over random valid configurations and random live states (hypothesis), through the
sandbox over loopback HTTP:

* apply, then plan: no changes (apply converges in one run, whatever it starts from);
* export, then plan the export: no changes (the export describes the live state exactly);
* a plan does not depend on the order the APIs list things in, nor on the order of the YAML.

A live state is a seed (``empty``, or ``demo``: configured by hand and drifting) with another
random configuration applied on top and a few edits made in the "admin UIs" (the APIs). These run
in this process (the functions the CLI calls), because each example needs several plans.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from reliability_support import EXTRA_SECRETS, Rig

from reconciler import session
from reconciler.apply import JsonlJournal, apply_plan
from reconciler.config import load_config
from reconciler.plan import Plan
from reconciler.psa.autotask.client import AutotaskClient
from reconciler.psa.autotask.export import export_yaml
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS
from reconciler.psa.autotask.kinds.registry import SECTIONS
from reconciler.salesbuildr.client import SalesbuildrClient

pytestmark = pytest.mark.slow

# --- random valid configurations of the sandbox tenant -------------------------------------------

ACTIVE_BILLING_CODES = [
    "Labor",
    "Hardware Sales",
    "Software Licensing",
    "Managed Services",
    "Cloud Subscriptions",
]
CATEGORIES = ["Hardware", "Hardware/Laptops", "Software", "Software/Licenses", "Managed Services"]
COMPANY_UDFS = {  # Salesbuildr company type -> [(Autotask UDF, data point)]
    "Customer": [
        ("Contract Tier", "Contract tier"),
        ("Onboarding Date", "Onboarding/Start date"),
        ("Account Manager Notes", "Account notes"),
        ("Employee Count", "Employee count"),
    ],
    "Lead": [("Account Manager Notes", "Account notes"), ("Employee Count", "Employee count")],
}
OPPORTUNITY_UDFS = [
    ("Sales/Expected margin", "Quote Margin"),
    ("Sales/Quote reference", "Quote Reference"),
    ("Forecast/Close quarter", "Expected Close Quarter"),
]
WEBHOOKS = {  # entity -> (fields, udf fields)
    "company": (["CompanyName", "CompanyType", "Phone", "CompanyNumber"], ["Contract Tier"]),
    "ticket": (["Status", "Priority", "QueueID"], ["Customer PO Number"]),
    "contact": (["FirstName", "LastName"], []),
}
LOCATIONS = ["Main Warehouse", "Service Van 1", "Service Van 2", "Returns Shelf"]


def subset(items: list[Any], *, min_size: int = 0) -> st.SearchStrategy[list[Any]]:
    if not items:
        return st.just([])
    return st.lists(st.sampled_from(items), unique=True, min_size=min_size, max_size=len(items))


@st.composite
def webhook(draw: st.DrawFn, entity: str) -> dict[str, Any]:
    fields, udfs = WEBHOOKS[entity]
    subscribed = draw(subset(fields, min_size=1))
    hook: dict[str, Any] = {
        "entity": entity,
        "active": draw(st.booleans()),
        "events": draw(subset(["create", "update", "delete"], min_size=1)),
        "fields": subscribed,
        "always_send": draw(subset([f for f in fields if f not in subscribed])),
        "excluded_resources": draw(subset(["Salesbuildr API", "Jane Admin"])),
        "threshold_notification": draw(st.booleans()),
    }
    if udfs:
        hook["udf_fields"] = draw(subset(udfs))
    return hook


@st.composite
def inventory(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(subset(LOCATIONS, min_size=1))
    default = draw(st.sampled_from([None, *names]))
    locations = {}
    for name in names:
        active = True if name == default else draw(st.booleans())
        locations[name] = {
            "active": active,
            "default": name == default,
            "track_stock": draw(st.booleans()),
        }
    return {"locations": locations}


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    manage = {
        "webhooks": draw(st.sampled_from(["additive", "full"])),
        "inventory": draw(st.sampled_from(["additive", "full"])),
    }
    config: dict[str, Any] = {
        "version": 1,
        "policy": {
            "manage": manage,
            "max_deletes": 100,
            "max_change_fraction": 1.0,
            "min_remaining_autotask_requests": 0,
        },
    }
    present = draw(subset(list(SECTIONS), min_size=1))
    if "billing_codes" in present:
        config["billing_codes"] = {
            "default": draw(st.sampled_from(ACTIVE_BILLING_CODES)),
            "categories": {
                c: draw(st.sampled_from(ACTIVE_BILLING_CODES)) for c in draw(subset(CATEGORIES))
            },
        }
    if "company_types" in present:
        config["company_types"] = {
            "to_salesbuildr": {
                t: draw(st.sampled_from(["Customer", "Lead", "Supplier", "Partner"]))
                for t in draw(subset(["Customer", "Prospect", "Vendor", "Partner"]))
            },
            "to_autotask": {
                t: draw(st.sampled_from(["Customer", "Prospect", "Lead", "Partner"]))
                for t in draw(subset(["Customer", "Lead", "Partner"]))
            },
        }
    if "company_udfs" in present:
        config["company_udfs"] = {
            kind: dict(draw(subset(pairs, min_size=1)))
            for kind, pairs in COMPANY_UDFS.items()
            if draw(st.booleans())
        }
    if "product_import" in present:
        config["product_import"] = {
            "synchronize_to_autotask": draw(st.booleans()),
            "prepend_mpn_to_service_name": draw(st.booleans()),
            "mpn_enrichment": draw(st.sampled_from(["none", "icecat", "onetrail"])),
            "roles": {r: "Labor/Engineering" for r in draw(subset(["Engineer", "Consultant"]))},
            "services": {
                s: draw(st.sampled_from(["Managed Services", "Cloud"]))
                for s in draw(subset(["Managed Workstation", "Managed Server"]))
            },
        }
    if "inventory" in present:
        config["inventory"] = draw(inventory())
    if "opportunity" in present:
        config["opportunity"] = {"udfs": dict(draw(subset(OPPORTUNITY_UDFS)))}
    if "purchase_order" in present:
        issue, sub = draw(
            st.sampled_from(
                [
                    ("Procurement", "Order hardware"),
                    ("Procurement", "Return to vendor"),
                    ("Hardware", "Order hardware"),
                    ("Hardware", "Repair"),
                ]
            )
        )
        config["purchase_order"] = {
            "create_ticket": draw(st.booleans()),
            "queue": "Post Sale",
            "issue_type": issue,
            "sub_issue_type": sub,
            "due_date_offset_days": draw(st.integers(0, 30)),
        }
    if "webhook_receiver" in present or "webhooks" in present:
        config["webhook_receiver"] = {"secret": "${env:SALESBUILDR_WEBHOOK_SECRET}"}
    if "webhooks" in present:
        names = draw(
            subset(
                [("sb-companies", "company"), ("sb-tickets", "ticket"), ("sb-contacts", "contact")]
            )
        )
        config["webhooks"] = {name: draw(webhook(entity)) for name, entity in names}
    return config


# --- driving the sandbox in this process ---------------------------------------------------------

ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


class Harness:
    def __init__(self, rig: Rig):
        self.rig = rig
        self.environ = {**rig.sandbox.env, **EXTRA_SECRETS}
        self.count = 0

    def file(self, text: str) -> Any:
        self.count += 1
        path = self.rig.workdir / f"config-{self.count}.yaml"
        path.write_text(text, encoding="utf-8")
        for name in ENV_REFERENCE.findall(text):
            self.environ.setdefault(name, f"placeholder-secret-{name.lower()}")
        return path

    def plan(self, text: str) -> Plan:
        loaded = load_config(self.file(text), environ=self.environ)
        with session.connect(
            loaded, self.environ, sections=loaded.config.present_sections()
        ) as connections:
            return session.make_plan(loaded, connections).plan

    def apply(self, text: str) -> None:
        loaded = load_config(self.file(text), environ=self.environ)
        journal = JsonlJournal(self.rig.workdir / f"journal-{self.count}.jsonl")
        try:
            with session.connect(
                loaded, self.environ, sections=loaded.config.present_sections()
            ) as connections:
                run = session.make_plan(loaded, connections)
                apply_plan(
                    run.plan,
                    session.writer_for(connections, self.environ, run.desired),
                    journal=journal,
                    force=True,
                    check_stale=False,
                    kinds=AUTOTASK_KINDS,
                )
        finally:
            journal.close()

    def export(self) -> str:
        with session.connect_env(self.environ, sections=list(SECTIONS)) as connections:
            live = session.read_everything(connections, list(SECTIONS))
        return export_yaml(live.state, live.catalog, sections=list(SECTIONS))


def dump(config: dict[str, Any]) -> str:
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def shuffled(value: Any, rnd: random.Random) -> Any:
    """The same data with every mapping's keys and every list in another order."""
    if isinstance(value, dict):
        keys = list(value)
        rnd.shuffle(keys)
        return {k: shuffled(value[k], rnd) for k in keys}
    if isinstance(value, list):
        items = [shuffled(v, rnd) for v in value]
        rnd.shuffle(items)
        return items
    return value


def comparable(plan: Plan) -> dict[str, Any]:
    data = plan.to_dict()
    for volatile in ("generated_at", "config_sha256", "config_file", "api_calls", "budgets"):
        data.pop(volatile, None)
    data["diagnostics"] = sorted(d["message"] for d in data.get("diagnostics") or [])
    for change in data["changes"]:
        for key in ("before", "after"):
            if isinstance(change.get(key), dict):
                change[key] = {
                    k: sorted(v, key=str) if isinstance(v, list) else v
                    for k, v in change[key].items()
                }
        change["diff"] = sorted(
            (
                {
                    **d,
                    "before": sorted(d["before"], key=str)
                    if isinstance(d["before"], list)
                    else d["before"],
                    "after": sorted(d["after"], key=str)
                    if isinstance(d["after"], list)
                    else d["after"],
                }
                for d in change.get("diff") or []
            ),
            key=lambda d: str(d["path"]),
        )
    return data


def listing_in_random_order(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Every Autotask query, Salesbuildr page and settings document lists rows in another order
    (reads run in threads: each listing gets its own generator, seeded by what it lists)."""
    iter_query = AutotaskClient.iter_query
    pages = SalesbuildrClient._pages
    read_section = SalesbuildrClient.read_section

    def order(*what: Any) -> random.Random:
        return random.Random(f"{seed}:{what!r}")

    def query(self: AutotaskClient, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        rows = list(iter_query(self, *args, **kwargs))
        order(args, kwargs).shuffle(rows)
        yield from rows

    def paged(self: SalesbuildrClient, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        rows = list(pages(self, *args, **kwargs))
        order(args, kwargs).shuffle(rows)
        yield from rows

    def section(self: SalesbuildrClient, name: str) -> Any:
        read = read_section(self, name)
        rnd = order(name)
        body = {k: shuffled(v, rnd) if isinstance(v, list) else v for k, v in read.body.items()}
        return type(read)(name=read.name, body=body, etag=read.etag)

    monkeypatch.setattr(AutotaskClient, "iter_query", query)
    monkeypatch.setattr(SalesbuildrClient, "_pages", paged)
    monkeypatch.setattr(SalesbuildrClient, "read_section", section)


EDITS: dict[str, Callable[[Rig], None]] = {}


def edit(function: Callable[[Rig], None]) -> Callable[[Rig], None]:
    EDITS[function.__name__] = function
    return function


@edit
def deactivate_every_company_webhook(rig: Rig) -> None:
    for hook in rig.world.webhooks("CompanyWebhooks"):
        rig.world.autotask.patch("/CompanyWebhooks", json={"id": hook["id"], "isActive": False})


@edit
def delete_a_webhook_field(rig: Rig) -> None:
    for prefix in ("Company", "Ticket", "Contact"):
        for hook in rig.world.webhooks(f"{prefix}Webhooks")[:1]:
            for row in rig.world.children(f"{prefix}WebhookFields", [hook["id"]])[:1]:
                path = f"/{prefix}Webhooks/{hook['id']}/Fields/{row['id']}"
                response = rig.world.autotask.delete(path)
                assert response.status_code == 200, response.text
            return


@edit
def change_the_default_billing_code(rig: Rig) -> None:
    body, _ = rig.world.document("billing-codes")
    body["defaultBillingCodeId"] = 29683004
    rig.world.put_document("billing-codes", body)


@edit
def add_a_location_by_hand(rig: Rig) -> None:
    rig.world.autotask.post(
        "/InventoryLocations", json={"locationName": "Service Van 2", "isActive": True}
    )


@pytest.fixture
def harness(rig: Rig) -> Iterator[Harness]:
    logger = logging.getLogger("reconciler")
    saved = (list(logger.handlers), logger.level)
    yield Harness(rig)
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])


@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@example(  # a warning naming several company types, with the APIs listing them in another order
    seed="empty",
    before=None,
    edits=[],
    config={"version": 1, "company_types": {"to_autotask": {"Lead": "Prospect"}}},
    order_seed=3,
)
@given(
    seed=st.sampled_from(["empty", "demo"]),
    before=st.none() | configs(),
    edits=subset(sorted(EDITS)),
    config=configs(),
    order_seed=st.integers(0, 2**32),
)
def test_plans_are_order_free_exports_round_trip_and_apply_converges(
    rig: Rig,
    harness: Harness,
    monkeypatch: pytest.MonkeyPatch,
    seed: str,
    before: dict[str, Any] | None,
    edits: list[str],
    config: dict[str, Any],
    order_seed: int,
) -> None:
    for simulator in (rig.autotask, rig.salesbuildr):
        simulator.reset(seed)
    if before is not None:
        harness.apply(dump(before))
    for name in edits:
        EDITS[name](rig)
    text = dump(config)

    # A plan does not depend on the order of the YAML nor of the API listings.
    calm = comparable(harness.plan(text))
    with monkeypatch.context() as patched:
        listing_in_random_order(patched, order_seed)
        shaken = comparable(harness.plan(dump(shuffled(config, random.Random(order_seed)))))
    assert shaken == calm

    # The export of the live state plans to no changes.
    exported = harness.export()
    assert not harness.plan(exported).has_changes, exported

    # Apply, then plan: no changes.
    harness.apply(text)
    after = harness.plan(text)
    assert not after.has_changes, [c.address for c in after.pending]
