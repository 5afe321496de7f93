"""A misbehaving server cannot keep reconcile reading for ever (issue 15, item 7).

A loopback proxy in front of the simulators answers chosen routes the way a broken or hostile
server would: a ``nextPageUrl`` that repeats, pages that add nothing new, pages that never end,
a Salesbuildr listing without a total, a category tree 10,000 deep, a parent cycle. Each run
must stop with a clear message naming the endpoint, exit 1, no traceback, after a bounded number
of requests, and without any extra ``count`` call.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_server_support import HostileProxy, Seen, hostile_proxy, via

from reconciler.cli import cli
from reconciler.envvars import DEFAULT_MAX_PAGES
from reconciler.errors import ServerMisbehaved
from reconciler.salesbuildr.category_tree import MAX_DEPTH, category_paths
from reconciler.salesbuildr.client import SalesbuildrClient
from reconciler.sandbox.common import Sandbox, start_sandbox
from reconciler.transport.paging import page_ceiling

INVENTORY_YAML = """\
version: 1
inventory:
  locations:
    Main Warehouse: {active: true, default: true, track_stock: true}
"""
BILLING_YAML = """\
version: 1
billing_codes:
  categories:
    Hardware: Hardware Sales
"""
NEXT = r"/InventoryLocations/query/next"
QUERY = r"/InventoryLocations/query$"
COUNT = r"/query/count$"
CATEGORY = r"/public-api/category$"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(seed="demo", latency_ms=0)
    yield running
    running.stop()


@pytest.fixture
def proxy(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A proxy for both simulators (one per system), a fresh working directory, the CLI's
    logger put back afterwards."""
    for simulator in (sandbox.autotask, sandbox.salesbuildr):
        simulator.set_faults({})
        simulator.reset("demo")
    monkeypatch.chdir(tmp_path)
    for name in list(sandbox.env):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("RECONCILE_MAX_PAGES", raising=False)
    logger = logging.getLogger("reconciler")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    try:
        with (
            hostile_proxy(sandbox.env["AUTOTASK_API_URL"]) as at,
            hostile_proxy(sandbox.env["SALESBUILDR_API_URL"]) as sb,
        ):
            yield _Proxies(sandbox, at, sb, tmp_path)
    finally:
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])
        logger.propagate = saved[2]


class _Proxies:
    def __init__(self, sandbox: Sandbox, at: HostileProxy, sb: HostileProxy, workdir: Path):
        self.sandbox, self.at, self.sb, self.workdir = sandbox, at, sb, workdir
        self.count = at.rule("POST", COUNT, lambda seen, n: (200, {"queryCount": 0}))

    def plan(self, yaml_text: str, *args: str, env: dict[str, str] | None = None) -> Result:
        (self.workdir / "mappings.yaml").write_text(yaml_text, encoding="utf-8")
        merged: dict[str, str | None] = {
            **self.sandbox.env,
            "AUTOTASK_API_URL": via(self.at, self.sandbox.env["AUTOTASK_API_URL"]),
            "SALESBUILDR_API_URL": via(self.sb, self.sandbox.env["SALESBUILDR_API_URL"]),
            **(env or {}),
        }
        result = CliRunner().invoke(cli, [*args, "plan", "mappings.yaml"], env=merged)
        assert "Traceback" not in result.output, result.output
        assert "internal error" not in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert self.count.hits == 0, "paging must not cost extra count calls"
        return result

    def next_url(self, token: object) -> str:
        return f"{via(self.at, self.sandbox.env['AUTOTASK_API_URL'])}/V1.0{NEXT}?paging={token}"


def _location(ident: int) -> dict[str, Any]:
    return {"id": ident, "locationName": f"Shelf {ident}", "isActive": True, "isDefault": False}


def _page(items: list[dict[str, Any]], next_url: str | None) -> tuple[int, Any]:
    return 200, {"items": items, "pageDetails": {"count": len(items), "nextPageUrl": next_url}}


# --- Autotask nextPageUrl -------------------------------------------------------------------------


def test_a_next_page_url_that_repeats_stops_the_read(proxy: _Proxies) -> None:
    first = proxy.at.rule("POST", QUERY, lambda s, n: _page([_location(1)], proxy.next_url("a")))
    pages = proxy.at.rule(
        "GET", NEXT, lambda s, n: _page([_location(100 + n)], proxy.next_url("a"))
    )

    result = proxy.plan(INVENTORY_YAML)

    assert result.exit_code == 1, result.output
    assert "/V1.0/InventoryLocations/query" in result.output
    assert "same next page again" in result.output
    assert first.hits == 1 and pages.hits == 1  # the repeat is refused before it is requested


def test_a_page_that_adds_no_new_ids_stops_the_read(proxy: _Proxies) -> None:
    proxy.at.rule("POST", QUERY, lambda s, n: _page([_location(1)], proxy.next_url(0)))
    pages = proxy.at.rule("GET", NEXT, lambda s, n: _page([_location(1)], proxy.next_url(n)))

    result = proxy.plan(INVENTORY_YAML)

    assert result.exit_code == 1, result.output
    assert "/V1.0/InventoryLocations/query" in result.output
    assert "added none" in result.output
    assert pages.hits == 1


def test_an_empty_page_that_promises_more_stops_the_read(proxy: _Proxies) -> None:
    proxy.at.rule("POST", QUERY, lambda s, n: _page([], proxy.next_url(0)))
    pages = proxy.at.rule("GET", NEXT, lambda s, n: _page([], proxy.next_url(n)))

    result = proxy.plan(INVENTORY_YAML)

    assert result.exit_code == 1, result.output
    assert "/V1.0/InventoryLocations/query" in result.output
    assert "empty but offered a next page" in result.output
    assert pages.hits == 0


@pytest.mark.parametrize("how", ["option", "environment"])
def test_endless_pages_stop_at_the_ceiling(proxy: _Proxies, how: str) -> None:
    proxy.at.rule("POST", QUERY, lambda s, n: _page([_location(1)], proxy.next_url(0)))
    pages = proxy.at.rule("GET", NEXT, lambda s, n: _page([_location(1 + n)], proxy.next_url(n)))
    ceiling = 7
    if how == "option":
        result = proxy.plan(INVENTORY_YAML, "--max-pages", str(ceiling))
    else:
        result = proxy.plan(INVENTORY_YAML, env={"RECONCILE_MAX_PAGES": str(ceiling)})

    assert result.exit_code == 1, result.output
    assert f"stopped after {ceiling} pages" in result.output
    assert "/V1.0/InventoryLocations/query" in result.output
    assert "--max-pages" in result.output  # the hint says how to raise it
    assert 1 + pages.hits <= ceiling + 1
    assert page_ceiling() == DEFAULT_MAX_PAGES  # the option lasts one command


def test_a_raised_ceiling_lets_a_long_honest_listing_finish(proxy: _Proxies) -> None:
    last = 4  # the listing has 1 + 4 pages

    def listing() -> list[Any]:
        return [
            proxy.at.rule("POST", QUERY, lambda s, n: _page([_location(1)], proxy.next_url(1))),
            proxy.at.rule(
                "GET",
                NEXT,
                lambda s, n: _page([_location(1 + n)], proxy.next_url(1 + n) if n < last else None),
            ),
        ]

    rules = listing()
    refused = proxy.plan(INVENTORY_YAML, "--max-pages", str(last))
    for rule in rules:
        proxy.at.rules.remove(rule)
    rules = listing()
    allowed = proxy.plan(INVENTORY_YAML, "--max-pages", str(last + 1))

    assert refused.exit_code == 1, refused.output
    assert allowed.exit_code == 0, allowed.output
    assert "Plan:" in allowed.output and "stopped after" not in allowed.output
    assert rules[1].hits == last


def test_the_ceiling_option_rejects_nonsense(proxy: _Proxies) -> None:
    result = proxy.plan(INVENTORY_YAML, "--max-pages", "0")

    assert result.exit_code == 1, result.output
    assert "--max-pages" in result.output


def test_the_default_ceiling_is_two_thousand_pages() -> None:
    assert DEFAULT_MAX_PAGES == 2_000
    assert page_ceiling() == DEFAULT_MAX_PAGES


# --- Salesbuildr offset paging ------------------------------------------------------------------


def _categories(seen: Seen, rows: list[dict[str, Any]], *, total: bool) -> tuple[int, Any]:
    start = int(seen.query.get("from", ["0"])[0])
    size = int(seen.query.get("size", ["100"])[0])
    body: dict[str, Any] = {"results": rows[start : start + size]}
    if total:
        body["total"] = len(rows)
    return 200, body


def test_a_listing_without_a_total_that_never_ends_stops_at_the_ceiling(
    proxy: _Proxies,
) -> None:
    def endless(seen: Seen, n: int) -> tuple[int, Any]:
        start = int(seen.query["from"][0])
        rows = [{"id": f"c{start + i}", "name": f"C {start + i}"} for i in range(100)]
        return 200, {"results": rows}  # no total, never empty

    pages = proxy.sb.rule("GET", CATEGORY, endless)

    result = proxy.plan(BILLING_YAML, "--max-pages", "5")

    assert result.exit_code == 1, result.output
    assert "/category" in result.output
    assert "stopped after 5 pages" in result.output
    assert pages.hits <= 6


def test_a_listing_that_repeats_its_rows_stops(proxy: _Proxies) -> None:
    same = [{"id": "c1", "name": "Hardware"}]
    pages = proxy.sb.rule("GET", CATEGORY, lambda s, n: (200, {"results": same}))

    result = proxy.plan(BILLING_YAML)

    assert result.exit_code == 1, result.output
    assert "/category" in result.output
    assert "added none" in result.output
    assert pages.hits == 2


def test_a_category_tree_ten_thousand_deep_is_refused_without_recursion(
    proxy: _Proxies,
) -> None:
    deep = [
        {"id": str(i), "name": f"L{i}", "parentId": str(i - 1) if i else None}
        for i in range(10_000)
    ]
    pages = proxy.sb.rule("GET", CATEGORY, lambda s, n: _categories(s, deep, total=True))

    result = proxy.plan(BILLING_YAML)

    assert result.exit_code == 1, result.output
    assert "RecursionError" not in result.output
    assert f"more than {MAX_DEPTH} levels deep" in result.output
    assert "/category" in result.output
    assert pages.hits <= 10_000 // 100 + 1


def test_a_parent_cycle_is_reported_with_its_ids(proxy: _Proxies) -> None:
    rows = [
        {"id": "7", "name": "Root", "parentId": None},
        {"id": "11", "name": "A", "parentId": "13"},
        {"id": "12", "name": "B", "parentId": "11"},
        {"id": "13", "name": "C", "parentId": "12"},
        {"id": "14", "name": "Leaf", "parentId": "12"},
    ]
    proxy.sb.rule("GET", CATEGORY, lambda s, n: _categories(s, rows, total=True))

    result = proxy.plan(BILLING_YAML)

    assert result.exit_code == 1, result.output
    assert "parent cycle" in result.output
    assert "11 -> 13 -> 12 -> 11" in result.output
    assert "/category" in result.output


def test_a_tree_deeper_than_the_recursion_limit_builds_its_paths(proxy: _Proxies) -> None:
    depth = sys.getrecursionlimit() + 500
    rows = [
        {"id": str(i), "name": f"L{i}", "parentId": str(i - 1) if i else None} for i in range(depth)
    ]
    proxy.sb.rule("GET", CATEGORY, lambda s, n: _categories(s, rows, total=True))
    url = via(proxy.sb, proxy.sandbox.env["SALESBUILDR_API_URL"])
    api_key = proxy.sandbox.credentials.salesbuildr_api_key

    with SalesbuildrClient.connect(url, SecretStr(api_key)) as client:
        categories = {c.id: c for c in client.categories()}

    deepest = categories[str(depth - 1)]
    assert len(deepest.path) == depth
    assert deepest.path[:2] == ("L0", "L1") and deepest.path[-1] == f"L{depth - 1}"


# --- the tree walk itself ---------------------------------------------------------------------


def test_a_self_parent_is_a_cycle_of_one() -> None:
    with pytest.raises(ServerMisbehaved) as raised:
        category_paths({"5": {"name": "Loop", "parentId": "5"}})

    assert "ids 5 -> 5" in raised.value.message


def test_a_missing_parent_makes_a_root() -> None:
    paths = category_paths(
        {"1": {"name": "Orphan", "parentId": "404"}, "2": {"name": "Kid", "parentId": "1"}}
    )

    assert paths == {"1": ("Orphan",), "2": ("Orphan", "Kid")}
