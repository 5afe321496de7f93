"""The YAML language as frozen pydantic models (CONFIG.md, PSAS.md), by where each part lives:

* :mod:`reconciler.config.common`: what every PSA's document shares (version, psa, policy,
  salesbuildr, after_apply; the :class:`PsaDocument` base);
* :mod:`reconciler.psa.autotask.config` and :mod:`reconciler.psa.autotask.config_webhooks`: the
  Autotask document (``psa: autotask``, the default), the section models the Autotask PSA declares;
* :mod:`reconciler.config.union`: the discriminated union of every installed PSA's document.

The other PSAs' documents are in their packages (``psa/<name>/config.py``). This module keeps the
names the engine imports in one place.
"""

from __future__ import annotations

from reconciler.config.common import (
    AfterApplyAction,
    BasePolicy,
    ManageMode,
    PsaDocument,
    SalesbuildrConnection,
    Version,
)
from reconciler.psa.autotask.config import (
    POLICY_KEYS,
    REFERENCE_FIELDS,
    AcknowledgedWarning,
    AutotaskConnection,
    BillingCodes,
    CompanyTypes,
    Config,
    Inventory,
    InventoryLocation,
    MpnEnrichment,
    Opportunity,
    Policy,
    ProductImport,
    PurchaseOrder,
    SectionName,
)
from reconciler.psa.autotask.config_webhooks import (
    Webhook,
    WebhookEntity,
    WebhookEvent,
    WebhookReceiver,
)
from reconciler.psa.autotask.kinds.sections import SECTIONS

__all__ = [
    "POLICY_KEYS",
    "REFERENCE_FIELDS",
    "SECTIONS",
    "AcknowledgedWarning",
    "AfterApplyAction",
    "AutotaskConnection",
    "BasePolicy",
    "BillingCodes",
    "CompanyTypes",
    "Config",
    "Inventory",
    "InventoryLocation",
    "ManageMode",
    "MpnEnrichment",
    "Opportunity",
    "Policy",
    "ProductImport",
    "PsaDocument",
    "PurchaseOrder",
    "SalesbuildrConnection",
    "SectionName",
    "Version",
    "Webhook",
    "WebhookEntity",
    "WebhookEvent",
    "WebhookReceiver",
]
