"""What the launcher (:mod:`reconciler.sandbox.common.launcher`) needs of the ConnectWise simulator.

Named by the PSA's entry point (``SandboxHooks(launcher="reconciler.sandbox.connectwise:
sandbox_hook")``): the credentials of one start, the simulator built from the launch options,
and the ``CONNECTWISE_*`` lines ``reconcile sandbox --psa connectwise`` prints (the Salesbuildr
simulator adds the ``SALESBUILDR_*`` ones). Callbacks carry their own URL, so the receiver URL
of the Salesbuildr side is not the simulator's to know: the engine installs callbacks pointing
at the URL Salesbuildr's ``callback-receiver`` document reports.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final

from reconciler.sandbox.common import LaunchOptions, SandboxSecrets
from reconciler.sandbox.connectwise.app import ConnectWiseSimulator
from reconciler.sandbox.connectwise.seed import SEEDS
from reconciler.sandbox.connectwise.wire import API_BASE_PATH, EXPORT_NAMES, ConnectWiseCredentials


@dataclass(frozen=True)
class SandboxCredentials:
    """Every secret of one ConnectWise sandbox start (:meth:`random`: fresh ones)."""

    connectwise: ConnectWiseCredentials
    salesbuildr_api_key: str
    salesbuildr_webhook_secret: str

    @classmethod
    def random(cls) -> SandboxCredentials:
        return cls(
            connectwise=ConnectWiseCredentials.random(),
            salesbuildr_api_key=secrets.token_urlsafe(32),
            salesbuildr_webhook_secret=secrets.token_urlsafe(32),
        )


def _ours(credentials: SandboxSecrets) -> SandboxCredentials:
    if not isinstance(credentials, SandboxCredentials):
        raise TypeError(
            "the ConnectWise sandbox takes reconciler.sandbox.connectwise.SandboxCredentials"
        )
    return credentials


class ConnectWiseSandboxHook:
    """The ConnectWise simulator's hook (:class:`~reconciler.sandbox.common.PsaSimulatorHook`)."""

    name: Final = "connectwise"
    seeds: Final = SEEDS
    env_names: Final = EXPORT_NAMES

    def random_credentials(self) -> SandboxCredentials:
        return SandboxCredentials.random()

    def build(
        self, options: LaunchOptions, credentials: SandboxSecrets, *, receiver_url: str
    ) -> ConnectWiseSimulator:
        return ConnectWiseSimulator(
            seed=options.seed,
            credentials=_ours(credentials).connectwise,
            latency_ms=options.latency_ms,
            faults=options.faults,
            rng_seed=options.rng_seed,
        )

    def env(self, server_url: str, credentials: SandboxSecrets) -> dict[str, str]:
        cw = _ours(credentials).connectwise
        values = (
            server_url.rstrip("/") + API_BASE_PATH,
            cw.company,
            cw.public_key,
            cw.private_key,
            cw.client_id,
        )
        return dict(zip(EXPORT_NAMES, values, strict=True))


def sandbox_hook() -> ConnectWiseSandboxHook:
    """The factory the PSA's ``SandboxHooks.launcher`` names."""
    return ConnectWiseSandboxHook()
