"""Autotask field metadata (``entityInformation/fields`` and ``/userDefinedFields``) and the API
user's access (``entityInformation``), parsed; and both turned into the
:class:`~reconciler.kinds.constraints.EntityRules` the plan-time checks use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.kinds.constraints import ACCESS_FIELDS, EntityRules, FieldRule


@dataclass(frozen=True)
class PicklistValue:
    value: str
    label: str
    is_active: bool
    parent_value: str | None = None
    is_system: bool = False


@dataclass(frozen=True)
class FieldInfo:
    """One field of ``entityInformation/fields`` (or ``/userDefinedFields``)."""

    name: str
    data_type: str
    is_picklist: bool
    is_required: bool = False
    is_read_only: bool = False
    picklist: tuple[PicklistValue, ...] = ()
    parent_field: str | None = None
    label: str | None = None
    length: int = 0
    is_reference: bool = False
    reference_entity: str | None = None

    def active_values(self) -> list[PicklistValue]:
        return [value for value in self.picklist if value.is_active]


def parse_fields(body: Mapping[str, Any]) -> list[FieldInfo]:
    """Parse a ``{"fields": [...]}`` metadata response (standard fields or UDFs)."""
    fields: list[FieldInfo] = []
    for raw in body.get("fields") or []:
        values = tuple(
            PicklistValue(
                value=str(item.get("value")),
                label=str(item.get("label") or ""),
                is_active=bool(item.get("isActive", True)),
                parent_value=str(item["parentValue"]) if item.get("parentValue") else None,
                is_system=bool(item.get("isSystem", False)),
            )
            for item in raw.get("picklistValues") or []
        )
        fields.append(
            FieldInfo(
                name=str(raw.get("name")),
                data_type=str(raw.get("dataType") or raw.get("type") or ""),
                is_picklist=bool(raw.get("isPickList")),
                is_required=bool(raw.get("isRequired")),
                is_read_only=bool(raw.get("isReadOnly")),
                picklist=values,
                parent_field=raw.get("picklistParentValueField") or None,
                label=raw.get("label"),
                length=int(raw.get("length") or 0),
                is_reference=bool(raw.get("isReference")),
                reference_entity=raw.get("referenceEntityType") or None,
            )
        )
    return fields


def parse_access(body: Mapping[str, Any]) -> dict[str, str | None]:
    """``{"info": {...}}`` of ``entityInformation`` -> operation -> access level."""
    info = body.get("info") if isinstance(body.get("info"), Mapping) else body
    assert isinstance(info, Mapping)
    found: dict[str, str | None] = {}
    for operation, name in ACCESS_FIELDS.items():
        value = info.get(name)
        found[operation] = None if value is None else str(value)
    return found


def entity_rules(
    entity: str, fields: list[FieldInfo], access: Mapping[str, str | None]
) -> EntityRules:
    return EntityRules(
        entity=entity,
        fields={
            f.name.lower(): FieldRule(
                name=f.name,
                data_type=f.data_type,
                length=f.length,
                required=f.is_required,
                read_only=f.is_read_only,
                reference=f.reference_entity if f.is_reference else None,
                picklist={v.value: (v.label, v.is_active) for v in f.picklist}
                if f.is_picklist
                else None,
            )
            for f in fields
        },
        access=dict(access),
    )
