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
    "CONNECTWISE_API_URL",
    "CONNECTWISE_COMPANY",
    "CONNECTWISE_PUBLIC_KEY",
    "CONNECTWISE_PRIVATE_KEY",
    "CONNECTWISE_CLIENT_ID",
)


def _document() -> type[Any]:
    from reconciler.psa.connectwise.config import ConnectWiseConfig  # noqa: PLC0415 (lazy)

    return ConnectWiseConfig


def _sections() -> Mapping[str, Any]:
    from reconciler.psa.connectwise.config import SECTION_MODELS  # noqa: PLC0415 (lazy)

    return SECTION_MODELS


def _kinds() -> tuple[Any, ...]:
    from reconciler.psa.connectwise.kinds_registry import KINDS  # noqa: PLC0415 (lazy)

    return KINDS


def _check(document: Any, source: Any) -> tuple[list[Any], list[Any]]:
    from reconciler.psa.connectwise.rules import check  # noqa: PLC0415 (lazy)

    return check(document, source), []


def psa() -> Psa:
    """The ``reconciler.psa`` entry point. The language only, this round: ``validate`` and
    ``schema`` know ConnectWise files; every other command refuses them (no connect, read,
    write or operations hooks yet)."""
    return Psa(
        name="connectwise",
        title="ConnectWise Manage",
        env_vars=ENV_VARS,
        sections=_sections,
        kinds=_kinds,
        document=_document,
        check=_check,
    )
