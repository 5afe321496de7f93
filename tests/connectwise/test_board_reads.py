"""The ticket settings read the children (statuses, types, subtypes, items, associations) of
the board the YAML names only, at the lower bound: every ConnectWise request of a plan recorded
by its transport on the ``large`` seed (28 boards). The board is found as the kind finds it
(case-insensitively, ``{id: N}``); an unknown one reads no children and gets its did-you-mean;
a YAML without ticket settings reads no board at all; with no YAML (export) every board's
children are read, since the live board is known only from Salesbuildr's document."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from reconciler import session
from reconciler.config import parse_config
from reconciler.errors import ConfigError
from reconciler.sandbox.common import Sandbox, register_simulator, start_sandbox
from tests.connectwise.engine_support import EXAMPLE, FAST, cw_api

CHILDREN = ("statuses", "types", "subtypes", "items", "typeSubTypeItemAssociations")
CHILD_PATH = re.compile(r"/service/boards/(\d+)/(\w+)$")


class Recording(httpx.BaseTransport):
    """Every request's path, passed on to the simulator."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.paths: list[str] = []
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.paths.append(request.url.path)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()

    def children(self) -> dict[str, list[str]]:
        """Board id -> the child lists read of it."""
        found: dict[str, list[str]] = {}
        for path in self.paths:
            match = CHILD_PATH.search(path)
            if match:
                found.setdefault(match.group(1), []).append(match.group(2))
        return found


@pytest.fixture(scope="module")
def large() -> Iterator[Sandbox]:
    register_simulator("connectwise", "reconciler.sandbox.connectwise:sandbox_hook")
    running = start_sandbox(psa="connectwise", seed="large")
    try:
        yield running
    finally:
        running.stop()


def _env(sandbox: Sandbox) -> dict[str, str]:
    return {**sandbox.env, **FAST}


def _board_ids(sandbox: Sandbox) -> dict[str, str]:
    with cw_api(_env(sandbox)) as api:
        boards = api.get("service/boards", params={"pageSize": 1000}).json()
    return {b["name"]: str(b["id"]) for b in boards}


def _plan(sandbox: Sandbox, document: dict[str, Any]) -> tuple[Recording, session.PlanRun]:
    env = _env(sandbox)
    loaded = parse_config(yaml.safe_dump(document).encode(), file="mappings.yaml", environ=env)
    recording = Recording()
    transports = session.Transports(psa=recording)
    sections = loaded.config.present_sections()
    with session.connect(loaded, env, sections=sections, transports=transports) as connections:
        run = session.make_plan(loaded, connections)
    return recording, run


def _example() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    document.pop("salesbuildr", None)  # the sandbox's URL comes from the environment
    return document


def test_a_plan_of_the_large_seed_reads_the_children_of_its_board_only(large: Sandbox) -> None:
    boards = _board_ids(large)
    assert len(boards) == 28
    recording, run = _plan(large, _example())
    assert run.plan.summary["create"] > 0
    children = recording.children()
    assert set(children) == {boards["Professional Services"]}, children
    assert sorted(children[boards["Professional Services"]]) == sorted(CHILDREN)
    # One request per list: every list of the demo part is under a page.
    listed = [p for p in recording.paths if "/service/boards" in p]
    assert len(listed) == 1 + len(CHILDREN), listed


def test_the_board_is_found_as_the_kind_finds_it(large: Sandbox) -> None:
    boards = _board_ids(large)
    document = _example()
    document["ticket_settings"] = {**document["ticket_settings"], "board": "professional SERVICES"}
    recording, run = _plan(large, document)
    assert set(recording.children()) == {boards["Professional Services"]}
    assert any(c.address == "ticket_settings" for c in run.plan.pending)

    by_id = {"board": {"id": int(boards["Help Desk"])}, "status": "Assigned"}
    recording, run = _plan(large, {**_example(), "ticket_settings": by_id})
    assert set(recording.children()) == {boards["Help Desk"]}
    [change] = [c for c in run.plan.pending if c.address == "ticket_settings"]
    assert change.after is not None and change.after["status"] == "Assigned"


def test_an_unknown_board_reads_no_children_and_says_did_you_mean(large: Sandbox) -> None:
    document = {**_example(), "ticket_settings": {"board": "Profesional Services", "status": "New"}}
    with pytest.raises(ConfigError) as raised:
        _plan(large, document)
    text = str(raised.value) + " ".join(f"{d.message} {d.hint}" for d in raised.value.diagnostics)
    assert "unknown ConnectWise board 'Profesional Services'" in text
    assert "Professional Services" in text  # did you mean


def test_no_ticket_settings_reads_no_board(large: Sandbox) -> None:
    document = _example()
    document.pop("ticket_settings")
    recording, _ = _plan(large, document)
    assert not [p for p in recording.paths if "/service/boards" in p]

    only_priority = {**_example(), "ticket_settings": {"priority": "Priority 3 - Normal"}}
    recording, _ = _plan(large, only_priority)
    assert recording.children() == {}  # no board named: none of its children needed


def test_a_re_read_of_the_run_reads_no_children_again(large: Sandbox) -> None:
    """Apply's stale check and verification re-read with no YAML: the run's tables serve."""
    env = _env(large)
    loaded = parse_config(yaml.safe_dump(_example()).encode(), file="m.yaml", environ=env)
    recording = Recording()
    sections = loaded.config.present_sections()
    transports = session.Transports(psa=recording)
    with session.connect(loaded, env, sections=sections, transports=transports) as connections:
        session.make_plan(loaded, connections)
        read = len(recording.paths)
        state, catalog = session.live_reader(connections)(["ticket_settings"], [])
        assert len(catalog.table("connectwise.board_statuses").entries) == 5  # its 5 statuses
    assert len(recording.children()) == 1  # the plan's board
    assert [p for p in recording.paths[read:] if CHILD_PATH.search(p)] == []
    assert state.resources["ticket_settings"].kind == "ticket_settings"


def test_export_reads_every_board_having_no_yaml_to_name_one(large: Sandbox) -> None:
    recording = Recording()
    transports = session.Transports(psa=recording)
    with session.connect_env(
        _env(large), sections=["ticket_settings"], transports=transports, psa="connectwise"
    ) as connections:
        session.read_everything(connections, ["ticket_settings"])
    children = recording.children()
    assert set(children) == set(_board_ids(large).values())
    assert all(sorted(lists) == sorted(CHILDREN) for lists in children.values())
