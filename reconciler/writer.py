"""The writer of one apply (:class:`reconciler.writes.ChangeWriter`): a router over the
systems' writers. It dispatches each change to the writer of its owner (data on the change, no
kind in here), asks every writer for its part of a section's document writes, and observes and
verifies through the live reader (one read of what the changes touch)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.kinds.matching import index_live, lookup
from reconciler.psa.base import LiveReader, SystemWriter
from reconciler.state import State
from reconciler.write_resolve import norm
from reconciler.writes import Change, Journal, Observation, RequestWindowNeed, Stages, WriteOp


class Writer:
    """Routes the engine's calls to the PSA's writer and Salesbuildr's (``documents``)."""

    def __init__(
        self,
        *,
        psa: SystemWriter,
        documents: Any,
        owners: Mapping[str, SystemWriter],
        read_live: LiveReader,
    ) -> None:
        self.psa = psa
        self.documents = documents
        """Salesbuildr's writer: the settings documents every system's flags are written to."""
        self.owners = dict(owners)
        self.read_live = read_live

    @property
    def salesbuildr(self) -> Any:
        """Salesbuildr's client (the documents' writer's), for callers that wrap its writes."""
        return self.documents.client

    def _writer(self, change: Change) -> SystemWriter:
        return self.owners.get(change.owner, self.psa)

    # -- observation ---------------------------------------------------------------------------

    def _fresh(self, changes: Sequence[Change]) -> State:
        sections = sorted({c.section for c in changes})
        # The entities of webhook-like objects (an ``entity`` attribute) are read again too.
        entities = sorted(
            {
                str(e)
                for c in changes
                if (e := (c.after or c.before or {}).get("entity")) is not None
            }
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
            fingerprints[self.documents.observed_key(name)] = f"etag:{snapshot.etag}"
            self.documents.remember(snapshot)
        return Observation(fingerprints=fingerprints, attributes=attributes)

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

    # -- budgets -------------------------------------------------------------------------------

    def remaining_requests(self) -> int | None:
        return self.psa.remaining_requests()

    def window_need(
        self, changes: Sequence[Change], *, check_stale: bool
    ) -> RequestWindowNeed | None:
        need: RequestWindowNeed | None = self.documents.window_need(
            changes, check_stale=check_stale
        )
        return need

    # -- writes --------------------------------------------------------------------------------

    def object_writes(self, change: Change) -> Stages:
        """The writes of one object (the engine's name for the call: apply_graph.Call)."""
        return self._writer(change).writes(change)

    def removal_writes(self, change: Change) -> Stages:
        return self._writer(change).removal_writes(change)

    def document_writes(self, changes: Sequence[Change]) -> Stages:
        ops: list[WriteOp] = list(self.documents.leading_ops(changes))
        by_section: dict[str, list[Change]] = {}
        for change in changes:
            by_section.setdefault(change.section, []).append(change)
        for section, group in by_section.items():
            writer = self.psa if section in self.psa.document_sections else self.documents
            op = writer.section_op(section, group)
            if op is not None:
                ops.append(op)
        return [ops] if ops else []

    def remove(self, change: Change, journal: Journal) -> None:
        """Delete or deactivate one object now, its Salesbuildr flags included (for callers
        outside an apply: ``webhooks uninstall``)."""
        for stage in [*self.removal_writes(change), *self.document_writes([change])]:
            for op in stage:
                op.run(journal)
