"""The clients of one run, opened one way (:func:`_open`) for a YAML, a saved plan or the
environment alone: every missing credential named at once, every URL checked before the first
request. The PSA's client is opened through its :class:`~reconciler.psa.base.PsaSystem` (the
registry's), never by importing its package."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler.config import LoadedConfig
from reconciler.errors import UsageError
from reconciler.hosts import shown
from reconciler.kinds.catalog import NameTable
from reconciler.kinds.constraints import EntityRules
from reconciler.plan import Plan
from reconciler.psa import registry
from reconciler.psa.base import PsaSystem, unsupported
from reconciler.salesbuildr.client import SalesbuildrClient, settings_from_env
from reconciler.salesbuildr.targets import salesbuildr_url
from reconciler.salesbuildr.writer import OWNER as SALESBUILDR_OWNER
from reconciler.transport.credentials import require_credentials


def psa_system(source: object | None = None) -> PsaSystem:
    """The run side of the PSA ``source`` (a config, a saved plan) names; the default's when
    it names none (``psa`` is read with ``getattr`` until the config and plan carry it)."""
    psa = registry.of(source)
    if psa.system is None:
        raise unsupported(psa, "plan or apply")
    return psa.system()


def documents_touched(plan: Plan) -> Callable[[Any], Sequence[str]]:
    """The Salesbuildr documents each change of ``plan`` writes (its PSA's pages)."""
    pages = psa_system(plan).documents

    def touched(change: Any) -> list[str]:  # their keys in the plan's observed ETags
        return [f"{SALESBUILDR_OWNER}:{name}" for name in pages.documents_touched(change)]

    return touched


@dataclass(frozen=True)
class _Named:
    """A source naming a PSA, for :func:`psa_system` (export names it by option)."""

    psa: str


@dataclass
class Connections:
    """The API clients of one run (either may be absent when no section needs it).

    ``psa_client`` is the PSA's client (whichever PSA the YAML names); ``system`` the PSA's
    run side (the default PSA's when not given)."""

    psa_client: Any | None = None
    salesbuildr: SalesbuildrClient | None = None
    tables: dict[str, NameTable] = field(default_factory=dict)
    """Reference tables already read in this run: reconcile never writes them, so the
    stale check and the verification after apply reuse them instead of reading them again."""
    metadata: dict[str, EntityRules] = field(default_factory=dict)
    """The PSA's field metadata and access per entity, read once a run (plan-time checks)."""
    system: PsaSystem | None = None

    @property
    def psa(self) -> PsaSystem:
        if self.system is None:
            self.system = psa_system()
        return self.system

    def close(self) -> None:
        for client in (self.psa_client, self.salesbuildr):
            if client is not None:
                client.close()

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def targets(self) -> dict[str, str]:
        found = {}
        if self.psa_client is not None:
            found[self.psa.owner] = self.psa.target(self.psa_client)
        if self.salesbuildr is not None:
            found[SALESBUILDR_OWNER] = self.salesbuildr.http.base_url.rstrip("/")
        return found

    def calls(self) -> dict[str, int]:
        counts = {}
        if self.psa_client is not None:
            counts[self.psa.owner] = int(self.psa_client.calls)
        if self.salesbuildr is not None:
            counts[SALESBUILDR_OWNER] = self.salesbuildr.calls
        return counts


@dataclass(frozen=True)
class Transports:
    """Test seam: injected httpx transports (vcrpy cassettes, MockTransport); ``psa`` is the
    PSA's client's."""

    psa: httpx.BaseTransport | None = None
    salesbuildr: httpx.BaseTransport | None = None


@dataclass(frozen=True)
class _Target:
    """Where one system's client may be opened: a reviewed URL (the YAML's, a saved plan's
    target) and where it comes from; ``pinned``: the environment's URL must be this one."""

    needed: bool
    reviewed: str | None = None
    source: str = ""
    pinned: bool = False


def _pin(title: str, variable: str, target: _Target, environ: Mapping[str, str]) -> str | None:
    """The environment's URL, refused when a saved plan was made against another."""
    url = environ.get(variable) or target.reviewed
    if target.pinned and target.reviewed and url:  # noqa: SIM102 (the message below is long)
        if url.rstrip("/").lower() != target.reviewed.rstrip("/").lower():
            raise UsageError(
                f"the plan was made against {title} {shown(target.reviewed)}, but "
                f"{variable} is {shown(url)}",
                hint="apply a plan to the tenant it was made for",
            )
    return url


def _open(
    environ: Mapping[str, str],
    system: PsaSystem,
    psa: _Target,
    salesbuildr: _Target,
    transports: Transports,
) -> Connections:
    """The one way clients are opened: every missing credential named at once, every URL
    checked before the first request of either system (the Salesbuildr check is pure; the
    PSA's may ask a discovery host, after its own pure checks)."""
    require_credentials(
        environ,
        salesbuildr=salesbuildr.needed,
        salesbuildr_url=salesbuildr.reviewed,
        psa=system.credentials if psa.needed else (),
    )
    connections = Connections(system=system)
    if salesbuildr.needed:
        url = _pin("Salesbuildr", "SALESBUILDR_API_URL", salesbuildr, environ)
        checked = salesbuildr_url(salesbuildr.reviewed, salesbuildr.source, environ)
        if salesbuildr.pinned:
            _, key = settings_from_env({**environ, "SALESBUILDR_API_URL": str(url)}, None)
        else:
            checked, key = settings_from_env(environ, checked)
    if psa.needed:
        _pin(system.title, system.url_variable, psa, environ)
        psa_url = system.url(psa.reviewed, psa.source, environ, transports.psa)
    if psa.needed:
        connections.psa_client = system.open(environ, psa_url, transports.psa)
    if salesbuildr.needed and checked:
        connections.salesbuildr = SalesbuildrClient.connect(
            checked,
            key,
            transport=transports.salesbuildr,
            integration=system.documents.integration,
        )
    return connections


def connect(
    loaded: LoadedConfig,
    environ: Mapping[str, str],
    *,
    sections: Sequence[str],
    transports: Transports = Transports(),
) -> Connections:
    """Open the clients the sections need; credentials and URLs come from the environment, and
    a URL in the YAML must name a host the environment allows (:mod:`reconciler.hosts`)."""
    config = loaded.config
    system = psa_system(config)
    psa = _Target(
        needed=any(section in system.sections for section in sections),
        reviewed=system.yaml_url(config),
        source=f"{system.url_key} in {loaded.file}",
    )
    salesbuildr = _Target(
        needed=bool(sections),
        reviewed=config.salesbuildr.url if config.salesbuildr else None,
        source=f"salesbuildr.url in {loaded.file}",
    )
    return _open(environ, system, psa, salesbuildr, transports)


def connect_for_plan(
    plan: Plan, environ: Mapping[str, str], *, transports: Transports = Transports()
) -> Connections:
    """Clients for applying a saved plan: the systems it was made against, and no others.

    A saved plan is a file a pull request (or a swapped artifact) can change: its ``targets``
    are checked like the YAML's URLs before any request."""
    system = psa_system(plan)
    target_psa = plan.targets.get(system.owner)
    target_sb = plan.targets.get(SALESBUILDR_OWNER)
    psa = _Target(bool(target_psa), target_psa, f"plan's {system.title} target", pinned=True)
    salesbuildr = _Target(bool(target_sb), target_sb, "plan's Salesbuildr target", pinned=True)
    return _open(environ, system, psa, salesbuildr, transports)


def connect_env(
    environ: Mapping[str, str],
    *,
    sections: Sequence[str],
    transports: Transports = Transports(),
    psa: str | None = None,
) -> Connections:
    """Clients from the environment alone (export: there is no YAML yet); ``psa``: whose
    (None: the default PSA)."""
    system = psa_system(_Named(psa) if psa else None)
    target = _Target(needed=any(section in system.sections for section in sections))
    return _open(environ, system, target, _Target(needed=bool(sections)), transports)
