"""The ``reconciler.psa`` entry point: the :class:`~reconciler.psa.base.Psa` object of this PSA.

A module of its own, beside the package module: the package and the wire's modules import no
engine layer (tests/connectwise/test_imports.py), and each hook imports its modules only when
called (start-up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
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
    "HALOPSA_URL",
    "HALOPSA_CLIENT_ID",
    "HALOPSA_CLIENT_SECRET",
    "HALOPSA_TENANT",
    "HALOPSA_AUTH_URL",
)
LIMIT_VARS = ("HALOPSA_REQUESTS_PER_5_MINUTES", "HALOPSA_PAGE_SIZE")
"""The client's limits: from the real environment only (a ``.env`` that sets one is refused)."""

LANGUAGE = Language(
    document="reconciler.psa.halopsa.config:HaloConfig",
    sections="reconciler.psa.halopsa.config:SECTION_MODELS",
    kinds="reconciler.psa.halopsa.kinds:KINDS",
    check="reconciler.psa.halopsa.rules:check",
)


def _system() -> PsaSystem:
    from reconciler.psa.halopsa.system import system  # noqa: PLC0415 (lazy: start-up)

    return system()


def _operations() -> PsaOperations:
    from reconciler.psa.halopsa.operations import operations  # noqa: PLC0415 (lazy: start-up)

    return operations()


def _export(state: Any, catalog: Any, sections: Sequence[str], header: Sequence[str]) -> str:
    from reconciler.psa.halopsa.export import export_text  # noqa: PLC0415 (lazy: start-up)

    return export_text(state, catalog, sections, header)


def psa() -> Psa:
    """The ``reconciler.psa`` entry point: the language, the run side (plan, apply, export,
    preflight through :mod:`.system`), the operations and the simulator."""
    return replace(
        language_only("halopsa", "HaloPSA", ENV_VARS, LANGUAGE),
        system=_system,
        limit_vars=LIMIT_VARS,
        operations=_operations,
        export=_export,
        after_apply=("sync_full",),
        salesbuildr_documents="reconciler.psa.halopsa:salesbuildr_documents.json",
        simulator=SandboxHooks(launcher="reconciler.sandbox.halopsa:sandbox_hook"),
        bench=BenchHooks(
            read_floor="bench.psa_plans:bound",
            write_floor="bench.psa_applies:write_floor",
            spec="bench.psa_specs:halopsa",
        ),
        fixtures=TestFixtures(
            suite_case="tests.reliability.psa_cases.halopsa:CASE",
            example_config="examples/halopsa/mappings.yaml",
            hostile_inputs="tests.security.escape_support:EXAMPLES",
        ),
    )
