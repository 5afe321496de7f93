"""The ConnectWise paths the Salesbuildr pages read and write, relative to the API base.

Each is a path of the subset document (``connectwise-openapi-subset.json``; the trailing ``/`` of
the subcategory list is the document's). :data:`CALLED` lists every (verb, documented template)
the client side uses; the conformance test holds the simulator and the document to it.
"""

from __future__ import annotations

from typing import Final

SYSTEM_INFO: Final = "system/info"
COMPANIES: Final = "company/companies"
COMPANY_TYPES: Final = "company/companies/types"
COMPANY_STATUSES: Final = "company/companies/statuses"
COMPANY_TYPE_ASSOCIATIONS: Final = "company/companyTypeAssociations"
USER_DEFINED_FIELDS: Final = "system/userDefinedFields"
CATEGORIES: Final = "procurement/categories"
SUBCATEGORIES: Final = "procurement/subcategories/"
PRODUCT_TYPES: Final = "procurement/types"
CATALOG: Final = "procurement/catalog"
WAREHOUSES: Final = "procurement/warehouses"
WAREHOUSE_BINS: Final = "procurement/warehouseBins"
OPPORTUNITY_STATUSES: Final = "sales/opportunities/statuses"
OPPORTUNITY_TYPES: Final = "sales/opportunities/types"
STAGES: Final = "sales/stages"
BOARDS: Final = "service/boards"
PRIORITIES: Final = "service/priorities"
CALLBACKS: Final = "system/callbacks"


def company_type_associations(company_id: int) -> str:
    return f"company/companies/{int(company_id)}/typeAssociations"


def board_statuses(board_id: int) -> str:
    return f"service/boards/{int(board_id)}/statuses"


def board_types(board_id: int) -> str:
    return f"service/boards/{int(board_id)}/types"


def board_subtypes(board_id: int) -> str:
    return f"service/boards/{int(board_id)}/subtypes"


def board_items(board_id: int) -> str:
    return f"service/boards/{int(board_id)}/items"


def board_associations(board_id: int) -> str:
    """Which subtype and item go with which type on the board (read-only in the document)."""
    return f"service/boards/{int(board_id)}/typeSubTypeItemAssociations"


_READS: Final = (
    "/system/info",
    "/company/companies",
    "/company/companies/count",
    "/company/companies/types",
    "/company/companies/statuses",
    "/company/companyTypeAssociations",
    "/company/companies/{parentId}/typeAssociations",
    "/system/userDefinedFields",
    "/procurement/categories",
    "/procurement/subcategories/",
    "/procurement/types",
    "/procurement/catalog",
    "/procurement/catalog/count",
    "/procurement/warehouses",
    "/procurement/warehouseBins",
    "/sales/opportunities/statuses",
    "/sales/opportunities/types",
    "/sales/stages",
    "/service/boards",
    "/service/boards/{parentId}/statuses",
    "/service/boards/{parentId}/types",
    "/service/boards/{parentId}/subtypes",
    "/service/boards/{parentId}/items",
    "/service/boards/{parentId}/typeSubTypeItemAssociations",
    "/service/priorities",
    "/system/callbacks",
    "/system/callbacks/{id}",
)
CALLED: Final[tuple[tuple[str, str], ...]] = (
    *(("GET", path) for path in _READS),
    ("POST", "/system/callbacks"),
    ("PATCH", "/system/callbacks/{id}"),
    ("DELETE", "/system/callbacks/{id}"),
)
"""Every (verb, documented template) the ConnectWise side calls."""
