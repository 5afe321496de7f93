"""Plan changes -> the HTTP writes that carry them out (providers.base.Stages), each resolving
its own unknown outcome before anything else happens to that object (ARCHITECTURE "Apply is
level-based"; providers.write_resolve):

* a create whose answer was lost is looked up by natural key: found once -> adopted, absent ->
  sent again, found twice -> stop;
* an update or a document PUT is re-read and compared with what was sent;
* a delete is checked for absence.

Webhooks are created inactive, get their fields, UDF fields and excluded resources, and only
then are activated, so a half-built webhook never fires (providers.webhook_writes).

The engine may run the writes of different steps at the same time: what the writer keeps
between them (the settings documents as last read, the ids of the locations written) is
guarded by one lock; each document is written by one step at a time (the engine's graph).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reconciler.errors import ConflictError, PartialApplyError, UnknownOutcome, UsageError
from reconciler.kinds.catalog import Catalog
from reconciler.kinds.matching import index_live, lookup
from reconciler.psa.autotask import read as at_state
from reconciler.psa.autotask.client import AutotaskClient, eq
from reconciler.psa.autotask.webhook_writes import SecretLookup, webhook_stages
from reconciler.salesbuildr import state as sb_state
from reconciler.salesbuildr.budget_need import salesbuildr_need
from reconciler.salesbuildr.client import SalesbuildrClient
from reconciler.state import SectionSnapshot, State
from reconciler.write_resolve import create, matches, norm, resolved, subset, with_
from reconciler.writes import (
    Change,
    Journal,
    Observation,
    SalesbuildrNeed,
    Stages,
    WriteOp,
    WriteRecord,
)

LiveReader = Callable[[Sequence[str], Sequence[str]], tuple[State, Catalog]]


class Writer:
    """The :class:`~reconciler.writes.ChangeWriter` over the two API clients."""

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
        self._lock = threading.Lock()
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
            with self._lock:
                self.documents[name] = snapshot
        return Observation(fingerprints=fingerprints, attributes=attributes)

    def _document(self, name: str) -> SectionSnapshot:
        """The document as last read in this run (read now when it was not)."""
        with self._lock:
            known = self.documents.get(name)
        if known is not None:
            return known
        read = self._sb().read_section(name)
        snapshot = SectionSnapshot(name=name, body=read.body, etag=read.etag)
        with self._lock:
            self.documents[name] = snapshot
        return snapshot

    def _forget(self, name: str) -> None:
        """Whatever a PUT of ``name`` did, the next write of it reads it again."""
        with self._lock:
            self.documents.pop(name, None)

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
                if norm(have) != norm(diff.after):
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

    # -- Autotask ------------------------------------------------------------------------------

    def autotask_writes(self, change: Change) -> Stages:
        if change.kind == "inventory_location":
            return [[op]] if (op := self._location_op(change)) is not None else []
        if change.kind == "webhook":
            return webhook_stages(self._at(), change, self.secret)
        raise UsageError(f"{change.kind} is not an Autotask kind")

    def removal_writes(self, change: Change) -> Stages:
        live = (change.ids.get("live") or {}) if change.ids else {}
        client = self._at()
        if change.kind == "webhook":
            prefix = at_state.WEBHOOK_ENTITY_PREFIX[str((change.before or {})["entity"])]
            item_id = int(live["id"])

            def delete(journal: Journal) -> None:
                resolved(
                    lambda: client.delete(f"{prefix}Webhooks", item_id),
                    check=lambda: client.get(f"{prefix}Webhooks", item_id) is None,
                    journal=journal,
                    record=WriteRecord(
                        change.address,
                        "delete",
                        f"DELETE {prefix}Webhooks/{item_id}",
                        "ok",
                        item_id,
                    ),
                )

            return [[WriteOp(f"delete {change.address}", delete, (change.address,))]]
        if change.kind == "inventory_location":
            location_id = int(live["id"])
            body = {"id": location_id, "isActive": False, "isDefault": False}

            def deactivate(journal: Journal) -> None:
                resolved(
                    lambda: client.update("InventoryLocations", body),
                    check=lambda: matches(client.get("InventoryLocations", location_id), body),
                    journal=journal,
                    record=WriteRecord(
                        change.address, "deactivate", "PATCH InventoryLocations", "ok", location_id
                    ),
                )
                self._located(change.key, location_id)

            return [[WriteOp(f"deactivate {change.address}", deactivate, (change.address,))]]
        raise UsageError(f"{change.kind} is removed with its Salesbuildr document")

    def remove(self, change: Change, journal: Journal) -> None:
        """Delete or deactivate one Autotask object now, its Salesbuildr flags included (for
        callers outside an apply: ``webhooks uninstall``)."""
        for stage in [*self.removal_writes(change), *self.document_writes([change])]:
            for op in stage:
                op.run(journal)

    def _located(self, key: str, location_id: int) -> None:
        with self._lock:
            self.location_ids[key] = location_id

    def _location_op(self, change: Change) -> WriteOp | None:
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

            def create_it(journal: Journal) -> None:
                item_id = create(
                    lambda: client.create("InventoryLocations", body),
                    lookup=lookup,
                    journal=journal,
                    record=WriteRecord(change.address, "create", "POST InventoryLocations", "ok"),
                )
                self._located(change.key, item_id)

            return WriteOp(f"create {change.address}", create_it, (change.address,))
        item_id = int((change.ids.get("live") or {})["id"])
        self._located(change.key, item_id)
        if not {d.path for d in change.diff} & {"active", "default"}:
            return None  # only Salesbuildr's tracking flag: written with the document
        patch = {"id": item_id, "isActive": body["isActive"], "isDefault": body["isDefault"]}

        def update(journal: Journal) -> None:
            resolved(
                lambda: client.update("InventoryLocations", patch),
                check=lambda: matches(client.get("InventoryLocations", item_id), patch),
                journal=journal,
                record=WriteRecord(
                    change.address, "update", "PATCH InventoryLocations", "ok", item_id
                ),
            )

        return WriteOp(f"update {change.address}", update, (change.address,))

    # -- Salesbuildr documents -----------------------------------------------------------------

    def document_writes(self, changes: Sequence[Change]) -> Stages:
        receiver = [c for c in changes if c.kind == "webhook_receiver"]
        ops = [self._receiver_op(change) for change in receiver]
        by_section: dict[str, list[Change]] = {}
        for change in changes:
            if change.kind != "webhook_receiver":
                by_section.setdefault(change.section, []).append(change)
        for section, group in by_section.items():
            if section == "inventory":
                # Stock tracking references the Autotask location id: the graph runs this
                # after the section's location writes.
                tracked = [c for c in group if any(d.path == "track_stock" for d in c.diff)]
                if tracked:
                    ops.append(self._inventory_op(tracked))
                continue
            mapped = [c for c in group if c.owner == "salesbuildr"]
            if mapped and section in sb_state.SECTIONS:
                ops.append(self._document_op(section, mapped))
        return [ops] if ops else []

    def _receiver_op(self, change: Change) -> WriteOp:
        client = self._sb()

        def run(journal: Journal) -> None:
            value = self.secret(change, "secret")
            current = self._document("webhook-receiver")
            resolved(
                lambda: client.write_section("webhook-receiver", {"secret": value}, current.etag),
                check=lambda: bool(client.read_section("webhook-receiver").body.get("secretSet")),
                journal=journal,
                record=WriteRecord(
                    change.address, "update", "PUT settings/webhook-receiver (secret)", "ok"
                ),
            )
            self._forget("webhook-receiver")

        return WriteOp("setting the webhook receiver secret", run, (change.address,))

    def _document_op(self, section: str, group: Sequence[Change]) -> WriteOp:
        spec = sb_state.SECTIONS[section]

        def run(journal: Journal) -> None:
            current = self._document(spec.name)
            body = sb_state.apply_changes(section, current.body, group)
            self._put(spec.name, body, current.etag, [c.address for c in group], journal)

        return WriteOp(
            f"writing Salesbuildr settings: {spec.name}", run, tuple(c.address for c in group)
        )

    def _inventory_op(self, group: Sequence[Change]) -> WriteOp:
        def run(journal: Journal) -> None:
            current = self._document("inventory")
            rows = {
                str(r.get("inventoryLocationId")): dict(r)
                for r in current.body.get("locations") or []
            }
            with self._lock:
                known = dict(self.location_ids)
            for change in group:
                location_id = known.get(change.key) or (change.ids.get("live") or {}).get("id")
                if location_id is None:
                    raise PartialApplyError(
                        f"{change.address}: the Autotask location id is unknown"
                    )
                track = bool((change.after or {}).get("track_stock"))
                rows[str(location_id)] = {
                    "inventoryLocationId": int(location_id),
                    "trackStock": track,
                }
            body = {"locations": [r for r in rows.values() if r.get("trackStock")]}
            self._put("inventory", body, current.etag, [c.address for c in group], journal)

        return WriteOp(
            "writing Salesbuildr settings: inventory", run, tuple(c.address for c in group)
        )

    def _put(
        self,
        name: str,
        body: Mapping[str, Any],
        etag: str,
        addresses: Sequence[str],
        journal: Journal,
    ) -> None:
        """One PUT, one journal record listing every address it carries."""
        record = WriteRecord(
            f"salesbuildr:{name}",
            "update",
            f"PUT settings/{name} ({len(addresses)} change(s))",
            "ok",
            addresses=tuple(addresses),
        )
        try:
            outcome = self._send_section(name, body, etag)
        except Exception as error:
            journal(with_(record, outcome="failed", error=str(error)))
            raise
        journal(with_(record, outcome=outcome))

    def _send_section(self, name: str, body: Mapping[str, Any], etag: str) -> str:
        """PUT a document; on an unknown outcome re-read it: "adopted" when our body is live,
        sent again when the document did not move; a document that moved is a conflict."""
        client = self._sb()
        self._forget(name)  # whatever happens, the next write reads it again
        try:
            client.write_section(name, body, etag)
        except UnknownOutcome:
            now = client.read_section(name)
            if subset(body, now.body):
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
