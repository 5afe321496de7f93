"""Salesbuildr's writes of one apply: its settings documents, each PUT whole with ``If-Match``
(the ETag as last read in this run, so a 412 means "moved since it was read" and no extra GET),
an unknown outcome resolved by re-reading the document (``_send_section``).

The writer keeps the documents as last read; the engine may run different steps at once, so
they are guarded by one lock, and each document is written by one step at a time (the graph).
A PSA writer whose objects keep flags in a document (Autotask's stock tracking) writes that
document through :meth:`document` and :meth:`put`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reconciler.errors import ConflictError, UnknownOutcome, UsageError
from reconciler.psa.system import SettingsDocuments
from reconciler.salesbuildr.budget_need import window_need
from reconciler.salesbuildr.client import SalesbuildrClient
from reconciler.state import SectionSnapshot
from reconciler.write_resolve import resolved, subset, with_
from reconciler.writes import Change, Journal, RequestWindowNeed, Stages, WriteOp, WriteRecord

OWNER = "salesbuildr"
RECEIVER_KIND = "webhook_receiver"
RECEIVER_DOCUMENT = "webhook-receiver"

SecretLookup = Callable[[Change, str], str]


class DocumentWriter:
    """The writes of the changes Salesbuildr owns (:class:`reconciler.psa.base.SystemWriter`)."""

    document_sections: frozenset[str] = frozenset()

    def __init__(
        self,
        client: SalesbuildrClient | None,
        secret: SecretLookup,
        documents: Mapping[str, SectionSnapshot] | None,
        pages: SettingsDocuments,
    ) -> None:
        self.client = client
        self.pages = pages
        """The settings documents of the YAML's PSA (where a section's changes are written)."""
        self.secret = secret
        self._lock = threading.Lock()
        self.documents: dict[str, SectionSnapshot] = dict(documents or {})

    # -- the documents as last read ------------------------------------------------------------

    def observed_key(self, name: str) -> str:
        """The key of a document in an observation (beside the objects' addresses)."""
        return f"{OWNER}:{name}"

    def remember(self, snapshot: SectionSnapshot) -> None:
        with self._lock:
            self.documents[snapshot.name] = snapshot

    def document(self, name: str) -> SectionSnapshot:
        """The document as last read in this run (read now when it was not)."""
        with self._lock:
            known = self.documents.get(name)
        if known is not None:
            return known
        read = self._client().read_section(name)
        snapshot = SectionSnapshot(name=name, body=read.body, etag=read.etag)
        self.remember(snapshot)
        return snapshot

    def forget(self, name: str) -> None:
        """Whatever a PUT of ``name`` did, the next write of it reads it again."""
        with self._lock:
            self.documents.pop(name, None)

    def _client(self) -> SalesbuildrClient:
        if self.client is None:
            raise UsageError(
                "this plan writes to Salesbuildr but no Salesbuildr connection is set up"
            )
        return self.client

    # -- the writer's interface ------------------------------------------------------------------

    def writes(self, change: Change) -> Stages:
        raise UsageError(f"{change.kind} is not an Autotask kind")

    def removal_writes(self, change: Change) -> Stages:
        raise UsageError(f"{change.kind} is removed with its Salesbuildr document")

    def remaining_requests(self) -> int | None:
        return None

    def window_need(
        self, changes: Sequence[Change], *, check_stale: bool
    ) -> RequestWindowNeed | None:
        return window_need(self.client, self.pages, changes, check_stale=check_stale)

    def leading_ops(self, changes: Sequence[Change]) -> list[WriteOp]:
        """The receiver's secret: written before the documents of the sections."""
        return [self._receiver_op(c) for c in changes if c.kind == RECEIVER_KIND]

    def section_op(self, section: str, group: Sequence[Change]) -> WriteOp | None:
        """The PUT of ``section``'s document carrying the Salesbuildr-owned changes of it."""
        mapped = [c for c in group if c.owner == OWNER and c.kind != RECEIVER_KIND]
        document = self.pages.document_of(section)
        if not mapped or document is None:
            return None
        return self._document_op(section, document, mapped)

    # -- the writes ----------------------------------------------------------------------------

    def _receiver_op(self, change: Change) -> WriteOp:
        client = self._client()

        def run(journal: Journal) -> None:
            value = self.secret(change, "secret")
            current = self.document(RECEIVER_DOCUMENT)
            resolved(
                lambda: client.write_section(RECEIVER_DOCUMENT, {"secret": value}, current.etag),
                check=lambda: bool(client.read_section(RECEIVER_DOCUMENT).body.get("secretSet")),
                journal=journal,
                record=WriteRecord(
                    change.address, "update", "PUT settings/webhook-receiver (secret)", "ok"
                ),
            )
            self.forget(RECEIVER_DOCUMENT)

        return WriteOp("setting the webhook receiver secret", run, (change.address,))

    def _document_op(self, section: str, document: str, group: Sequence[Change]) -> WriteOp:
        def run(journal: Journal) -> None:
            current = self.document(document)
            body = self.pages.apply_changes(section, current.body, group)
            self.put(document, body, current.etag, [c.address for c in group], journal)

        return WriteOp(
            f"writing Salesbuildr settings: {document}", run, tuple(c.address for c in group)
        )

    def put(
        self,
        name: str,
        body: Mapping[str, Any],
        etag: str,
        addresses: Sequence[str],
        journal: Journal,
    ) -> None:
        """One PUT, one journal record listing every address it carries."""
        record = WriteRecord(
            self.observed_key(name),
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
        client = self._client()
        self.forget(name)  # whatever happens, the next write reads it again
        try:
            client.write_section(name, body, etag)
        except UnknownOutcome:
            now = client.read_section(name)
            if subset(body, now.body):
                return "adopted"
            if now.etag != etag:
                raise ConflictError(
                    f"the Salesbuildr settings section '{name}' changed while we wrote it",
                    system=OWNER,
                    method="PUT",
                    path=f"/integration/{client.integration}/settings/{name}",
                    status=412,
                ) from None
            client.write_section(name, body, etag)
        return "ok"
