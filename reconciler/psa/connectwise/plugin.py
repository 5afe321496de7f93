"""The ``reconciler.psa`` entry point: the :class:`~reconciler.psa.base.Psa` object of this PSA.

A module of its own, beside the package module: the package and the wire's modules import no
engine layer (tests/connectwise/test_imports.py), and each hook imports its modules only when
called (start-up).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from reconciler.psa.base import (
    BenchHooks,
    Psa,
    PsaOperations,
    PsaSystem,
    SandboxHooks,
    TestFixtures,
)
from reconciler.psa.language_only import Language, language_only

ENV_VARS = (
    "CONNECTWISE_API_URL",
    "CONNECTWISE_COMPANY",
    "CONNECTWISE_PUBLIC_KEY",
    "CONNECTWISE_PRIVATE_KEY",
    "CONNECTWISE_CLIENT_ID",
)
LIMIT_VARS = ("CONNECTWISE_REQUESTS_PER_MINUTE",)
"""The client's limits: from the real environment only (a ``.env`` that sets one is refused)."""

LANGUAGE = Language(
    document="reconciler.psa.connectwise.config:ConnectWiseConfig",
    sections="reconciler.psa.connectwise.config:SECTION_MODELS",
    kinds="reconciler.psa.connectwise.kinds_registry:KINDS",
    check="reconciler.psa.connectwise.rules:check",
)


def _system() -> PsaSystem:
    from reconciler.psa.connectwise.system import system  # noqa: PLC0415 (lazy: start-up)

    return system()


def _export(state: Any, catalog: Any, sections: Sequence[str], header: Sequence[str]) -> str:
    from reconciler.psa.connectwise.export_yaml import export_yaml  # noqa: PLC0415 (start-up)

    return export_yaml(state, catalog, sections, header)


def _operations() -> PsaOperations:
    from reconciler.psa.connectwise.operations import operations  # noqa: PLC0415 (start-up)

    return operations()


def psa() -> Psa:
    """The ``reconciler.psa`` entry point: the language, the run side (plan, apply, export,
    preflight through :mod:`.system`) and the simulator."""
    language = language_only("connectwise", "ConnectWise Manage", ENV_VARS, LANGUAGE)
    return dataclasses.replace(
        language,
        system=_system,
        limit_vars=LIMIT_VARS,
        operations=_operations,
        export=_export,
        after_apply=("sync_fields", "sync_full", "import_products"),
        salesbuildr_documents="reconciler.psa.connectwise:salesbuildr_documents.json",
        simulator=SandboxHooks(launcher="reconciler.sandbox.connectwise:sandbox_hook"),
        bench=BenchHooks(
            read_floor="bench.psa_plans:bound",
            write_floor="bench.psa_applies:write_floor",
            spec="bench.psa_specs:connectwise",
        ),
        fixtures=TestFixtures(
            suite_case="tests.reliability.psa_cases.connectwise:CASE",
            example_config="examples/connectwise/mappings.yaml",
            hostile_inputs="tests.security.escape_support:EXAMPLES",
        ),
    )
