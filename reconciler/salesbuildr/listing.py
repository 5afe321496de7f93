"""The pages of a Salesbuildr listing after its first, fetched together once the first told the
total (at most ``concurrency`` at once, never more than the page ceiling allows)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reconciler.transport.paging import PageGuard


def pages_together(
    fetch: Callable[[int], dict[str, Any]],
    guard: PageGuard,
    start: int,
    total: int,
    results: list[Any],
    *,
    concurrency: int,
) -> Generator[dict[str, Any], None, tuple[int, list[Any]]]:
    """The pages after the first, fetched at once (``concurrency``); returns where the listing
    stands: the next offset and the last page's rows."""
    step = len(results)  # the server's own page size (it may cap ours)
    # Within the ceiling only: one page past it is left to the sequential read after,
    # which the guard then stops.
    # (The range is sliced before it is listed: a hostile total of 10**9 costs nothing.)
    offsets = list(range(start, total, step)[: max(guard.max_pages - 1, 0)])
    with ThreadPoolExecutor(concurrency) as pool:
        futures = [pool.submit(fetch, offset) for offset in offsets]
        try:
            for offset, future in zip(offsets, futures, strict=True):
                results = future.result()["results"]
                yield from guard.page(results)
                start = offset + len(results)
                if not results or len(results) < step:
                    break  # a short page mid-listing: continue from exactly where it ended
        finally:
            for future in futures:
                future.cancel()
    return start, results
