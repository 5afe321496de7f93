"""What the Salesbuildr simulator's ConnectWise jobs report is data (``x-actions`` of
``documents/connectwise.json``), held here to the ConnectWise simulator's seeds: a full sync
counts the companies and the field values, a fields-only sync the field values alone (the
Synchronize page: "entity data is left alone"), each per seed as the ConnectWise seed holds
them; the product import keys a row by its category and subcategory ids."""

from __future__ import annotations

import pytest

from reconciler.sandbox.connectwise.seed import SEEDS, build_store
from reconciler.sandbox.connectwise.store import Store
from reconciler.sandbox.salesbuildr.actions import row_key
from reconciler.sandbox.salesbuildr.documents import psa_actions

FIELD_LISTS = (
    "stages",  # sale stages -> opportunity pipeline stages
    "opportunity_types",  # -> opportunity categories
    "priorities",  # service priorities
    "subcategories",  # procurement subcategories
    "boards",  # service boards, with their statuses, types and subtypes
    "board_statuses",
    "board_types",
    "board_subtypes",
)
"""The lists of the field synchronisation map (reference page 1, 1.3) the ConnectWise simulator
holds (campaigns, payment terms and types, SLAs, impacts and lines of business it does not)."""


@pytest.mark.parametrize("seed", SEEDS)
def test_sync_counts_are_the_connectwise_seeds(seed: str) -> None:
    store = build_store(seed, Store())
    field_values = sum(len(store.everything(name)) for name in FIELD_LISTS)
    sync = psa_actions()["connectwise"]["sync"]
    assert sync["fields"] == {"fieldValues": {"nominal": sync["fields"]["fieldValues"]["nominal"]}}
    assert sync["fields"]["fieldValues"]["nominal"][seed] == field_values
    assert sync["full"]["fieldValues"]["nominal"][seed] == field_values
    assert sync["full"]["companies"]["nominal"][seed] == len(store.everything("companies"))


def test_an_import_counts_a_category_and_a_subcategory_row_apart() -> None:
    keys = psa_actions()["connectwise"]["import"]["tables"]["mappings"]
    category = {"connectwiseCategoryId": 12, "connectwiseSubcategoryId": None, "categoryId": "c"}
    subcategory = {**category, "connectwiseSubcategoryId": 40}
    assert (row_key(category, keys), row_key(subcategory, keys)) == ("12", "12/40")
    assert row_key({"roleId": 7}, "roleId") == "7"  # one key field, as Autotask's lists
