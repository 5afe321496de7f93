"""What the launcher (:mod:`reconciler.sandbox.common.launcher`) needs of the Autotask simulator.

Registered in :data:`~reconciler.sandbox.common.launcher.PSA_SIMULATORS` as
``"autotask": "reconciler.sandbox.autotask:sandbox_hook"``: the credentials of one start, the
simulator built from the launch options, and the ``AUTOTASK_*`` lines ``reconcile sandbox``
prints (the Salesbuildr simulator adds the ``SALESBUILDR_*`` ones).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final

from reconciler.sandbox.autotask.app import BASE_PATH, AutotaskSimulator
from reconciler.sandbox.autotask.auth import AutotaskCredentials
from reconciler.sandbox.autotask.seed import SEEDS
from reconciler.sandbox.common import LaunchOptions, SandboxSecrets

PSA_ENV_NAMES: Final = (
    "AUTOTASK_API_URL",
    "AUTOTASK_API_USERNAME",
    "AUTOTASK_API_SECRET",
    "AUTOTASK_API_INTEGRATION_CODE",
)
ENV_NAMES: Final = (
    *PSA_ENV_NAMES,
    "SALESBUILDR_API_URL",
    "SALESBUILDR_API_KEY",
    "SALESBUILDR_WEBHOOK_SECRET",
)
"""Every variable of an Autotask sandbox, in the order its ``export`` lines print them."""


@dataclass(frozen=True)
class SandboxCredentials:
    """Every secret of one Autotask sandbox start. :meth:`random` makes fresh ones (the default)."""

    autotask_username: str
    autotask_secret: str
    autotask_integration_code: str
    salesbuildr_api_key: str
    salesbuildr_webhook_secret: str

    @classmethod
    def random(cls) -> SandboxCredentials:
        return cls(
            autotask_username=f"api-{secrets.token_hex(4)}@acme-it.example",
            autotask_secret=secrets.token_urlsafe(24),
            autotask_integration_code=secrets.token_hex(14).upper(),
            salesbuildr_api_key=secrets.token_urlsafe(32),
            salesbuildr_webhook_secret=secrets.token_urlsafe(32),
        )

    def api_user(self) -> AutotaskCredentials:
        """The API user the simulator accepts."""
        return AutotaskCredentials(
            username=self.autotask_username,
            secret=self.autotask_secret,
            integration_code=self.autotask_integration_code,
        )


def _ours(credentials: SandboxSecrets) -> SandboxCredentials:
    if not isinstance(credentials, SandboxCredentials):
        raise TypeError("the Autotask sandbox takes reconciler.sandbox.autotask.SandboxCredentials")
    return credentials


class AutotaskSandboxHook:
    """The Autotask simulator's hook (:class:`~reconciler.sandbox.common.PsaSimulatorHook`)."""

    name: Final = "autotask"
    seeds: Final = SEEDS
    env_names: Final = PSA_ENV_NAMES

    def random_credentials(self) -> SandboxCredentials:
        return SandboxCredentials.random()

    def build(
        self, options: LaunchOptions, credentials: SandboxSecrets, *, receiver_url: str
    ) -> AutotaskSimulator:
        return AutotaskSimulator(
            credentials=_ours(credentials).api_user(),
            seed=options.seed,
            latency_ms=options.latency_ms,
            faults=options.faults,
            receiver_url=receiver_url,
            webhook_secret=credentials.salesbuildr_webhook_secret,
            rng_seed=options.rng_seed,
        )

    def env(self, server_url: str, credentials: SandboxSecrets) -> dict[str, str]:
        creds = _ours(credentials)
        return {
            "AUTOTASK_API_URL": server_url + BASE_PATH,
            "AUTOTASK_API_USERNAME": creds.autotask_username,
            "AUTOTASK_API_SECRET": creds.autotask_secret,
            "AUTOTASK_API_INTEGRATION_CODE": creds.autotask_integration_code,
        }


def sandbox_hook() -> AutotaskSandboxHook:
    """The factory :data:`~reconciler.sandbox.common.launcher.PSA_SIMULATORS` names."""
    return AutotaskSandboxHook()
