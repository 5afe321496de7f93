"""The ``reconciler.psa`` entry point: the :class:`~reconciler.psa.base.Psa` object of this PSA.

A module of its own, beside the package module: the package and the wire's modules import no
engine layer (tests/connectwise/test_imports.py), and each hook imports its modules only when
called (start-up).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.psa.base import Psa

ENV_VARS = (
    "HALOPSA_URL",
    "HALOPSA_CLIENT_ID",
    "HALOPSA_CLIENT_SECRET",
    "HALOPSA_TENANT",
    "HALOPSA_AUTH_URL",
)


def _document() -> type[Any]:
    from reconciler.psa.halopsa.config import HaloConfig  # noqa: PLC0415 (lazy)

    return HaloConfig


def _sections() -> Mapping[str, Any]:
    from reconciler.psa.halopsa.config import SECTION_MODELS  # noqa: PLC0415 (lazy)

    return SECTION_MODELS


def _kinds() -> tuple[Any, ...]:
    from reconciler.psa.halopsa.kinds import KINDS  # noqa: PLC0415 (lazy)

    return KINDS


def _check(document: Any, source: Any) -> tuple[list[Any], list[Any]]:
    from reconciler.psa.halopsa.rules import check  # noqa: PLC0415 (lazy)

    return check(document, source), []


def psa() -> Psa:
    """The ``reconciler.psa`` entry point. The language only, this round: ``validate`` and
    ``schema`` know HaloPSA files; every other command refuses them (no connect, read, write or
    operations hooks yet)."""
    return Psa(
        name="halopsa",
        title="HaloPSA",
        env_vars=ENV_VARS,
        sections=_sections,
        kinds=_kinds,
        document=_document,
        check=_check,
    )
