"""Where apply writes each change: the stage its kind declares (``Kind.stage``).

The apply graph imports only the plan; it asks here, and the plan asks the kinds. A kind the
registry does not know is part of its section's document (the default stage of a kind)."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.kinds.base import ApplyStage, Kind
from reconciler.plan.model import Change

__all__ = ["ApplyStage", "Kinds", "stage_of"]

Kinds = Mapping[str, Kind]


def stage_of(change: Change, kinds: Kinds) -> ApplyStage:
    kind = kinds.get(change.kind)
    return kind.stage if kind is not None else ApplyStage.DOCUMENT
