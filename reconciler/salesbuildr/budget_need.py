"""What an apply still needs of Salesbuildr's rolling window, counted from the changes.

At least: one PUT per settings document the changes touch (``documents_touched``, as the writer
sends them), the lock's release, and the re-reads of every document of the touched sections by
the stale check and by the verification (``documents_for``, as ``session.read_live`` reads
them). Pages of reference tables a saved plan's stale check reads are not counted: a lower bound
refuses only what cannot fit.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.psa.system import SettingsDocuments
from reconciler.salesbuildr.client import SalesbuildrClient
from reconciler.writes import Change, RequestWindowNeed

LOCK_RELEASE = 1


def window_need(
    client: SalesbuildrClient | None,
    pages: SettingsDocuments,
    changes: Sequence[Change],
    *,
    check_stale: bool,
) -> RequestWindowNeed | None:
    """None when there is no client or no answer has told what is left."""
    seen = client.window if client is not None else None
    if seen is None:
        return None
    touched = {name for change in changes for name in pages.documents_touched(change)}
    sections = sorted({change.section for change in changes})
    reads = len(pages.documents_for(sections)) * (2 if check_stale else 1)
    return RequestWindowNeed(
        title="Salesbuildr",
        writes=len(touched) + LOCK_RELEASE,
        rereads=reads,
        remaining=seen.remaining,
        window_s=seen.window_s,
        retry_at=seen.retry_at,
    )
