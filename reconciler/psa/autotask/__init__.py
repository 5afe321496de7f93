"""Autotask: the seven Salesbuildr admin pages of the Autotask integration, as a PSA package.

:func:`psa` is the ``reconciler.psa`` entry point. It imports nothing heavy: each hook imports
its module when called."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.psa.base import (
    BenchHooks,
    Psa,
    PsaOperations,
    PsaSystem,
    SandboxHooks,
    TestFixtures,
)

POLICY_KEYS = ("min_remaining_autotask_requests",)
"""Autotask's own policy keys (declared by its policy model, config.autotask.Policy; a unit test
keeps the two equal)."""

CREDENTIALS = (
    "AUTOTASK_API_USERNAME",
    "AUTOTASK_API_SECRET",
    "AUTOTASK_API_INTEGRATION_CODE",
)
"""The variables a run needs before its first Autotask request (``PsaSystem.credentials``)."""

ENV_VARS = (*CREDENTIALS, "AUTOTASK_API_URL")


def _document() -> type[Any]:
    from reconciler.psa.autotask.config import Config  # noqa: PLC0415 (lazy: start-up)

    return Config


def _sections() -> Mapping[str, Any]:
    model = _document()
    return {name: model.model_fields[name].annotation for name in model.SECTIONS}


def _check(document: Any, source: Any) -> tuple[list[Any], list[Any]]:
    from reconciler.psa.autotask.rules import check  # noqa: PLC0415 (lazy: start-up)

    return check(document, source)


def _kinds() -> tuple[Any, ...]:
    from reconciler.psa.autotask.kinds.registry import KINDS  # noqa: PLC0415 (lazy: start-up)

    return KINDS


def _export(state: Any, catalog: Any, sections: Sequence[str], header: Sequence[str]) -> str:
    from reconciler.psa.autotask.export import export_yaml  # noqa: PLC0415 (lazy: start-up)

    return export_yaml(state, catalog, sections=sections, header=header)


def _operations() -> PsaOperations:
    from reconciler.psa.autotask.operations import operations  # noqa: PLC0415 (lazy: start-up)

    return operations()


def _system() -> PsaSystem:
    from reconciler.psa.autotask.system import system  # noqa: PLC0415 (lazy: start-up)

    return system()


def psa() -> Psa:
    return Psa(
        name="autotask",
        title="Autotask",
        env_vars=ENV_VARS,
        sections=_sections,
        kinds=_kinds,
        document=_document,
        check=_check,
        operations=_operations,
        system=_system,
        export=_export,
        policy_keys=POLICY_KEYS,
        request_floor_key="min_remaining_autotask_requests",
        after_apply=("sync_fields", "sync_full", "sync_inventory", "import_products"),
        simulator=SandboxHooks(launcher="reconciler.sandbox.autotask:sandbox_hook"),
        bench=BenchHooks(
            read_floor="bench.bounds:plan_phases", write_floor="bench.bounds_apply:write_phases"
        ),
        fixtures=TestFixtures(
            suite_case="tests.reliability.psa_cases.autotask:CASE",
            example_config="examples/mappings.yaml",
            hostile_inputs="tests.security.escape_support:EXAMPLES",
        ),
    )
