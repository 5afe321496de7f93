"""The `reconcile` command line: parse, wire, render, map errors to exit codes.

The only package that prints or exits. Results go to stdout; diagnostics, progress and logs to
stderr. A user mistake never shows a traceback (``--debug`` does).

Thin: each command parses its options, finds the PSA of the YAML (:mod:`.psa_choice`), and
calls the core (the session, the apply workflow) or the PSA's operations; it shows what they
return. The group and its error mapping are in :mod:`.group`; each command module registers
itself on it when imported below:

============================  ================================================================
:mod:`.offline`               ``validate``, ``schema``
:mod:`.planning`              ``plan`` (and the plan views ``apply`` and ``show`` share)
:mod:`.apply_command`         ``apply``
:mod:`.show`                  ``show``
:mod:`.unlock`                ``force-unlock``
:mod:`.sandbox_command`       ``sandbox``
:mod:`.adoption`              ``export``, ``drift``
:mod:`.preflight`             ``preflight``
:mod:`.operations`            ``sync``, ``import-products``, the ``after_apply`` jobs
:mod:`.webhooks`              ``webhooks status|report|uninstall``
============================  ================================================================

Beside them: :mod:`.output` (stderr, errors shown), :mod:`.options` (shared options),
:mod:`.operation_views` (tables, JSON, job progress), :mod:`.psa_choice` (the PSA of a YAML,
``--psa``), :mod:`.locking` (the lock in words), :mod:`.limits`, :mod:`.redacting`, :mod:`.usage`.

Start-up: `reconcile --help` and `validate` load only what they use (tests/cli/
test_startup_imports.py): a command imports the clients, the plan, the views and the PSA
registry when it runs.
"""

from __future__ import annotations

from reconciler.cli import (  # noqa: F401 (each registers its commands on `cli`)
    adoption,
    apply_command,
    offline,
    operations,
    planning,
    preflight,
    sandbox_command,
    show,
    unlock,
    webhooks,
)
from reconciler.cli.apply_command import _apply_progress
from reconciler.cli.group import ReconcileGroup, cli
from reconciler.cli.options import DEFAULT_FILE
from reconciler.cli.output import _report
from reconciler.cli.planning import _plan_exit_code, _render
from reconciler.cli.redacting import install_redacting_streams

__all__ = [
    "DEFAULT_FILE",
    "ReconcileGroup",
    "_apply_progress",
    "_plan_exit_code",
    "_render",
    "_report",
    "cli",
    "main",
]


def main() -> None:
    """Console-script entry point: nothing is printed before the streams redact."""
    install_redacting_streams()
    cli(prog_name="reconcile")


if __name__ == "__main__":  # pragma: no cover
    main()
