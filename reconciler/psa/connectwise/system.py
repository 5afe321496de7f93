"""ConnectWise Manage's side of a run (:class:`reconciler.psa.system.PsaSystem`): the client
opened on the operator's URL, its reads beside Salesbuildr's, its writer, its preflight.

The URL comes from ``CONNECTWISE_API_URL`` only (the YAML names no ConnectWise host, nothing is
discovered from an answer): :func:`~.credentials.check_api_url` holds it to https (http for
loopback: the sandbox), no user-info, an API base path and the operator's allowed hosts.
ConnectWise publishes no quota, so there is no budget to show: the client's own rate cap
(``CONNECTWISE_REQUESTS_PER_MINUTE``, default 60: a third-party figure) paces every request.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import httpx

from reconciler.errors import UsageError
from reconciler.kinds.base import Kind, Problem
from reconciler.kinds.constraints import EntityRules
from reconciler.plan.budgets import Budget
from reconciler.plan.model import Plan
from reconciler.psa.connectwise import live_rules
from reconciler.psa.connectwise.client import DEFAULT_REQUESTS_PER_MINUTE, ConnectWiseClient
from reconciler.psa.connectwise.credentials import (
    SYSTEM,
    URL_VARIABLE,
    VARIABLES,
    check_api_url,
    credentials_from_env,
)
from reconciler.psa.connectwise.documents import DOCUMENTS, ConnectWiseDocuments
from reconciler.psa.connectwise.kinds_registry import BY_NAME, KINDS
from reconciler.psa.connectwise.read import ConnectWiseReads, board_scopes, tables_of
from reconciler.psa.connectwise.write import ConnectWiseWriter
from reconciler.state import Resource
from reconciler.transport.rate_wait import rate_wait_cap
from reconciler.writes import Change

RATE_VARIABLE: Final = "CONNECTWISE_REQUESTS_PER_MINUTE"
"""Optional: the client-side rate cap (requests in any 60 s). A limit (``Psa.limit_vars``): read
from the real environment only, never from ``.env`` (which is refused when it sets it)."""

SECTIONS: Final = frozenset(kind.section for kind in KINDS)
"""Every section reads ConnectWise (its names live there), whoever owns the writes."""


def requests_per_minute(environ: Mapping[str, str] | None = None) -> int:
    """The cap from ``environ`` (None: the real environment, ``os.environ``; never a run's
    environment merged with ``.env``)."""
    raw = (os.environ if environ is None else environ).get(RATE_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_REQUESTS_PER_MINUTE
    if not raw.isdigit() or int(raw) < 1:
        raise UsageError(
            f"{RATE_VARIABLE} {raw!r} is not a positive whole number of requests a minute",
            hint=f"unset it for the default ({DEFAULT_REQUESTS_PER_MINUTE})",
        )
    return int(raw)


class ConnectWiseSystem:
    owner = SYSTEM
    title = "ConnectWise Manage"
    sections = SECTIONS
    credentials: tuple[str, ...] = VARIABLES
    url_variable = URL_VARIABLE
    url_key = ""
    kinds: Mapping[str, Kind] = BY_NAME
    documents: ConnectWiseDocuments = DOCUMENTS

    def desired(self, loaded: Any) -> list[Resource]:
        from reconciler.psa.connectwise.desired import desired_resources  # noqa: PLC0415

        return desired_resources(loaded.config, loaded.source)

    def tables_needed(self, sections: Sequence[str], desired: Sequence[Resource]) -> set[str]:
        """The kinds' tables, and (once the YAML's resources are built) which boards' children
        the ticket settings need (:func:`~.read.board_scopes`)."""
        return tables_of(sections) | board_scopes(desired)

    def yaml_url(self, config: Any) -> str | None:
        return None  # the YAML names no ConnectWise host

    def url(
        self,
        reviewed: str | None,
        source: str,
        environ: Mapping[str, str],
        transport: httpx.BaseTransport | None,
    ) -> str:
        """The operator's URL; a saved plan's target must be that one (checked by the core)."""
        url = environ.get(URL_VARIABLE)
        if not url:
            raise UsageError(f"{URL_VARIABLE} is not set", hint="export it in the environment")
        return check_api_url(url, environ)

    def open(
        self, environ: Mapping[str, str], url: str, transport: httpx.BaseTransport | None
    ) -> ConnectWiseClient:
        credentials = credentials_from_env({**environ, URL_VARIABLE: url})
        return ConnectWiseClient.connect(
            credentials,
            transport=transport,
            requests_per_minute=requests_per_minute(),  # the real environment's, never .env's
            max_rate_wait=rate_wait_cap(),  # the run's --max-rate-wait, as every client's
        )

    def target(self, client: ConnectWiseClient) -> str:
        return client.http.base_url.rstrip("/")

    def budget(self, client: ConnectWiseClient) -> Budget | None:
        return None  # no published quota: the rate cap is client-side

    def reads(self, client: ConnectWiseClient, entities: Sequence[str] | None) -> ConnectWiseReads:
        return ConnectWiseReads(client)

    def stand_ins(self, entities: Sequence[str] | None) -> list[Resource]:
        return []  # callbacks are read whole: nothing to name before reading

    def rules(
        self, client: ConnectWiseClient, entities: Sequence[str], cache: dict[str, EntityRules]
    ) -> dict[str, EntityRules]:
        """None: ConnectWise has no metadata endpoint, and the subset's constraints on the one
        schema written (``CallbackEntry``) are checked by the language (the description's
        length) and by :mod:`.live_rules` in ConnectWise's own words."""
        return {}

    def plan_problems(self, plan: Plan) -> list[Problem]:
        return live_rules.check_plan(plan)

    def writer(
        self,
        client: ConnectWiseClient | None,
        documents: Any,
        secret: Callable[[Change, str], str],
    ) -> ConnectWiseWriter:
        return ConnectWiseWriter(client)

    def preflight(
        self,
        client: ConnectWiseClient,
        sections: Sequence[str],
        desired: Sequence[Resource],
        cache: Any,
    ) -> list[Any]:
        from reconciler.psa.connectwise.preflight import access_checks  # noqa: PLC0415 (a cycle)

        return access_checks(client, sections)


def system() -> ConnectWiseSystem:
    return ConnectWiseSystem()
