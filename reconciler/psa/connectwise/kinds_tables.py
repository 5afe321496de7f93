"""Names of the reference tables and facts the ConnectWise kinds resolve against.

The reader fills them, once a run and only for the sections present (see each constant for the
ConnectWise or Salesbuildr list it is read from); kinds resolve names in them. A leaf: no
imports, so config, kinds and export share it without cycles.
"""

from __future__ import annotations

CW_CATEGORIES = "connectwise.categories"
"""``/procurement/categories`` and ``/procurement/subcategories/`` in one path table: a category
is the entry ``(name,)`` with its id, a subcategory ``(category, name)`` with id
:func:`subcategory_entry_id` and ``extra`` :data:`CATEGORY_ID` / :data:`SUBCATEGORY_ID`."""
CW_PRODUCT_TYPES = "connectwise.product_types"
"""``/procurement/types`` (``inactiveFlag``)."""
CW_COMPANY_TYPES = "connectwise.company_types"
"""``/company/companies/types``."""
CW_COMPANY_STATUSES = "connectwise.company_statuses"
"""``/company/companies/statuses`` (``inactiveFlag``)."""
CW_COMPANY_UDFS = "connectwise.company_udfs"
"""``/system/userDefinedFields`` of the company screen, by ``caption``."""
CW_OPPORTUNITY_STATUSES = "connectwise.opportunity_statuses"
"""``/sales/opportunities/statuses`` (``inactiveFlag``)."""
CW_WAREHOUSES = "connectwise.warehouses"
"""``/procurement/warehouses`` (``inactiveFlag``)."""
CW_BOARDS = "connectwise.boards"
"""``/service/boards`` (``inactiveFlag``)."""
CW_BOARD_STATUSES = "connectwise.board_statuses"
"""``/service/boards/{id}/statuses`` of the boards read (the YAML's; every board with no
YAML), ``parent`` the board id (``inactive``)."""
CW_BOARD_TYPES = "connectwise.board_types"
"""``/service/boards/{id}/types``, ``parent`` the board id."""
CW_BOARD_SUBTYPES = "connectwise.board_subtypes"
"""``/service/boards/{id}/subtypes``, ``parent`` the board id, ``extra`` :data:`TYPE_IDS` (its
``typeAssociationIds``)."""
CW_BOARD_ITEMS = "connectwise.board_items"
"""``/service/boards/{id}/items``, ``parent`` the board id."""
CW_BOARD_ASSOCIATIONS = "connectwise.board_associations"
"""``/service/boards/{id}/typeSubTypeItemAssociations``: one entry per row, ``parent`` the board
id, ``extra`` :data:`TYPE_ID`, :data:`SUBTYPE_ID`, :data:`ITEM_ID` (None where the row has none)."""
CW_PRIORITIES = "connectwise.priorities"
"""``/service/priorities``."""

SB_CATEGORIES = "salesbuildr.categories"
SB_COMPANY_TYPES = "salesbuildr.company_types"
SB_COMPANY_DATA_POINTS = "salesbuildr.data_points.company"
SB_OPPORTUNITY_STATUSES = "salesbuildr.opportunity_statuses"
"""``GET /integration/connectwise/opportunity-statuses``: Salesbuildr's own statuses, the entry
id its ``key`` (the contract's proposal)."""

CALLBACK_RECEIVER_URL = "salesbuildr.connectwise.callback_receiver_url"
"""Catalog fact: ``GET /integration/connectwise/callback-receiver`` -> ``url``, where callbacks
without a url point."""

CATEGORY_ID = "category_id"
SUBCATEGORY_ID = "subcategory_id"
TYPE_IDS = "type_ids"
TYPE_ID = "type_id"
SUBTYPE_ID = "subtype_id"
ITEM_ID = "item_id"


def subcategory_entry_id(category_id: int, subcategory_id: int) -> str:
    """The id of a subcategory's entry: ``"12/40"`` (category 12, subcategory 40), so that it
    never equals a category's and ``{id: "12/40"}`` reads as the path it is."""
    return f"{int(category_id)}/{int(subcategory_id)}"
