"""Live settings -> a ``mappings.yaml`` that plans to zero changes (``reconcile export``).

Export builds data and dumps it with PyYAML: :mod:`.sections` turns the live state into the
sections' data plus a side-table of comments keyed by path; :mod:`.document` dumps the data and
adds the comments in a post-pass (its docstring says how, and why lines can be keyed by path).
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.export.document import render
from reconciler.export.sections import (
    RECEIVER_SECRET_VARIABLE,
    Exported,
    export_sections,
    row_problem,
    unusable,
)
from reconciler.kinds.catalog import Catalog
from reconciler.psa.autotask.kinds.registry import SECTIONS
from reconciler.state import State

__all__ = [
    "RECEIVER_SECRET_VARIABLE",
    "Exported",
    "export_sections",
    "export_yaml",
    "row_problem",
    "unusable",
]


def export_yaml(
    state: State,
    catalog: Catalog,
    *,
    sections: Sequence[str],
    header: Sequence[str] = (),
) -> str:
    """The YAML document: the ``header`` as comments, then the chosen sections."""
    exported = export_sections(state, catalog, sections)
    return render(exported.sections, exported.comments, order=SECTIONS, header=header)
