"""Plan types: frozen, serialisable, versioned. Computation lives in ``compute``; views in render/.

The dict form (``to_dict``) is the contract of CLI.md "Plan JSON": the saved plan file, the
``--format json`` output and the only input of the text and Markdown views.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from reconciler.plan.budgets import Budget, budgets_from_dict
from reconciler.plan.listdiff import is_list_pair, list_changes

FORMAT_VERSION = "1.1"
"""1.1 added ``set_like``, ``added`` and ``removed`` to the diff of a list attribute (optional:
plans of format 1.0 are still read, and their lists are shown whole)."""
SENSITIVE = "(sensitive)"
# The diagnostic ``narrow`` adds: a narrowed plan never claims that everything matches.
TARGETING_IN_EFFECT = "targeting in effect"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    DEACTIVATE = "deactivate"
    NO_OP = "no-op"


class Risk(StrEnum):
    SAFE = "safe"
    DESTRUCTIVE = "destructive"
    BLOCKED = "blocked"


SYMBOLS = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.DELETE: "-",
    Action.DEACTIVATE: "!",
    Action.NO_OP: " ",
}


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One attribute that differs. ``set_like`` is set only for a list attribute of an update
    (True: its kind declares the order meaningless; False: the positions matter); the dict form
    then adds ``added`` and ``removed`` (:mod:`reconciler.plan.listdiff`) beside the full
    ``before`` and ``after``."""

    path: str
    before: Any
    after: Any
    set_like: bool | None = None

    @classmethod
    def of(cls, path: str, before: Any, after: Any, *, set_like: frozenset[str]) -> FieldDiff:
        """The diff of an update: a list attribute learns from its kind whether it is a set."""
        shape = (path in set_like) if is_list_pair(before, after) else None
        return cls(path, before, after, shape)

    def to_dict(self) -> dict[str, Any]:
        data = {"path": self.path, "before": self.before, "after": self.after}
        if self.set_like is not None and is_list_pair(self.before, self.after):
            added, removed = list_changes(self.before, self.after, set_like=self.set_like)
            data.update(set_like=self.set_like, added=added, removed=removed)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldDiff:
        shape = data.get("set_like")
        return cls(
            str(data["path"]),
            data.get("before"),
            data.get("after"),
            bool(shape) if shape is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Change:
    """One object the plan compared, and what apply will do to it.

    Slotted: a big tenant's plan holds one per object. A no-op's ``before``, ``after`` and
    ``ids`` may be read-only views (``plan.deferred``) that build their dict on first read.
    """

    address: str
    kind: str
    key: str
    section: str
    owner: str
    action: Action
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    diff: tuple[FieldDiff, ...] = ()
    sensitive_paths: tuple[str, ...] = ()
    reason: str = ""
    ids: Mapping[str, Any] = field(default_factory=dict)
    secret_refs: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def is_change(self) -> bool:
        return self.action is not Action.NO_OP

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "key": self.key,
            "section": self.section,
            "owner": self.owner,
            "action": self.action.value,
            "before": dict(self.before) if self.before is not None else None,
            "after": dict(self.after) if self.after is not None else None,
            "diff": [d.to_dict() for d in self.diff],
            "sensitive_paths": list(self.sensitive_paths),
            "reason": self.reason,
            "ids": dict(self.ids),
            "secret_refs": dict(self.secret_refs),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            address=str(data["address"]),
            kind=str(data["kind"]),
            key=str(data["key"]),
            section=str(data["section"]),
            owner=str(data["owner"]),
            action=Action(data["action"]),
            before=data.get("before"),
            after=data.get("after"),
            diff=tuple(FieldDiff.from_dict(d) for d in data.get("diff") or []),
            sensitive_paths=tuple(data.get("sensitive_paths") or ()),
            reason=str(data.get("reason") or ""),
            ids=dict(data.get("ids") or {}),
            secret_refs=dict(data.get("secret_refs") or {}),
        )


@dataclass(frozen=True, slots=True)
class DriftItem:
    """A live object that differs from the YAML in a section that is only observed."""

    address: str
    kind: str
    section: str
    state: str  # "differs" | "missing" | "unlisted"
    diff: tuple[FieldDiff, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "section": self.section,
            "state": self.state,
            "diff": [d.to_dict() for d in self.diff],
        }


@dataclass(frozen=True, slots=True)
class KeptItem:
    """A live object of an additive section that the YAML does not list: apply leaves it."""

    address: str
    section: str
    kind: str
    key: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "section": self.section,
            "kind": self.kind,
            "key": self.key,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeptItem:
        return cls(
            address=str(data["address"]),
            section=str(data["section"]),
            kind=str(data.get("kind", "")),
            key=str(data.get("key", "")),
        )


@dataclass(frozen=True, slots=True)
class PlanDiagnostic:
    severity: str
    message: str
    address: str = ""
    location: str = ""
    hint: str | None = None
    id: str = ""  # a warning's id (reconciler.warning_ids)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "severity": self.severity,
            "message": self.message,
            "address": self.address,
            "location": self.location,
        }
        if self.hint:
            data["hint"] = self.hint
        if self.id:
            data["id"] = self.id
        return data


@dataclass(frozen=True)
class Plan:
    """The whole plan: what changes, how risky, what was observed to detect a stale plan."""

    changes: tuple[Change, ...]
    risk: Risk
    blocked_reasons: tuple[str, ...] = ()
    drift: tuple[DriftItem, ...] = ()
    kept: tuple[KeptItem, ...] = ()
    diagnostics: tuple[PlanDiagnostic, ...] = ()
    observed: Mapping[str, str] = field(default_factory=dict)
    api_calls: Mapping[str, int] = field(default_factory=dict)
    targets: Mapping[str, str] = field(default_factory=dict)
    config_sha256: str = ""
    config_file: str = ""
    generated_at: str = ""
    tool_version: str = ""
    sections: tuple[str, ...] = ()
    policy: Mapping[str, Any] = field(default_factory=dict)
    budgets: Mapping[str, Budget] = field(default_factory=dict)
    """Each system's request budget as the plan saw it (plan/budgets.py); shown, not compared."""
    psa: str = ""
    """The PSA of the YAML it was made from ("": the default PSA)."""
    format_version: str = FORMAT_VERSION

    @property
    def summary(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "delete": 0, "deactivate": 0, "no_op": 0}
        for change in self.changes:
            counts[change.action.value.replace("-", "_")] += 1
        return counts

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.is_change]

    @property
    def has_changes(self) -> bool:
        return bool(self.pending)

    def with_meta(self, **values: Any) -> Plan:
        return replace(self, **values)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format_version": self.format_version,
            "tool_version": self.tool_version,
            "generated_at": self.generated_at,
            "config_file": self.config_file,
            "config_sha256": self.config_sha256,
            **({"psa": self.psa} if self.psa else {}),  # the default PSA's plans as they were
            "targets": dict(self.targets),
            "sections": list(self.sections),
            "policy": dict(self.policy),
            "summary": self.summary,
            "risk": self.risk.value,
            "blocked_reasons": list(self.blocked_reasons),
            "changes": [c.to_dict() for c in self.changes],
            "observed": dict(sorted(self.observed.items())),
            "drift": [d.to_dict() for d in self.drift],
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "api_calls": dict(self.api_calls),
        }
        if self.kept:  # only when there is any: older plans and their checksums stay as they were
            data["kept"] = [k.to_dict() for k in self.kept]
        if self.budgets:  # likewise: a plan made without a reading has no budgets object
            data["budgets"] = {system: b.to_dict() for system, b in sorted(self.budgets.items())}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        return cls(
            changes=tuple(Change.from_dict(c) for c in data.get("changes") or []),
            risk=Risk(data.get("risk", "safe")),
            blocked_reasons=tuple(data.get("blocked_reasons") or ()),
            drift=tuple(
                DriftItem(
                    address=str(d["address"]),
                    kind=str(d["kind"]),
                    section=str(d["section"]),
                    state=str(d["state"]),
                    diff=tuple(FieldDiff.from_dict(x) for x in d.get("diff") or []),
                )
                for d in data.get("drift") or []
            ),
            kept=tuple(KeptItem.from_dict(k) for k in data.get("kept") or []),
            diagnostics=tuple(
                PlanDiagnostic(
                    severity=str(d.get("severity", "warning")),
                    message=str(d.get("message", "")),
                    address=str(d.get("address", "")),
                    location=str(d.get("location", "")),
                    hint=d.get("hint"),
                    id=str(d.get("id", "")),
                )
                for d in data.get("diagnostics") or []
            ),
            observed=dict(data.get("observed") or {}),
            api_calls=dict(data.get("api_calls") or {}),
            targets=dict(data.get("targets") or {}),
            config_sha256=str(data.get("config_sha256", "")),
            config_file=str(data.get("config_file", "")),
            generated_at=str(data.get("generated_at", "")),
            tool_version=str(data.get("tool_version", "")),
            sections=tuple(data.get("sections") or ()),
            policy=dict(data.get("policy") or {}),
            budgets=budgets_from_dict(data.get("budgets")),
            psa=str(data.get("psa") or ""),
            format_version=str(data.get("format_version", FORMAT_VERSION)),
        )


def sections_in_order(changes: Sequence[Change]) -> list[str]:
    seen: list[str] = []
    for change in changes:
        if change.section not in seen:
            seen.append(change.section)
    return seen
