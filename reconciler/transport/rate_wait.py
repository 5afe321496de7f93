"""How long one run may wait out a Salesbuildr 429 (its ``Retry-After``) before it stops.

The process's setting, like the page ceiling: the global option ``reconcile --max-rate-wait S``
(or ``RECONCILE_MAX_RATE_WAIT`` in the real environment) sets it for one command; never the YAML.
"""

from __future__ import annotations

from reconciler.envvars import MAX_RATE_WAIT


def rate_wait_cap() -> float:
    """The longest Retry-After this process waits out (the CLI's ``--max-rate-wait``)."""
    return MAX_RATE_WAIT.get()


rate_wait_cap_set = MAX_RATE_WAIT.using
"""Use ``seconds`` (None: the default) as the cap while the block runs."""
