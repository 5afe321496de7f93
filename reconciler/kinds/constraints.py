"""What Autotask says about the fields and the API user, and the check of one write against it.

Autotask states its constraints in metadata (fact sheet §5): ``{E}/entityInformation/fields``
gives each field's ``length``, ``isRequired``, ``isReadOnly``, ``isReference`` and picklist values
(with ``isActive``); ``{E}/entityInformation`` gives the API user's ``userAccessForCreate`` /
``Update`` / ``Delete`` / ``Query`` (values ``All``, ``Restricted``, ``None`` as seen in clients;
Swagger leaves the type empty). A kind describes the writes a change needs as
:class:`WireWrite` values, in Autotask's own field names; :func:`check_write` tells, before any
write, what Autotask would refuse. Pure: the providers fill :class:`EntityRules` from the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OPERATIONS = ("query", "create", "update", "delete")
ACCESS_FIELDS = {
    "query": "userAccessForQuery",
    "create": "userAccessForCreate",
    "update": "userAccessForUpdate",
    "delete": "userAccessForDelete",
}
DENIED = "None"
"""The access level that refuses an operation (``All`` and ``Restricted`` allow it; a
``Restricted`` user may still be refused record by record, which metadata cannot tell)."""

SECRET_VALUE = object()
"""A write-only value (a webhook secret): its presence counts, its text is never looked at."""

PARENT_ID = object()
"""The id of the parent a child is written under: known only at apply, always sent."""


@dataclass(frozen=True)
class FieldRule:
    """One field of ``entityInformation/fields``."""

    name: str
    data_type: str = "string"
    length: int = 0
    required: bool = False
    read_only: bool = False
    reference: str | None = None
    picklist: Mapping[str, tuple[str, bool]] | None = None
    """Picklist value -> (label, active); None when the field is not a picklist."""


@dataclass(frozen=True)
class EntityRules:
    """The metadata of one Autotask entity as the API user sees it."""

    entity: str
    fields: Mapping[str, FieldRule] = field(default_factory=dict)
    """By lower-case field name."""
    access: Mapping[str, str | None] = field(default_factory=dict)
    """Operation (:data:`OPERATIONS`) -> the access level; None when not reported."""

    def field(self, name: str) -> FieldRule | None:
        return self.fields.get(name.lower())

    def allows(self, operation: str) -> bool:
        return self.access.get(operation) != DENIED


@dataclass(frozen=True)
class WireWrite:
    """One request a change needs: ``operation`` on ``entity`` sending ``values``.

    ``attributes`` says which YAML attribute each wire field comes from (for the location of a
    problem); ``what`` names the object for messages (``inventory location 'Main'``).
    """

    entity: str
    operation: str
    what: str
    values: Mapping[str, Any] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedChange:
    """A plan change as a kind sees it when it lists the writes it needs (kinds do not import
    the plan): ``changed`` holds the attributes that differ."""

    action: str
    address: str
    key: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    changed: frozenset[str]
    ids: Mapping[str, Any]


@dataclass(frozen=True)
class WriteProblem:
    """What Autotask would refuse about one write, with the YAML attribute it comes from."""

    message: str
    hint: str | None = None
    attribute: str = ""


def access_problem(write: WireWrite, rules: EntityRules) -> WriteProblem | None:
    if rules.allows(write.operation):
        return None
    return WriteProblem(
        f"the Autotask API user may not {write.operation} {write.entity} "
        f"({ACCESS_FIELDS[write.operation]} is {DENIED}), which {write.what} needs",
        "grant the API user's security level this permission in Autotask (Admin > API User "
        "Security), then plan again; `reconcile preflight` lists every permission the file needs",
    )


def check_write(write: WireWrite, rules: EntityRules) -> list[WriteProblem]:
    """Everything the metadata says Autotask would refuse about ``write``."""
    problems: list[WriteProblem] = []
    denied = access_problem(write, rules)
    if denied is not None:
        problems.append(denied)
    if write.operation == "delete":
        return problems
    for name, value in write.values.items():
        spec = rules.field(name)
        attribute = write.attributes.get(name, "")
        if spec is None:
            continue  # not described: Autotask ignores unknown properties
        problem = _value_problem(write, spec, value)
        if problem is not None:
            problems.append(WriteProblem(problem[0], problem[1], attribute))
    if write.operation == "create":
        sent = {k.lower(): v for k, v in write.values.items()}
        origin = {k.lower(): a for k, a in write.attributes.items()}
        for spec in rules.fields.values():
            key = spec.name.lower()
            if not spec.required or spec.read_only or key == "id":
                continue
            if sent.get(key) not in (None, ""):
                continue
            problems.append(
                WriteProblem(
                    f"{write.entity}.{spec.name} is required by Autotask, but {write.what} "
                    "gives no value for it",
                    "set it in the YAML",
                    origin.get(key, ""),
                )
            )
    return problems


def _value_problem(write: WireWrite, spec: FieldRule, value: Any) -> tuple[str, str] | None:
    # A read-only field is ignored by Autotask: harmless when the value sent is "nothing" (the
    # writer sends every flag, false included), a silent loss otherwise.
    if spec.read_only and value not in (None, False, ""):
        return (
            f"{write.entity}.{spec.name} is read-only for this API user, so Autotask would "
            f"ignore the value {write.what} sets",
            "remove the attribute from the YAML, or set it in the Autotask admin UI",
        )
    if value is None or value is SECRET_VALUE or value is PARENT_ID:
        return None
    if spec.data_type == "string" and spec.length and len(str(value)) > spec.length:
        return (
            f"{write.entity}.{spec.name} is at most {spec.length} characters in Autotask; "
            f"{write.what} gives {len(str(value))}",
            f"shorten it to {spec.length} characters or fewer",
        )
    if spec.picklist is not None and not isinstance(value, bool):
        entry = spec.picklist.get(str(value))
        if entry is None:
            return (
                f"{value!r} is not a value of the Autotask picklist {write.entity}.{spec.name}",
                "pick a value the Autotask admin UI offers",
            )
        if not entry[1]:
            return (
                f"'{entry[0]}' ({value}) is inactive in the Autotask picklist "
                f"{write.entity}.{spec.name}",
                "activate it in Autotask, or pick an active value",
            )
    return None
