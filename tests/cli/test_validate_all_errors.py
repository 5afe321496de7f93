"""Item 5 of issue 16: one run of `validate` reports every non-syntax mistake of a document."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_validate_cli import FILE, blocks, run, y

# Mistakes of every stage: schema types and bounds, unknown keys, offline rules, ${env:} (unset,
# and a reference where none may stand).
ELEVEN_MISTAKES = y("""
    version: 1
    policy:
      max_deletes: -1
      colour: blue
    webhook_receiver:
      secret: ${env:RT_UNSET_RECEIVER}
    inventory:
      locations:
        A: {default: true}
        B: {default: true}
        C: {default: true, shelf: 3}
    webhooks:
      sb-companies:
        entity: company
        feilds: [CompanyName]
      sb-contacts:
        entity: contact
        fields: [FirstName, firstname]
      sb-notes:
        entity: ticket_note
        fields: [Title]
        udf_fields: [X]
      sb-external:
        entity: ticket
        fields: [Status]
        url: https://hooks.example.test/in
        secret: ${env:RT_UNSET_HOOK}
      sb-bad-entity:
        entity: invoice
        fields: [Id]
      sb-unsigned:
        entity: ticket
        fields: [Status]
        notification_email: ${env:AUTOTASK_API_SECRET}
""")

EXPECTED = [
    ("mappings.yaml:3:16", "policy.max_deletes: must be at least 0, found -1"),
    ("mappings.yaml:4:3", "unknown key 'colour' in policy"),
    ("mappings.yaml:6:11", "environment variable RT_UNSET_RECEIVER is not set"),
    ("mappings.yaml:10:18", "'B' is marked default, and so is 'A'; Autotask has one default"),
    ("mappings.yaml:11:24", "unknown key 'shelf' in inventory.locations.C"),
    ("mappings.yaml:15:5", "unknown key 'feilds' in webhooks[\"sb-companies\"]"),
    ("mappings.yaml:18:25", "field 'firstname' is listed twice"),
    ("mappings.yaml:22:5", "ticket_note webhooks have no UDF fields in Autotask"),
    ("mappings.yaml:27:13", "environment variable RT_UNSET_HOOK is not set"),
    ("mappings.yaml:29:13", "webhooks[\"sb-bad-entity\"].entity: the text 'invoice' is not"),
    (
        "mappings.yaml:34:25",
        "webhooks.sb-unsigned.notification_email: ${env:AUTOTASK_API_SECRET} names a credential",
    ),
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_one_run_reports_every_mistake_of_every_stage(workdir: Path) -> None:
    (workdir / FILE).write_bytes(ELEVEN_MISTAKES)

    result = run(["validate", FILE])

    assert result.exit_code == 1
    printed = blocks(result.stderr)
    found = [(block.where, block.message) for block in printed]
    assert len(found) == len(EXPECTED), result.stderr
    for (where, message), (expected_where, expected_start) in zip(found, EXPECTED, strict=True):
        assert where == expected_where, result.stderr
        assert message.startswith(expected_start), result.stderr
    assert all(block.severity == "error" for block in printed)
    assert "^" in printed[0].text  # source line and caret, as for every diagnostic
    assert result.stderr.rstrip().endswith(f"{len(EXPECTED)} errors in {FILE}")


def test_a_syntax_error_still_stops_with_its_location(workdir: Path) -> None:
    (workdir / FILE).write_bytes(ELEVEN_MISTAKES + b"  broken: [unclosed\n")

    result = run(["validate", FILE])

    assert result.exit_code == 1
    [block] = blocks(result.stderr)
    assert block.where.startswith(f"{FILE}:")
    assert "environment variable" not in result.stderr
