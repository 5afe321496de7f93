"""The HaloPSA simulator: ``create_app(seed, credentials=...)``, its seeds, ``export_lines``, and
its launcher hook (:mod:`.launch`, ``reconcile sandbox --psa halopsa``).

It imports only :mod:`reconciler.sandbox.common` (and the standard libraries): it is the other side
of the wire and shares no code with the client it tests.
"""

from reconciler.sandbox.halopsa.app import (
    HaloSimulator,
    RateCap,
    create_app,
    export_lines,
)
from reconciler.sandbox.halopsa.auth import SALESBUILDR_SCOPES, HaloCredentials
from reconciler.sandbox.halopsa.launch import (
    PSA_ENV_NAMES,
    HaloSandboxCredentials,
    HaloSandboxHook,
    sandbox_hook,
)
from reconciler.sandbox.halopsa.seed import SEED_NAMES
from reconciler.sandbox.halopsa.spec import OUT_OF_SUBSET
from reconciler.sandbox.halopsa.webhooks import EVENTS, EVENTS_SOURCE

__all__ = [
    "EVENTS",
    "EVENTS_SOURCE",
    "OUT_OF_SUBSET",
    "PSA_ENV_NAMES",
    "SALESBUILDR_SCOPES",
    "SEED_NAMES",
    "HaloCredentials",
    "HaloSandboxCredentials",
    "HaloSandboxHook",
    "HaloSimulator",
    "RateCap",
    "create_app",
    "export_lines",
    "sandbox_hook",
]
