"""Reads of the metadata the plan-time checks and ``preflight`` need: per entity, its
``entityInformation/fields`` (through the client's once-a-run cache) and its
``entityInformation`` (the API user's access), concurrently, one call per endpoint."""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor

from reconciler.kinds.constraints import EntityRules
from reconciler.psa.autotask.client import AutotaskClient
from reconciler.psa.autotask.fields import entity_rules, parse_access


def read_entity_rules(client: AutotaskClient, entity: str) -> EntityRules:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-info") as pool:
        info = pool.submit(client.http.request, "GET", f"{entity}/entityInformation")
        fields = client.fields(entity)
        access = parse_access(info.result().json())
    return entity_rules(entity, fields, access)


def read_rules(
    client: AutotaskClient,
    entities: Iterable[str],
    cache: MutableMapping[str, EntityRules],
) -> dict[str, EntityRules]:
    """The rules of ``entities``; those in ``cache`` are not read again (and new ones join it)."""
    wanted = sorted(set(entities))
    missing = [e for e in wanted if e not in cache]
    if missing:
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="read-meta") as pool:
            for entity, rules in zip(
                missing, pool.map(lambda e: read_entity_rules(client, e), missing), strict=True
            ):
                cache[entity] = rules
    return {e: cache[e] for e in wanted}
