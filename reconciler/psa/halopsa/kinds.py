"""The HaloPSA kinds of the Salesbuildr documents: mappings, settings and account codes.

Everything here is stored in Salesbuildr (``/integration/halopsa/settings/{page}``, our
proposal): mapping rows are :class:`~reconciler.kinds.base.MappingKind` (removed from their
document under ``manage: full``), page settings are singletons (never deleted). The Halo-side
collection, webhooks, is :mod:`reconciler.psa.halopsa.kinds_webhooks`. :data:`KINDS` lists them all
in the order the sections appear.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.kinds.base import (
    Kind,
    KindDefaults,
    MappingKind,
    Problem,
    SingletonField,
    SingletonKind,
    address,
    resolution_problem,
    sort_set_like,
)
from reconciler.kinds.catalog import Catalog, NameTable
from reconciler.psa.halopsa import kinds_tables as t
from reconciler.psa.halopsa.kinds_webhooks import HALO_WEBHOOK
from reconciler.state import DeletePolicy, Resource

ASSUMED_SETTINGS: dict[str, str] = {
    "products.categories": "the page maps 'Halo categories'; the field mapping says a "
    "Salesbuildr category is the item's Halo asset type, so the keys are asset types, not "
    "/Category (salesbuildr-halopsa-configuration.md 2.1: ambiguous)",
    "products.groups": "the product-group mapping onto Halo item groups is documented, its key "
    "is not; keyed here by Salesbuildr category (2.3, gap 3)",
    "companies.prospect_type": "its values are not stated; taken from Halo's client types, a "
    "Lookup list whose id is assumed (resources.LOOKUP_LISTS) (4.1, gap 4)",
    "account_codes": "income and expense codes per item group are documented; where Halo keeps "
    "them is not, so they are free text of a Salesbuildr document (6, gap 6)",
    "webhooks": "the Webhooks page is not shown past its heading; Halo /Webhook objects keyed "
    "by name with events, active and url are our reading of the API, and the event name <-> "
    "eventno table is assumed (events.py) (7, gap 1)",
    "quotes.statuses": "the five Salesbuildr statuses are documented; the Halo quotation "
    "statuses are read from a Lookup list whose id is assumed (resources.LOOKUP_LISTS) (5.1)",
    "opportunities.statuses": "Halo's side is read from /Status filtered to ticket statuses "
    "(type 1, assumed: the subset does not enumerate it), opportunities being tickets (3.3)",
}
"""Every setting (or the source of its values) the help centre does not state that the HaloPSA
language models, with why it is an assumption (the README lists them under "assumed
settings"). The models mark the settings themselves ``[assumed]``; a test keeps both in step."""


@dataclass(frozen=True)
class HaloMappingKind(MappingKind):
    """A mapping row whose tables may be constants of the language (quote statuses, address
    fields and lines): those are added to the catalog before resolving or showing."""

    def resolve(
        self, resource: Resource, catalog: Catalog
    ) -> tuple[Resource | None, list[Problem]]:
        return super().resolve(resource, t.with_constants(catalog))

    def live(self, keys: Sequence[Any], value_id: Any, catalog: Catalog, raw: Any) -> Resource:
        return super().live(keys, value_id, t.with_constants(catalog), raw)


@dataclass(frozen=True)
class HaloSettingsKind(SingletonKind):
    """A settings document whose fields may be lists of references (``list_fields``: compared
    as sets, each element resolved in its field's table)."""

    list_fields: frozenset[str] = frozenset()

    def normalise(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        return sort_set_like(attributes, self.list_fields)

    def _table_of(self, name: str) -> str:
        return next(f.table or "" for f in self.fields if f.name == name)

    def resolve(
        self, resource: Resource, catalog: Catalog
    ) -> tuple[Resource | None, list[Problem]]:
        scalars = {k: v for k, v in resource.attributes.items() if k not in self.list_fields}
        outcome, problems = super().resolve(replace(resource, attributes=scalars), catalog)
        attributes = dict(outcome.attributes) if outcome else {}
        ids = dict(outcome.ids) if outcome else {}
        for name in sorted(self.list_fields & set(resource.attributes)):
            table = catalog.table(self._table_of(name))
            found: list[Any] = []
            for ref in resource.attributes[name] or []:
                resolved = table.resolve(ref)
                if resolved.entry is None:
                    problems.append(resolution_problem(resource, name, resolved))
                    continue
                if resolved.entry.id in found:
                    label = table.display(resolved.entry.id)
                    problems.append(
                        Problem(resource.address, f"'{label}' is listed twice", attribute=name)
                    )
                    continue
                found.append(resolved.entry.id)
            attributes[name], ids[name] = _shown_in_order(table, found)
        if problems:
            return None, problems
        return replace(resource, attributes=self.normalise(attributes), ids=ids), []

    def live(self, values: Mapping[str, Any], catalog: Catalog, raw: Any) -> Resource:
        scalars = {k: v for k, v in values.items() if k not in self.list_fields}
        resource = super().live(scalars, catalog, raw)
        attributes = {k: v for k, v in resource.attributes.items() if k not in self.list_fields}
        ids = dict(resource.ids)
        for name in self.list_fields:
            listed = values.get(name)
            if listed is None:
                attributes[name] = None
                continue
            attributes[name], ids[name] = _shown_in_order(
                catalog.table(self._table_of(name)), listed
            )
        return replace(resource, attributes=self.normalise(attributes), ids=ids)


def _shown_in_order(table: NameTable, ids: Sequence[Any]) -> tuple[list[str], list[Any]]:
    """Names as the table shows them and their ids, both in the order the names sort (so
    ``ids[i]`` is the id of ``names[i]`` after :meth:`HaloSettingsKind.normalise`)."""
    pairs = sorted(((table.display(i), i) for i in ids), key=lambda p: p[0].casefold())
    return [p[0] for p in pairs], [p[1] for p in pairs]


ACCOUNT_CODE_ATTRIBUTES = ("income", "expense")


@dataclass(frozen=True)
class AccountCodeKind(KindDefaults):
    """``account_codes["<item group>"] = {income, expense}``: one row of the account-codes
    document per Halo item group; only the codes the YAML states are managed."""

    name: str = "halo_account_codes"
    section: str = "account_codes"
    owner: str = "salesbuildr"
    delete_policy: DeletePolicy = DeletePolicy.REMOVE
    sensitive: frozenset[str] = frozenset()
    set_like: frozenset[str] = frozenset()
    tables: frozenset[str] = field(default_factory=lambda: frozenset({t.HALO_ITEM_GROUPS}))

    def address_of(self, group: str) -> str:
        return address(self.section, group)

    def resolve(
        self, resource: Resource, catalog: Catalog
    ) -> tuple[Resource | None, list[Problem]]:
        groups = catalog.table(t.HALO_ITEM_GROUPS)
        refs: Sequence[Any] = resource.ids.get("key_refs", ())
        resolved = groups.resolve(refs[0])
        if resolved.entry is None:
            return None, [resolution_problem(resource, "", resolved)]
        shown = groups.display(resolved.entry.id)
        return (
            replace(
                resource,
                address=self.address_of(shown),
                key=shown,
                ids={"keys": [resolved.entry.id]},
            ),
            [],
        )

    def live(self, group_id: Any, codes: Mapping[str, Any], catalog: Catalog, raw: Any) -> Resource:
        shown = catalog.table(t.HALO_ITEM_GROUPS).display(group_id)
        return Resource(
            address=self.address_of(shown),
            kind=self.name,
            section=self.section,
            key=shown,
            attributes={name: codes.get(name) for name in ACCOUNT_CODE_ATTRIBUTES},
            owner=self.owner,
            ids={"keys": [group_id]},
            raw=raw,
        )


PRODUCT_CATEGORIES = HaloMappingKind(
    name="halo_product_category_mapping",
    section="products",
    subsection="categories",
    key_tables=(t.HALO_ASSET_TYPES,),
    value_attr="category",
    value_table=t.SB_CATEGORIES,
)

PRODUCT_TYPES = HaloMappingKind(
    name="halo_product_type_mapping",
    section="products",
    subsection="types",
    key_tables=(t.SB_PRODUCT_TYPES,),
    value_attr="asset_group",
    value_table=t.HALO_ASSET_GROUPS,
)

PRODUCT_GROUPS = HaloMappingKind(
    name="halo_product_group_mapping",
    section="products",
    subsection="groups",
    key_tables=(t.SB_CATEGORIES,),  # [assumed] key: the help centre does not say
    value_attr="item_group",
    value_table=t.HALO_ITEM_GROUPS,
)

PRODUCT_SETTINGS = HaloSettingsKind(
    name="halo_product_settings",
    section="products",
    address_text="products",
    fields=(
        SingletonField("default_group", t.HALO_ITEM_GROUPS),
        SingletonField("shipping_product", t.HALO_ITEMS),
        SingletonField("synchronize_to_halo"),
    ),
)


@dataclass(frozen=True)
class OpportunitySettingsKind(HaloSettingsKind):
    def check(
        self, desired: Sequence[Resource], live: Sequence[Resource], catalog: Catalog
    ) -> list[Problem]:
        """The type Salesbuildr creates opportunities with must be an enabled type, the one
        the YAML states checked against the one live when the YAML states only the other
        (both stated: the offline rule)."""
        wanted = next((r for r in desired if r.kind == self.name), None)
        if wanted is None or not {"type", "enabled_types"} & set(wanted.attributes):
            return []
        current = next((r for r in live if r.kind == self.name), None)

        def effective(name: str) -> Any:
            if name in wanted.attributes:
                return wanted.ids.get(name)
            return current.ids.get(name) if current is not None else None

        chosen, enabled = effective("type"), effective("enabled_types")
        if chosen is None or enabled is None or chosen in enabled:
            return []
        types = catalog.table(t.HALO_TICKET_TYPES)
        stated = "type" if "type" in wanted.attributes else "enabled_types"
        return [
            Problem(
                wanted.address,
                f"opportunity type '{types.display(chosen)}' is not among the enabled types "
                f"({', '.join(types.display(i) for i in enabled) or 'none'}), so Salesbuildr "
                "would not import the opportunities it creates",
                "state opportunities.enabled_types including it, or choose an enabled type",
                attribute=stated,
            )
        ]


OPPORTUNITY_SETTINGS = OpportunitySettingsKind(
    name="halo_opportunity_settings",
    section="opportunities",
    address_text="opportunities",
    fields=(
        SingletonField("type", t.HALO_TICKET_TYPES),
        SingletonField("import_categories", t.HALO_CATEGORIES),
        SingletonField("enabled_types", t.HALO_TICKET_TYPES),
        SingletonField("teams", t.HALO_TEAMS),
    ),
    list_fields=frozenset({"import_categories", "enabled_types", "teams"}),
    set_like=frozenset({"import_categories", "enabled_types", "teams"}),
)

STATUS_TO_SALESBUILDR = HaloMappingKind(
    name="halo_status_to_salesbuildr",
    section="opportunities",
    subsection="statuses.to_salesbuildr",
    key_tables=(t.HALO_STATUSES,),
    value_attr="status",
    value_table=t.SB_OPPORTUNITY_STATUSES,
)

STATUS_TO_HALOPSA = HaloMappingKind(
    name="halo_status_to_halopsa",
    section="opportunities",
    subsection="statuses.to_halopsa",
    key_tables=(t.SB_OPPORTUNITY_STATUSES,),
    value_attr="status",
    value_table=t.HALO_STATUSES,
)

COMPANY_SETTINGS = HaloSettingsKind(
    name="halo_company_settings",
    section="companies",
    address_text="companies",
    fields=(SingletonField("prospect_type", t.HALO_CLIENT_TYPES),),  # [assumed] values
)

ADDRESS_LINES = HaloMappingKind(
    name="halo_address_line_mapping",
    section="companies",
    subsection="address_lines",
    key_tables=(t.SB_ADDRESS_FIELDS,),
    value_attr="line",
    value_table=t.HALO_ADDRESS_LINES,
)

QUOTE_STATUSES = HaloMappingKind(
    name="halo_quote_status_mapping",
    section="quotes",
    subsection="statuses",
    key_tables=(t.SB_QUOTE_STATUSES,),
    value_attr="status",
    value_table=t.HALO_QUOTE_STATUSES,
)

ACCOUNT_CODES = AccountCodeKind()

KINDS: tuple[Kind, ...] = (
    PRODUCT_SETTINGS,
    PRODUCT_CATEGORIES,
    PRODUCT_TYPES,
    PRODUCT_GROUPS,
    OPPORTUNITY_SETTINGS,
    STATUS_TO_SALESBUILDR,
    STATUS_TO_HALOPSA,
    COMPANY_SETTINGS,
    ADDRESS_LINES,
    QUOTE_STATUSES,
    ACCOUNT_CODES,
    HALO_WEBHOOK,
)
"""Every HaloPSA kind, in section order (the registry entry of ``psa: halopsa``)."""

BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}


def kinds_of(section: str) -> list[Kind]:
    return [kind for kind in KINDS if kind.section == section]
