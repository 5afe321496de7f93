"""``reconcile export`` on hand-built live states (no HTTP): the exact text, what YAML reads back
of it, and that it plans to zero changes against the state it came from."""

from __future__ import annotations

import yaml
from kind_fixtures import (
    CATALOG,
    HARDWARE_SALES,
    LEGACY_HARDWARE,
    SHIPPING_A,
    billing_default,
    billing_row,
    company_udf_row,
    location,
    opportunity_row,
    plan,
    product_import,
    purchase_order,
    receiver,
    to_salesbuildr_row,
    webhook,
)

from reconciler.export.document import data
from reconciler.psa.autotask.export import export_sections, export_yaml
from reconciler.psa.autotask.kinds.registry import SECTIONS
from reconciler.state import Resource, State

LIVE: list[Resource] = [
    billing_default(SHIPPING_A),  # a name two billing codes share: {id: N}
    billing_row("c-hw", HARDWARE_SALES),
    billing_row("c-sw", LEGACY_HARDWARE),  # inactive: commented out
    to_salesbuildr_row("1", "customer"),
    company_udf_row("customer", "Contract Tier", "dp-c-tier"),
    product_import(synchronize_to_autotask=True),
    location("Main Warehouse", 1, default=True),
    opportunity_row("dp-o-margin", "Quote Margin"),
    purchase_order(create_ticket=True, billing_code=LEGACY_HARDWARE),
    receiver(secret_set=True),
    webhook("sb-companies", 11),
    webhook("Quiet", 12, fields=(), udf_fields=()),  # Autotask never fires it: commented out
]


def _text(live: list[Resource]) -> str:
    return export_yaml(State.of(live), CATALOG, sections=list(SECTIONS), header=["exported"])


def test_export_text() -> None:
    text = _text(LIVE)
    assert text.startswith("# exported\nversion: 1\n\nbilling_codes:\n")
    assert "  default: {id: 29683005}  # 'Shipping' names more than one object\n" in text
    assert (
        "  categories:\n"
        "    Hardware: Hardware Sales\n"
        "    # Software: Legacy Hardware  # live, but 'Legacy Hardware' is inactive: fix it in"
        " the admin UI\n"
    ) in text
    assert "purchase_order:\n  create_ticket: true\n  # billing_code: Legacy Hardware" in text
    assert (
        "\n# webhook_receiver: Salesbuildr's receiver has a secret (kept as it is); to rotate\n"
        "#   it, add webhook_receiver: {secret: ${env:SALESBUILDR_WEBHOOK_SECRET}}\n\n"
    ) in text
    quiet = text.index("  # live, but Autotask never fires it (no fields): add fields or remove it")
    assert text[quiet:].splitlines()[1:3] == ["  # Quiet:", "    # entity: company"]


def test_export_reads_back_as_its_data() -> None:
    exported = export_sections(State.of(LIVE), CATALOG, list(SECTIONS))
    loaded = yaml.safe_load(_text(LIVE))
    assert loaded == data(exported.sections, exported.comments)
    assert "Quiet" not in loaded["webhooks"]
    assert "Software" not in loaded["billing_codes"]["categories"]


def test_export_plans_to_zero_changes() -> None:
    usable = [r for r in LIVE if r.address != billing_row("c-sw", LEGACY_HARDWARE).address]
    result = plan(_text(usable), usable)
    assert [c.address for c in result.changes if c.is_change] == []
    assert len(result.changes) == 9  # every object written is compared: one no-op each


def test_nothing_live_is_headings_and_empty_tables() -> None:
    text = export_yaml(State.of([]), CATALOG, sections=["billing_codes", "purchase_order"])
    assert text == "version: 1\n\nbilling_codes:\n  categories: {}\n\npurchase_order:\n"
