"""``reconcile export --psa connectwise``: the live sections (:mod:`.export`) as the document the
core renders, with what a file cannot state said in the header (each note escaped: it quotes
live names, and a comment line must stay one line)."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.export.document import Comments, render
from reconciler.kinds.catalog import Catalog
from reconciler.psa.connectwise.config import PSA, SECTIONS
from reconciler.psa.connectwise.export import export_sections
from reconciler.render.escape import terminal
from reconciler.state import State


def export_yaml(
    state: State, catalog: Catalog, sections: Sequence[str], header: Sequence[str]
) -> str:
    exported = export_sections(state, catalog, sections)
    notes = [f"left out: {terminal(note)}" for note in exported.notes]
    lines = [*header, *notes, ""] if notes else list(header)
    return render(exported.sections, Comments(), order=SECTIONS, header=lines, psa=PSA)
