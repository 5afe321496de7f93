"""Every kind, in the order sections appear in the YAML. Adding a kind is one line here."""

from __future__ import annotations

from dataclasses import replace

from reconciler.kinds.base import ApplyStage, Kind
from reconciler.psa.autotask.kinds.inventory import INVENTORY_LOCATION
from reconciler.psa.autotask.kinds.mappings import (
    BILLING_CODE_MAPPING,
    COMPANY_TYPE_TO_AUTOTASK,
    COMPANY_TYPE_TO_SALESBUILDR,
    COMPANY_UDF_MAPPING,
    OPPORTUNITY_UDF_MAPPING,
    PRODUCT_CATEGORY_MAPPING,
    ROLE_MAPPING,
    SERVICE_MAPPING,
)
from reconciler.psa.autotask.kinds.sections import SECTIONS
from reconciler.psa.autotask.kinds.settings import (
    BILLING_CODE_DEFAULT,
    PRODUCT_IMPORT_SETTINGS,
    PURCHASE_ORDER,
)
from reconciler.psa.autotask.kinds.settings import WEBHOOK_RECEIVER as _RECEIVER_DOCUMENT
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK

__all__ = ["BY_NAME", "KINDS", "SECTIONS", "kinds_of"]  # SECTIONS: from kinds.sections

WEBHOOK_RECEIVER = replace(
    _RECEIVER_DOCUMENT,
    # Written before any webhook (they are signed with its secret), and the API shows the
    # write-only secret only as ``secret_set``. Declared here until kinds/settings.py says it.
    stage=ApplyStage.FIRST,
    shadows={"secret_set": "secret"},
)

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
