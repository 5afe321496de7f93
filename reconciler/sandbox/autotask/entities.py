"""The Autotask simulator's entity table: which entities it serves, their fields and picklists.

Data-driven on purpose: an entity is one :class:`EntityDef` (model fields from the vendor's
Swagger document, flags from the recorded real-tenant metadata or from the table below, verbs
from the document), and the routes, validation and ``/entityInformation`` answers are all derived
from it. Picklist values live in :mod:`reconciler.sandbox.autotask.picklists`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Final

from reconciler.sandbox.autotask.entity_flags import OVERRIDES, READ_ONLY, REFERENCES
from reconciler.sandbox.autotask.picklists import (
    WATCHED_ENTITY,
    WEBHOOK_KINDS,
    WEBHOOK_UDF_TYPE,
    PickValue,
    load_data,
    static_picklists,
    webhook_field_picklists,
)

__all__ = [
    "WATCHED_ENTITY",
    "WEBHOOK_KINDS",
    "WEBHOOK_UDF_TYPE",
    "Catalog",
    "EntityDef",
    "FieldDef",
    "PickValue",
    "catalog",
    "load_data",
    "webhook_field_picklists",
]


@dataclass(frozen=True)
class FieldDef:
    """One field of an entity, as ``/entityInformation/fields`` describes it.

    ``picklist`` names a picklist resolved at request time (static ones live in
    :attr:`Catalog.picklists`; ``udf:N`` lists the UDF definitions of udfType N, so a UDF created
    through the API shows up at once). ``create_only`` fields cannot change after a create.
    """

    name: str
    data_type: str
    length: int = 0
    required: bool = False
    read_only: bool = False
    queryable: bool = True
    reference: str = ""
    picklist: str | None = None
    parent_field: str = ""
    webhook: bool = False
    create_only: bool = False
    default: Any = None

    def metadata(self, values: list[PickValue] | None) -> dict[str, Any]:
        """The ``FieldInformationModel`` dict, in the key order of the recorded responses."""
        return {
            "name": self.name,
            "dataType": self.data_type,
            "length": self.length,
            "isRequired": self.required,
            "isReadOnly": self.read_only,
            "isQueryable": self.queryable,
            "isReference": bool(self.reference),
            "referenceEntityType": self.reference,
            "isPickList": self.picklist is not None,
            "picklistValues": [v.to_dict() for v in values or ()]
            if self.picklist is not None
            else None,
            "picklistParentValueField": self.parent_field,
            "isSupportedWebhookField": self.webhook,
        }


@dataclass(frozen=True)
class EntityDef:
    """One served entity: name in the URL, model, fields, verbs, and where it hangs.

    ``properties`` are the model's property names in document order (what a record carries);
    ``fields`` the metadata of each, looked up case-insensitively by :meth:`field` (the recorded
    metadata spells ``webhookGuid`` where the model says ``webhookGUID``). A child entity (webhook
    Fields, UdfFields, ExcludedResources) names its ``parent`` entity, the URL segment under the
    parent (``child_path``) and the field holding the parent id (``parent_field``).
    ``watched_by`` is the webhook kind whose webhooks see this entity's changes; ``webhook_kind``
    the kind a webhook entity (or webhook child) belongs to.
    """

    name: str
    model: str
    properties: tuple[str, ...]
    fields: tuple[FieldDef, ...]
    can_create: bool = False
    can_update: bool = False
    can_delete: bool = False
    udf_type: int | None = None
    watched_by: str | None = None
    webhook_kind: str | None = None
    parent: str | None = None
    child_path: str | None = None
    parent_field: str | None = None
    by_lower: dict[str, FieldDef] = field(default_factory=dict, compare=False, repr=False)
    prop_by_lower: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_lower.update({f.name.lower(): f for f in self.fields})
        self.prop_by_lower.update({p.lower(): p for p in self.properties})

    @property
    def info_name(self) -> str:
        """The entity's name in ``entityInformation`` (the model name without ``Model``)."""
        return self.model.removesuffix("Model")

    @property
    def has_udfs(self) -> bool:
        return "userDefinedFields" in self.properties

    def field(self, name: str) -> FieldDef | None:
        return self.by_lower.get(name.lower())

    def prop(self, name: str) -> str | None:
        """The model property a (case-insensitive) field name refers to."""
        return self.prop_by_lower.get(name.lower())


def _data_type(swagger_type: str, swagger_format: str | None) -> str:
    if swagger_type == "integer":
        return "long" if swagger_format == "int64" else "integer"
    if swagger_type == "number":
        return "decimal"
    if swagger_type == "boolean":
        return "boolean"
    if swagger_type == "string" and swagger_format == "date-time":
        return "datetime"
    return "string"


def _generated_fields(
    entity: str, properties: list[list[Any]], webhook_labels: set[str]
) -> tuple[FieldDef, ...]:
    overrides = OVERRIDES.get(entity, {})
    out: list[FieldDef] = []
    for name, swagger_type, swagger_format in properties:
        if name == "userDefinedFields":
            continue
        data_type = _data_type(swagger_type, swagger_format)
        reference = REFERENCES.get(name, "")
        if not reference and name.endswith("ResourceID"):
            reference = "Resource"
        base = FieldDef(
            name=name,
            data_type=data_type,
            length=100 if data_type == "string" else 0,
            required=name == "id",
            read_only=name == "id" or name in READ_ONLY,
            reference=reference,
            webhook=name.lower() in webhook_labels,
        )
        out.append(replace(base, **overrides.get(name, {})))
    return tuple(out)


def _recorded_fields(name: str) -> tuple[FieldDef, ...]:
    return tuple(
        FieldDef(
            name=raw["name"],
            data_type=raw["dataType"],
            length=raw["length"],
            required=raw["isRequired"],
            read_only=raw["isReadOnly"],
            queryable=raw["isQueryable"],
            reference=raw["referenceEntityType"] or "",
            picklist=f"{name}.{raw['name']}" if raw["isPickList"] else None,
            parent_field=raw["picklistParentValueField"] or "",
            webhook=bool(raw["isSupportedWebhookField"]),
        )
        for raw in load_data(f"{name}.entityInformation.fields.json")["fields"]
    )


def _webhook_entities(kind: str) -> list[EntityDef]:
    models = load_data("autotask-models.json")["entities"]
    recorded = "TicketWebhooks" if kind == "Ticket" else "CompanyWebhooks"
    webhooks = f"{kind}Webhooks"
    reference = f"{kind}Webhook"
    defaults = {"isSubscribedToCreateEvents": False, "isSubscribedToUpdateEvents": False}
    defaults |= {"isSubscribedToDeleteEvents": False, "sendThresholdExceededNotification": False}
    webhook_fields = tuple(
        replace(f, default=defaults.get(f.name)) for f in _recorded_fields(recorded)
    )
    parent_id = FieldDef("webhookID", "integer", required=True, reference=reference)
    ident = FieldDef("id", "long", required=True, read_only=True)
    entities = [
        EntityDef(
            name=webhooks,
            model=models[webhooks]["model"],
            properties=_props(models[webhooks]),
            fields=webhook_fields,
            can_create=True,
            can_update=True,
            can_delete=True,
            webhook_kind=kind,
        ),
        _child(
            models,
            f"{kind}WebhookFields",
            webhooks,
            "Fields",
            (
                ident,
                parent_id,
                FieldDef("fieldID", "integer", required=True, picklist=f"webhookfield:{kind}"),
                FieldDef("isSubscribedField", "boolean", required=True),
                FieldDef("isDisplayAlwaysField", "boolean", required=True),
            ),
            kind=kind,
        ),
        _child(
            models,
            f"{kind}WebhookExcludedResources",
            webhooks,
            "ExcludedResources",
            (
                ident,
                parent_id,
                FieldDef("resourceID", "integer", required=True, reference="Resource"),
            ),
            kind=kind,
            can_update=False,
        ),
    ]
    if kind in WEBHOOK_UDF_TYPE:
        udf_list = f"udf:{WEBHOOK_UDF_TYPE[kind]}"
        entities.append(
            _child(
                models,
                f"{kind}WebhookUdfFields",
                webhooks,
                "UdfFields",
                (
                    ident,
                    parent_id,
                    FieldDef("udfFieldID", "integer", required=True, picklist=udf_list),
                    FieldDef("isSubscribedField", "boolean", required=True),
                    FieldDef("isDisplayAlwaysField", "boolean", required=True),
                ),
                kind=kind,
            )
        )
    return entities


def _props(model: dict[str, Any]) -> tuple[str, ...]:
    return tuple(p[0] for p in model["properties"])


def _child(
    models: dict[str, Any],
    name: str,
    parent: str,
    path: str,
    fields: tuple[FieldDef, ...],
    *,
    kind: str,
    can_update: bool = True,
) -> EntityDef:
    return EntityDef(
        name=name,
        model=models[name]["model"],
        properties=_props(models[name]),
        fields=fields,
        can_create=True,
        can_update=can_update,
        can_delete=True,
        webhook_kind=kind,
        parent=parent,
        child_path=path,
        parent_field="webhookID",
    )


# (entity, can_create, can_update, udfType of its UDFs, webhook kind it raises events for)
_PLAIN: Final = (
    ("Companies", True, True, 1, "Company"),
    ("Opportunities", True, True, 3, None),
    ("Products", True, True, 5, None),
    ("BillingCodes", False, False, None, None),
    ("Roles", True, True, None, None),
    ("Services", True, True, None, None),
    ("Resources", False, True, None, None),
    ("UserDefinedFieldDefinitions", True, True, None, None),
    ("InventoryLocations", True, True, None, None),
)


@dataclass(frozen=True)
class Catalog:
    """Every served entity (by lower-case name) and the static picklists."""

    entities: dict[str, EntityDef]
    picklists: dict[str, list[PickValue]]

    def entity(self, name: str) -> EntityDef | None:
        return self.entities.get(name.lower())

    def by_info_name(self, info_name: str) -> EntityDef | None:
        """The entity a ``referenceEntityType`` (``"Resource"``) names, if served."""
        for entity in self.entities.values():
            if entity.info_name == info_name:
                return entity
        return None


@cache
def catalog() -> Catalog:
    """The entity table, built once per process (it is immutable)."""
    models = load_data("autotask-models.json")["entities"]
    company_labels = {v.label.lower() for v in webhook_field_picklists()["Company"]}
    entities: list[EntityDef] = []
    for name, can_create, can_update, udf_type, kind in _PLAIN:
        entities.append(
            EntityDef(
                name=name,
                model=models[name]["model"],
                properties=_props(models[name]),
                fields=_generated_fields(
                    name,
                    models[name]["properties"],
                    company_labels if name == "Companies" else set(),
                ),
                can_create=can_create,
                can_update=can_update,
                udf_type=udf_type,
                watched_by=kind,
            )
        )
    entities.append(
        EntityDef(
            name="Tickets",
            model=models["Tickets"]["model"],
            properties=_props(models["Tickets"]),
            fields=_recorded_fields("Tickets"),
            can_create=True,
            can_update=True,
            udf_type=4,
            watched_by="Ticket",
        )
    )
    for kind in WEBHOOK_KINDS:
        entities.extend(_webhook_entities(kind))
    picklists = static_picklists()
    return Catalog({e.name.lower(): e for e in entities}, picklists)
