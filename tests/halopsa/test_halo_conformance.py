"""The HaloPSA simulator and client against the vendor's document (the subset of SPEC-H).

* the packaged subset is the reference copy, byte for byte (its recorded sha256);
* every route the simulator serves is in the subset, or in the one out-of-subset list; every
  operation of the subset is served;
* every request the client sends, over a run through all its calls, hits a documented route (or
  the token endpoint), and every body it POSTs validates against the subset's request schema;
* the client's and the simulator's tables (list envelopes, event numbers, lookup lists) agree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from halo_support import Halo

from reconciler.errors import ValidationFailed
from reconciler.psa.halopsa import events as client_events
from reconciler.psa.halopsa import resources
from reconciler.sandbox.halopsa import EVENTS, OUT_OF_SUBSET, seed, spec, store


def test_the_packaged_subset_is_the_recorded_reference_copy() -> None:
    digest = hashlib.sha256(spec.SUBSET_PATH.read_bytes()).hexdigest()
    assert digest == spec.SUBSET_SHA256


def test_every_served_route_is_documented_and_every_documented_one_served(
    halo: Callable[..., Halo],
) -> None:
    served = set(halo(seed="empty").simulator.routes())
    documented = set(spec.operations())
    assert served == documented
    assert [(r.method, r.path) for r in OUT_OF_SUBSET] == [("POST", "/auth/token")]
    assert all(r.source for r in OUT_OF_SUBSET)


def _exercise(client: Any, receiver_url: str) -> None:
    """Every call the engine side will make, once."""
    for resource in resources.RESOURCES.values():
        client.list_all(resource)
    client.list_all(resources.LOOKUP, {"lookupid": resources.LOOKUP_LISTS["quote_statuses"]})
    client.get(resources.ITEM, 2)
    client.get(resources.CLIENT, 424242)
    created = client.upsert(resources.ITEM_GROUP, [{"name": "Accessories"}])
    client.upsert(resources.ITEM_GROUP, [{"id": created[0]["id"], "name": "Accessories & Cables"}])
    client.upsert(resources.ASSET_GROUP, [{"name": "Peripherals"}])
    client.upsert(resources.ASSET_TYPE, [{"name": "Monitors", "assetgroup_id": 1}])
    client.upsert(resources.ITEM, [{"name": "USB-C Dock", "assetgroup_id": 1, "baseprice": 120.0}])
    client.set_custom_fields(resources.ITEM, 2, {"CFSalesbuildrId": "sb-77"})
    client.set_custom_fields(resources.CLIENT, 1, {"CFSalesbuildrId": "sb-company-1"})
    hook = client.upsert(
        resources.WEBHOOK,
        [
            {
                "name": "Salesbuildr tickets",
                "url": receiver_url,
                "method": 0,
                "content_type": "application/json",
                "active": True,
                "events": [{"id": 0, "eventno": client_events.EVENT_NUMBERS["ticket_updated"]}],
            }
        ],
    )[0]
    client.upsert(resources.WEBHOOK, [{"id": hook["id"], "active": False}])
    client.webhook_events(hook["id"])
    client.delete(resources.WEBHOOK, hook["id"])
    client.delete(resources.ITEM_GROUP, created[0]["id"])


class RecordingTransport(httpx.HTTPTransport):
    """Real HTTP, with every request's method, path and body kept."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, bytes]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path, request.read()))
        return super().handle_request(request)


def test_every_request_the_client_sends_is_documented_and_its_bodies_validate(
    halo: Callable[..., Halo],
) -> None:
    running = halo(seed="demo")
    transport = RecordingTransport()
    _exercise(running.client(transport=transport), "http://127.0.0.1:9/hook")
    sent = transport.sent
    stats = running.simulator.stats()
    documented = {f"{method} {template}" for method, template in spec.operations()}
    allowed = documented | {f"{r.method} {r.path}" for r in OUT_OF_SUBSET}
    assert set(stats["endpoints"]) <= allowed
    # Every request matched a route: none fell outside the table.
    assert stats["requests"] == sum(e["requests"] for e in stats["endpoints"].values())
    posts = [(p, body) for method, p, body in sent if method == "POST" and p.startswith("/api/")]
    assert posts, "the exercise sent no writes"
    for path, body in posts:
        template = "/" + path.removeprefix("/api/").split("/")[0]
        model = spec.request_model(template)
        assert model is not None, path
        assert spec.body_errors(model, json.loads(body)) == [], (path, body)


def test_an_invalid_body_is_refused_so_validation_is_live(halo: Callable[..., Halo]) -> None:
    client = halo().client()
    with pytest.raises(ValidationFailed, match="Additional properties are not allowed"):
        client.upsert(resources.ITEM_GROUP, [{"name": "x", "not_a_halo_field": 1}])


def test_the_client_and_simulator_agree_on_list_envelopes() -> None:
    served = store.resource_defs()
    for name, resource in resources.RESOURCES.items():
        assert served[name].plural == resource.plural, name
    # Paged exactly where the document lists pageinate.
    for name, definition in served.items():
        paged = "pageinate" in spec.query_parameters("GET", f"/{name}")
        assert (definition.plural is not None) == paged, name


def test_the_client_and_simulator_agree_on_events_and_lookup_lists() -> None:
    assert {kind.name: kind.eventno for kind in EVENTS} == dict(client_events.EVENT_NUMBERS)
    assert dict(seed.LOOKUP_LISTS) == dict(resources.LOOKUP_LISTS)
    assert "assumed" in client_events.EVENTS_SOURCE
