"""Start a PSA simulator and the Salesbuildr simulator on loopback, wired to each other.

What ``reconcile sandbox`` runs. The Salesbuildr simulator starts first, so its receiver URL
(``<url>/webhooks/<psa>``) is known when the PSA simulator is built: PSA webhooks created without an
explicit URL then call back into the Salesbuildr side, and the whole loop (install -> event ->
delivery report) runs on one machine. :class:`Sandbox` holds both servers and the environment a
client needs (CLI.md "reconcile sandbox"); printing it and handling signals is the CLI's job.

The registry (the launcher hook)
--------------------------------
This package imports no simulator: :data:`PSA_SIMULATORS` maps a PSA's name to a
``"module:factory"`` string, resolved only when that PSA's sandbox starts. ``factory()`` returns
an object satisfying :class:`PsaSimulatorHook`:

* ``name``, ``seeds`` (``("empty", "demo", "large")``) and ``env_names``, the PSA's variables in
  the order ``export`` lines print them (the Salesbuildr ones follow);
* ``random_credentials()``: fresh secrets of one start, an object that also carries
  ``salesbuildr_api_key`` and ``salesbuildr_webhook_secret`` (:class:`SandboxSecrets`);
* ``build(options, credentials, receiver_url=...)``: the simulator (:class:`Simulator`: ``app``,
  ``close()``, ``stats()``, ``reset(seed)``), not yet serving;
* ``env(server_url, credentials)``: ``{name: value}`` for exactly ``env_names``.

The Salesbuildr simulator is reached the same way (:data:`SALESBUILDR_SIMULATOR`,
:class:`SalesbuildrHook`). A ConnectWise or HaloPSA simulator adds one line,
``"connectwise": "reconciler.sandbox.connectwise:sandbox_hook"`` (or calls
:func:`register_simulator` before starting), and ``start_sandbox(psa="connectwise")`` starts it.
"""

from __future__ import annotations

import importlib
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from starlette.types import ASGIApp

from reconciler.sandbox.common.server import LOOPBACK, RunningServer, serve_in_thread

PSA_SIMULATORS: dict[str, str] = {
    "autotask": "reconciler.sandbox.autotask:sandbox_hook",
}
"""PSA name -> ``"module:factory"`` of its simulator's launcher hook."""

SALESBUILDR_SIMULATOR: Final = "reconciler.sandbox.salesbuildr:sandbox_hook"
DEFAULT_PSA: Final = "autotask"


class SandboxSecrets(Protocol):
    """What every PSA's sandbox credentials carry besides the PSA's own secrets."""

    @property
    def salesbuildr_api_key(self) -> str: ...

    @property
    def salesbuildr_webhook_secret(self) -> str: ...


class Simulator(Protocol):
    """A simulator as the launcher sees it: an ASGI app and its lifecycle."""

    @property
    def app(self) -> ASGIApp: ...

    def close(self) -> None: ...

    def stats(self) -> dict[str, Any]: ...

    def reset(self, seed: str) -> None: ...


@dataclass(frozen=True)
class LaunchOptions:
    """What one start asks of every simulator (the ``reconcile sandbox`` options)."""

    seed: str = "demo"
    latency_ms: float = 0.0
    faults: Mapping[str, float] | None = None
    rng_seed: int = 0


class PsaSimulatorHook(Protocol):
    """What a PSA simulator package gives the launcher (see the module docstring)."""

    @property
    def name(self) -> str: ...

    @property
    def seeds(self) -> tuple[str, ...]: ...

    @property
    def env_names(self) -> tuple[str, ...]: ...

    def random_credentials(self) -> SandboxSecrets: ...

    def build(
        self, options: LaunchOptions, credentials: SandboxSecrets, *, receiver_url: str
    ) -> Simulator: ...

    def env(self, server_url: str, credentials: SandboxSecrets) -> dict[str, str]: ...


class SalesbuildrHook(Protocol):
    """What the Salesbuildr simulator package gives the launcher."""

    @property
    def env_names(self) -> tuple[str, ...]: ...

    def build(self, options: LaunchOptions, credentials: SandboxSecrets) -> Simulator: ...

    def receiver_path(self, psa: str) -> str: ...

    def env(self, server_url: str, credentials: SandboxSecrets) -> dict[str, str]: ...


def register_simulator(psa: str, target: str) -> None:
    """Make ``start_sandbox(psa=psa)`` start the simulator whose hook ``target`` names."""
    module, sep, factory = target.partition(":")
    if not sep or not module or not factory:
        raise ValueError(f"simulator {target!r}: expected 'module:factory'")
    known = PSA_SIMULATORS.get(psa)
    if known is not None and known != target:
        raise ValueError(f"a simulator of {psa!r} is registered already: {known}")
    PSA_SIMULATORS[psa] = target


def _resolve(target: str) -> Any:
    module_name, _, factory = target.partition(":")
    return getattr(importlib.import_module(module_name), factory)()


def psa_hook(psa: str) -> PsaSimulatorHook:
    """The launcher hook of ``psa``'s simulator (ValueError for a PSA without one)."""
    target = PSA_SIMULATORS.get(psa)
    if target is None:
        known = ", ".join(sorted(PSA_SIMULATORS))
        raise ValueError(f"no simulator of the PSA {psa!r}; simulators: {known}")
    hook: PsaSimulatorHook = _resolve(target)
    return hook


def salesbuildr_hook() -> SalesbuildrHook:
    hook: SalesbuildrHook = _resolve(SALESBUILDR_SIMULATOR)
    return hook


def shell_quote(value: str) -> str:
    """``'value'`` for a POSIX shell: single quotes, an embedded ``'`` written as ``'"'"'``."""
    return "'" + value.replace("'", "'\"'\"'") + "'"


@dataclass
class Sandbox:
    """The running PSA and Salesbuildr simulators and the environment that points a client at them.

    ``env`` holds exactly :attr:`env_names`. The PSA's simulator and server are also reachable by
    the PSA's name: ``sandbox.autotask``, ``sandbox.autotask_server`` when ``psa`` is autotask.
    Call :meth:`stop` when done (tests: in a fixture).
    """

    env: dict[str, str]
    credentials: Any = field(repr=False)
    psa_simulator: Any = field(repr=False)
    salesbuildr: Any = field(repr=False)
    psa_server: RunningServer
    salesbuildr_server: RunningServer
    psa: str = DEFAULT_PSA
    env_names: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        # Only called for names the dataclass does not have: the PSA's own names.
        psa = self.__dict__.get("psa")
        if psa is not None and name == psa:
            return self.__dict__["psa_simulator"]
        if psa is not None and name == f"{psa}_server":
            return self.__dict__["psa_server"]
        raise AttributeError(name)

    def export_lines(self) -> list[str]:
        """``export NAME='value'`` for every variable, in :attr:`env_names` order."""
        return [f"export {name}={shell_quote(self.env[name])}" for name in self.env_names]

    def stop(self) -> None:
        """Stop both servers, once the PSA side has sent the callouts it had queued."""
        self.psa_simulator.close()
        self.salesbuildr.close()
        other = threading.Thread(target=self.psa_server.stop, name="sandbox-stop")
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


def _psa_port(psa: str, port_psa: int, named: Mapping[str, int]) -> int:
    """``port_psa``, or the same given by the PSA's name (``port_autotask=``, as the CLI does)."""
    extra = set(named) - {f"port_{psa}"}
    if extra:
        raise TypeError(f"start_sandbox() got unexpected keyword arguments: {sorted(extra)}")
    return named.get(f"port_{psa}", 0) or port_psa


def start_sandbox(
    *,
    psa: str = DEFAULT_PSA,
    seed: str = "demo",
    latency_ms: float = 0.0,
    faults: Mapping[str, float] | None = None,
    port_psa: int = 0,
    port_salesbuildr: int = 0,
    credentials: SandboxSecrets | None = None,
    rng_seed: int = 0,
    **port_by_name: int,
) -> Sandbox:
    """Start the Salesbuildr and ``psa``'s simulators on loopback (free ports when 0).

    ``faults`` (``{"429": 0.1}``, see :func:`reconciler.sandbox.common.parse_faults`) and
    ``latency_ms`` apply to both. ``port_<psa>=`` (``port_autotask=``) is ``port_psa``. Raises
    ValueError for an unknown PSA, seed or fault or one port given for both, RuntimeError when a
    server cannot start (a port in use); nothing is left running then.
    """
    port = _psa_port(psa, port_psa, port_by_name)
    hook = psa_hook(psa)
    if seed not in hook.seeds:
        raise ValueError(f"unknown seed {seed!r}; expected one of {', '.join(hook.seeds)}")
    if port and port == port_salesbuildr:
        raise ValueError(f"both simulators cannot listen on port {port}")
    for wanted in (port, port_salesbuildr):
        _check_free(wanted)
    sb_hook = salesbuildr_hook()
    creds = credentials or hook.random_credentials()
    options = LaunchOptions(seed=seed, latency_ms=latency_ms, faults=faults, rng_seed=rng_seed)
    salesbuildr = sb_hook.build(options, creds)
    sb_server = serve_in_thread(salesbuildr.app, port=port_salesbuildr)
    try:
        receiver_url = sb_server.url + sb_hook.receiver_path(psa)
        simulator = hook.build(options, creds, receiver_url=receiver_url)
        psa_server = serve_in_thread(simulator.app, port=port)
    except BaseException:
        salesbuildr.close()
        sb_server.stop()
        raise
    env = {**hook.env(psa_server.url, creds), **sb_hook.env(sb_server.url, creds)}
    return Sandbox(
        env=env,
        credentials=creds,
        psa_simulator=simulator,
        salesbuildr=salesbuildr,
        psa_server=psa_server,
        salesbuildr_server=sb_server,
        psa=psa,
        env_names=(*hook.env_names, *sb_hook.env_names),
    )
