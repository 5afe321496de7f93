"""The Salesbuildr settings documents of the Autotask pages
(:class:`reconciler.psa.system.SettingsDocuments`): the section specs of
:mod:`reconciler.salesbuildr.state`, and the receiver URL the webhook rules compare with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.kinds.catalog import Catalog, NameTable
from reconciler.kinds.tables import RECEIVER_URL
from reconciler.salesbuildr import state as sb_state
from reconciler.salesbuildr.client import SalesbuildrClient
from reconciler.state import Resource, SectionSnapshot
from reconciler.writes import Change


class AutotaskDocuments:
    integration = "autotask"

    def documents_for(self, sections: Sequence[str]) -> list[str]:
        return sb_state.documents_for(sections)

    def document_of(self, section: str) -> str | None:
        spec = sb_state.SECTIONS.get(section)
        return spec.name if spec is not None else None

    def documents_touched(self, change: Change) -> tuple[str, ...]:
        return sb_state.documents_touched(change)

    def live(
        self,
        sections: Sequence[str],
        documents: Mapping[str, SectionSnapshot],
        catalog: Catalog,
    ) -> list[Resource]:
        receiver = documents.get("webhook-receiver")
        if receiver is not None:
            catalog.facts[RECEIVER_URL] = receiver.body.get("url")
        live: list[Resource] = []
        for section in sections:
            spec = sb_state.SECTIONS.get(section)
            if spec is not None and spec.name in documents:
                live.extend(sb_state.section_resources(section, documents[spec.name].body, catalog))
        return live

    def apply_changes(
        self, section: str, body: Mapping[str, Any], changes: Sequence[Change]
    ) -> dict[str, Any]:
        return sb_state.apply_changes(section, body, changes)

    def read_table(self, client: SalesbuildrClient, name: str) -> NameTable | None:
        return sb_state.read_table(client, name)


DOCUMENTS = AutotaskDocuments()
