"""Plan passes => apply succeeds, for HaloPSA: every Halo write a plan needs, checked before any
write against what the subset document states.

Names are checked by resolution (every table is Halo's or Salesbuildr's own list, quote statuses
Halo's quotation-status list, with did-you-mean); section rules by the kinds' ``check``. What is
left is the shape of the writes: SPEC-H declares request schemas only, with types and formats and
no lengths, required fields or enumerations for the fields we write (``Webhook.note`` and
``install_popup`` carry the only ``maxLength``, and we do not write them). :data:`WEBHOOK_FIELDS`
and :data:`EVENT_FIELDS` copy those types (a test checks them against the pinned document), and
:func:`check_plan` holds every ``POST /Webhook`` element the plan needs to them. Pure.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final

from reconciler.kinds.base import Problem
from reconciler.plan.model import Change, Plan
from reconciler.psa.halopsa.kinds_webhooks import HALO_WEBHOOK

FieldType = tuple[str, str | None]
"""(JSON Schema type, format) of one field as SPEC-H states it."""

WEBHOOK_FIELDS: Final[Mapping[str, FieldType]] = {
    "id": ("string", "uuid"),
    "name": ("string", None),
    "url": ("string", None),
    "active": ("boolean", None),
    "events": ("array", None),
}
"""The ``Webhook`` properties a write sends (all nullable in SPEC-H)."""

EVENT_FIELDS: Final[Mapping[str, FieldType]] = {
    "id": ("integer", "int32"),
    "eventno": ("integer", "int32"),
}
"""The ``UnameNotification`` properties a write sends back or sets."""

INT32: Final = (-(2**31), 2**31 - 1)

HALOS_OWN: Final = frozenset({"id"})
"""The fields a write sends back as Halo gave them (the webhook's and each kept subscription's
id), not from the YAML: a refusal of one is fixed in Halo, not in the file."""
YAML_HINT: Final = "fix the value in the YAML (the subset document states this type)"
LIVE_HINT: Final = (
    "the value is Halo's own, as read from the live webhook: fix or recreate the webhook in Halo "
    "(the subset document states this type)"
)


def _fits(value: Any, expected: FieldType) -> bool:
    kind, fmt = expected
    if value is None:
        return True  # nullable
    if kind == "string":
        if not isinstance(value, str):
            return False
        if fmt == "uuid":
            try:
                uuid.UUID(value)
            except ValueError:
                return False
        return True
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (fmt != "int32" or INT32[0] <= value <= INT32[1])
        )
    if kind == "array":
        return isinstance(value, list)
    return True


def body_problems(element: Mapping[str, Any]) -> list[str]:
    """What SPEC-H's ``Webhook`` schema refuses in one ``POST /Webhook`` element."""
    return [message for _, message in _refusals(element)]


def _refusals(element: Mapping[str, Any]) -> list[tuple[bool, str]]:
    """(whether the value is Halo's own, the refusal) for each field the schema refuses."""
    found: list[tuple[bool, str]] = []
    for name, value in element.items():
        expected = WEBHOOK_FIELDS.get(name)
        if expected is not None and not _fits(value, expected):
            message = f"Webhook.{name} must be {_describe(expected)}, not {value!r}"
            found.append((name in HALOS_OWN, message))
    for index, event in enumerate(element.get("events") or []):
        if not isinstance(event, Mapping):
            found.append((True, f"Webhook.events[{index}] must be an object"))
            continue
        for name, expected in EVENT_FIELDS.items():
            if name in event and not _fits(event[name], expected):
                message = (
                    f"Webhook.events[{index}].{name} must be {_describe(expected)}, "
                    f"not {event[name]!r}"
                )
                found.append((name in HALOS_OWN, message))
    return found


def _describe(expected: FieldType) -> str:
    kind, fmt = expected
    return f"{kind} ({fmt})" if fmt else kind


def webhook_elements(changes: Sequence[Change]) -> list[tuple[Change, dict[str, Any]]]:
    """The ``POST /Webhook`` element each create or update of a Halo webhook sends."""
    found: list[tuple[Change, dict[str, Any]]] = []
    for change in changes:
        if change.kind != HALO_WEBHOOK.name or not change.is_change or change.after is None:
            continue
        if change.action.value not in ("create", "update"):
            continue
        live_ids = change.ids.get("live") if change.action.value == "update" else None
        found.append((change, HALO_WEBHOOK.body(change.after, live_ids)))
    return found


def check_plan(plan: Plan) -> list[Problem]:
    """What Halo's request schemas would refuse in the plan's writes, one problem each."""
    problems: list[Problem] = []
    for change, element in webhook_elements(plan.pending):
        for halos_own, message in _refusals(element):
            problems.append(
                Problem(
                    change.address,
                    f"Halo would refuse this webhook: {message}",
                    LIVE_HINT if halos_own else YAML_HINT,
                )
            )
    return problems
