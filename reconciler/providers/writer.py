"""Plan changes -> HTTP writes, with every unknown outcome resolved before anything else happens
to that object (ARCHITECTURE "Apply is level-based"):

* a create whose answer was lost is looked up by natural key: found once -> adopted, absent ->
  sent again, found twice -> stop;
* an update or a document PUT is re-read and compared with what was sent;
* a delete is checked for absence.

Webhooks are created inactive, get their fields, UDF fields and excluded resources, and only
then are activated, so a half-built webhook never fires.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from reconciler.errors import ConflictError, PartialApplyError, UnknownOutcome, UsageError
from reconciler.kinds.catalog import Catalog
from reconciler.kinds.matching import index_live, lookup
from reconciler.kinds.names import fold
from reconciler.providers import autotask_state as at_state
from reconciler.providers import salesbuildr_state as sb_state
from reconciler.providers.autotask import AutotaskClient, eq
from reconciler.providers.base import Change, Journal, Observation, SalesbuildrNeed, WriteRecord
from reconciler.providers.budget_need import salesbuildr_need
from reconciler.providers.salesbuildr import SalesbuildrClient
from reconciler.state import SectionSnapshot, State

log = logging.getLogger(__name__)

T = TypeVar("T")
SecretLookup = Callable[[Change, str], str]
LiveReader = Callable[[Sequence[str], Sequence[str]], tuple[State, Catalog]]

WEBHOOK_EVENTS = {
    "create": "isSubscribedToCreateEvents",
    "update": "isSubscribedToUpdateEvents",
    "delete": "isSubscribedToDeleteEvents",
}


@dataclass(frozen=True)
class _Hook:
    """The webhook whose children are being written, and where to journal."""

    change: Change
    collection: str
    webhook_id: int
    journal: Journal

    def root(self, child: str) -> str:
        """``CompanyWebhooks`` + ``Fields`` -> ``CompanyWebhookFields`` (the root query path)."""
        return f"{self.collection.removesuffix('s')}{child}"


class Writer:
    """The :class:`~reconciler.providers.base.ChangeWriter` over the two API clients."""

    def __init__(
        self,
        *,
        autotask: AutotaskClient | None,
        salesbuildr: SalesbuildrClient | None,
        secret: SecretLookup,
        read_live: LiveReader,
        documents: Mapping[str, SectionSnapshot] | None = None,
    ):
        self.autotask = autotask
        self.salesbuildr = salesbuildr
        self.secret = secret
        self.read_live = read_live
        self.location_ids: dict[str, int] = {}
        self.tracking: list[Change] = []
        # Settings documents as last read in this run (by the plan or the stale check): their
        # ETag goes into If-Match, so a 412 means "moved since it was read", and no extra GET.
        self.documents: dict[str, SectionSnapshot] = dict(documents or {})

    # -- observation ---------------------------------------------------------------------------

    def _fresh(self, changes: Sequence[Change]) -> State:
        sections = sorted({c.section for c in changes})
        entities = sorted(
            {str((c.after or c.before or {}).get("entity")) for c in changes if c.kind == "webhook"}
        )
        state, _ = self.read_live(sections, entities)
        return state

    def observe(self, changes: Sequence[Change]) -> Observation:
        state = self._fresh(changes)
        fingerprints: dict[str, str] = {}
        attributes: dict[str, Mapping[str, Any]] = {}
        by_key = index_live(state)
        for change in changes:
            current = lookup(by_key, change.kind, change.key)
            if current is not None:
                fingerprints[change.address] = current.fingerprint()
                attributes[change.address] = current.attributes
        for name, snapshot in state.sections.items():
            fingerprints[f"salesbuildr:{name}"] = f"etag:{snapshot.etag}"
            self.documents[name] = snapshot
        return Observation(fingerprints=fingerprints, attributes=attributes)

    def _document(self, name: str) -> SectionSnapshot:
        """The document as last read in this run (read now when it was not)."""
        if name not in self.documents:
            read = self._sb().read_section(name)
            self.documents[name] = SectionSnapshot(name=name, body=read.body, etag=read.etag)
        return self.documents[name]

    def remaining_requests(self) -> int | None:
        if self.autotask is None:
            return None
        return self.autotask.remaining_requests()

    def salesbuildr_need(
        self, changes: Sequence[Change], *, check_stale: bool
    ) -> SalesbuildrNeed | None:
        return salesbuildr_need(self.salesbuildr, changes, check_stale=check_stale)

    def verify(self, changes: Sequence[Change]) -> list[str]:
        state = self._fresh(changes)
        by_key = index_live(state)
        residual: list[str] = []
        for change in changes:
            current = lookup(by_key, change.kind, change.key)
            if change.action == "delete":
                if current is not None:
                    residual.append(f"{change.address}: still present")
                continue
            if current is None:
                residual.append(f"{change.address}: not found after apply")
                continue
            for diff in change.diff:
                if diff.path in change.sensitive_paths:
                    continue
                have = current.attributes.get(diff.path)
                if _norm(have) != _norm(diff.after):
                    residual.append(
                        f"{change.address}: {diff.path} is {have!r}, expected {diff.after!r}"
                    )
        return residual

    # -- Autotask ------------------------------------------------------------------------------

    def _at(self) -> AutotaskClient:
        if self.autotask is None:
            raise UsageError("this plan writes to Autotask but no Autotask connection is set up")
        return self.autotask

    def _sb(self) -> SalesbuildrClient:
        if self.salesbuildr is None:
            raise UsageError(
                "this plan writes to Salesbuildr but no Salesbuildr connection is set up"
            )
        return self.salesbuildr

    def write_autotask(self, change: Change, journal: Journal) -> None:
        if change.kind == "inventory_location":
            self._write_location(change, journal)
        elif change.kind == "webhook":
            self._write_webhook(change, journal)
        else:
            raise UsageError(f"{change.kind} is not an Autotask kind")

    def remove(self, change: Change, journal: Journal) -> None:
        live = (change.ids.get("live") or {}) if change.ids else {}
        if change.kind == "webhook":
            prefix = at_state.WEBHOOK_ENTITY_PREFIX[str((change.before or {})["entity"])]
            item_id = int(live["id"])
            _resolved(
                lambda: self._at().delete(f"{prefix}Webhooks", item_id),
                check=lambda: self._at().get(f"{prefix}Webhooks", item_id) is None,
                journal=journal,
                record=WriteRecord(
                    change.address, "delete", f"DELETE {prefix}Webhooks/{item_id}", "ok", item_id
                ),
            )
        elif change.kind == "inventory_location":
            item_id = int(live["id"])
            body = {"id": item_id, "isActive": False, "isDefault": False}
            _resolved(
                lambda: self._at().update("InventoryLocations", body),
                check=lambda: _matches(self._at().get("InventoryLocations", item_id), body),
                journal=journal,
                record=WriteRecord(
                    change.address, "deactivate", "PATCH InventoryLocations", "ok", item_id
                ),
            )
            self.location_ids[change.key] = item_id
            self._write_inventory_document([change], journal)
        else:
            raise UsageError(f"{change.kind} is removed with its Salesbuildr document")

    def _write_location(self, change: Change, journal: Journal) -> None:
        after = dict(change.after or {})
        body: dict[str, Any] = {
            "locationName": change.key,
            "isActive": bool(after.get("active", True)),
            "isDefault": bool(after.get("default", False)),
        }
        client = self._at()
        if change.action == "create":

            def lookup() -> list[dict[str, Any]]:
                return client.query(
                    "InventoryLocations",
                    eq("locationName", change.key),
                    include_fields=["locationName"],
                )

            item_id = _create(
                lambda: client.create("InventoryLocations", body),
                lookup=lookup,
                journal=journal,
                record=WriteRecord(change.address, "create", "POST InventoryLocations", "ok"),
            )
        else:
            item_id = int((change.ids.get("live") or {})["id"])
            at_fields = {d.path for d in change.diff} & {"active", "default"}
            if at_fields:
                patch = {
                    "id": item_id,
                    "isActive": body["isActive"],
                    "isDefault": body["isDefault"],
                }
                _resolved(
                    lambda: client.update("InventoryLocations", patch),
                    check=lambda: _matches(client.get("InventoryLocations", item_id), patch),
                    journal=journal,
                    record=WriteRecord(
                        change.address, "update", "PATCH InventoryLocations", "ok", item_id
                    ),
                )
        self.location_ids[change.key] = item_id
        if any(d.path == "track_stock" for d in change.diff):
            # Salesbuildr's tracking flag references the location id: written with the
            # documents, after every Autotask location exists.
            self.tracking.append(change)

    def _write_webhook(self, change: Change, journal: Journal) -> None:
        client = self._at()
        after = dict(change.after or {})
        entity = str(after["entity"])
        prefix = at_state.WEBHOOK_ENTITY_PREFIX[entity]
        collection = f"{prefix}Webhooks"
        desired_ids = (change.ids.get("desired") or {}) if change.ids else {}
        main = {
            "name": after["name"],
            "webhookUrl": after["url"],
            "deactivationUrl": after["deactivation_url"],
            "sendThresholdExceededNotification": bool(after.get("threshold_notification")),
            "notificationEmailAddress": after.get("notification_email"),
            **{
                flag: event in (after.get("events") or []) for event, flag in WEBHOOK_EVENTS.items()
            },
        }
        if change.action == "create":
            body = {**main, "isActive": False, "secretKey": self.secret(change, "secret")}
            webhook_id = _create(
                lambda: client.create(collection, body),
                lookup=lambda: at_state.find_webhook(client, entity, str(after["name"])),
                journal=journal,
                record=WriteRecord(change.address, "create", f"POST {collection} (inactive)", "ok"),
            )
            live_children: dict[str, dict[str, Any]] = {}
            was_active = False
        else:
            live = change.ids.get("live") or {}
            webhook_id = int(live["id"])
            live_children = dict(live.get("children") or {})
            was_active = bool((change.before or {}).get("active"))
            changed = {d.path for d in change.diff}
            patch: dict[str, Any] = {"id": webhook_id}
            names = {
                "name": "name",
                "url": "webhookUrl",
                "deactivation_url": "deactivationUrl",
                "threshold_notification": "sendThresholdExceededNotification",
                "notification_email": "notificationEmailAddress",
            }
            for attr, wire in names.items():
                if attr in changed:
                    patch[wire] = main[wire]
            if "events" in changed:
                patch.update({flag: main[flag] for flag in WEBHOOK_EVENTS.values()})
            if "secret" in change.sensitive_paths and "secret" in changed:
                patch["secretKey"] = self.secret(change, "secret")
            if len(patch) > 1:
                _resolved(
                    lambda: client.update(collection, patch),
                    check=lambda: _matches(
                        client.get(collection, webhook_id), patch, skip={"secretKey"}
                    ),
                    journal=journal,
                    record=WriteRecord(
                        change.address, "update", f"PATCH {collection}", "ok", webhook_id
                    ),
                )
        self._sync_children(
            _Hook(change, collection, webhook_id, journal),
            after=after,
            desired_ids=desired_ids,
            live_children=live_children,
        )
        want_active = bool(after.get("active", True))
        if want_active != was_active or (change.action == "create" and want_active):
            patch = {"id": webhook_id, "isActive": want_active}
            _resolved(
                lambda: client.update(collection, patch),
                check=lambda: _matches(client.get(collection, webhook_id), patch),
                journal=journal,
                record=WriteRecord(
                    change.address,
                    "activate" if want_active else "deactivate",
                    f"PATCH {collection} isActive={str(want_active).lower()}",
                    "ok",
                    webhook_id,
                ),
            )

    def _sync_children(
        self,
        hook: _Hook,
        *,
        after: Mapping[str, Any],
        desired_ids: Mapping[str, Any],
        live_children: Mapping[str, Any],
    ) -> None:
        """Make the webhook's children what the plan says: add, re-flag, remove. A list the
        YAML does not state (no desired ids for it) is unmanaged: its live children stay."""
        field_ids: dict[str, Any] = {
            **(desired_ids.get("fields") or {}),
            **(desired_ids.get("always_send") or {}),
        }
        subscribed = set(after.get("fields") or [])
        always = set(after.get("always_send") or [])
        live_fields: Mapping[str, Any] = live_children.get("fields") or {}
        wanted = {
            str(field_ids[label]): (label in subscribed, label in always) for label in field_ids
        }
        if "always_send" not in desired_ids:
            kept = {k: bool(v["always"]) for k, v in live_fields.items()}
            wanted = {k: (sub, kept.get(k, False)) for k, (sub, _) in wanted.items()}
            wanted.update({k: (False, True) for k, on in kept.items() if on and k not in wanted})
        self._sync_flag_children(
            hook,
            "Fields",
            "fieldID",
            wanted={k: flags for k, flags in wanted.items() if any(flags)},
            live=live_fields,
        )
        if hook.collection != "TicketNoteWebhooks" and "udf_fields" in desired_ids:
            udf_ids = desired_ids.get("udf_fields") or {}
            self._sync_flag_children(
                hook,
                "UdfFields",
                "udfFieldID",
                wanted={str(udf_id): (True, False) for udf_id in udf_ids.values()},
                live=live_children.get("udf_fields") or {},
            )
        if "excluded_resources" not in desired_ids:
            return
        excluded_wanted = {str(v) for v in (desired_ids.get("excluded_resources") or {}).values()}
        excluded_live: Mapping[str, Any] = live_children.get("excluded_resources") or {}
        for resource_id, child_id in excluded_live.items():
            if resource_id not in excluded_wanted:
                self._delete_child(hook, "ExcludedResources", int(child_id))
        for resource_id in sorted(excluded_wanted - set(excluded_live)):
            body = {"webhookID": hook.webhook_id, "resourceID": int(resource_id)}
            self._create_child(hook, "ExcludedResources", "resourceID", body)

    def _sync_flag_children(
        self,
        hook: _Hook,
        child: str,
        id_field: str,
        *,
        wanted: Mapping[str, tuple[bool, bool]],
        live: Mapping[str, Any],
    ) -> None:
        client = self._at()
        for value, state in live.items():
            if value not in wanted:
                self._delete_child(hook, child, int(state["id"]))
        for value, (subscribed, always) in sorted(wanted.items()):
            body = {
                "webhookID": hook.webhook_id,
                id_field: int(value),
                "isSubscribedField": subscribed,
                "isDisplayAlwaysField": always,
            }
            current = live.get(value)
            if current is None:
                self._create_child(hook, child, id_field, body)
            elif (bool(current["subscribed"]), bool(current["always"])) != (subscribed, always):
                patch = {**body, "id": int(current["id"])}

                def send(patch: dict[str, Any] = patch) -> int:
                    return client.update_child(hook.collection, hook.webhook_id, child, patch)

                _resolved(
                    send,
                    check=lambda: False,  # a PATCH of flags is safe to send twice
                    journal=hook.journal,
                    record=WriteRecord(
                        hook.change.address,
                        "update",
                        f"PATCH {hook.collection}/{hook.webhook_id}/{child}",
                        "ok",
                    ),
                )

    def _create_child(
        self, hook: _Hook, child: str, id_field: str, body: Mapping[str, Any]
    ) -> None:
        client = self._at()

        def lookup() -> list[dict[str, Any]]:
            rows = client.query(hook.root(child), eq("webhookID", hook.webhook_id))
            return [r for r in rows if str(r.get(id_field)) == str(body[id_field])]

        _create(
            lambda: client.create_child(hook.collection, hook.webhook_id, child, body),
            lookup=lookup,
            journal=hook.journal,
            record=WriteRecord(
                hook.change.address,
                "create",
                f"POST {hook.collection}/{hook.webhook_id}/{child} {id_field}={body[id_field]}",
                "ok",
            ),
        )

    def _delete_child(self, hook: _Hook, child: str, child_id: int) -> None:
        client = self._at()
        _resolved(
            lambda: client.delete_child(hook.collection, hook.webhook_id, child, child_id),
            check=lambda: client.get(hook.root(child), child_id) is None,
            journal=hook.journal,
            record=WriteRecord(
                hook.change.address,
                "delete",
                f"DELETE {hook.collection}/{hook.webhook_id}/{child}/{child_id}",
                "ok",
                child_id,
            ),
        )

    # -- Salesbuildr documents -----------------------------------------------------------------

    def write_documents(self, changes: Sequence[Change], journal: Journal) -> None:
        client = self._sb()
        receiver = [c for c in changes if c.kind == "webhook_receiver"]
        for change in receiver:
            value = self.secret(change, "secret")
            current = self._document("webhook-receiver")
            _resolved(
                lambda current=current, value=value: client.write_section(  # type: ignore[misc]
                    "webhook-receiver", {"secret": value}, current.etag
                ),
                check=lambda: bool(client.read_section("webhook-receiver").body.get("secretSet")),
                journal=journal,
                record=WriteRecord(
                    change.address, "update", "PUT settings/webhook-receiver (secret)", "ok"
                ),
            )
            self.documents.pop("webhook-receiver", None)
        by_section: dict[str, list[Change]] = {}
        for change in [*changes, *self.tracking]:
            if change.kind == "webhook_receiver":
                continue
            by_section.setdefault(change.section, []).append(change)
        self.tracking = []
        for section, group in by_section.items():
            if section == "inventory":
                self._write_inventory_document(group, journal)
                continue
            spec = sb_state.SECTIONS[section]
            current = self._document(spec.name)
            body = sb_state.apply_changes(section, current.body, group)
            self._put(spec.name, body, current.etag, [c.address for c in group], journal)

    def _write_inventory_document(self, group: Sequence[Change], journal: Journal) -> None:
        current = self._document("inventory")
        rows = {
            str(r.get("inventoryLocationId")): dict(r) for r in current.body.get("locations") or []
        }
        touched: list[str] = []
        for change in group:
            if not any(d.path == "track_stock" for d in change.diff):
                continue
            location_id = self.location_ids.get(change.key) or (change.ids.get("live") or {}).get(
                "id"
            )
            if location_id is None:
                raise PartialApplyError(f"{change.address}: the Autotask location id is unknown")
            track = bool((change.after or {}).get("track_stock"))
            rows[str(location_id)] = {"inventoryLocationId": int(location_id), "trackStock": track}
            touched.append(change.address)
        if not touched:
            return
        body = {"locations": [r for r in rows.values() if r.get("trackStock")]}
        self._put("inventory", body, current.etag, touched, journal)

    def _put(
        self,
        name: str,
        body: Mapping[str, Any],
        etag: str,
        addresses: Sequence[str],
        journal: Journal,
    ) -> None:
        summary = f"PUT settings/{name} ({len(addresses)} change(s))"
        try:
            outcome = self._send_section(name, body, etag)
        except Exception as error:
            for address in addresses:
                journal(WriteRecord(address, "update", summary, "failed", error=str(error)))
            raise
        for address in addresses:
            journal(WriteRecord(address, "update", summary, outcome))

    def _send_section(self, name: str, body: Mapping[str, Any], etag: str) -> str:
        """PUT a document; on an unknown outcome re-read it: "adopted" when our body is live,
        sent again when the document did not move; a document that moved is a conflict."""
        client = self._sb()
        self.documents.pop(name, None)  # whatever happens, the next write reads it again
        try:
            client.write_section(name, body, etag)
        except UnknownOutcome:
            now = client.read_section(name)
            if _subset(body, now.body):
                return "adopted"
            if now.etag != etag:
                raise ConflictError(
                    f"the Salesbuildr settings section '{name}' changed while we wrote it",
                    system="salesbuildr",
                    method="PUT",
                    path=f"/integration/autotask/settings/{name}",
                    status=412,
                ) from None
            client.write_section(name, body, etag)
        return "ok"


def _norm(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return sorted((_norm(v) for v in value), key=str)
    if isinstance(value, str):
        return fold(value)
    return value


def _matches(
    row: Mapping[str, Any] | None, body: Mapping[str, Any], skip: set[str] | None = None
) -> bool:
    if row is None:
        return False
    lowered = {k.lower(): v for k, v in row.items()}
    return all(lowered.get(k.lower()) == v for k, v in body.items() if k not in (skip or set()))


def _subset(wanted: Any, have: Any) -> bool:
    """Every key and list item of ``wanted`` is in ``have`` (read-only extras ignored)."""
    if isinstance(wanted, Mapping):
        return isinstance(have, Mapping) and all(_subset(v, have.get(k)) for k, v in wanted.items())
    if isinstance(wanted, list):
        return (
            isinstance(have, list)
            and len(wanted) == len(have)
            and all(any(_subset(w, h) for h in have) for w in wanted)
        )
    return bool(wanted == have)


def _create(
    send: Callable[[], int],
    *,
    lookup: Callable[[], list[dict[str, Any]]],
    journal: Journal,
    record: WriteRecord,
) -> int:
    """POST once; on an unknown outcome adopt the one object found by natural key, or re-send
    when none exists; two found is a stop."""
    try:
        item_id = send()
    except UnknownOutcome as error:
        try:
            found = lookup()
        except Exception as lost:
            journal(_with(record, outcome="unknown", error=str(lost)))
            raise
        if len(found) == 1:
            item_id = int(found[0]["id"])
            journal(_with(record, outcome="adopted", item_id=item_id, error=error.message))
            return item_id
        if len(found) > 1:
            ids = ", ".join(str(f.get("id")) for f in found)
            journal(_with(record, outcome="failed", error=f"duplicates found: {ids}"))
            raise PartialApplyError(
                f"{record.address}: the create's answer was lost and {len(found)} objects now "
                f"match its natural key (ids {ids})",
                hint="delete the extra one in Autotask, then apply again",
            ) from None
        log.info("%s: the create did not happen; sending it again", record.address)
        try:
            item_id = send()
        except Exception as again:
            journal(_with(record, outcome="failed", error=str(again)))
            raise
    except Exception as error:
        journal(_with(record, outcome="failed", error=str(error)))
        raise
    journal(_with(record, item_id=item_id))
    return item_id


def _resolved(
    send: Callable[[], T],
    *,
    check: Callable[[], bool],
    journal: Journal,
    record: WriteRecord,
) -> None:
    """Send an update or delete; on an unknown outcome re-read (``check``) and re-send only if
    it did not happen."""
    try:
        send()
    except UnknownOutcome as error:
        try:
            happened = check()
        except Exception as lost:
            journal(_with(record, outcome="unknown", error=str(lost)))
            raise
        if happened:
            journal(_with(record, outcome="adopted", error=error.message))
            return
        try:
            send()
        except Exception as again:
            journal(_with(record, outcome="failed", error=str(again)))
            raise
    except Exception as error:
        journal(_with(record, outcome="failed", error=str(error)))
        raise
    journal(record)


def _with(record: WriteRecord, **changes: Any) -> WriteRecord:
    values = {**record.__dict__, **changes}
    return WriteRecord(**values)
