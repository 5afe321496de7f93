"""Autotask's YAML as desired :class:`~reconciler.state.Resource` objects, before name resolution.

Each section becomes the resources of its kinds with names as written, references as written
(``"Hardware Sales"`` or ``{"id": 29683001}``) and the source location of every attribute, so that
a name that does not resolve is reported at its line and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.config import LoadedConfig
from reconciler.config.desired import ref
from reconciler.config.loader import PathKey
from reconciler.config.types import SecretValue
from reconciler.kinds.base import MappingKind, SingletonKind, address
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
from reconciler.psa.autotask.kinds.settings import (
    BILLING_CODE_DEFAULT,
    PRODUCT_IMPORT_SETTINGS,
    PURCHASE_ORDER,
    WEBHOOK_RECEIVER,
)
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK, natural_key, stated
from reconciler.psa.autotask.models import Config
from reconciler.state import Resource


class _Builder:
    def __init__(self, loaded: LoadedConfig):
        self.source = loaded.source
        self.resources: list[Resource] = []

    def where(self, path: PathKey, *, key: bool = False) -> str:
        return self.source.diagnostic(path, "", key=key).location

    def mapping(
        self,
        kind: MappingKind,
        path: PathKey,
        table: Mapping[str, Any],
        *,
        prefix: tuple[str, ...] = (),
    ) -> None:
        for key, value in table.items():
            keys = (*prefix, key)
            full = (*path, key)
            self.resources.append(
                Resource(
                    address=kind.address_of(keys),
                    kind=kind.name,
                    section=kind.section,
                    key=kind.natural_key(keys),
                    attributes={kind.value_attr: ref(value)},
                    owner=kind.owner,
                    ids={"key_refs": list(keys)},
                    location=self.where(full, key=True),
                    locations={kind.value_attr: self.where(full), "": self.where(full, key=True)},
                )
            )

    def singleton(self, kind: SingletonKind, path: PathKey, values: Mapping[str, Any]) -> None:
        attributes = {name: ref(value) for name, value in values.items() if value is not None}
        self.resources.append(
            Resource(
                address=kind.address_text,
                kind=kind.name,
                section=kind.section,
                key=kind.address_text,
                attributes=attributes,
                owner=kind.owner,
                location=self.where(path, key=True),
                locations={name: self.where((*path, name)) for name in attributes},
            )
        )


def desired_resources(loaded: LoadedConfig) -> list[Resource]:
    """Every desired resource of the sections present in the document."""
    config = loaded.document_as(Config)
    b = _Builder(loaded)
    if config.billing_codes is not None:
        if config.billing_codes.default is not None:
            b.singleton(
                BILLING_CODE_DEFAULT,
                ("billing_codes",),
                {"billing_code": config.billing_codes.default},
            )
            b.resources[-1] = _relocate(
                b, b.resources[-1], ("billing_codes", "default"), "billing_code"
            )
        b.mapping(
            BILLING_CODE_MAPPING, ("billing_codes", "categories"), config.billing_codes.categories
        )
    if config.company_types is not None:
        b.mapping(
            COMPANY_TYPE_TO_SALESBUILDR,
            ("company_types", "to_salesbuildr"),
            config.company_types.to_salesbuildr,
        )
        b.mapping(
            COMPANY_TYPE_TO_AUTOTASK,
            ("company_types", "to_autotask"),
            config.company_types.to_autotask,
        )
    if config.company_udfs is not None:
        for company_type, udfs in config.company_udfs.items():
            b.mapping(
                COMPANY_UDF_MAPPING, ("company_udfs", company_type), udfs, prefix=(company_type,)
            )
    if config.product_import is not None:
        pi = config.product_import
        b.singleton(
            PRODUCT_IMPORT_SETTINGS,
            ("product_import",),
            {
                "synchronize_to_autotask": pi.synchronize_to_autotask,
                "prepend_internal_product_id": pi.prepend_internal_product_id,
                "prepend_mpn_to_service_name": pi.prepend_mpn_to_service_name,
                "mpn_enrichment": pi.mpn_enrichment,
                "manufacturer_company_type": pi.manufacturer_company_type,
            },
        )
        b.mapping(ROLE_MAPPING, ("product_import", "roles"), pi.roles)
        b.mapping(
            PRODUCT_CATEGORY_MAPPING,
            ("product_import", "product_categories"),
            pi.product_categories,
        )
        b.mapping(SERVICE_MAPPING, ("product_import", "services"), pi.services)
    if config.inventory is not None:
        for name, location in config.inventory.locations.items():
            path: PathKey = ("inventory", "locations", name)
            b.resources.append(
                Resource(
                    address=INVENTORY_LOCATION.address_of(name),
                    kind=INVENTORY_LOCATION.name,
                    section=INVENTORY_LOCATION.section,
                    key=name,
                    attributes={
                        "active": location.active,
                        "default": location.default,
                        "track_stock": location.track_stock,
                    },
                    owner=INVENTORY_LOCATION.owner,
                    location=b.where(path, key=True),
                    locations={
                        attr: b.where((*path, attr))
                        for attr in ("active", "default", "track_stock")
                        if (*path, attr) in b.source.value_positions
                    },
                )
            )
    if config.opportunity is not None:
        b.mapping(OPPORTUNITY_UDF_MAPPING, ("opportunity", "udfs"), config.opportunity.udfs)
    if config.purchase_order is not None:
        b.singleton(
            PURCHASE_ORDER, ("purchase_order",), config.purchase_order.model_dump(exclude_none=True)
        )
        b.resources[-1] = _with_po_refs(b.resources[-1], config)
    if config.webhook_receiver is not None:
        secret = config.webhook_receiver.secret
        b.resources.append(
            Resource(
                address=WEBHOOK_RECEIVER.address_text,
                kind=WEBHOOK_RECEIVER.name,
                section=WEBHOOK_RECEIVER.section,
                key=WEBHOOK_RECEIVER.address_text,
                attributes={"secret_set": True},
                owner=WEBHOOK_RECEIVER.owner,
                sensitive=WEBHOOK_RECEIVER.sensitive,
                location=b.where(("webhook_receiver",), key=True),
                secret_refs={"secret": secret.reference},
                secrets={"secret": secret.value},
            )
        )
    for key, hook in (config.webhooks or {}).items():
        b.resources.append(_webhook(b, key, hook, config))
    return b.resources


def _relocate(b: _Builder, resource: Resource, path: PathKey, attribute: str) -> Resource:
    return Resource(
        address=resource.address,
        kind=resource.kind,
        section=resource.section,
        key=resource.key,
        attributes=resource.attributes,
        owner=resource.owner,
        location=b.where(path, key=True),
        locations={attribute: b.where(path)},
    )


def _with_po_refs(resource: Resource, config: Config) -> Resource:
    """model_dump flattens {id: N} to a dict already; keep references as the kinds expect."""
    po = config.purchase_order
    assert po is not None
    attributes = {
        name: ref(getattr(po, name))
        for name in resource.attributes
        if getattr(po, name) is not None
    }
    return Resource(
        address=resource.address,
        kind=resource.kind,
        section=resource.section,
        key=resource.key,
        attributes=attributes,
        owner=resource.owner,
        location=resource.location,
        locations=resource.locations,
    )


def _webhook(b: _Builder, key: str, hook: Any, config: Config) -> Resource:
    path: PathKey = ("webhooks", key)
    name = hook.name or key
    secret: SecretValue | None = hook.secret
    if secret is None and hook.url is None and config.webhook_receiver is not None:
        secret = config.webhook_receiver.secret
    attributes = {
        "entity": hook.entity.value,
        "name": name,
        "url": hook.url,
        "deactivation_url": hook.deactivation_url,
        "active": hook.active,
        "events": [e.value for e in hook.events],
        "fields": list(hook.fields),
        "always_send": list(hook.always_send),
        "udf_fields": list(hook.udf_fields),
        "excluded_resources": [ref(r) for r in hook.excluded_resources],
        "notification_email": hook.notification_email,
        "threshold_notification": hook.threshold_notification,
    }
    attributes = stated(attributes, hook.model_fields_set)  # unstated: kept as live
    return Resource(
        address=address("webhooks", key),
        kind=WEBHOOK.name,
        section=WEBHOOK.section,
        key=natural_key(hook.entity.value, name),
        attributes=attributes,
        owner=WEBHOOK.owner,
        sensitive=WEBHOOK.sensitive,
        location=b.where(path, key=True),
        locations={
            attr: b.where((*path, attr))
            for attr in attributes
            if (*path, attr) in b.source.value_positions
        },
        secret_refs={"secret": secret.reference} if secret is not None else {},
        secrets={"secret": secret.value} if secret is not None else {},
    )
