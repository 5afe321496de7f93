"""A ConnectWise document as desired :class:`~reconciler.state.Resource` objects, before name
resolution: names and ``{id: N}`` as written, and the source location of every attribute, so a
name that does not resolve is reported at its line and column."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.config.desired import ref
from reconciler.config.loader import PathKey, SourceDocument
from reconciler.kinds.base import MappingKind, SingletonKind
from reconciler.psa.connectwise.config import Callback, ConnectWiseConfig
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
from reconciler.psa.connectwise.kinds_callbacks import CALLBACK, stated
from reconciler.psa.connectwise.kinds_ticket import TICKET_SETTINGS
from reconciler.state import ManageMode, PolicySettings, Resource


class _Builder:
    def __init__(self, source: SourceDocument):
        self.source = source
        self.resources: list[Resource] = []

    def where(self, path: PathKey, *, key: bool = False) -> str:
        return self.source.diagnostic(path, "", key=key).location

    def mapping(self, kind: MappingKind, path: PathKey, table: Mapping[str, Any]) -> None:
        for key, value in table.items():
            full = (*path, key)
            self.resources.append(
                Resource(
                    address=kind.address_of([key]),
                    kind=kind.name,
                    section=kind.section,
                    key=kind.natural_key([key]),
                    attributes={kind.value_attr: ref(value)},
                    owner=kind.owner,
                    ids={"key_refs": [key]},
                    location=self.where(full, key=True),
                    locations={kind.value_attr: self.where(full), "": self.where(full, key=True)},
                )
            )

    def settings(self, kind: SingletonKind, path: PathKey, values: Mapping[str, Any]) -> None:
        """A settings document: only the fields stated (not None) are managed."""
        attributes = {
            name: [ref(item) for item in value] if isinstance(value, list) else ref(value)
            for name, value in values.items()
            if value is not None
        }
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

    def callback(self, description: str, callback: Callback) -> None:
        path: PathKey = ("callbacks", description)
        attributes = stated(
            {
                "type": callback.type.value,
                "level": callback.level.value,
                "url": callback.url,
                "active": callback.active,
                "object_id": callback.object_id,
                "payload_version": callback.payload_version,
                "self_suppressed": callback.self_suppressed,
            },
            callback.model_fields_set,
        )
        self.resources.append(
            Resource(
                address=CALLBACK.address_of(description),
                kind=CALLBACK.name,
                section=CALLBACK.section,
                key=description,
                attributes=attributes,
                owner=CALLBACK.owner,
                location=self.where(path, key=True),
                locations={
                    attr: self.where((*path, attr))
                    for attr in attributes
                    if (*path, attr) in self.source.value_positions
                },
            )
        )


def desired_resources(config: ConnectWiseConfig, source: SourceDocument) -> list[Resource]:
    """Every desired resource of the sections present in the document."""
    b = _Builder(source)
    if config.categories is not None:
        b.mapping(CATEGORY_MAPPING, ("categories", "mappings"), config.categories.mappings)
        b.mapping(
            PRODUCT_TYPE_DATA_SOURCE,
            ("categories", "data_source"),
            {k: v.value for k, v in config.categories.data_source.items()},
        )
    if config.companies is not None:
        companies = config.companies
        if companies.types is not None:
            b.mapping(
                COMPANY_TYPE_TO_SALESBUILDR,
                ("companies", "types", "to_salesbuildr"),
                companies.types.to_salesbuildr,
            )
            b.mapping(
                COMPANY_TYPE_TO_CONNECTWISE,
                ("companies", "types", "to_connectwise"),
                companies.types.to_connectwise,
            )
        b.mapping(COMPANY_UDF_MAPPING, ("companies", "udfs"), companies.udfs)
        b.settings(
            COMPANY_SETTINGS,
            ("companies",),
            {
                "type_priority": companies.type_priority,
                "statuses": companies.statuses,
                "manufacturer_company_type": companies.manufacturer_company_type,
            },
        )
    if config.opportunity_statuses is not None:
        statuses = config.opportunity_statuses
        b.mapping(
            OPPORTUNITY_STATUS_TO_SALESBUILDR,
            ("opportunity_statuses", "to_salesbuildr"),
            statuses.to_salesbuildr,
        )
        b.mapping(
            OPPORTUNITY_STATUS_TO_CONNECTWISE,
            ("opportunity_statuses", "to_connectwise"),
            statuses.to_connectwise,
        )
    for description, callback in (config.callbacks or {}).items():
        b.callback(description, callback)
    if config.inventory is not None:
        b.settings(INVENTORY_SETTINGS, ("inventory",), {"warehouses": config.inventory.warehouses})
    if config.ticket_settings is not None:
        ticket = config.ticket_settings
        b.settings(
            TICKET_SETTINGS,
            ("ticket_settings",),
            {name: getattr(ticket, name) for name in type(ticket).model_fields},
        )
    return b.resources


def policy_settings(config: ConnectWiseConfig) -> PolicySettings:
    policy = config.policy
    return PolicySettings(
        manage={section: ManageMode(mode.value) for section, mode in policy.manage.items()},
        max_change_fraction=policy.max_change_fraction,
        max_deletes=policy.max_deletes,
        ignore_fields={
            section: frozenset(names) for section, names in policy.ignore_fields.items()
        },
    )
