"""What every PSA's desired builder shares: references as the kinds read them, and a document's
policy and sections as the engine takes them. Each PSA's builder (the YAML as desired
:class:`~reconciler.state.Resource` objects) is in its package (Autotask's:
psa/autotask/desired.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

from reconciler.config.types import IdRef
from reconciler.state import ManageMode, PolicySettings


def ref(value: Any) -> Any:
    """A reference as the kinds read it: a name, or ``{"id": N}``."""
    if isinstance(value, IdRef):
        return {"id": value.id}
    if isinstance(value, Enum):
        return value.value
    return value


def policy_settings(config: Any) -> PolicySettings:
    """The engine's policy of any PSA's document (each PSA declares its policy model)."""
    policy = config.policy
    return PolicySettings(
        manage={section: ManageMode(mode.value) for section, mode in policy.manage.items()},
        max_change_fraction=policy.max_change_fraction,
        max_deletes=policy.max_deletes,
        ignore_fields={
            section: frozenset(names) for section, names in policy.ignore_fields.items()
        },
    )


def sections_of(config: Any) -> Iterable[str]:
    """The managed sections a PSA's document states (``PsaDocument.present_sections``)."""
    sections: list[str] = config.present_sections()
    return sections
