"""Helpers of the Autotask simulator tests: start one, talk to it with the right headers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.sandbox.autotask import AutotaskCredentials, AutotaskSimulator
from reconciler.sandbox.common import RunningServer, serve_in_thread

CREDENTIALS = AutotaskCredentials(
    username="api-test@acme-it.example", secret="test-secret", integration_code="TESTCODE"
)
HEADERS = {
    "ApiIntegrationCode": CREDENTIALS.integration_code,
    "UserName": CREDENTIALS.username,
    "Secret": CREDENTIALS.secret,
}


@dataclass
class Running:
    sim: AutotaskSimulator
    server: RunningServer
    client: httpx.Client

    @property
    def url(self) -> str:
        return self.server.url

    def query(self, entity: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.post(f"/V1.0/{entity}/query", json=body)

    def items(self, entity: str, *filters: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.query(entity, {"filter": list(filters) or [{"op": "exist", "field": "id"}]})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def create(self, path: str, body: dict[str, Any]) -> int:
        response = self.client.post(path, json=body)
        assert response.status_code == 200, response.text
        item_id: int = response.json()["itemId"]
        return item_id


@contextmanager
def running(**options: Any) -> Iterator[Running]:
    """A simulator (``demo`` unless told) on a loopback port, with a client; stopped after."""
    options.setdefault("seed", "demo")
    sim = AutotaskSimulator(credentials=CREDENTIALS, **options)
    server = serve_in_thread(sim.app)
    client = httpx.Client(base_url=server.url, headers=HEADERS, timeout=30)
    try:
        yield Running(sim, server, client)
    finally:
        client.close()
        sim.close()
        server.stop()


def concurrently(count: int, call: Callable[[int], int]) -> list[int]:
    """Run ``call(i)`` in ``count`` threads at once; their results, sorted."""
    results: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait()
        result = call(i)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


def webhook_body(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "webhookUrl": url,
        "deactivationUrl": url,
        "secretKey": "callout-secret",
        "isActive": True,
        "isSubscribedToCreateEvents": True,
        "isSubscribedToUpdateEvents": True,
        "sendThresholdExceededNotification": False,
    } | extra
