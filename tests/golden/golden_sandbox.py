"""The sandbox of the golden tests: ``reconcile sandbox``'s simulators, minus chance.

It differs from a plain ``start_sandbox`` in two things only:
- fixed credentials (random ones would be echoed or redacted differently in every run);
- the Salesbuildr simulator's clock stands still at its start, so a job advances one status per
  poll (not also per 0.2 s of wall time: on a slow machine a poll would skip "running"), and its
  rate window and lock expiry do not move during a scenario.
The Autotask simulator is untouched (its hourly budget window does not move within a test).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from reconciler.sandbox.autotask import SandboxCredentials
from reconciler.sandbox.common import Sandbox, start_sandbox

CREDENTIALS = SandboxCredentials(
    autotask_username="api-golden@acme-it.example",
    autotask_secret="golden-autotask-secret-0123456789",
    autotask_integration_code="GOLDENINTEGRATIONCODE0123456",
    salesbuildr_api_key="golden-salesbuildr-api-key-0123456789abcdef",
    salesbuildr_webhook_secret="golden-webhook-secret-0123456789abcdef",
)

SandboxFactory = Callable[[str], Sandbox]


def start_golden_sandbox(seed: str) -> Sandbox:
    sandbox = start_sandbox(seed=seed, credentials=CREDENTIALS)
    frozen = time.time()
    sandbox.salesbuildr.clock = lambda: frozen
    return sandbox
