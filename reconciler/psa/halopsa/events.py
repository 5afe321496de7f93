"""Webhook event names (the YAML's) <-> Halo ``eventno`` values (``Webhook.events[].eventno``).

**Assumed numbers**: SPEC-H types ``eventno`` as an int and lists no values, and no source we read
gives them for client or ticket events (halopsa-api.md §5 "[gap]", §9 item 3). This is the client's
one table; the simulator keeps its own copy and a test checks that both agree. Replace both with
the tenant's values once they are observed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

EVENTS_SOURCE: Final = "assumed: no source lists Halo's eventno values (halopsa-api.md §5, §9.3)"

EVENT_NUMBERS: Final[Mapping[str, int]] = {
    "ticket_created": 1,
    "ticket_updated": 2,
    "client_created": 21,
    "client_updated": 22,
}
EVENT_NAMES: Final[Mapping[int, str]] = {number: name for name, number in EVENT_NUMBERS.items()}
