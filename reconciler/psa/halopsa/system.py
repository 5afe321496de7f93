"""HaloPSA's side of a run (:class:`reconciler.psa.system.PsaSystem`).

The client is opened from the real environment only (``HALOPSA_*``: the YAML names no Halo
host); the tenant URL is the operator's variable, a saved plan's target must be a host the
environment allows (:mod:`reconciler.hosts`), and the authorisation server must be the
tenant's host or an allowed one (:class:`~.connection.HaloConnection`). Nothing is discovered
from a server's answer. Halo publishes no request quota: the rate cap (300 per 5 minutes by
default) is the client's own, so :meth:`HaloSystem.budget` is None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

import httpx

from reconciler.hosts import allowed_hosts, check_reviewed_url, refuse_userinfo
from reconciler.kinds.base import Kind, Problem
from reconciler.kinds.constraints import EntityRules
from reconciler.plan.budgets import Budget
from reconciler.plan.model import Plan
from reconciler.psa.halopsa import connection as conn
from reconciler.psa.halopsa import live_rules
from reconciler.psa.halopsa.client import HaloClient, RateCap
from reconciler.psa.halopsa.config import SECTIONS as HALO_SECTIONS
from reconciler.psa.halopsa.documents import DOCUMENTS, HaloDocuments
from reconciler.psa.halopsa.kinds import BY_NAME, kinds_of
from reconciler.psa.halopsa.read import HaloReads
from reconciler.psa.halopsa.write import HaloWriter
from reconciler.state import Resource
from reconciler.transport.rate_wait import rate_wait_cap
from reconciler.writes import Change

OWNER: Final = "halopsa"


class HaloSystem:
    owner = OWNER
    title = "HaloPSA"
    sections: frozenset[str] = frozenset(HALO_SECTIONS)
    """Every section names Halo objects (its tables), so each one needs the Halo client."""
    credentials: tuple[str, ...] = conn.REQUIRED
    url_variable = conn.URL
    url_key = ""
    kinds: Mapping[str, Kind] = BY_NAME
    documents: HaloDocuments = DOCUMENTS

    def desired(self, loaded: Any) -> list[Resource]:
        from reconciler.psa.halopsa.desired import desired_resources  # noqa: PLC0415 (a cycle)

        return desired_resources(loaded.config, loaded.source)

    def tables_needed(self, sections: Sequence[str], desired: Sequence[Resource]) -> set[str]:
        return {name for section in sections for kind in kinds_of(section) for name in kind.tables}

    def yaml_url(self, config: Any) -> str | None:
        return None  # the YAML names no Halo host (PSAS.md)

    def url(
        self,
        reviewed: str | None,
        source: str,
        environ: Mapping[str, str],
        transport: httpx.BaseTransport | None,
    ) -> str:
        """The tenant from ``HALOPSA_URL``; a reviewed URL (a saved plan's target) must name a
        host the environment allows (connections pins it to the variable's)."""
        own = (environ.get(conn.URL) or "").strip().rstrip("/")
        refuse_userinfo(own, what=f"the {conn.URL} value")
        if reviewed:
            allowed = allowed_hosts(OWNER, environ)
            check_reviewed_url(reviewed, system=OWNER, source=source, allowed=allowed)
        return own.removesuffix("/api") if own.lower().endswith("/api") else own

    def open(
        self, environ: Mapping[str, str], url: str, transport: httpx.BaseTransport | None
    ) -> HaloClient:
        connection = conn.HaloConnection.from_environment({**environ, conn.URL: url})
        limits = conn.HaloLimits.from_environment()  # the real environment's, never .env's
        # The run's --max-rate-wait bounds a 429's wait, as for every client.
        paced: dict[str, Any] = {}
        if limits.page_size is not None:
            paced["page_size"] = limits.page_size
        if limits.requests_per_5_minutes is not None:
            paced["rate_cap"] = replace(RateCap(), limit=limits.requests_per_5_minutes)
        return HaloClient(connection, transport=transport, max_rate_wait=rate_wait_cap(), **paced)

    def target(self, client: HaloClient) -> str:
        return client.connection.url

    def budget(self, client: HaloClient) -> Budget | None:
        return None  # no published quota; the client-side rate cap waits, it never refuses

    def reads(self, client: HaloClient, entities: Sequence[str] | None) -> HaloReads:
        return HaloReads(client)

    def stand_ins(self, entities: Sequence[str] | None) -> list[Resource]:
        return []  # Halo webhooks name no tables: every one is read whatever stands in

    def rules(
        self, client: HaloClient, entities: Sequence[str], cache: dict[str, EntityRules]
    ) -> dict[str, EntityRules]:
        # The subset states types only for the fields written (no lengths, required fields or
        # enumerations): nothing the engine's check can use; live_rules checks the types.
        return {}

    def plan_problems(self, plan: Plan) -> list[Problem]:
        return live_rules.check_plan(plan)

    def writer(
        self, client: HaloClient | None, documents: Any, secret: Callable[[Change, str], str]
    ) -> HaloWriter:
        return HaloWriter(client)

    def preflight(
        self,
        client: HaloClient,
        sections: Sequence[str],
        desired: Sequence[Resource],
        cache: Any,
    ) -> list[Any]:
        from reconciler.psa.halopsa.preflight import access_checks  # noqa: PLC0415 (a cycle)

        return list(access_checks(client, sections, desired))


def system() -> HaloSystem:
    return HaloSystem()
