"""The ConnectWise Manage simulator: the other side of the wire for the ConnectWise client.

It imports only :mod:`reconciler.sandbox.common` (and its own modules): the simulator follows the
vendor document and the fact sheet, never our client. Entry points:

* :func:`create_app` ``(seed, credentials=..., latency_ms=, faults=, rate_cap=, ...)`` -> the
  simulator, an ASGI app (``serve_in_thread(create_app("demo"))``);
* :data:`SEEDS` (``empty``, ``demo``, ``large``);
* :func:`export_lines` ``(base_url, credentials)`` -> the ``export CONNECTWISE_*=...`` lines;
* :func:`sandbox_hook` -> the launcher's hook (``reconcile sandbox --psa connectwise``).
"""

from reconciler.sandbox.connectwise.app import (
    OUT_OF_SUBSET_ROUTES,
    ConnectWiseSimulator,
    create_app,
)
from reconciler.sandbox.connectwise.launch import SandboxCredentials, sandbox_hook
from reconciler.sandbox.connectwise.seed import SEEDS
from reconciler.sandbox.connectwise.wire import (
    API_BASE_PATH,
    EXPORT_NAMES,
    ConnectWiseCredentials,
    RateCap,
    export_lines,
)

__all__ = [
    "API_BASE_PATH",
    "EXPORT_NAMES",
    "OUT_OF_SUBSET_ROUTES",
    "SEEDS",
    "ConnectWiseCredentials",
    "ConnectWiseSimulator",
    "RateCap",
    "SandboxCredentials",
    "create_app",
    "export_lines",
    "sandbox_hook",
]
