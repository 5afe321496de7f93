"""The ConnectWise settings documents adapter (pure): the body a PUT sends is the live body with
the plan's changes applied, row by row by key; a settings change sends the ids of every field
the YAML manages (a status keeps its label on another board, not its id) and keeps the rest."""

from __future__ import annotations

from language_fixtures import catalog, plan

from reconciler.psa.connectwise.documents import DOCUMENTS, apply_changes
from reconciler.psa.connectwise.kinds_documents import live_resources
from reconciler.state import Resource

LIVE_CATEGORIES = {
    "mappings": [
        {"connectwiseCategoryId": 1, "connectwiseSubcategoryId": 11, "categoryId": "c3"},
        {"connectwiseCategoryId": 2, "connectwiseSubcategoryId": None, "categoryId": "c3"},
    ],
    "dataSources": [{"productTypeId": 1, "source": "salesbuildr"}],
}


def _live(section: str, body: dict[str, object]) -> list[Resource]:
    return live_resources(section, body, catalog())


def test_rows_are_replaced_added_and_kept_by_key() -> None:
    text = """\
        version: 1
        psa: connectwise
        categories:
          mappings: {Hardware/Laptops: Hardware/Laptops, Hardware: Hardware}
          data_source: {Hardware: connectwise}
        """
    changes = plan(text, _live("categories", LIVE_CATEGORIES)).pending
    body = apply_changes("categories", LIVE_CATEGORIES, changes)

    rows = {(r["connectwiseCategoryId"], r["connectwiseSubcategoryId"]): r["categoryId"]
            for r in body["mappings"]}  # fmt: skip
    assert rows == {(1, 11): "c2", (1, None): "c1", (2, None): "c3"}  # additive: 2 kept
    assert body["dataSources"] == [{"productTypeId": 1, "source": "connectwise"}]


def test_a_board_change_sends_every_board_scoped_id() -> None:
    live = {"boardId": 20, "statusId": 201, "typeId": 211, "subtypeId": 221, "itemId": 231,
            "priorityId": 3, "extra": "kept"}  # fmt: skip
    text = """\
        version: 1
        psa: connectwise
        ticket_settings: {board: Professional Services, status: New, type: Procurement,
                          subtype: Hardware, item: Order}
        """
    changes = plan(text, _live("ticket_settings", live)).pending
    body = apply_changes("ticket_settings", live, changes)

    assert body == {"boardId": 10, "statusId": 101, "typeId": 111, "subtypeId": 121,
                    "itemId": 131, "priorityId": 3, "extra": "kept"}  # fmt: skip


def test_the_documents_a_run_reads_and_writes() -> None:
    sections = ["categories", "callbacks", "ticket_settings"]
    assert DOCUMENTS.documents_for(sections) == [
        "categories",
        "ticket-settings",
        "callback-receiver",
    ]
    assert DOCUMENTS.document_of("callbacks") is None
    assert DOCUMENTS.document_of("opportunity_statuses") == "opportunity-statuses"
