"""The lower bound of an apply's writes (:func:`write_phases`, Autotask's ``Psa.bench``
``write_floor``), its verification and the whole apply's phases (:func:`apply_phases`), in the
terms of :mod:`bench.bounds` (its module docstring defines them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.bounds import (
    AT,
    AT_PAGE,
    DOCUMENTS,
    SB,
    WEBHOOK_PREFIX,
    Needs,
    Phase,
    Step,
    documents_of,
    pages,
    plan_phases,
    webhook_steps,
)


def _children_wanted(change: Any) -> dict[str, dict[str, tuple[bool, bool]]]:
    after = change.after or {}
    desired = (change.ids or {}).get("desired") or {}
    subscribed = set(after.get("fields") or [])
    always = set(after.get("always_send") or [])
    field_ids = {**(desired.get("fields") or {}), **(desired.get("always_send") or {})}
    return {
        "Fields": {
            str(fid): (label in subscribed, label in always) for label, fid in field_ids.items()
        },
        "UdfFields": {str(v): (True, False) for v in (desired.get("udf_fields") or {}).values()},
        "ExcludedResources": {
            str(v): (True, False) for v in (desired.get("excluded_resources") or {}).values()
        },
    }


def _children_live(change: Any) -> dict[str, dict[str, tuple[bool, bool]]]:
    live = ((change.ids or {}).get("live") or {}).get("children") or {}
    return {
        "Fields": {
            k: (bool(v["subscribed"]), bool(v["always"]))
            for k, v in (live.get("fields") or {}).items()
        },
        "UdfFields": {
            k: (bool(v["subscribed"]), bool(v["always"]))
            for k, v in (live.get("udf_fields") or {}).items()
        },
        "ExcludedResources": {k: (True, False) for k in (live.get("excluded_resources") or {})},
    }


MAIN_WEBHOOK_ATTRIBUTES = {
    "name",
    "url",
    "deactivation_url",
    "threshold_notification",
    "notification_email",
    "events",
}


def write_phases(changes: Sequence[Any]) -> list[Phase]:
    """The fewest writes that carry out ``changes`` (plan Change objects), as apply runs them:
    the receiver secret first (webhooks wait for it); each webhook a chain: create (or update)
    -> its field, UDF-field and excluded-resource rows together -> activation; inventory
    locations and Salesbuildr documents beside them (the inventory document after the
    locations, whose ids it names); then deletes and deactivations, after everything else."""
    receiver = any(change.kind == "webhook_receiver" for change in changes)
    steps: list[Step] = [Step("put:webhook-receiver", SB, "settings", "write")] if receiver else []
    start = ("put:webhook-receiver",) if receiver else ()
    removals: list[Step] = []
    documents: set[str] = set()
    locations: list[str] = []
    for n, change in enumerate(changes):
        action = str(change.action.value if hasattr(change.action, "value") else change.action)
        if change.kind == "webhook":
            entity = str((change.after or change.before or {})["entity"])
            prefix = WEBHOOK_PREFIX[entity]
            hooks = f"{prefix}Webhooks"
            if action == "delete":
                removals.append(Step(f"w{n}", AT, hooks, "write"))
                continue
            diff = {d.path for d in change.diff}
            first = f"w{n}"
            chain: list[str] = []
            if action == "create" or diff & MAIN_WEBHOOK_ATTRIBUTES:
                steps.append(Step(first, AT, hooks, "write", after=start))
                chain.append(first)
            wanted = _children_wanted(change)
            live = {} if action == "create" else _children_live(change)
            children: list[str] = []
            for child, rows_wanted in wanted.items():
                if child == "UdfFields" and entity == "ticket_note":
                    continue
                have = live.get(child, {})
                writes = sum(1 for k in have if k not in rows_wanted)
                writes += sum(1 for k, v in rows_wanted.items() if have.get(k) != v)
                if writes:
                    name = f"w{n}:{child}"
                    endpoint = f"{prefix}Webhook{child}"
                    after = (*chain, *start)
                    steps.append(Step(name, AT, endpoint, "write", writes, after, paging="fan"))
                    children.append(name)
            want_active = bool((change.after or {}).get("active", True))
            was_active = bool((change.before or {}).get("active")) if change.before else False
            if want_active != was_active:
                steps.append(
                    Step(f"w{n}:activate", AT, hooks, "write", after=(*chain, *children, *start))
                )
        elif change.kind == "inventory_location":
            diff = {d.path for d in change.diff}
            if action == "deactivate":
                removals.append(Step(f"w{n}", AT, "InventoryLocations", "write"))
            elif action == "create" or diff & {"active", "default"}:
                steps.append(Step(f"w{n}", AT, "InventoryLocations", "write"))
                locations.append(f"w{n}")
            if "track_stock" in diff:
                documents.add("inventory")
        elif change.owner == "salesbuildr" and change.kind != "webhook_receiver":
            documents.add(DOCUMENTS.get(change.section, change.section))
    for document in sorted(documents):
        after = tuple(locations) if document == "inventory" else ()
        steps.append(Step(f"put:{document}", SB, "settings", "write", after=after))
    phases = [Phase("writes", steps)]
    if removals:
        phases.append(Phase("deletes and deactivations", removals))
    return phases


def verify_phase(changes: Sequence[Any], rows_after: Mapping[str, Any]) -> Phase:
    """Re-read the touched collections (rows as they are after the apply)."""
    steps: list[Step] = []
    entities = sorted(
        {str((c.after or c.before or {}).get("entity")) for c in changes if c.kind == "webhook"}
    )
    for entity in entities:
        steps.extend(webhook_steps(entity, rows_after, "verify:"))
    sections = {c.section for c in changes}
    if "inventory" in sections:
        count = rows_after["autotask"]["inventorylocations"]
        steps.append(
            Step(
                "verify:InventoryLocations", AT, "InventoryLocations", "read", pages(count, AT_PAGE)
            )
        )
    for document in documents_of(sections):
        steps.append(Step(f"verify:doc:{document}", SB, "settings", "read"))
    return Phase("verify", steps)


def apply_phases(
    needs: Needs,
    rows_before: Mapping[str, Any],
    rows_after: Mapping[str, Any],
    changes: Sequence[Any],
) -> list[Phase]:
    return [
        *plan_phases(needs, rows_before, changes=changes),
        Phase("lock", [Step("lock", SB, "lock", "write")]),
        *write_phases(changes),
        verify_phase(changes, rows_after),
        Phase("unlock", [Step("unlock", SB, "lock", "write")]),
    ]
