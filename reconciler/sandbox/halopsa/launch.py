"""What the launcher (:mod:`reconciler.sandbox.common.launcher`) needs of the HaloPSA simulator.

The PSA's entry point names it (``reconciler.sandbox.halopsa:sandbox_hook``) and ``reconcile
sandbox --psa halopsa`` registers it: the credentials of one start, the simulator built from
the launch options, and the ``HALOPSA_*`` lines ``reconcile sandbox`` prints (the Salesbuildr
simulator adds the ``SALESBUILDR_*`` ones). Halo webhooks are given their URL by the
client (Salesbuildr's receiver, from its settings), so the receiver URL is not the simulator's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final

from reconciler.sandbox.common import LaunchOptions, SandboxSecrets
from reconciler.sandbox.halopsa.app import TOKEN_PATH, HaloSimulator
from reconciler.sandbox.halopsa.auth import HaloCredentials
from reconciler.sandbox.halopsa.seed import SEED_NAMES

PSA_ENV_NAMES: Final = (
    "HALOPSA_URL",
    "HALOPSA_AUTH_URL",
    "HALOPSA_CLIENT_ID",
    "HALOPSA_CLIENT_SECRET",
)
"""The HaloPSA variables of a sandbox, in the order its ``export`` lines print them (a
self-hosted tenant: no ``HALOPSA_TENANT``)."""


@dataclass(frozen=True)
class HaloSandboxCredentials:
    """Every secret of one HaloPSA sandbox start; :meth:`random` makes fresh ones."""

    client_id: str
    client_secret: str
    salesbuildr_api_key: str
    salesbuildr_webhook_secret: str

    @classmethod
    def random(cls) -> HaloSandboxCredentials:
        return cls(
            client_id=f"sandbox-{secrets.token_hex(8)}",
            client_secret=secrets.token_urlsafe(32),
            salesbuildr_api_key=secrets.token_urlsafe(32),
            salesbuildr_webhook_secret=secrets.token_urlsafe(32),
        )

    def application(self) -> HaloCredentials:
        """The API application the simulator accepts (Salesbuildr's scopes)."""
        return HaloCredentials(client_id=self.client_id, client_secret=self.client_secret)


def _ours(credentials: SandboxSecrets) -> HaloSandboxCredentials:
    if not isinstance(credentials, HaloSandboxCredentials):
        raise TypeError("the HaloPSA sandbox takes HaloSandboxCredentials")
    return credentials


class HaloSandboxHook:
    """The HaloPSA simulator's hook (:class:`~reconciler.sandbox.common.PsaSimulatorHook`)."""

    name: Final = "halopsa"
    seeds: Final = SEED_NAMES
    env_names: Final = PSA_ENV_NAMES

    def random_credentials(self) -> HaloSandboxCredentials:
        return HaloSandboxCredentials.random()

    def build(
        self, options: LaunchOptions, credentials: SandboxSecrets, *, receiver_url: str
    ) -> HaloSimulator:
        return HaloSimulator(
            credentials=_ours(credentials).application(),
            seed=options.seed,
            latency_ms=options.latency_ms,
            faults=options.faults,
            rng_seed=options.rng_seed,
        )

    def env(self, server_url: str, credentials: SandboxSecrets) -> dict[str, str]:
        creds = _ours(credentials)
        base = server_url.rstrip("/")
        return {
            "HALOPSA_URL": base,
            "HALOPSA_AUTH_URL": base + TOKEN_PATH.removesuffix("/token"),
            "HALOPSA_CLIENT_ID": creds.client_id,
            "HALOPSA_CLIENT_SECRET": creds.client_secret,
        }


def sandbox_hook() -> HaloSandboxHook:
    """The factory the HaloPSA entry point's ``SandboxHooks.launcher`` names."""
    return HaloSandboxHook()
