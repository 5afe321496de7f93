"""The Autotask simulator's data: records per entity, and writes validated the way Autotask does.

Records hold the model's properties (document names); UDF values are kept per UDF definition id,
so renaming a UDF keeps its values, and are rendered as ``userDefinedFields: [{name, value}]``.
A write is coerced (``"True"`` and ``"4"`` are accepted, as the vendor's own examples send them),
validated (required fields, picklist values and their parent values, string lengths, references,
uniqueness) and only then applied; every problem found is reported at once in a
:class:`WriteError`, which the API answers with HTTP 500 ``{"errors": [...]}``.

Sandbox rules where Autotask's are unknown (documented in the simulator's docstring): a webhook's
``secretKey`` is stored but read back as null; ``isReady`` is true once a webhook has at least one
field or UDF field; deleting a webhook deletes its children; a PUT sets omitted UDFs to null too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from reconciler.sandbox.autotask.entities import Catalog, EntityDef, FieldDef, PickValue
from reconciler.sandbox.autotask.query import Getter, Query, compile_filters
from reconciler.sandbox.autotask.rules import (
    UDF_ENTITY,
    UDF_VALUE_TYPES,
    GuidSource,
    WriteError,
    as_int,
    coerce,
    incoming_udfs,
    now_text,
    rule_errors,
    udf_errors,
)

_CREATE_STAMPS: Final = ("createDate", "createdTime", "createDateTime")
_CREATOR: Final = ("createdByResourceID", "creatorResourceID")
_MODIFY_STAMPS: Final = (
    "lastTrackedModifiedDateTime",
    "lastTrackedModificationDateTime",
    "lastModifiedDate",
)


@dataclass
class Table:
    """One entity's rows (id -> record) and UDF values (id -> UDF definition id -> value)."""

    entity: EntityDef
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    udfs: dict[int, dict[int, str | None]] = field(default_factory=dict)
    next_id: int = 1


@dataclass(frozen=True)
class Change:
    """A committed write, for webhook callouts: what changed on which record."""

    entity: EntityDef
    action: str
    id: int
    changed: frozenset[str]
    record: dict[str, Any]
    udfs: dict[int, str | None]
    before: dict[str, Any] | None = None


class Store:
    """All records of one simulated tenant, guarded by one lock."""

    def __init__(self, catalog: Catalog, *, guid_seed: int = 0) -> None:
        self.catalog = catalog
        self.lock = threading.RLock()
        self.tables = {key: Table(entity) for key, entity in catalog.entities.items()}
        #: The items of list and multi-select UDFs (UDF definition id -> values).
        self.udf_list_values: dict[int, list[str]] = {}
        self._guids = GuidSource(guid_seed)

    # --- access ----------------------------------------------------------------------------------

    def table(self, entity: EntityDef | str) -> Table:
        name = entity if isinstance(entity, str) else entity.name
        return self.tables[name.lower()]

    def insert(
        self,
        entity: str,
        values: dict[str, Any],
        *,
        udfs: dict[int, str | None] | None = None,
        row_id: int | None = None,
    ) -> int:
        """Add a record without validation (seed data); returns its id."""
        table = self.table(entity)
        new_id = row_id if row_id is not None else table.next_id
        record = dict.fromkeys(table.entity.properties)
        record.pop("userDefinedFields", None)
        record.update(values)
        record["id"] = new_id
        if table.entity.webhook_kind and table.entity.parent is None:
            record.setdefault("webhookGUID", None)
            record["webhookGUID"] = record["webhookGUID"] or self._guids.next()
        table.rows[new_id] = record
        if table.entity.has_udfs:
            table.udfs[new_id] = dict(udfs or {})
        table.next_id = max(table.next_id, new_id + 1)
        return new_id

    def udf_definitions(self, udf_type: int, *, active_only: bool = True) -> list[dict[str, Any]]:
        """The UDF definitions of one udfType (Company = 1, …), in id order."""
        rows = self.table(UDF_ENTITY).rows
        return [
            row
            for _, row in sorted(rows.items())
            if row["udfType"] == udf_type and (row["isActive"] or not active_only)
        ]

    def picklist(self, key: str) -> list[PickValue]:
        """The values of a picklist named by :attr:`FieldDef.picklist`."""
        if key.startswith("udf:"):
            return [
                PickValue(
                    str(row["id"]), row["name"], is_active=bool(row["isActive"]), sort_order=i
                )
                for i, row in enumerate(self.udf_definitions(int(key[4:]), active_only=False))
            ]
        return self.catalog.picklists.get(key, [])

    def webhook_children(self, webhook: EntityDef, webhook_id: int) -> dict[str, list[int]]:
        """Ids of a webhook's Fields, UdfFields and ExcludedResources rows, by child path."""
        found: dict[str, list[int]] = {}
        for table in self.tables.values():
            child = table.entity
            if child.parent == webhook.name and child.parent_field and child.child_path:
                found[child.child_path] = [
                    i for i, row in table.rows.items() if row[child.parent_field] == webhook_id
                ]
        return found

    # --- reading ---------------------------------------------------------------------------------

    def render(
        self, entity: EntityDef, row_id: int, include: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """One record as the API returns it; ``include`` limits it to those fields (plus id)."""
        table = self.table(entity)
        row = table.rows[row_id]
        out: dict[str, Any] = {}
        wanted = None if include is None else {name.lower() for name in include} | {"id"}
        for prop in entity.properties:
            if prop == "userDefinedFields":
                continue
            if wanted is None or prop.lower() in wanted:
                out[prop] = self._shown(entity, row, prop)
        if entity.has_udfs and entity.udf_type is not None:
            values = table.udfs.get(row_id, {})
            udfs = [
                {"name": d["name"], "value": values.get(d["id"])}
                for d in self.udf_definitions(entity.udf_type)
                if wanted is None or "userdefinedfields" in wanted or d["name"].lower() in wanted
            ]
            if wanted is None or udfs or "userdefinedfields" in wanted:
                out["userDefinedFields"] = udfs
        return out

    def _shown(self, entity: EntityDef, row: dict[str, Any], prop: str) -> Any:
        if entity.webhook_kind and entity.parent is None:
            if prop == "secretKey":
                return None
            if prop == "isReady":
                return any(self.webhook_children(entity, row["id"]).get(p) for p in _READY_BY)
        return row.get(prop)

    def check_include(self, entity: EntityDef, include: Iterable[str]) -> list[str]:
        """Names in ``include`` that are neither fields nor UDFs of ``entity``."""
        udf_names = set(self.udf_types(entity))
        return [
            name
            for name in include
            if entity.prop(name) is None
            and name.lower() not in udf_names
            and name.lower() != "userdefinedfields"
        ]

    def udf_types(self, entity: EntityDef) -> dict[str, str]:
        """UDF name (lower) -> data type, for filters."""
        if entity.udf_type is None:
            return {}
        return {
            d["name"].lower(): UDF_VALUE_TYPES.get(d["dataType"], "string")
            for d in self.udf_definitions(entity.udf_type)
        }

    def select(
        self, entity: EntityDef, query: Query, *, after_id: int = 0, parent_id: int | None = None
    ) -> list[int]:
        """Ids matching ``query`` (above ``after_id``, under ``parent_id`` if given), sorted."""
        predicate = compile_filters(entity, query.filters, self.udf_types(entity))
        table = self.table(entity)
        names = (
            {d["name"].lower(): d["id"] for d in self.udf_definitions(entity.udf_type)}
            if entity.udf_type is not None
            else {}
        )
        found: list[int] = []
        for row_id in sorted(table.rows):
            if row_id <= after_id:
                continue
            row = table.rows[row_id]
            if (
                parent_id is not None
                and entity.parent_field is not None
                and row[entity.parent_field] != parent_id
            ):
                continue
            if predicate(self._getter(entity, row, table.udfs.get(row_id, {}), names)):
                found.append(row_id)
        return found

    def _getter(
        self,
        entity: EntityDef,
        row: dict[str, Any],
        udfs: dict[int, str | None],
        names: dict[str, int],
    ) -> Getter:
        def get(key: str) -> Any:
            if key.startswith("udf:"):
                udf_id = names.get(key[4:])
                return None if udf_id is None else udfs.get(udf_id)
            return self._shown(entity, row, key)

        return get

    # --- writing ---------------------------------------------------------------------------------

    def create(
        self, entity: EntityDef, body: Any, *, person_id: int, parent_id: int | None = None
    ) -> Change:
        """Validate and add a record (POST); the new record's id is ``change.id``."""
        with self.lock:
            values, udf_values = self._incoming(entity, body, for_update=False)
            table = self.table(entity)
            record: dict[str, Any] = dict.fromkeys(p for p in entity.properties)
            record.pop("userDefinedFields", None)
            for f in entity.fields:
                prop = entity.prop(f.name)
                if prop and f.default is not None and not f.read_only:
                    record[prop] = f.default
            record.update(values)
            self._set_parent(entity, record, parent_id)
            stamp = now_text()
            for prop in _CREATE_STAMPS + _MODIFY_STAMPS:
                if prop in record:
                    record[prop] = stamp
            for prop in _CREATOR:
                if prop in record:
                    record[prop] = person_id
            if entity.webhook_kind and entity.parent is None:
                record["ownerResourceID"] = person_id
                record["webhookGUID"] = self._guids.next()
            udfs = self._apply_udfs(entity, {}, udf_values, replace=False)
            self._validate(entity, record, None, udfs, udf_values)
            new_id = table.next_id
            record["id"] = new_id
            table.rows[new_id] = record
            if entity.has_udfs:
                table.udfs[new_id] = udfs
            table.next_id += 1
            self._after_write(entity, record)
            changed = frozenset(p for p, v in record.items() if v is not None)
            changed |= {f"udf:{k}" for k, v in udfs.items() if v is not None}
            return Change(entity, "Create", new_id, changed, dict(record), dict(udfs))

    def update(
        self,
        entity: EntityDef,
        body: Any,
        *,
        partial: bool,
        person_id: int,
        parent_id: int | None = None,
    ) -> Change:
        """Validate and apply a PATCH (``partial``) or PUT; the id is in the body."""
        with self.lock:
            if not isinstance(body, dict):
                raise WriteError("The request body must be a JSON object.")
            raw_id = next((v for k, v in body.items() if str(k).lower() == "id"), None)
            row_id = as_int(raw_id)
            if row_id is None:
                raise WriteError("The id of the entity to update is missing or not a number.")
            table = self.table(entity)
            old = table.rows.get(row_id)
            if old is None or (
                parent_id is not None
                and entity.parent_field is not None
                and old[entity.parent_field] != parent_id
            ):
                raise WriteError(f"No {entity.info_name} with id {row_id} was found.")
            values, udf_values = self._incoming(entity, body, for_update=True)
            record = dict(old)
            if not partial:
                for f in entity.fields:
                    prop = entity.prop(f.name)
                    if prop and not f.read_only and prop != entity.parent_field:
                        record[prop] = None
            record.update(values)
            if entity.parent_field is not None:
                record[entity.parent_field] = old[entity.parent_field]
            old_udfs = table.udfs.get(row_id, {})
            udfs = self._apply_udfs(entity, old_udfs, udf_values, replace=not partial)
            self._validate(entity, record, old, udfs, udf_values)
            changed = frozenset(p for p in record if record[p] != old.get(p))
            changed |= {
                f"udf:{k}" for k in set(udfs) | set(old_udfs) if udfs.get(k) != old_udfs.get(k)
            }
            if changed:
                stamp = now_text()
                for prop in _MODIFY_STAMPS:
                    if prop in record:
                        record[prop] = stamp
            table.rows[row_id] = record
            if entity.has_udfs:
                table.udfs[row_id] = udfs
            self._after_write(entity, record)
            return Change(entity, "Update", row_id, changed, dict(record), dict(udfs), dict(old))

    def delete(self, entity: EntityDef, row_id: int, *, parent_id: int | None = None) -> Change:
        """Delete a record; deleting a webhook deletes its Fields, UdfFields, ExcludedResources."""
        with self.lock:
            table = self.table(entity)
            row = table.rows.get(row_id)
            if row is None or (
                parent_id is not None
                and entity.parent_field is not None
                and row[entity.parent_field] != parent_id
            ):
                raise WriteError(f"No {entity.info_name} with id {row_id} was found.")
            if entity.webhook_kind and entity.parent is None:
                for child_table in self.tables.values():
                    child = child_table.entity
                    if child.parent == entity.name and child.parent_field:
                        for child_id in [
                            i
                            for i, r in child_table.rows.items()
                            if r[child.parent_field] == row_id
                        ]:
                            del child_table.rows[child_id]
            del table.rows[row_id]
            table.udfs.pop(row_id, None)
            return Change(entity, "Delete", row_id, frozenset(), dict(row), {}, dict(row))

    # --- validation ------------------------------------------------------------------------------

    def _incoming(
        self, entity: EntityDef, body: Any, *, for_update: bool
    ) -> tuple[dict[str, Any], list[tuple[str, Any]] | None]:
        """Writable values of ``body`` by property, coerced; and its UDFs (None: not sent)."""
        if not isinstance(body, dict):
            raise WriteError("The request body must be a JSON object.")
        errors: list[str] = []
        values: dict[str, Any] = {}
        udf_values: list[tuple[str, Any]] | None = None
        for key, raw in body.items():
            name = str(key)
            if name.lower() == "userdefinedfields" and entity.has_udfs:
                udf_values = incoming_udfs(raw, errors)
                continue
            prop = entity.prop(name)
            spec = entity.field(name)
            if prop is None or spec is None or spec.read_only or prop == "id":
                continue  # unknown and read-only properties are ignored, as Autotask does
            try:
                values[prop] = coerce(spec, raw)
            except ValueError as exc:
                errors.append(str(exc))
        if errors:
            raise WriteError(*errors)
        return values, udf_values

    def _apply_udfs(
        self,
        entity: EntityDef,
        old: dict[int, str | None],
        incoming: list[tuple[str, Any]] | None,
        *,
        replace: bool,
    ) -> dict[int, str | None]:
        if not entity.has_udfs or entity.udf_type is None:
            return {}
        definitions = {d["name"].lower(): d for d in self.udf_definitions(entity.udf_type)}
        result = {} if replace else dict(old)
        errors: list[str] = []
        for name, value in incoming or ():
            definition = definitions.get(name.lower())
            if definition is None:
                errors.append(f"The user-defined field '{name}' does not exist on {entity.name}.")
                continue
            if value is not None and not isinstance(value, str | int | float | bool):
                errors.append(f"The value of user-defined field '{name}' must be a string.")
                continue
            result[definition["id"]] = None if value in (None, "") else str(value)
        if errors:
            raise WriteError(*errors)
        return result

    def _set_parent(self, entity: EntityDef, record: dict[str, Any], parent_id: int | None) -> None:
        if entity.parent_field is not None and parent_id is not None:
            record[entity.parent_field] = parent_id

    def _validate(
        self,
        entity: EntityDef,
        record: dict[str, Any],
        old: dict[str, Any] | None,
        udfs: dict[int, str | None],
        udf_values: list[tuple[str, Any]] | None,
    ) -> None:
        errors: list[str] = []
        for spec in entity.fields:
            prop = entity.prop(spec.name)
            if prop is None or spec.read_only:
                continue
            value = record.get(prop)
            before = None if old is None else old.get(prop)
            errors.extend(
                self._field_errors(entity, spec, record, value, before=before, creating=old is None)
            )
        parent_field = entity.parent_field
        if (
            entity.parent is not None
            and parent_field is not None
            and record[parent_field] not in self.table(entity.parent).rows
        ):
            errors.append(f"The parent {entity.parent} {record[parent_field]} was not found.")
        definitions = self.udf_definitions(entity.udf_type) if entity.udf_type is not None else []
        errors.extend(udf_errors(entity, udfs, udf_values, definitions, self.udf_list_values))
        errors.extend(rule_errors(entity, record, old, self.table(entity).rows.values()))
        if errors:
            raise WriteError(*errors)

    def _field_errors(
        self,
        entity: EntityDef,
        spec: FieldDef,
        record: dict[str, Any],
        value: Any,
        *,
        before: Any,
        creating: bool,
    ) -> list[str]:
        if value is None or value == "":
            if spec.required and spec.name.lower() != (entity.parent_field or "").lower():
                return [f"Missing required field: {spec.name}."]
            return []
        if not creating and spec.create_only and value != before:
            return [
                f"The field {spec.name} cannot be changed after the {entity.info_name} is created."
            ]
        if spec.data_type == "string" and spec.length and len(str(value)) > spec.length:
            return [
                f"The value of {spec.name} is {len(str(value))} characters long; "
                f"the maximum is {spec.length}."
            ]
        if spec.picklist is not None and (creating or value != before):
            values = {v.value: v for v in self.picklist(spec.picklist)}
            chosen = values.get(str(value))
            if chosen is None:
                return [f"The value {value} is not a valid value for picklist field {spec.name}."]
            if not chosen.is_active:
                return [f"The value {value} ({chosen.label}) of field {spec.name} is inactive."]
            if spec.parent_field:
                parent_prop = entity.prop(spec.parent_field)
                parent_value = record.get(parent_prop) if parent_prop else None
                if chosen.parent and str(parent_value) != chosen.parent:
                    return [
                        f"The value {value} of field {spec.name} does not belong to "
                        f"{spec.parent_field} {parent_value}."
                    ]
        if spec.reference and (creating or value != before):
            target = self.catalog.by_info_name(spec.reference)
            if target is not None and int(value) not in self.table(target).rows:
                return [f"The {spec.reference} {value} referenced by {spec.name} does not exist."]
        return []

    def _after_write(self, entity: EntityDef, record: dict[str, Any]) -> None:
        if entity.name == "InventoryLocations" and record.get("isDefault"):
            for row in self.table(entity).rows.values():
                if row["id"] != record["id"]:
                    row["isDefault"] = False


_READY_BY: Final = ("Fields", "UdfFields")
