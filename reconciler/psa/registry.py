"""Which PSAs are installed: the ``reconciler.psa`` entry-point group, read once, lazily.

The core asks here for a PSA by name and never imports a PSA package itself. The scan costs
a few milliseconds, so only commands that read a YAML or talk to a system pay it (``--help``
does not: the start-up test proves it)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from reconciler.errors import ReconcileError, UsageError
from reconciler.psa.base import Psa

GROUP = "reconciler.psa"
DEFAULT = "autotask"
"""The PSA of a YAML without ``psa:`` (every file written before there were others)."""


@cache
def installed() -> dict[str, Psa]:
    """Every installed PSA by name, in name order."""
    found: dict[str, Psa] = {}
    for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
        factory = point.load()
        psa = factory() if callable(factory) else factory
        if not isinstance(psa, Psa) or psa.name != point.name:
            raise ReconcileError(
                f"the package registered as PSA {point.name!r} does not provide a reconciler PSA",
                hint="reinstall it, or uninstall the package that registers it",
            )
        found[psa.name] = psa
    return found


def psa_name(source: object | None) -> str:
    """The PSA ``source`` (a config, a plan, anything with ``psa``) names; the default when it
    names none. ``psa`` may be a string or an enum (its ``value``)."""
    name = getattr(source, "psa", None) if source is not None else None
    return str(getattr(name, "value", name) or DEFAULT)


def of(source: object | None) -> Psa:
    """The installed PSA ``source`` names (:func:`psa_name`)."""
    return get(psa_name(source))


def names() -> tuple[str, ...]:
    return tuple(installed())


def get(name: str) -> Psa:
    psas = installed()
    if name not in psas:
        known = ", ".join(psas) or "none"
        raise UsageError(f"unknown PSA {name!r} (installed: {known})")
    return psas[name]
