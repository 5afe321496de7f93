"""The ConnectWise simulator's data: collections of records, written the way the document says.

Each collection stores one model of the document (the richest view of the data: a subcategory is
stored as ``SubCategory``, served also as ``LegacySubCategory`` under its category). Writes:

* ``create`` (POST) and ``replace`` (PUT) take a whole object, ``patch`` (PATCH) a JSON-Patch-style
  list ``[{"op": "replace"|"add"|"remove", "path": "name" or "/status/id", "value": ...}]``
  (``connectwise-api.md`` section 5); the result must satisfy the model's ``required`` and
  ``maxLength`` (from the document), else :class:`WriteError` 400 with CW's error body;
* properties the model does not have are dropped [inferred], ``id`` and ``_info`` are the
  server's (a PATCH of them is refused);
* references (``{"id": N}``) to a collection the simulator keeps are checked and get their
  ``name`` (and ``identifier``) filled in; an unknown id is a 400;
* ``Company.types`` can be set only on create (the document's description says so): a PATCH or
  PUT that changes it is refused; the types come from the company's type associations.

Every change is reported to ``on_change(collection, action, record)`` (``added`` / ``updated`` /
``deleted``), which is where callbacks start.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from reconciler.sandbox.connectwise.document import (
    model_rules,
    reference_fields,
    schemas,
    write_errors,
)

COLLECTION_MODELS: Final[dict[str, str]] = {
    "companies": "Company",
    "company_types": "CompanyType",
    "company_statuses": "CompanyStatus",
    "company_type_associations": "CompanyCompanyTypeAssociation",
    "udfs": "UserDefinedField",
    "categories": "Category",
    "subcategories": "SubCategory",
    "product_types": "ProductType",
    "catalog": "CatalogItem",
    "warehouses": "Warehouse",
    "warehouse_bins": "WarehouseBin",
    "opportunities": "Opportunity",
    "opportunity_statuses": "OpportunityStatus",
    "opportunity_types": "OpportunityType",
    "stages": "OpportunityStage",
    "boards": "Board",
    "board_statuses": "BoardStatus",
    "board_types": "BoardType",
    "board_subtypes": "BoardSubType",
    "board_items": "BoardItem",
    "board_associations": "BoardTypeSubTypeItemAssociation",
    "priorities": "Priority",
    "agreement_types": "AgreementType",
    "callbacks": "CallbackEntry",
}
"""Collection -> the model it stores."""

REFERENCE_TARGETS: Final[dict[str, str]] = {
    "BoardReference": "boards",
    "CompanyReference": "companies",
    "CompanyStatusReference": "company_statuses",
    "CompanyTypeReference": "company_types",
    "ProductCategoryReference": "categories",
    "ProductSubCategoryReference": "subcategories",
    "ProductTypeReference": "product_types",
    "WarehouseReference": "warehouses",
    "OpportunityStatusReference": "opportunity_statuses",
    "OpportunityTypeReference": "opportunity_types",
    "OpportunityStageReference": "stages",
    "ServiceStatusReference": "board_statuses",
    "ServiceTypeReference": "board_types",
    "ServiceSubTypeReference": "board_subtypes",
    "ServiceItemReference": "board_items",
    "AgreementTypeReference": "agreement_types",
}
"""Reference model -> the collection its ids point into (other references are kept as sent)."""

PATCH_OPS: Final = frozenset({"add", "replace", "remove"})
SERVER_FIELDS: Final = frozenset({"id", "_info"})
API_MEMBER: Final = "APIMember"


class WriteError(Exception):
    """A refused write: the HTTP status and CW's ``{code, message, errors}`` body."""

    def __init__(
        self, status: int, code: str, message: str, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"code": code, "message": message, "errors": errors or []}


def not_found(what: str, item_id: int) -> WriteError:
    return WriteError(404, "NotFound", f"{what} recordId {item_id} not found")


@dataclass(frozen=True)
class Scope:
    """Where a request looks: a collection, optionally under one parent (``board`` = 5)."""

    collection: str
    parent_field: str | None = None
    parent_id: int | None = None


Change = Callable[[str, str, dict[str, Any]], None]


class Store:
    """Thread-safe in-memory collections (``{collection: {id: record}}``)."""

    def __init__(self, *, on_change: Change | None = None, now: Callable[[], str] | None = None):
        self._lock = threading.RLock()
        self._rows: dict[str, dict[int, dict[str, Any]]] = {c: {} for c in COLLECTION_MODELS}
        self._next: dict[str, int] = dict.fromkeys(COLLECTION_MODELS, 1)
        self.on_change = on_change
        self._now = now or (lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    # --- reads -----------------------------------------------------------------------------------

    def rows(self, scope: Scope) -> list[dict[str, Any]]:
        """Copies of every record in ``scope``, in id order (404 for an unknown parent)."""
        with self._lock:
            self._check_parent(scope)
            index = self._types_index() if scope.collection == "companies" else None
            found = [
                self._derived(scope.collection, row, index)
                for _, row in sorted(self._rows[scope.collection].items())
                if self._in_scope(scope, row)
            ]
        return found

    def get(self, scope: Scope, item_id: int) -> dict[str, Any]:
        with self._lock:
            self._check_parent(scope)
            row = self._rows[scope.collection].get(item_id)
            if row is None or not self._in_scope(scope, row):
                raise not_found(COLLECTION_MODELS[scope.collection], item_id)
            return self._derived(scope.collection, row)

    def everything(self, collection: str) -> list[dict[str, Any]]:
        """Every stored record of ``collection`` as stored, in id order (seeding, callbacks)."""
        with self._lock:
            return [dict(row) for _, row in sorted(self._rows[collection].items())]

    def next_id(self, collection: str) -> int:
        with self._lock:
            return self._next[collection]

    def find(self, collection: str, item_id: int) -> dict[str, Any] | None:
        with self._lock:
            row = self._rows[collection].get(item_id)
            return None if row is None else self._derived(collection, row)

    # --- writes ----------------------------------------------------------------------------------

    def create(self, scope: Scope, body: Any, *, notify: bool = True) -> dict[str, Any]:
        with self._lock:
            self._check_parent(scope)
            record = self._accepted(scope, _object_body(body))
            with_id = {"id": self._next[scope.collection], **record}
            self._commit(scope.collection, with_id)
            self._next[scope.collection] += 1
            stored = self._derived(scope.collection, with_id)
        if notify:
            self._notify(scope.collection, "added", stored)
        return stored

    def replace(self, scope: Scope, item_id: int, body: Any) -> dict[str, Any]:
        with self._lock:
            before = self._current(scope, item_id)
            record = self._accepted(scope, _object_body(body))
            if scope.collection == "companies" and "types" in record:
                raise _types_refused()
            merged = {"id": item_id, **record, "_info": before.get("_info", {})}
            self._commit(scope.collection, merged)
            stored = self._derived(scope.collection, merged)
        self._notify(scope.collection, "updated", stored)
        return stored

    def patch(self, scope: Scope, item_id: int, operations: Any) -> dict[str, Any]:
        with self._lock:
            before = self._current(scope, item_id)
            record = copy.deepcopy(before)
            for operation in _operations(operations):
                _apply(record, operation, scope.collection)
            record.pop("_info", None)
            record.pop("id", None)
            checked = self._accepted(scope, record)
            merged = {"id": item_id, **checked}
            self._commit(scope.collection, merged)
            stored = self._derived(scope.collection, merged)
        self._notify(scope.collection, "updated", stored)
        return stored

    def delete(self, scope: Scope, item_id: int) -> None:
        with self._lock:
            gone = self._derived(scope.collection, self._current(scope, item_id))
            del self._rows[scope.collection][item_id]
        self._notify(scope.collection, "deleted", gone)

    def insert_many(self, collection: str, records: Iterable[dict[str, Any]]) -> None:
        """Seed data, trusted (no checks, no callbacks); each record gets the next id."""
        with self._lock:
            for record in records:
                with_id = {"id": self._next[collection], **record}
                self._commit(collection, with_id)
                self._next[collection] += 1

    # --- internals -------------------------------------------------------------------------------

    def _commit(self, collection: str, record: dict[str, Any]) -> None:
        record["_info"] = {"lastUpdated": self._now(), "updatedBy": API_MEMBER}
        self._rows[collection][record["id"]] = record

    def _notify(self, collection: str, action: str, record: dict[str, Any]) -> None:
        if self.on_change is not None:
            self.on_change(collection, action, record)

    def _current(self, scope: Scope, item_id: int) -> dict[str, Any]:
        self._check_parent(scope)
        row = self._rows[scope.collection].get(item_id)
        if row is None or not self._in_scope(scope, row):
            raise not_found(COLLECTION_MODELS[scope.collection], item_id)
        return row

    def _check_parent(self, scope: Scope) -> None:
        if scope.parent_field is None or scope.parent_id is None:
            return
        target = _parent_collection(scope)
        if scope.parent_id not in self._rows[target]:
            raise not_found(COLLECTION_MODELS[target], scope.parent_id)

    @staticmethod
    def _in_scope(scope: Scope, row: dict[str, Any]) -> bool:
        if scope.parent_field is None:
            return True
        parent = row.get(scope.parent_field)
        return isinstance(parent, dict) and parent.get("id") == scope.parent_id

    def _accepted(self, scope: Scope, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` as the collection stores it: known properties only, references resolved,
        the parent set from the path; or a 400 naming every problem."""
        model = COLLECTION_MODELS[scope.collection]
        fields = model_rules(model).fields
        record = {k: copy.deepcopy(v) for k, v in body.items() if k in fields}
        record = {k: v for k, v in record.items() if k not in SERVER_FIELDS}
        if scope.parent_field is not None:
            record[scope.parent_field] = {"id": scope.parent_id}
        problems = write_errors(model, record)
        for prop, ref in reference_fields(model).items():
            value = record.get(prop)
            if isinstance(value, dict):
                resolved = self._reference(ref, value)
                if resolved is None:
                    problems.append(
                        {
                            "code": "InvalidField",
                            "message": f"no {ref.removesuffix('Reference')} with id "
                            f"{value.get('id')!r}",
                            "resource": model,
                            "field": prop,
                        }
                    )
                else:
                    record[prop] = resolved
        if problems:
            raise WriteError(400, "InvalidObject", f"{model} object is invalid", problems)
        return record

    def _reference(self, ref: str, value: dict[str, Any]) -> dict[str, Any] | None:
        target = REFERENCE_TARGETS.get(ref)
        kept = {k: v for k, v in value.items() if k in schemas()[ref].get("properties", {})}
        kept.pop("_info", None)
        if target is None:
            return kept
        item_id = value.get("id")
        row = self._rows[target].get(item_id) if isinstance(item_id, int) else None
        if row is None:
            return None
        resolved: dict[str, Any] = {"id": item_id}
        for prop in schemas()[ref].get("properties", {}):
            source = "description" if prop == "name" and "name" not in row else prop
            if prop not in ("id", "_info") and source in row:
                resolved[prop] = row[source]
        return resolved

    def _derived(
        self,
        collection: str,
        row: dict[str, Any],
        types_index: dict[int, list[dict[str, Any]]] | None = None,
    ) -> dict[str, Any]:
        """A shallow copy of ``row`` with what the server computes (a company's types).

        Shallow is enough: a committed record is never changed in place (every write commits a
        new dict), so a reader may hold one while another request writes."""
        result = dict(row)
        if collection == "companies":
            index = self._types_index() if types_index is None else types_index
            result["types"] = index.get(row["id"], [])
        return result

    def _types_index(self) -> dict[int, list[dict[str, Any]]]:
        """Company id -> its type references, from the type associations (in id order)."""
        index: dict[int, list[dict[str, Any]]] = {}
        for _, association in sorted(self._rows["company_type_associations"].items()):
            company_id = (association.get("company") or {}).get("id")
            if isinstance(company_id, int):
                index.setdefault(company_id, []).append(association["type"])
        return index


def _parent_collection(scope: Scope) -> str:
    ref = reference_fields(COLLECTION_MODELS[scope.collection])[scope.parent_field or ""]
    return REFERENCE_TARGETS[ref]


def _types_refused() -> WriteError:
    return WriteError(
        400,
        "InvalidObject",
        "Company object is invalid",
        [
            {
                "code": "InvalidField",
                "message": "types can only be set when the company is created; use "
                "/company/companies/{id}/typeAssociations",
                "resource": "Company",
                "field": "types",
            }
        ],
    )


def _object_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise WriteError(400, "InvalidObject", "the request body must be a JSON object")
    return body


def _operations(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, list) or not all(isinstance(op, dict) for op in body):
        raise WriteError(
            400, "InvalidObject", "the request body must be a list of patch operations"
        )
    return body


def _apply(record: dict[str, Any], operation: dict[str, Any], collection: str) -> None:
    """One patch operation on ``record`` (in place)."""
    op = str(operation.get("op", "")).lower()
    path = operation.get("path")
    if op not in PATCH_OPS:
        raise WriteError(400, "InvalidObject", f"patch operation {op!r} is not supported")
    if not isinstance(path, str) or not path.strip("/"):
        raise WriteError(400, "InvalidObject", "a patch operation needs a path")
    steps = path.strip("/").split("/")
    fields = model_rules(COLLECTION_MODELS[collection]).fields
    if steps[0] not in fields or steps[0] in SERVER_FIELDS:
        raise WriteError(400, "InvalidObject", f"cannot patch {path!r}: no such writable property")
    if collection == "companies" and steps[0] == "types":
        raise _types_refused()
    node: dict[str, Any] = record
    for depth, step in enumerate(steps[:-1]):
        child = node.get(step)
        if not isinstance(child, dict):
            child = {}
        elif depth == 0 and fields[step].ref:
            # A reference changes whole: the old name must not outlive a new id.
            child = {}
        node[step] = child
        node = child
    if op == "remove":
        node.pop(steps[-1], None)
    else:
        if "value" not in operation:
            raise WriteError(400, "InvalidObject", f"patch {op} of {path!r} needs a value")
        node[steps[-1]] = copy.deepcopy(operation["value"])
