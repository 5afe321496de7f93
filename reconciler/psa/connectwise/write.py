"""ConnectWise's writes of one apply (:class:`reconciler.psa.system.SystemWriter`): callbacks
(``/system/callbacks``), the only ConnectWise objects the pages manage. Every other section is
a Salesbuildr document, written by the Salesbuildr writer.

Each write resolves its own unknown outcome (:mod:`reconciler.write_resolve`): a create whose
answer was lost is looked up by its natural key, the description (found once: adopted; absent:
sent again; found twice: stop); an update is re-read and compared with what was sent; a delete
is checked for absence. A create or update that was accepted but answered something that does
not say what it did (no numeric ``id``, not an object, not JSON) is such an unknown outcome too
(:meth:`~.client.ConnectWiseClient.create_id`). One journal record per write, however it ends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.errors import UsageError
from reconciler.psa.connectwise import endpoints
from reconciler.psa.connectwise.client import ConnectWiseClient, Record, replace
from reconciler.psa.connectwise.conditions import eq
from reconciler.psa.connectwise.kinds_callbacks import CALLBACK, WIRE_ATTRIBUTES, wire_values
from reconciler.write_resolve import create, resolved
from reconciler.writes import Change, Journal, Stages, WriteOp, WriteRecord

PATH = endpoints.CALLBACKS


def same_description(row: Mapping[str, Any], description: str) -> bool:
    """The natural key as ConnectWise stores it (exact, but for surrounding spaces)."""
    return str(row.get("description") or "").strip() == description.strip()


def sent_matches(row: Record | None, sent: Mapping[str, Any]) -> bool:
    """Whether ``row`` holds every value ``sent`` (an absent flag reads as false)."""
    if row is None:
        return False
    return all((row.get(k) if row.get(k) is not None else False) == v for k, v in sent.items())


class ConnectWiseWriter:
    document_sections: frozenset[str] = frozenset()
    """ConnectWise keeps no flags of its objects in a Salesbuildr document."""

    def __init__(self, client: ConnectWiseClient | None) -> None:
        self.client = client

    def _cw(self) -> ConnectWiseClient:
        if self.client is None:
            raise UsageError(
                "this plan writes to ConnectWise but no ConnectWise connection is set up"
            )
        return self.client

    def remaining_requests(self) -> int | None:
        return None  # no published quota: the rate cap is the client's own

    def writes(self, change: Change) -> Stages:
        if change.kind != CALLBACK.name:
            raise UsageError(f"{change.kind} is not a ConnectWise kind")
        if change.action == "create":
            return [[self._create(self._cw(), change)]]
        op = self._update(self._cw(), change)
        return [[op]] if op is not None else []

    def removal_writes(self, change: Change) -> Stages:
        if change.kind != CALLBACK.name:
            raise UsageError(f"{change.kind} is removed with its Salesbuildr document")
        live = (change.ids.get("live") or {}) if change.ids else {}
        return [[self._delete(self._cw(), change, int(live["id"]))]]

    def section_op(self, section: str, group: Sequence[Change]) -> WriteOp | None:
        return None

    def _create(self, client: ConnectWiseClient, change: Change) -> WriteOp:
        body = {"description": change.key, **wire_values(change.after or {})}

        def lookup() -> list[dict[str, Any]]:
            rows = client.list_all(PATH, conditions=eq("description", change.key))
            return [row for row in rows if same_description(row, change.key)]

        def run(journal: Journal) -> None:
            create(
                lambda: client.create_id(PATH, body),
                lookup=lookup,
                journal=journal,
                record=WriteRecord(change.address, "create", f"POST {PATH}", "ok"),
                where="in ConnectWise (System > Callbacks)",
            )

        return WriteOp(f"create {change.address}", run, (change.address,))

    def _update(self, client: ConnectWiseClient, change: Change) -> WriteOp | None:
        item_id = int(((change.ids or {}).get("live") or {})["id"])
        changed = {d.path for d in change.diff}
        values = wire_values(change.after or {})
        patch = {wire: v for wire, v in values.items() if WIRE_ATTRIBUTES[wire] in changed}
        if not patch:
            return None
        operations = [replace(wire, value) for wire, value in patch.items()]

        def run(journal: Journal) -> None:
            resolved(
                lambda: client.patch(PATH, item_id, operations),
                check=lambda: sent_matches(client.get(PATH, item_id), patch),
                journal=journal,
                record=WriteRecord(
                    change.address, "update", f"PATCH {PATH}/{item_id}", "ok", item_id
                ),
            )

        return WriteOp(f"update {change.address}", run, (change.address,))

    def _delete(self, client: ConnectWiseClient, change: Change, item_id: int) -> WriteOp:
        def run(journal: Journal) -> None:
            resolved(
                lambda: client.delete(PATH, item_id),
                check=lambda: client.get(PATH, item_id) is None,
                journal=journal,
                record=WriteRecord(
                    change.address, "delete", f"DELETE {PATH}/{item_id}", "ok", item_id
                ),
            )

        return WriteOp(f"delete {change.address}", run, (change.address,))
