"""The ``reconciler.psa`` entry point: the :class:`~reconciler.psa.base.Psa` object of this PSA.

A module of its own, beside the package module: the package and the wire's modules import no
engine layer (tests/connectwise/test_imports.py), and each hook imports its modules only when
called (start-up).
"""

from __future__ import annotations

from reconciler.psa.base import Psa
from reconciler.psa.language_only import Language, language_only

ENV_VARS = (
    "CONNECTWISE_API_URL",
    "CONNECTWISE_COMPANY",
    "CONNECTWISE_PUBLIC_KEY",
    "CONNECTWISE_PRIVATE_KEY",
    "CONNECTWISE_CLIENT_ID",
)

LANGUAGE = Language(
    document="reconciler.psa.connectwise.config:ConnectWiseConfig",
    sections="reconciler.psa.connectwise.config:SECTION_MODELS",
    kinds="reconciler.psa.connectwise.kinds_registry:KINDS",
    check="reconciler.psa.connectwise.rules:check",
)


def psa() -> Psa:
    """The ``reconciler.psa`` entry point. The language only, this round: ``validate`` and
    ``schema`` know ConnectWise Manage files; every other command refuses them (no connect,
    read, write or operations hooks yet)."""
    return language_only("connectwise", "ConnectWise Manage", ENV_VARS, LANGUAGE)
