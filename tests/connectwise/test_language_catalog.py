"""ConnectWise list rows -> the kinds' name tables: the reads the sections need, and the
quirks of each list (``inactive`` on board statuses, UDF captions, subcategories under their
category, associations by reference)."""

from __future__ import annotations

from language_fixtures import HEAD, resolve

from reconciler.kinds.catalog import Catalog
from reconciler.psa.connectwise import kinds_catalog as c
from reconciler.psa.connectwise import kinds_tables as t

PS = {"id": 10, "name": "Professional Services"}


def test_only_the_tables_of_the_sections_present_are_read() -> None:
    assert c.tables_needed(["inventory"]) == {t.CW_WAREHOUSES}
    assert c.tables_needed(["callbacks"]) == frozenset()
    assert c.tables_needed(["ticket_settings"]) == {
        t.CW_BOARDS,
        t.CW_BOARD_STATUSES,
        t.CW_BOARD_TYPES,
        t.CW_BOARD_SUBTYPES,
        t.CW_BOARD_ITEMS,
        t.CW_BOARD_ASSOCIATIONS,
        t.CW_PRIORITIES,
    }
    assert c.tables_needed(["opportunity_statuses"]) == {
        t.CW_OPPORTUNITY_STATUSES,
        t.SB_OPPORTUNITY_STATUSES,
    }
    assert set(c.FIELDS) | {t.SB_OPPORTUNITY_STATUSES} >= c.tables_needed(
        ["categories", "companies", "inventory", "ticket_settings"]
    ) - {t.SB_CATEGORIES, t.SB_COMPANY_TYPES, t.SB_COMPANY_DATA_POINTS}


def test_categories_and_subcategories_are_one_path_table() -> None:
    table = c.categories_table(
        [{"id": 1, "name": "Hardware"}, {"id": 4, "name": "Legacy", "inactiveFlag": True}],
        [
            {"id": 11, "name": "Laptops", "category": {"id": 1, "name": "Hardware"}},
            {"id": 41, "name": "Old", "category": {"id": 4, "name": "Legacy"}},
            {"id": 99, "name": "Orphan", "category": {"id": 7}},
        ],
    )

    laptops = table.resolve("hardware / LAPTOPS").entry
    assert laptops is not None and laptops.id == "1/11"
    assert laptops.extra == {t.CATEGORY_ID: 1, t.SUBCATEGORY_ID: 11}
    assert table.resolve("Legacy/Old").message == "ConnectWise category 'Legacy/Old' is inactive"
    assert table.resolve("Orphan").entry is None


def test_ticket_settings_resolve_against_tables_built_from_rows() -> None:
    def rows(*names: str, start: int) -> list[dict[str, object]]:
        return [{"id": start + n, "name": name, "board": PS} for n, name in enumerate(names)]

    tables = {
        t.CW_BOARDS: c.named_table(t.CW_BOARDS, [PS]),
        t.CW_BOARD_STATUSES: c.board_children_table(
            t.CW_BOARD_STATUSES,
            {10: [*rows("New", start=101), {"id": 103, "name": "Closed", "inactive": True}]},
        ),
        t.CW_BOARD_TYPES: c.board_children_table(
            t.CW_BOARD_TYPES, {10: rows("Procurement", start=111)}
        ),
        t.CW_BOARD_SUBTYPES: c.board_children_table(
            t.CW_BOARD_SUBTYPES,
            {10: [{"id": 121, "name": "Hardware", "typeAssociationIds": [111]}]},
        ),
        t.CW_BOARD_ITEMS: c.board_children_table(t.CW_BOARD_ITEMS, {10: rows("Order", start=131)}),
        t.CW_BOARD_ASSOCIATIONS: c.associations_table(
            {
                10: [
                    {
                        "id": 1,
                        "type": {"id": 111},
                        "subType": {"id": 121},
                        "item": {"id": 131},
                        "board": PS,
                    }
                ]
            }
        ),
        t.CW_PRIORITIES: c.named_table(t.CW_PRIORITIES, [{"id": 3, "name": "Priority 3 - Normal"}]),
    }

    desired, problems = resolve(
        HEAD + "ticket_settings: {board: Professional Services, status: New, type: Procurement,"
        " subtype: Hardware, item: Order, priority: Priority 3 - Normal}\n",
        cat=Catalog(tables=tables),
    )
    _, inactive = resolve(
        HEAD + "ticket_settings: {board: Professional Services, status: Closed}\n",
        cat=Catalog(tables=tables),
    )

    assert problems == []
    ticket = desired.get("ticket_settings")
    assert ticket is not None
    assert ticket.ids == {
        "board": 10, "status": 101, "type": 111, "subtype": 121, "item": 131, "priority": 3
    }  # fmt: skip
    assert [p.message for p in inactive] == [
        "status 'Closed' is inactive on board 'Professional Services'"
    ]


def test_udfs_are_named_by_caption_and_salesbuildr_statuses_by_key() -> None:
    udfs = c.named_table(t.CW_COMPANY_UDFS, [{"id": 7, "caption": "Contract Tier"}], name="caption")
    statuses = c.salesbuildr_statuses_table({"results": [{"key": "won", "name": "Won"}]})

    assert udfs.resolve("contract tier").entry is not None
    won = statuses.resolve("WON").entry
    assert won is not None and won.id == "won"
