"""HaloPSA's part of ``reconcile preflight``: reads only.

Halo states no per-resource access the way Autotask does; what an application may do is the
permissions (scopes) it was granted (halopsa-api.md §2: Salesbuildr's guide grants
``all:standard``, ``all:teams`` and ``admin:webhooks``). So each resource the sections read is
read once (one record: the smallest page) and a 403 is reported as denied; the writes a webhook
needs share its read's scope (``admin:webhooks``), which the read proves was granted, but Halo
cannot say before a write whether the write itself will be accepted: the note says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from reconciler.errors import ProviderError
from reconciler.preflight import DENIED_STATUS, OK, AccessCheck
from reconciler.psa.halopsa import kinds_tables as t
from reconciler.psa.halopsa import resources as r
from reconciler.psa.halopsa.client import HaloClient
from reconciler.psa.halopsa.errors import SYSTEM
from reconciler.psa.halopsa.kinds import kinds_of
from reconciler.state import Resource

WEBHOOK_OPERATIONS: Final = ("query", "create", "update", "delete")


def halo_needs(sections: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Halo resource -> the operations the sections may need of it."""
    needed: dict[str, tuple[str, ...]] = {}
    for section in sections:
        for kind in kinds_of(section):
            for table in kind.tables:
                source = t.HALO_SOURCES.get(table)
                if source is not None:
                    needed.setdefault(source.resource.name, ("query",))
    if "webhooks" in sections:
        needed[r.WEBHOOK.name] = WEBHOOK_OPERATIONS
    return needed


def _probe(client: HaloClient, resource: str) -> int:
    """The status of reading one record of ``resource`` (403: not granted)."""
    res = r.RESOURCES.get(resource) or r.Resource(resource)
    params = {"pageinate": "true", "page_no": 1, "page_size": 1} if res.paged else {}
    response = client._send("GET", res.name, params=params, ok=(403,))
    return response.status_code


def access_checks(
    client: HaloClient, sections: Sequence[str], desired: Sequence[Resource]
) -> list[AccessCheck]:
    checks: list[AccessCheck] = []
    for resource, operations in sorted(halo_needs(sections).items()):
        try:
            status = _probe(client, resource)
        except ProviderError as error:
            checks.append(
                AccessCheck(SYSTEM, resource, DENIED_STATUS, operations, ("query",), error.message)
            )
            continue
        if status == 403:
            note = "the application lacks the permission (scope) this resource needs"
            checks.append(
                AccessCheck(SYSTEM, resource, DENIED_STATUS, operations, operations, note)
            )
            continue
        note = ""
        if len(operations) > 1:
            note = "writes share the read's permission; Halo cannot tell more before a write"
        checks.append(AccessCheck(SYSTEM, resource, OK, operations, (), note))
    return checks
