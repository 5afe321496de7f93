"""Live settings -> a mappings YAML that plans to zero changes (``reconcile export``).

Each PSA's exporter (``Psa.export``; Autotask's in psa/autotask/export.py) turns the live state
into its sections' data plus a side-table of comments keyed by path; :mod:`.document` dumps the
data with PyYAML and adds the comments in a post-pass (its docstring says how, and why lines
can be keyed by path).
"""

from __future__ import annotations

from reconciler.export.document import render

__all__ = ["render"]
