"""Plan passes => apply succeeds, for ConnectWise: a write the language lets through but the
vendor document's schema refuses stops ``reconcile plan`` before anything is written
(``PsaSystem.plan_problems`` -> :func:`reconciler.psa.connectwise.live_rules.check_plan`), with
the file and line of the value. The input: a callback's ``object_id`` beyond ConnectWise's
32-bit ids (``CallbackEntry.objectId`` is ``format: int32``; the language only asks for a
whole number >= 0)."""

from __future__ import annotations

import json

from tests.connectwise.engine_support import Tenant

BIG = 2**31
"""One past the largest ``int32``."""


def _with_callback(tenant: Tenant, object_id: int) -> None:
    config = tenant.workdir / "mappings.yaml"
    text = config.read_text()
    old = "  Salesbuildr opportunities: {type: opportunity, level: owner, active: true}\n"
    assert old in text
    new = (
        "  Salesbuildr opportunities: "
        f"{{type: opportunity, level: company, object_id: {object_id}}}\n"
    )
    config.write_text(text.replace(old, new))


def _line_of(tenant: Tenant, needle: str) -> int:
    lines = (tenant.workdir / "mappings.yaml").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def test_validate_passes_and_plan_refuses_an_object_id_beyond_int32(tenant: Tenant) -> None:
    _with_callback(tenant, BIG)
    valid = tenant.cli("validate", "mappings.yaml")
    assert valid.exit_code == 0, valid.output  # the language has no bound to refuse it by

    refused = tenant.cli("plan", "mappings.yaml")
    assert refused.exit_code == 1, refused.output
    line = _line_of(tenant, "Salesbuildr opportunities")
    assert f"mappings.yaml:{line}" in refused.output
    assert "CallbackEntry.objectId is a 32-bit integer in ConnectWise (at most 2147483647)" in (
        refused.output
    )
    assert f"gives {BIG}" in refused.output
    assert tenant.sandbox.connectwise.stats()["writes"] == 0
    assert "hint: use the id as ConnectWise shows it" in refused.output
    assert "no API writes were made" in refused.output


def test_the_largest_int32_plans(tenant: Tenant) -> None:
    _with_callback(tenant, BIG - 1)
    planned = tenant.cli("plan", "mappings.yaml", "--format", "json")
    assert planned.exit_code == 0, planned.output
    changes = {c["address"]: c for c in json.loads(planned.stdout)["changes"]}
    assert changes['callbacks["Salesbuildr opportunities"]']["after"]["object_id"] == BIG - 1
