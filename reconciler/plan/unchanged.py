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
    The fields every no-op shares are class attributes (they shadow Change's slots, which stay
    empty): a big tenant builds one per object, and each slot set costs.
    """

    __slots__ = ("_derived", "_desired", "_live", "_normaliser")
    _normaliser: Normaliser
    _live: Resource
    _desired: Resource
    _derived: _Derived  # set on first read of a derived field

    action = Action.NO_OP
    diff = ()
    sensitive_paths = ()
    reason = ""
    secret_refs = EMPTY

    def __init__(self, normaliser: Normaliser, live: Resource, desired: Resource) -> None:
        # Change is frozen: fields are set as its own generated __init__ sets them.
        setter = object.__setattr__
        setter(self, "address", desired.address)
        setter(self, "kind", desired.kind)
        setter(self, "key", desired.key)
        setter(self, "section", desired.section)
        setter(self, "owner", desired.owner)
        setter(self, "_normaliser", normaliser)
        setter(self, "_live", live)
        setter(self, "_desired", desired)

    def observed(self) -> Unchanged:
        """The same pair in a section that is only observed."""
        return _Observed(self._normaliser, self._live, self._desired)

    def _build(self) -> _Derived:
        try:
            return self._derived
        except AttributeError:
            pass
        live = self._normaliser.normalise(self._live.attributes)
        after = self._after(live)
        ids = {"live": dict(self._live.ids), "desired": dict(self._desired.ids)}
        derived = (dict(live), after, ids)
        # Two threads may both build it: equal values, and the assignment is atomic.
        object.__setattr__(self, "_derived", derived)
        return derived

    def _after(self, live: dict[str, Any]) -> dict[str, Any]:
        return {**live, **self._normaliser.normalise(self._desired.attributes)}

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


class _Observed(Unchanged):
    """A no-op in a section that is only observed: ``after`` is ``before``."""

    __slots__ = ()
    reason = OBSERVED_ONLY

    def _after(self, live: dict[str, Any]) -> dict[str, Any]:
        return live


_FIELD_NAMES = tuple(f.name for f in fields(Change))


def _fields(change: Change) -> tuple[Any, ...]:
    return tuple(getattr(change, name) for name in _FIELD_NAMES)
