"""HaloPSA: the client side of the wire (connection, OAuth2 token, paging, upserts, rate cap).

What the engine side calls (import from the modules; this package module stays empty so that
finding the PSA packages imports no HTTP library)::

    connection = connection.HaloConnection.from_environment(os.environ)   # HALOPSA_* only
    with client.HaloClient(connection, page_size=100, rate_cap=client.RateCap()) as halo:
        halo.list_all(resources.ASSET_TYPE)                  # every record; paged where Halo pages
        halo.list_all(resources.LOOKUP, {"lookupid": resources.LOOKUP_LISTS["quote_statuses"]})
        halo.get(resources.ITEM, 12)                         # None when Halo does not know it
        halo.upsert(resources.ITEM_GROUP, [{"name": "Hardware"}, {"id": 3, "name": "Software"}])
        halo.set_custom_fields(resources.CLIENT, 7, {"CFSalesbuildrId": "sb-1"})
        halo.delete(resources.WEBHOOK, webhook_id)           # False when already gone
        halo.webhook_events(webhook_id)                      # the delivery log
    events.EVENT_NUMBERS["ticket_updated"]                   # YAML event name -> Halo eventno

The engine side (sections, kinds, the ``Psa`` object) comes later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.psa.base import Psa

ENV_VARS = (
    "HALOPSA_URL",
    "HALOPSA_CLIENT_ID",
    "HALOPSA_CLIENT_SECRET",
    "HALOPSA_TENANT",
    "HALOPSA_AUTH_URL",
)


def _document() -> type[Any]:
    from reconciler.psa.halopsa.config import HaloConfig  # noqa: PLC0415 (lazy)

    return HaloConfig


def _sections() -> Mapping[str, Any]:
    from reconciler.psa.halopsa.config import SECTION_MODELS  # noqa: PLC0415 (lazy)

    return SECTION_MODELS


def _kinds() -> tuple[Any, ...]:
    from reconciler.psa.halopsa.kinds import KINDS  # noqa: PLC0415 (lazy)

    return KINDS


def _check(document: Any, source: Any) -> tuple[list[Any], list[Any]]:
    from reconciler.psa.halopsa.rules import check  # noqa: PLC0415 (lazy)

    return check(document, source), []


def psa() -> Psa:
    """The ``reconciler.psa`` entry point. The language only, this round: ``validate`` and
    ``schema`` know HaloPSA files; every other command refuses them (no connect, read, write or
    operations hooks yet)."""
    return Psa(
        name="halopsa",
        title="HaloPSA",
        env_vars=ENV_VARS,
        sections=_sections,
        kinds=_kinds,
        document=_document,
        check=_check,
    )
