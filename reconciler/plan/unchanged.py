"""The no-op :class:`Change`, recorded as the pair compared: one small object per unchanged object.

A big tenant's plan is mostly no-ops (the JSON contract lists every compared object), and each
used to carry three fresh dicts (``before``, ``after``, ``ids``) that only a view of the plan ever
reads. :class:`Unchanged` keeps references to the two resources instead (resources are not
mutated once built) and builds those dicts, exactly as the eager code did, on first read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from types import MappingProxyType
from typing import Any, Protocol

from reconciler.plan.model import Action, Change
from reconciler.state import Resource

EMPTY: Mapping[str, Any] = MappingProxyType({})
"""One shared empty mapping: the ``secret_refs`` of every no-op (a no-op sends nothing)."""

OBSERVED_ONLY = "observed only"

_Derived = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]


class Normaliser(Protocol):
    """What a no-op needs of its kind: the canonical form of attributes."""

    def normalise(self, attributes: Mapping[str, Any]) -> dict[str, Any]: ...


class Unchanged(Change):
    """A no-op between ``live`` and ``desired``; equal to the Change the eager code built.

    ``before`` is the live attributes normalised, ``after`` those overlaid with the desired ones
    (for a section that is only observed, ``after`` is ``before``), ``ids`` both sides' ids.
    """

    __slots__ = ("_derived", "_desired", "_live", "_normaliser")
    _normaliser: Normaliser
    _live: Resource
    _desired: Resource
    _derived: _Derived | None

    def __init__(
        self, normaliser: Normaliser, live: Resource, desired: Resource, *, observed: bool = False
    ) -> None:
        # Change is frozen: fields are set as its own generated __init__ sets them.
        setter = object.__setattr__
        setter(self, "address", desired.address)
        setter(self, "kind", desired.kind)
        setter(self, "key", desired.key)
        setter(self, "section", desired.section)
        setter(self, "owner", desired.owner)
        setter(self, "action", Action.NO_OP)
        setter(self, "diff", ())
        setter(self, "sensitive_paths", ())
        setter(self, "reason", OBSERVED_ONLY if observed else "")
        setter(self, "secret_refs", EMPTY)
        setter(self, "_normaliser", normaliser)
        setter(self, "_live", live)
        setter(self, "_desired", desired)
        setter(self, "_derived", None)

    def observed(self) -> Unchanged:
        """The same pair in a section that is only observed."""
        return Unchanged(self._normaliser, self._live, self._desired, observed=True)

    def _build(self) -> _Derived:
        derived = self._derived
        if derived is None:
            live = self._normaliser.normalise(self._live.attributes)
            after = (
                live
                if self.reason == OBSERVED_ONLY
                else {**live, **self._normaliser.normalise(self._desired.attributes)}
            )
            ids = {"live": dict(self._live.ids), "desired": dict(self._desired.ids)}
            derived = (dict(live), after, ids)
            # Two threads may both build it: equal values, and the assignment is atomic.
            object.__setattr__(self, "_derived", derived)
        return derived

    @property
    def before(self) -> Mapping[str, Any]:
        return self._build()[0]

    @property
    def after(self) -> Mapping[str, Any]:
        return self._build()[1]

    @property
    def ids(self) -> Mapping[str, Any]:
        return self._build()[2]

    def __eq__(self, other: object) -> bool:
        # Equal to any Change with the same fields, as the eager no-op was.
        if not isinstance(other, Change):
            return NotImplemented
        return _fields(self) == _fields(other)

    __hash__ = None  # type: ignore[assignment]  # as Change's: its fields hold dicts

    def __repr__(self) -> str:
        return "Unchanged" + repr(Change(*_fields(self)))[len("Change") :]


_FIELD_NAMES = tuple(f.name for f in fields(Change))


def _fields(change: Change) -> tuple[Any, ...]:
    return tuple(getattr(change, name) for name in _FIELD_NAMES)
