"""The plan's read schedule: every read that waits for nothing starts at once.

Facts, not timings: Autotask's requests are held inside its simulator (they count as in flight
but are not answered) while the test looks at what reached the simulators. Salesbuildr is the
narrow system (4 requests in flight), so its documents and listings must not wait for an
Autotask answer, nor for a thread an Autotask read holds; the YAML's resources are built while
the first reads are out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from held_requests import held_until
from polling import wait_for
from pydantic import SecretStr

from reconciler.psa.autotask import read as at_state
from reconciler.psa.autotask.client import AutotaskClient, AutotaskCredentials
from reconciler.psa.autotask.documents import documents_for as autotask_documents_for
from reconciler.psa.autotask.kinds import tables as t
from reconciler.psa.autotask.kinds.registry import SECTIONS
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK
from reconciler.salesbuildr.client import SalesbuildrClient
from reconciler.sandbox.common import Sandbox, start_sandbox
from reconciler.session import Connections, read_live
from reconciler.state import Resource

LISTINGS = (
    "GET /public-api/category",
    "GET /public-api/integration/autotask/category-usage",
    "GET /public-api/integration/autotask/company-types",
    "GET /public-api/integration/autotask/data-points",
)

WEBHOOK_LISTS = tuple(
    f"POST /V1.0/{prefix}Webhooks/query" for prefix in at_state.WEBHOOK_ENTITY_PREFIX.values()
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = start_sandbox(seed="demo")
    try:
        yield box
    finally:
        box.stop()


def _connections(box: Sandbox) -> Connections:
    env = box.env
    credentials = AutotaskCredentials(
        username=env["AUTOTASK_API_USERNAME"],
        secret=SecretStr(env["AUTOTASK_API_SECRET"]),
        integration_code=SecretStr(env["AUTOTASK_API_INTEGRATION_CODE"]),
    )
    return Connections(
        psa_client=AutotaskClient.connect(credentials, url=env["AUTOTASK_API_URL"]),
        salesbuildr=SalesbuildrClient.connect(
            env["SALESBUILDR_API_URL"], SecretStr(env["SALESBUILDR_API_KEY"])
        ),
    )


def _requests(middleware: Any) -> dict[str, int]:
    endpoints = middleware.stats.snapshot()["endpoints"]
    return {key: int(value["requests"]) for key, value in endpoints.items()}


def _stand_ins() -> list[Resource]:
    return [
        Resource(
            address=f"webhooks[{entity}]",
            kind=WEBHOOK.name,
            section="webhooks",
            key=entity,
            attributes={"entity": entity},
            owner="autotask",
        )
        for entity in at_state.WEBHOOK_ENTITY_PREFIX
    ]


def test_salesbuildr_reads_and_webhook_lists_start_before_any_autotask_answer(
    sandbox: Sandbox,
) -> None:
    documents = autotask_documents_for(list(SECTIONS))
    sb_before = _requests(sandbox.salesbuildr.middleware)
    at_before = _requests(sandbox.autotask.middleware)

    def sb_new() -> dict[str, int]:
        now = _requests(sandbox.salesbuildr.middleware)
        return {k: v - sb_before.get(k, 0) for k, v in now.items() if v > sb_before.get(k, 0)}

    def at_new() -> dict[str, int]:
        now = _requests(sandbox.autotask.middleware)
        return {k: v - at_before.get(k, 0) for k, v in now.items() if v > at_before.get(k, 0)}

    def documents_read(seen: dict[str, int]) -> int:
        return sum(n for key, n in seen.items() if "/settings" in key)

    seen_by_desired: dict[str, dict[str, int]] = {}

    def desired() -> list[Resource]:
        # read_live calls this once the reads that do not need it are out; every Autotask
        # request is held, so whatever Salesbuildr served by now did not wait for Autotask.
        wait_for(
            lambda: (
                documents_read(sb_new()) >= len(documents)
                and all(key in sb_new() for key in LISTINGS)
                and all(key in at_new() for key in WEBHOOK_LISTS)
            ),
            what="every Salesbuildr document and listing, and every webhook list query, "
            "while Autotask answers nothing",
        )
        seen_by_desired["salesbuildr"] = sb_new()
        seen_by_desired["autotask"] = at_new()
        return _stand_ins()

    release = threading.Event()
    with (
        _connections(sandbox) as connections,
        held_until(sandbox.autotask.middleware, release),
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        job = pool.submit(read_live, connections, list(SECTIONS), desired)
        wait_for(lambda: bool(seen_by_desired) or job.done(), what="read_live to ask for the YAML")
        release.set()
        live = job.result(timeout=120)
    assert seen_by_desired, "read_live finished without calling desired()"
    assert documents_read(seen_by_desired["salesbuildr"]) == len(documents), seen_by_desired
    held = seen_by_desired["autotask"]
    assert all(held[key] == 1 for key in WEBHOOK_LISTS), held
    assert not any("WebhookFields/query" in key for key in held), (
        "children wait for their webhooks' ids",
        held,
    )
    assert set(live.documents) == set(documents)
    assert any(r.kind == WEBHOOK.name for r in live.state)


def test_table_groups_read_one_metadata_endpoint_per_job() -> None:
    names = [
        t.AT_BILLING_CODES,
        t.AT_TICKET_QUEUES,
        t.AT_COMPANY_UDFS,
        t.AT_TICKET_PRIORITIES,
        t.AT_OPPORTUNITY_UDFS,
        t.AT_COMPANY_TYPES,
    ]
    assert at_state.table_groups(names) == [
        (t.AT_BILLING_CODES,),
        (t.AT_TICKET_QUEUES, t.AT_TICKET_PRIORITIES),
        (t.AT_COMPANY_UDFS, t.AT_OPPORTUNITY_UDFS),
        (t.AT_COMPANY_TYPES,),
    ]
