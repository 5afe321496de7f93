"""Ticket settings: the service ticket Salesbuildr creates after a sale, scoped by its board.

Statuses, types, subtypes and items are children of a ConnectWise board, and their names repeat
across boards ("New" on every board): each is looked up among the children of the board the
YAML names, and shown by its label alone (the board is compared beside it). A subtype must be
one the type allows on that board (the subtype's ``typeAssociationIds``, or a row of the board's
``typeSubTypeItemAssociations``) and an item one the type (and subtype) allows there (a row of
those associations): ConnectWise refuses a ticket with any other combination.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.kinds.base import Problem, SingletonField, SingletonKind
from reconciler.kinds.catalog import Catalog, Entry, NameTable, Resolved
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.state import Resource

BOARD_SCOPED = ("status", "type", "subtype", "item")
"""Fields whose objects belong to the board."""


def subtype_allowed(catalog: Catalog, board: Any, type_id: Any, subtype: Entry) -> bool:
    if any(str(i) == str(type_id) for i in subtype.extra.get(t.TYPE_IDS) or ()):
        return True
    return any(
        str(row.extra.get(t.TYPE_ID)) == str(type_id)
        and str(row.extra.get(t.SUBTYPE_ID)) == str(subtype.id)
        for row in _associations(catalog, board)
    )


def item_allowed(catalog: Catalog, board: Any, type_id: Any, subtype_id: Any, item: Any) -> bool:
    """An association row of the board with this type and item (and this subtype, when one is
    set; any subtype otherwise)."""
    for row in _associations(catalog, board):
        if str(row.extra.get(t.TYPE_ID)) != str(type_id):
            continue
        if str(row.extra.get(t.ITEM_ID)) != str(item):
            continue
        if subtype_id is None or str(row.extra.get(t.SUBTYPE_ID)) == str(subtype_id):
            return True
    return False


def _associations(catalog: Catalog, board: Any) -> list[Entry]:
    table = catalog.table(t.CW_BOARD_ASSOCIATIONS)
    return [row for row in table.entries if str(row.parent) == str(board)]


def _on_board(table: NameTable, board: Entry, what: str) -> NameTable:
    return NameTable(what, [e for e in table.entries if str(e.parent) == str(board.id)])


def _within_board(
    spec: SingletonField, value: Any, catalog: Catalog, resolved: Mapping[str, Entry]
) -> Resolved:
    table = catalog.table(spec.table or "")
    if spec.name not in BOARD_SCOPED:
        return table.resolve(value)
    board = resolved.get("board")
    if board is None:
        # The board did not resolve (reported on its own) or is not stated (rules.py refuses
        # that offline): nothing to look the name up in.
        return Resolved(None, f"the {spec.name} is looked up on the board, which is unknown")
    outcome = _on_board(table, board, spec.name).resolve(value)
    if outcome.entry is None:
        return Resolved(None, f"{outcome.message} on board '{board.name}'", outcome.hint)
    type_entry = resolved.get("type")
    if (
        spec.name == "subtype"
        and type_entry is not None
        and not subtype_allowed(catalog, board.id, type_entry.id, outcome.entry)
    ):
        return Resolved(
            None,
            f"subtype '{outcome.entry.name}' is not one type '{type_entry.name}' allows on "
            f"board '{board.name}'",
            "pick a subtype of this type (ConnectWise: the board's Types, Subtypes, Items)",
        )
    if spec.name == "item" and type_entry is not None:
        subtype = resolved.get("subtype")
        if not item_allowed(
            catalog, board.id, type_entry.id, subtype.id if subtype else None, outcome.entry.id
        ):
            within = f"type '{type_entry.name}'" + (
                f" and subtype '{subtype.name}'" if subtype else ""
            )
            return Resolved(
                None,
                f"item '{outcome.entry.name}' is not one {within} allow on board '{board.name}'",
                "pick an item associated with them on the board in ConnectWise",
            )
    return outcome


@dataclass(frozen=True)
class TicketSettingsKind(SingletonKind):
    def check(
        self, desired: Sequence[Resource], live: Sequence[Resource], catalog: Catalog
    ) -> list[Problem]:
        """A board changed while a status, type, subtype or item is left to its live value:
        that value belongs to the old board, and the ticket would be refused. The file must
        state it for the new board."""
        problems: list[Problem] = []
        live_docs = [r for r in live if r.kind == self.name]
        for wanted in desired:
            if wanted.kind != self.name or "board" not in wanted.ids or not live_docs:
                continue
            board = wanted.ids["board"]
            for name in BOARD_SCOPED:
                if name in wanted.attributes:
                    continue
                live_id = live_docs[0].ids.get(name)
                spec = next(f for f in self.fields if f.name == name)
                entry = catalog.table(spec.table or "").by_id(live_id)
                if live_id is None or (entry is not None and str(entry.parent) == str(board)):
                    continue
                # Only the YAML's board's children are read: an id not among them is another
                # board's (or gone), and shown by id.
                shown = f"'{entry.name}'" if entry is not None else f"#{live_id}"
                problems.append(
                    Problem(
                        wanted.address,
                        f"the live {name} {shown} is of another board than "
                        f"'{wanted.attributes['board']}'; ConnectWise would refuse the ticket",
                        f"state ticket_settings.{name} for the new board",
                        attribute="board",
                    )
                )
        return problems


TICKET_SETTINGS = TicketSettingsKind(
    name="ticket_settings",
    section="ticket_settings",
    address_text="ticket_settings",
    fields=(
        SingletonField("board", t.CW_BOARDS),
        SingletonField("status", t.CW_BOARD_STATUSES),
        SingletonField("type", t.CW_BOARD_TYPES),
        SingletonField("subtype", t.CW_BOARD_SUBTYPES),
        SingletonField("item", t.CW_BOARD_ITEMS),
        SingletonField("priority", t.CW_PRIORITIES),
    ),
    resolve_field=_within_board,
    scoped=frozenset(BOARD_SCOPED),
    extra_tables=frozenset({t.CW_BOARD_ASSOCIATIONS}),
)
