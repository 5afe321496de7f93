"""The ``reconciler.psa`` entry point: the :class:`~reconciler.psa.base.Psa` object of this PSA.

A module of its own, beside the package module: the package and the wire's modules import no
engine layer (tests/connectwise/test_imports.py), and each hook imports its modules only when
called (start-up).
"""

from __future__ import annotations

from reconciler.psa.base import Psa
from reconciler.psa.language_only import Language, language_only

ENV_VARS = (
    "HALOPSA_URL",
    "HALOPSA_CLIENT_ID",
    "HALOPSA_CLIENT_SECRET",
    "HALOPSA_TENANT",
    "HALOPSA_AUTH_URL",
)

LANGUAGE = Language(
    document="reconciler.psa.halopsa.config:HaloConfig",
    sections="reconciler.psa.halopsa.config:SECTION_MODELS",
    kinds="reconciler.psa.halopsa.kinds:KINDS",
    check="reconciler.psa.halopsa.rules:check",
)


def psa() -> Psa:
    """The ``reconciler.psa`` entry point. The language only, this round: ``validate`` and
    ``schema`` know HaloPSA files; every other command refuses them (no connect, read, write or
    operations hooks yet)."""
    return language_only("halopsa", "HaloPSA", ENV_VARS, LANGUAGE)
