"""The one table of warning ids: every warning reconcile prints carries one of these.

An id is printed with its warning (``warning[unmapped_company_types]: ...`` in text and
Markdown, ``"id"`` in JSON), so a reader can search for it and a YAML can silence it with
``policy.acknowledge: [unmapped_company_types]``. Only warnings about the document and what it
plans are acknowledgeable: a warning about this run (targeting, a lock, a rate limit) says
something the next run may not repeat, and silencing it in a reviewed file would hide it from
the reviewer.

Pure data; every layer but the sandbox may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class WarningKind:
    id: str
    about: str
    acknowledgeable: bool


LITERAL_SECRET: Final = "literal_secret"
UNMAPPED_COMPANY_TYPES: Final = "unmapped_company_types"
TARGETING_IN_EFFECT: Final = "targeting_in_effect"
TARGET_MATCHES_NOTHING: Final = "target_matches_nothing"
SIGNATURE_NOT_CHECKED: Final = "signature_not_checked"
CATEGORY_NOT_MAPPED: Final = "category_not_mapped"
NAMES_NOT_READ: Final = "names_not_read"
LOCK_NOT_RELEASED: Final = "lock_not_released"
LOCK_TAKEN_OVER: Final = "lock_taken_over"
RATE_LIMITED: Final = "rate_limited"
EXPORT_OVER_SIZE_LIMIT: Final = "export_over_size_limit"

WARNINGS: Final[dict[str, WarningKind]] = {
    kind.id: kind
    for kind in (
        WarningKind(LITERAL_SECRET, "a secret is written literally in the YAML", True),
        WarningKind(
            UNMAPPED_COMPANY_TYPES,
            "Salesbuildr company types without an Autotask company type",
            True,
        ),
        WarningKind(TARGETING_IN_EFFECT, "--target/--exclude: the plan covers part", False),
        WarningKind(TARGET_MATCHES_NOTHING, "a --target/--exclude matches no object", False),
        WarningKind(SIGNATURE_NOT_CHECKED, "a signed plan applied without the key", False),
        WarningKind(CATEGORY_NOT_MAPPED, "import-products --category X: X is not mapped", False),
        WarningKind(NAMES_NOT_READ, "Autotask names could not be read: ids shown", False),
        WarningKind(LOCK_NOT_RELEASED, "the apply lock could not be released", False),
        WarningKind(LOCK_TAKEN_OVER, "the lock of a dead process on this host taken over", False),
        WarningKind(RATE_LIMITED, "an API rate limit makes this run wait", False),
        WarningKind(EXPORT_OVER_SIZE_LIMIT, "an export larger than plan can load", False),
    )
}
"""Every warning id -> what it is about and whether ``policy.acknowledge`` may silence it."""

ACKNOWLEDGEABLE: Final = tuple(sorted(k.id for k in WARNINGS.values() if k.acknowledgeable))


def labelled(warning_id: str) -> str:
    """``warning[unmapped_company_types]``: how text and Markdown head a warning."""
    if warning_id not in WARNINGS:
        raise KeyError(f"unknown warning id {warning_id!r}: add it to reconciler.warning_ids")
    return f"warning[{warning_id}]"
