"""9. Bad input makes no API call at all (a bad document, a bad saved plan), and a reference that
does not exist in the live systems makes no write: the simulators' request counters prove it.

The documents are the foundation's bad-document corpus (tests/cli/test_validate_cli.py), run here
through ``plan`` and ``apply --auto-approve`` with the sandbox's environment, so that a case that
slipped past the loader would reach the simulators and be counted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from reliability_support import EXTRA_SECRETS, Rig, secrets_in
from test_validate_cli import CORPUS, CORPUS_ENV, Bad

from reconciler.cli import cli

LOCK_KEYS = (
    "PUT /public-api/integration/autotask/lock",
    "DELETE /public-api/integration/autotask/lock",
)


def requests(rig: Rig) -> tuple[int, int]:
    return int(rig.autotask.stats()["requests"]), int(rig.salesbuildr.stats()["requests"])


@pytest.fixture
def in_process(rig: Rig) -> Iterator[Any]:
    """``reconcile ARGS`` through click in this process (the corpus is large), with the sandbox's
    environment; the logging setup the CLI changes is put back."""
    logger = logging.getLogger("reconciler")
    saved = (list(logger.handlers), logger.level, logger.propagate)

    def invoke(args: list[str], env: dict[str, str | None]) -> Any:
        merged: dict[str, str | None] = {**CORPUS_ENV, **rig.sandbox.env, **EXTRA_SECRETS, **env}
        result = CliRunner().invoke(cli, args, env=merged)
        assert "Traceback" not in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert not secrets_in(result.output)
        return result

    try:
        yield invoke
    finally:
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])
        logger.propagate = saved[2]


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in CORPUS])
def test_a_bad_document_makes_no_api_call(
    rig: Rig, in_process: Any, case: Bad, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`apply FILE --auto-approve` (`plan` reads the file the same way, first)."""
    monkeypatch.chdir(rig.workdir)
    (rig.workdir / "mappings.yaml").write_bytes(case.content())

    result = in_process(["apply", "mappings.yaml", "--auto-approve"], dict(case.env))

    assert result.exit_code == 1, result.output
    assert case.message in result.stderr
    assert requests(rig) == (0, 0)


SUBPROCESS_CASES = [
    "duplicate-top-level-key",
    "alias-bomb",
    "invalid-utf8",
    "unknown-top-level-key",
]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_a_bad_document_makes_no_api_call_in_a_real_process(rig: Rig, case_id: str) -> None:
    case = next((c for c in CORPUS if c.id == case_id), None)
    assert case is not None, f"{case_id} is no longer in the corpus"
    (rig.workdir / "mappings.yaml").write_bytes(case.content())

    run = rig.reconcile("apply", "mappings.yaml", "--auto-approve")

    assert run.returncode == 1, run.output
    assert case.message in run.stderr
    assert requests(rig) == (0, 0)


def test_a_bad_saved_plan_makes_no_api_call(rig: Rig) -> None:
    rig.plan(rig.example())
    assert requests(rig) != (0, 0)
    for simulator in (rig.autotask, rig.salesbuildr):
        simulator.reset("empty")
    good = rig.plan_json()
    path = rig.workdir / "bad.json"

    path.write_text(json.dumps({**good, "format_version": "2.0"}))
    newer = rig.reconcile("apply", "bad.json")
    assert newer.returncode == 1, newer.output
    assert "is a plan of format 2.0" in newer.stderr

    path.write_text(json.dumps(good)[:-200])
    truncated = rig.reconcile("apply", "bad.json")
    assert truncated.returncode == 1, truncated.output

    unset = rig.reconcile("apply", "plan.json", env={"SALESBUILDR_WEBHOOK_SECRET": None})
    assert unset.returncode == 1, unset.output
    assert "SALESBUILDR_WEBHOOK_SECRET" in unset.stderr

    elsewhere = rig.reconcile(
        "apply", "plan.json", env={"AUTOTASK_API_URL": "http://127.0.0.2:9/atservicesrest"}
    )
    assert elsewhere.returncode == 1, elsewhere.output
    assert "apply a plan to the tenant it was made for" in elsewhere.stderr

    assert requests(rig) == (0, 0)


LIVE_TYPOS = """\
version: 1
billing_codes:
  default: Hardware Sale
  categories: {Software: Hardware Sales (legacy)}
company_types:
  to_salesbuildr: {Custommer: Customer}
company_udfs:
  Customer: {Industry Tags: Contract tier}
product_import:
  roles: {Enginer: Labor/Engineering}
purchase_order:
  issue_type: Hardware
  sub_issue_type: Order software
webhook_receiver:
  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}
webhooks:
  sb-companies:
    entity: company
    fields: [CompanyName, CompanyNmae]
    excluded_resources: [Salesbuilder API]
"""

EXPECTED_LIVE_ERRORS = [
    (3, "unknown billing code 'Hardware Sale'"),
    (4, "Hardware Sales (legacy)"),
    (6, "Custommer"),
    (8, "Industry Tags"),
    (10, "Enginer"),
    (13, "Order software"),
    (19, "CompanyNmae"),
    (20, "Salesbuilder API"),
]


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_live_reference_errors_make_no_write(rig: Rig, command: str) -> None:
    """Names that do not resolve against the live systems need reads to be found, but nothing is
    written and no lock is taken; every error is reported at once, at its line."""
    rig.write(LIVE_TYPOS)
    args = [command, "mappings.yaml"] + (["--auto-approve"] if command == "apply" else [])

    run = rig.reconcile(*args)

    assert run.returncode == 1, run.output
    for line, text in EXPECTED_LIVE_ERRORS:
        found = [row for row in run.stderr.splitlines() if row.startswith(f"mappings.yaml:{line}:")]
        assert found and any(text in row for row in found), (line, text, run.stderr)
    assert "no API writes were made" in run.stderr
    assert rig.stats("autotask")["writes"] == 0
    assert rig.salesbuildr.stats()["writes"] == 0
    endpoints = rig.salesbuildr.stats()["endpoints"]
    assert all(key not in endpoints for key in LOCK_KEYS)
