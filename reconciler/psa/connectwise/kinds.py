"""The ConnectWise kinds kept in Salesbuildr's settings documents: mapping rows and settings.

Every page but Callbacks is a Salesbuildr document (``/integration/connectwise/settings/{page}``,
``docs/salesbuildr-contract.md``), so these kinds are owned by Salesbuildr: a row removed from
the YAML under ``manage: full`` is removed from the document (never anything in ConnectWise).

* :class:`MappingKind` rows: category -> category, company type <-> company type, company UDF ->
  data point, opportunity status <-> opportunity status.
* :class:`ChoiceMappingKind` rows: product type -> data source (a fixed choice, no table).
* :class:`SettingsKind` documents with list fields (the company type priority, the synchronised
  company statuses, the inventory warehouses) beside reference fields.

Ticket settings, whose board scopes its other fields, are :mod:`.kinds_ticket`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler.kinds.base import (
    MappingKind,
    Problem,
    SingletonField,
    SingletonKind,
    resolution_problem,
    sort_set_like,
)
from reconciler.kinds.catalog import Catalog
from reconciler.kinds.names import fold
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.state import Resource
from reconciler.warning_ids import UNMAPPED_COMPANY_TYPES

ASSUMED_SETTINGS: dict[str, str] = {
    "categories.data_source": "the setup guide documents a data source (ConnectWise or "
    "Salesbuildr) per product type but not the page holding it; kept on the Categories page "
    "(salesbuildr-connectwise-configuration.md 2.5)",
    "companies.udfs": "one UDF table for every company type: whether Salesbuildr maps UDFs per "
    "company type, as for Autotask, is not shown (3.5, gap 5)",
    "inventory.warehouses": "the Inventories page's controls are not shown; a choice of "
    "ConnectWise warehouses whose stock is synchronised is our reading (6.1, gap 3)",
    "ticket_settings.status": "the Ticket settings excerpt stops after 'board'; the status of "
    "that board the ticket starts in is our reading (7.3, gap 1)",
    "ticket_settings.type": "the Ticket settings excerpt stops after 'board'; a service type "
    "of that board is our reading (7.3, gap 1)",
    "ticket_settings.subtype": "the Ticket settings excerpt stops after 'board'; a subtype of "
    "that board which the type allows is our reading (7.3, gap 1)",
    "ticket_settings.item": "the Ticket settings excerpt stops after 'board'; an item of that "
    "board which the type (and subtype) allows is our reading (7.3, gap 1)",
    "ticket_settings.priority": "the Ticket settings excerpt stops after 'board'; a ConnectWise "
    "service priority for the ticket is our reading (7.3, gap 1)",
    "callbacks": "the page's buttons are not shown (5.1, gap 2); managing ConnectWise's "
    "/system/callbacks objects keyed by description, and their type and level strings "
    "(Company, Owner...), are our reading of the API and community documentation",
}
"""Every setting the help centre does not state that the ConnectWise language models, with
why it is an assumption (the README lists them under "assumed settings"). The models mark the
same settings ``[inferred]`` in their descriptions; a test keeps the two in step."""


@dataclass(frozen=True)
class ChoiceMappingKind(MappingKind):
    """A row whose key is a table's name and whose value one of ``choices`` (validated by the
    model already): only the key is resolved."""

    choices: tuple[str, ...] = ()

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(self.key_tables)

    def resolve(
        self, resource: Resource, catalog: Catalog
    ) -> tuple[Resource | None, list[Problem]]:
        table = catalog.table(self.key_tables[0])
        key_refs: Sequence[Any] = resource.ids.get("key_refs", ())
        resolved = table.resolve(key_refs[0])
        if resolved.entry is None:
            return None, [resolution_problem(resource, "", resolved)]
        shown = table.display(resolved.entry.id)
        value = str(resource.attributes[self.value_attr])
        if value not in self.choices:
            choices = " | ".join(self.choices)
            message = f"'{value}' is not one of {choices}"
            return None, [Problem(resource.address, message, attribute=self.value_attr)]
        return (
            replace(
                resource,
                address=self.address_of([shown]),
                key=self.natural_key([shown]),
                attributes={self.value_attr: value},
                ids={"keys": [resolved.entry.id], self.value_attr: value},
            ),
            [],
        )

    def live_choice(self, key_id: Any, value: str, catalog: Catalog, raw: Any) -> Resource:
        shown = catalog.table(self.key_tables[0]).display(key_id)
        return Resource(
            address=self.address_of([shown]),
            kind=self.name,
            section=self.section,
            key=self.natural_key([shown]),
            attributes={self.value_attr: value},
            owner=self.owner,
            ids={"keys": [key_id], self.value_attr: value},
            raw=raw,
        )


@dataclass(frozen=True)
class CompanyTypeToConnectWiseKind(MappingKind):
    def check(
        self, desired: Sequence[Resource], live: Sequence[Resource], catalog: Catalog
    ) -> list[Problem]:
        """Warn about Salesbuildr company types without a ConnectWise company type: Salesbuildr
        cannot push such companies (as for Autotask)."""
        if not any(r.kind == self.name for r in desired):
            return []
        mapped = {fold(r.key) for r in (*desired, *live) if r.kind == self.name}
        unmapped = [
            e.name for e in catalog.table(t.SB_COMPANY_TYPES).entries if fold(e.name) not in mapped
        ]
        if not unmapped:
            return []
        names = ", ".join(f"'{n}'" for n in unmapped)
        return [
            Problem(
                address="companies.types.to_connectwise",
                message=f"Salesbuildr company type(s) {names} have no ConnectWise company type; "
                "Salesbuildr cannot create such companies in ConnectWise",
                hint="map them under companies.types.to_connectwise if they should sync",
                severity="warning",
                id=UNMAPPED_COMPANY_TYPES,
            )
        ]


CATEGORY_MAPPING = MappingKind(
    name="category_mapping",
    section="categories",
    subsection="mappings",
    key_tables=(t.CW_CATEGORIES,),
    value_attr="category",
    value_table=t.SB_CATEGORIES,
)

PRODUCT_TYPE_DATA_SOURCE = ChoiceMappingKind(
    name="product_type_data_source",
    section="categories",
    subsection="data_source",
    key_tables=(t.CW_PRODUCT_TYPES,),
    value_attr="source",
    value_table="",
    choices=("connectwise", "salesbuildr"),
)

COMPANY_TYPE_TO_SALESBUILDR = MappingKind(
    name="company_type_to_salesbuildr",
    section="companies",
    subsection="types.to_salesbuildr",
    key_tables=(t.CW_COMPANY_TYPES,),
    value_attr="company_type",
    value_table=t.SB_COMPANY_TYPES,
)

COMPANY_TYPE_TO_CONNECTWISE = CompanyTypeToConnectWiseKind(
    name="company_type_to_connectwise",
    section="companies",
    subsection="types.to_connectwise",
    key_tables=(t.SB_COMPANY_TYPES,),
    value_attr="company_type",
    value_table=t.CW_COMPANY_TYPES,
)

COMPANY_UDF_MAPPING = MappingKind(
    name="company_udf_mapping",
    section="companies",
    subsection="udfs",
    key_tables=(t.CW_COMPANY_UDFS,),
    value_attr="data_point",
    value_table=t.SB_COMPANY_DATA_POINTS,
)

OPPORTUNITY_STATUS_TO_SALESBUILDR = MappingKind(
    name="opportunity_status_to_salesbuildr",
    section="opportunity_statuses",
    subsection="to_salesbuildr",
    key_tables=(t.CW_OPPORTUNITY_STATUSES,),
    value_attr="status",
    value_table=t.SB_OPPORTUNITY_STATUSES,
)

OPPORTUNITY_STATUS_TO_CONNECTWISE = MappingKind(
    name="opportunity_status_to_connectwise",
    section="opportunity_statuses",
    subsection="to_connectwise",
    key_tables=(t.SB_OPPORTUNITY_STATUSES,),
    value_attr="status",
    value_table=t.CW_OPPORTUNITY_STATUSES,
)


@dataclass(frozen=True)
class SettingsKind(SingletonKind):
    """A settings document (always exists, never deleted) whose ``lists`` fields hold several
    references: compared as lists of labels (``set_like`` ones in any order), their ids kept
    as ``{label: id}`` in ``ids``. Only the fields the YAML states are managed."""

    lists: frozenset[str] = frozenset()

    def normalise(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        return sort_set_like(attributes, self.set_like)

    def resolve(
        self, resource: Resource, catalog: Catalog
    ) -> tuple[Resource | None, list[Problem]]:
        scalars = {k: v for k, v in resource.attributes.items() if k not in self.lists}
        outcome, problems = super().resolve(replace(resource, attributes=scalars), catalog)
        attributes: dict[str, Any] = dict(outcome.attributes) if outcome else {}
        ids: dict[str, Any] = dict(outcome.ids) if outcome else {}
        for spec in self.fields:
            if spec.name not in self.lists or spec.name not in resource.attributes:
                continue
            table = catalog.table(spec.table or "")
            shown: list[str] = []
            found: dict[str, Any] = {}
            for ref in resource.attributes[spec.name] or []:
                resolved = table.resolve(ref)
                if resolved.entry is None:
                    problems.append(resolution_problem(resource, spec.name, resolved))
                    continue
                label = table.display(resolved.entry.id)
                if label in found:
                    problems.append(
                        Problem(
                            resource.address,
                            f"{table.what} '{label}' is listed twice in {spec.name}",
                            "keep one of them",
                            attribute=spec.name,
                        )
                    )
                    continue
                shown.append(label)
                found[label] = resolved.entry.id
            attributes[spec.name] = shown
            ids[spec.name] = found
        if problems:
            return None, problems
        ordered = {f.name: attributes[f.name] for f in self.fields if f.name in attributes}
        return replace(resource, attributes=self.normalise(ordered), ids=ids), []

    def live(self, values: Mapping[str, Any], catalog: Catalog, raw: Any) -> Resource:
        """The live document: list fields hold ids (shown through their table), the rest as
        :meth:`SingletonKind.live`."""
        scalars = {k: v for k, v in values.items() if k not in self.lists}
        base = super().live(scalars, catalog, raw)
        attributes = dict(base.attributes)
        ids = dict(base.ids)
        for spec in self.fields:
            if spec.name not in self.lists:
                continue
            table = catalog.table(spec.table or "")
            listed = list(values.get(spec.name) or [])
            attributes[spec.name] = [table.display(ident) for ident in listed]
            ids[spec.name] = {table.display(ident): ident for ident in listed}
        return replace(base, attributes=self.normalise(attributes), ids=ids)


def _fields(*specs: tuple[str, str | None]) -> tuple[SingletonField, ...]:
    return tuple(SingletonField(name, table) for name, table in specs)


COMPANY_SETTINGS = SettingsKind(
    name="company_settings",
    section="companies",
    address_text="companies",
    fields=_fields(
        ("type_priority", t.CW_COMPANY_TYPES),
        ("statuses", t.CW_COMPANY_STATUSES),
        ("manufacturer_company_type", t.CW_COMPANY_TYPES),
    ),
    lists=frozenset({"type_priority", "statuses"}),
    set_like=frozenset({"statuses"}),
)
"""``type_priority`` is ordered (first wins); ``statuses`` is a set."""

INVENTORY_SETTINGS = SettingsKind(
    name="inventory_settings",
    section="inventory",
    address_text="inventory",
    fields=_fields(("warehouses", t.CW_WAREHOUSES)),
    lists=frozenset({"warehouses"}),
    set_like=frozenset({"warehouses"}),
)

MAPPING_KINDS: tuple[MappingKind, ...] = (
    CATEGORY_MAPPING,
    PRODUCT_TYPE_DATA_SOURCE,
    COMPANY_TYPE_TO_SALESBUILDR,
    COMPANY_TYPE_TO_CONNECTWISE,
    COMPANY_UDF_MAPPING,
    OPPORTUNITY_STATUS_TO_SALESBUILDR,
    OPPORTUNITY_STATUS_TO_CONNECTWISE,
)

__all__ = [
    "ASSUMED_SETTINGS",
    "CATEGORY_MAPPING",
    "COMPANY_SETTINGS",
    "COMPANY_TYPE_TO_CONNECTWISE",
    "COMPANY_TYPE_TO_SALESBUILDR",
    "COMPANY_UDF_MAPPING",
    "INVENTORY_SETTINGS",
    "MAPPING_KINDS",
    "OPPORTUNITY_STATUS_TO_CONNECTWISE",
    "OPPORTUNITY_STATUS_TO_SALESBUILDR",
    "PRODUCT_TYPE_DATA_SOURCE",
    "ChoiceMappingKind",
    "SettingsKind",
]
