"""Start both simulators on loopback, wired to each other: what ``reconcile sandbox`` runs.

The Salesbuildr simulator starts first, so its receiver URL (``<url>/webhooks/autotask``) is known
when the Autotask simulator is built: Autotask webhooks created without an explicit URL then call
back into the Salesbuildr side, and the whole loop (install -> event -> delivery report) runs on
one machine. :class:`Sandbox` holds both servers and the environment a client needs
(CLI.md "reconcile sandbox"); printing it and handling signals is the CLI's job.
"""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.sandbox.autotask import AutotaskCredentials, AutotaskSimulator
from reconciler.sandbox.salesbuildr import API_PREFIX, SalesbuildrSimulator
from reconciler.sandbox.salesbuildr_settings import RECEIVER_PATH
from reconciler.sandbox.server import LOOPBACK, RunningServer, serve_in_thread

AUTOTASK_BASE_PATH = "/atservicesrest"
ENV_NAMES = (
    "AUTOTASK_API_URL",
    "AUTOTASK_API_USERNAME",
    "AUTOTASK_API_SECRET",
    "AUTOTASK_API_INTEGRATION_CODE",
    "SALESBUILDR_API_URL",
    "SALESBUILDR_API_KEY",
    "SALESBUILDR_WEBHOOK_SECRET",
)


@dataclass(frozen=True)
class SandboxCredentials:
    """Every secret of one sandbox start. :meth:`random` makes fresh ones (the default)."""

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


def shell_quote(value: str) -> str:
    """``'value'`` for a POSIX shell: single quotes, an embedded ``'`` written as ``'"'"'``."""
    return "'" + value.replace("'", "'\"'\"'") + "'"


@dataclass
class Sandbox:
    """Both running simulators and the environment that points a client at them.

    ``env`` holds exactly :data:`ENV_NAMES`. Call :meth:`stop` when done (tests: in a fixture).
    """

    env: dict[str, str]
    credentials: SandboxCredentials = field(repr=False)
    autotask: AutotaskSimulator = field(repr=False)
    salesbuildr: SalesbuildrSimulator = field(repr=False)
    autotask_server: RunningServer
    salesbuildr_server: RunningServer

    def export_lines(self) -> list[str]:
        """``export NAME='value'`` for every variable, in :data:`ENV_NAMES` order."""
        return [f"export {name}={shell_quote(self.env[name])}" for name in ENV_NAMES]

    def stop(self) -> None:
        """Stop both servers, once the Autotask side has sent the callouts it had queued."""
        self.autotask.close()
        self.salesbuildr.close()
        other = threading.Thread(target=self.autotask_server.stop, name="sandbox-stop")
        other.start()
        self.salesbuildr_server.stop()
        other.join()


def _check_free(port: int) -> None:
    """Refuse a busy port before anything starts (uvicorn would only log it from its thread)."""
    if not port:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((LOOPBACK, port))
        except OSError as exc:
            raise RuntimeError(f"port {port} on {LOOPBACK} is not free: {exc.strerror}") from None


def start_sandbox(
    *,
    seed: str = "demo",
    latency_ms: float = 0.0,
    faults: Mapping[str, float] | None = None,
    port_autotask: int = 0,
    port_salesbuildr: int = 0,
    credentials: SandboxCredentials | None = None,
    rng_seed: int = 0,
) -> Sandbox:
    """Start the Salesbuildr and Autotask simulators on loopback (free ports when 0).

    ``faults`` (``{"429": 0.1}``, see :func:`reconciler.sandbox.common.parse_faults`) and
    ``latency_ms`` apply to both. Raises ValueError for an unknown seed or fault or one port given
    for both, RuntimeError when a server cannot start (a port in use); nothing is left running
    then.
    """
    if port_autotask and port_autotask == port_salesbuildr:
        raise ValueError(f"both simulators cannot listen on port {port_autotask}")
    for port in (port_autotask, port_salesbuildr):
        _check_free(port)
    creds = credentials or SandboxCredentials.random()
    salesbuildr = SalesbuildrSimulator(
        api_key=creds.salesbuildr_api_key,
        seed=seed,
        webhook_secret=creds.salesbuildr_webhook_secret,
        latency_ms=latency_ms,
        faults=faults,
        rng_seed=rng_seed,
    )
    sb_server = serve_in_thread(salesbuildr.app, port=port_salesbuildr)
    try:
        autotask = AutotaskSimulator(
            credentials=AutotaskCredentials(
                username=creds.autotask_username,
                secret=creds.autotask_secret,
                integration_code=creds.autotask_integration_code,
            ),
            seed=seed,
            latency_ms=latency_ms,
            faults=faults,
            receiver_url=sb_server.url + RECEIVER_PATH,
            webhook_secret=creds.salesbuildr_webhook_secret,
            rng_seed=rng_seed,
        )
        at_server = serve_in_thread(autotask.app, port=port_autotask)
    except BaseException:
        salesbuildr.close()
        sb_server.stop()
        raise
    env = {
        "AUTOTASK_API_URL": at_server.url + AUTOTASK_BASE_PATH,
        "AUTOTASK_API_USERNAME": creds.autotask_username,
        "AUTOTASK_API_SECRET": creds.autotask_secret,
        "AUTOTASK_API_INTEGRATION_CODE": creds.autotask_integration_code,
        "SALESBUILDR_API_URL": sb_server.url + API_PREFIX,
        "SALESBUILDR_API_KEY": creds.salesbuildr_api_key,
        "SALESBUILDR_WEBHOOK_SECRET": creds.salesbuildr_webhook_secret,
    }
    return Sandbox(
        env=env,
        credentials=creds,
        autotask=autotask,
        salesbuildr=salesbuildr,
        autotask_server=at_server,
        salesbuildr_server=sb_server,
    )
