"""Where :data:`RECEIVER_URL` was (the Autotask webhook kind moved to psa/autotask/kinds/): kept
importable for a PSA package not yet rewritten by scripts/rewrite_imports.py; nothing else here."""

from __future__ import annotations

from reconciler.kinds.tables import RECEIVER_URL

__all__ = ["RECEIVER_URL"]
