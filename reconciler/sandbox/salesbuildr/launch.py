"""What the launcher (:mod:`reconciler.sandbox.common.launcher`) needs of the Salesbuildr simulator.

Named by :data:`~reconciler.sandbox.common.launcher.SALESBUILDR_SIMULATOR`: one Salesbuildr
tenant serves every PSA's settings documents, so the same hook starts beside any PSA simulator.
"""

from __future__ import annotations

from typing import Final

from reconciler.sandbox.common import LaunchOptions, SandboxSecrets
from reconciler.sandbox.salesbuildr.app import API_PREFIX, SalesbuildrSimulator
from reconciler.sandbox.salesbuildr.receiver import receiver_path

ENV_NAMES: Final = ("SALESBUILDR_API_URL", "SALESBUILDR_API_KEY", "SALESBUILDR_WEBHOOK_SECRET")


class SalesbuildrSandboxHook:
    """The Salesbuildr simulator's hook (:class:`~reconciler.sandbox.common.SalesbuildrHook`)."""

    env_names: Final = ENV_NAMES

    def build(self, options: LaunchOptions, credentials: SandboxSecrets) -> SalesbuildrSimulator:
        return SalesbuildrSimulator(
            api_key=credentials.salesbuildr_api_key,
            seed=options.seed,
            webhook_secret=credentials.salesbuildr_webhook_secret,
            latency_ms=options.latency_ms,
            faults=options.faults,
            rng_seed=options.rng_seed,
        )

    def receiver_path(self, psa: str) -> str:
        return receiver_path(psa)

    def env(self, server_url: str, credentials: SandboxSecrets) -> dict[str, str]:
        return {
            "SALESBUILDR_API_URL": server_url + API_PREFIX,
            "SALESBUILDR_API_KEY": credentials.salesbuildr_api_key,
            "SALESBUILDR_WEBHOOK_SECRET": credentials.salesbuildr_webhook_secret,
        }


def sandbox_hook() -> SalesbuildrSandboxHook:
    """The factory :data:`~reconciler.sandbox.common.launcher.SALESBUILDR_SIMULATOR` names."""
    return SalesbuildrSandboxHook()
