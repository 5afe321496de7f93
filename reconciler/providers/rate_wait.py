"""How long one run may wait out a Salesbuildr 429 (its ``Retry-After``) before it stops.

The process's setting, like the page ceiling: the global option ``reconcile --max-rate-wait S``
(or ``RECONCILE_MAX_RATE_WAIT`` in the real environment) sets it for one command; never the YAML.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from reconciler.envvars import DEFAULT_MAX_RATE_WAIT

_cap = {"seconds": DEFAULT_MAX_RATE_WAIT}


def rate_wait_cap() -> float:
    """The longest Retry-After this process waits out (the CLI's ``--max-rate-wait``)."""
    return _cap["seconds"]


@contextmanager
def rate_wait_cap_set(seconds: float | None) -> Iterator[float]:
    """Use ``seconds`` (None: the default) as the cap while the block runs."""
    if seconds is not None and seconds < 0:
        raise ValueError("the rate-wait cap cannot be negative")
    before = _cap["seconds"]
    _cap["seconds"] = DEFAULT_MAX_RATE_WAIT if seconds is None else seconds
    try:
        yield _cap["seconds"]
    finally:
        _cap["seconds"] = before
