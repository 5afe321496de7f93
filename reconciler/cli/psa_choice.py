"""Which PSA a command works with: the YAML's (or saved plan's) ``psa``, else the default.

The registry scans the ``reconciler.psa`` entry points on first use, so this module imports it
only inside functions: ``reconcile --help`` never pays for the scan (tests/cli/
test_startup_imports.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from reconciler.psa.base import Psa


def psa_of(source: object | None) -> Psa:
    from reconciler.psa import registry

    return registry.of(source)


def simulated_psas() -> tuple[str, ...]:
    """The installed PSAs that register a simulator (``reconcile sandbox --psa``)."""
    from reconciler.psa import registry

    return tuple(name for name, psa in registry.installed().items() if psa.simulator is not None)


def registered_simulator(name: str) -> str:
    """The ``module:factory`` of the simulator the PSA ``name`` registers."""
    from reconciler.psa import registry

    simulator = registry.get(name).simulator
    if simulator is None:
        raise click.UsageError(f"the PSA {name!r} has no simulator")
    return simulator.launcher


if TYPE_CHECKING:
    _TextParam = click.ParamType[str, Any]  # generic from click 8.2 on; 8.1 is supported
else:
    _TextParam = click.ParamType


class SimulatedPsa(_TextParam):
    """``--psa NAME``: checked against the registry when the command runs, not when the help
    is built (the help must not scan entry points)."""

    name = "psa"

    def get_metavar(self, param: click.Parameter, *args: Any, **kwargs: Any) -> str:
        return "NAME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        known = simulated_psas()
        if text not in known:
            self.fail(
                f"{text!r} is not a PSA with a simulator (installed: {', '.join(known) or 'none'})",
                param,
                ctx,
            )
        return text


class InstalledPsa(_TextParam):
    """``--psa NAME`` of any installed PSA, checked when the command runs (not for the help)."""

    name = "psa"

    def get_metavar(self, param: click.Parameter, *args: Any, **kwargs: Any) -> str:
        return "NAME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from reconciler.psa import registry

        text = str(value)
        known = sorted(registry.installed())
        if text not in known:
            self.fail(f"{text!r} is not an installed PSA ({', '.join(known)})", param, ctx)
        return text
