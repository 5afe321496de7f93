"""reconciler.writer: the apply's writer routes each change to the writer of its owner (data on
the change), and a section's document write to the writer that claims the section."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from reconciler.state import SectionSnapshot, State
from reconciler.writer import Writer
from reconciler.writes import Change, Journal, Stages, WriteOp


@dataclass(frozen=True)
class _Change:
    address: str
    kind: str
    owner: str
    section: str
    key: str = "k"
    action: str = "update"
    before: Any = None
    after: Any = None
    diff: Sequence[Any] = ()
    sensitive_paths: Sequence[str] = ()
    ids: Any = field(default_factory=dict)
    secret_refs: Any = field(default_factory=dict)


def _op(label: str) -> WriteOp:
    def run(journal: Journal) -> None:
        return None

    return WriteOp(label, run)


class _System:
    def __init__(self, name: str, claims: frozenset[str] = frozenset()) -> None:
        self.name = name
        self.document_sections = claims
        self.remembered: list[SectionSnapshot] = []
        self.client = f"{name}-client"

    def writes(self, change: Change) -> Stages:
        return [[_op(f"{self.name} writes {change.address}")]]

    def removal_writes(self, change: Change) -> Stages:
        return [[_op(f"{self.name} removes {change.address}")]]

    def section_op(self, section: str, group: Sequence[Change]) -> WriteOp | None:
        return _op(f"{self.name} PUTs {section} ({len(group)})")

    def remaining_requests(self) -> int | None:
        return 7

    def leading_ops(self, changes: Sequence[Change]) -> list[WriteOp]:
        return [_op("first") for c in changes if c.kind == "receiver-like"]

    def observed_key(self, name: str) -> str:
        return f"docs:{name}"

    def remember(self, snapshot: SectionSnapshot) -> None:
        self.remembered.append(snapshot)


@pytest.fixture
def systems() -> tuple[_System, _System, Writer]:
    psa, docs = _System("psa", claims=frozenset({"claimed"})), _System("docs")

    def read_live(sections: Sequence[str], entities: Sequence[str]) -> Any:
        snapshot = SectionSnapshot(name="doc", body={}, etag="e1")
        return State.of([], [snapshot]), None

    writer = Writer(psa=psa, documents=docs, owners={"p": psa, "d": docs}, read_live=read_live)
    return psa, docs, writer


def _labels(stages: Stages) -> list[str]:
    return [op.label for stage in stages for op in stage]


def test_each_change_goes_to_the_writer_of_its_owner(systems: Any) -> None:
    _, _, writer = systems

    assert _labels(writer.object_writes(_Change("a", "x", "p", "s"))) == ["psa writes a"]
    assert _labels(writer.object_writes(_Change("b", "y", "d", "s"))) == ["docs writes b"]
    assert _labels(writer.removal_writes(_Change("c", "x", "p", "s"))) == ["psa removes c"]
    # An owner no writer is registered for is the PSA's (its own error names the kind).
    assert _labels(writer.object_writes(_Change("e", "z", "other", "s"))) == ["psa writes e"]


def test_a_claimed_section_is_written_by_the_psa_the_others_by_salesbuildr(systems: Any) -> None:
    _, _, writer = systems
    changes = [
        _Change("r", "receiver-like", "d", "hooks"),
        _Change("a", "x", "d", "mapped"),
        _Change("b", "x", "p", "claimed"),
        _Change("c", "x", "d", "mapped"),
    ]

    assert _labels(writer.document_writes(changes)) == [
        "first",
        "docs PUTs hooks (1)",
        "docs PUTs mapped (2)",
        "psa PUTs claimed (1)",
    ]
    assert writer.document_writes([]) == []


def test_observation_keys_documents_by_the_documents_writer(systems: Any) -> None:
    _, docs, writer = systems

    observation = writer.observe([_Change("a", "x", "p", "s")])

    assert observation.fingerprints == {"docs:doc": "etag:e1"}
    assert [s.name for s in docs.remembered] == ["doc"]
    assert writer.remaining_requests() == 7
    assert writer.salesbuildr == "docs-client"
