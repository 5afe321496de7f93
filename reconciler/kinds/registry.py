"""Every kind, in the order sections appear in the YAML. Adding a kind is one line here."""

from __future__ import annotations

from reconciler.kinds.base import Kind
from reconciler.kinds.inventory import INVENTORY_LOCATION
from reconciler.kinds.mappings import (
    BILLING_CODE_MAPPING,
    COMPANY_TYPE_TO_AUTOTASK,
    COMPANY_TYPE_TO_SALESBUILDR,
    COMPANY_UDF_MAPPING,
    OPPORTUNITY_UDF_MAPPING,
    PRODUCT_CATEGORY_MAPPING,
    ROLE_MAPPING,
    SERVICE_MAPPING,
)
from reconciler.kinds.sections import SECTIONS
from reconciler.kinds.settings import (
    BILLING_CODE_DEFAULT,
    PRODUCT_IMPORT_SETTINGS,
    PURCHASE_ORDER,
    WEBHOOK_RECEIVER,
)
from reconciler.kinds.webhooks import WEBHOOK

__all__ = ["BY_NAME", "KINDS", "SECTIONS", "kinds_of"]  # SECTIONS: from kinds.sections

KINDS: tuple[Kind, ...] = (
    BILLING_CODE_DEFAULT,
    BILLING_CODE_MAPPING,
    COMPANY_TYPE_TO_SALESBUILDR,
    COMPANY_TYPE_TO_AUTOTASK,
    COMPANY_UDF_MAPPING,
    PRODUCT_IMPORT_SETTINGS,
    ROLE_MAPPING,
    PRODUCT_CATEGORY_MAPPING,
    SERVICE_MAPPING,
    INVENTORY_LOCATION,
    OPPORTUNITY_UDF_MAPPING,
    PURCHASE_ORDER,
    WEBHOOK_RECEIVER,
    WEBHOOK,
)

BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}


def kinds_of(section: str) -> list[Kind]:
    return [kind for kind in KINDS if kind.section == section]


def kind(name: str) -> Kind:
    return BY_NAME[name]
