"""Every ConnectWise kind, in the order its sections appear in the YAML (the PSA's kind set:
``Psa.kinds`` returns :data:`KINDS`). Adding a kind is one line here."""

from __future__ import annotations

from reconciler.kinds.base import Kind
from reconciler.psa.connectwise.kinds import (
    CATEGORY_MAPPING,
    COMPANY_SETTINGS,
    COMPANY_TYPE_TO_CONNECTWISE,
    COMPANY_TYPE_TO_SALESBUILDR,
    COMPANY_UDF_MAPPING,
    INVENTORY_SETTINGS,
    OPPORTUNITY_STATUS_TO_CONNECTWISE,
    OPPORTUNITY_STATUS_TO_SALESBUILDR,
    PRODUCT_TYPE_DATA_SOURCE,
)
from reconciler.psa.connectwise.kinds_callbacks import CALLBACK
from reconciler.psa.connectwise.kinds_ticket import TICKET_SETTINGS

KINDS: tuple[Kind, ...] = (
    CATEGORY_MAPPING,
    PRODUCT_TYPE_DATA_SOURCE,
    COMPANY_TYPE_TO_SALESBUILDR,
    COMPANY_TYPE_TO_CONNECTWISE,
    COMPANY_UDF_MAPPING,
    COMPANY_SETTINGS,
    OPPORTUNITY_STATUS_TO_SALESBUILDR,
    OPPORTUNITY_STATUS_TO_CONNECTWISE,
    CALLBACK,
    INVENTORY_SETTINGS,
    TICKET_SETTINGS,
)

BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}


def kinds_of(section: str) -> list[Kind]:
    return [kind for kind in KINDS if kind.section == section]
