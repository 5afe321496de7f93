"""``reconcile sandbox``: the local simulators of a PSA and Salesbuildr, on loopback."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from reconciler.cli.group import cli
from reconciler.cli.output import _err
from reconciler.cli.psa_choice import SimulatedPsa
from reconciler.errors import UsageError

DEFAULT_PSA = "autotask"
"""``registry.DEFAULT``, spelled here: the help must not import the registry to show it."""


@cli.command()
@click.option(
    "--psa",
    "psa_name",
    type=SimulatedPsa(),
    default=DEFAULT_PSA,
    show_default=True,
    help="Which PSA's simulator runs beside Salesbuildr's (an installed PSA with a simulator).",
)
@click.option(
    "--seed",
    type=click.Choice(["empty", "demo", "large"]),
    default="demo",
    show_default=True,
    help="empty: reference data only; demo: partly configured by hand; large: at scale.",
)
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, help="Added per request.")
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="KIND:RATE",
    help="Inject faults: 429, 500, 503, timeout or reset-after-commit, at a rate in 0..1.",
)
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the export lines to this file (complete before 'sandbox ready').",
)
@click.option("--port-autotask", type=click.IntRange(0, 65535), default=0, help="0: a free port.")
@click.option(
    "--port-salesbuildr", type=click.IntRange(0, 65535), default=0, help="0: a free port."
)
def sandbox(
    psa_name: str,
    seed: str,
    latency_ms: float,
    faults: tuple[str, ...],
    env_file: Path | None,
    port_autotask: int,
    port_salesbuildr: int,
) -> None:
    """Start local simulators of a PSA's and Salesbuildr's APIs.

    Serves the API of the --psa (Autotask by default; connectwise, halopsa) and Salesbuildr's
    with seeded data. Prints `export NAME='value'` lines for the credentials and URLs, then
    `sandbox ready`, and serves until Ctrl-C / SIGTERM. In another terminal: `eval "$(cat
    FILE)"` (with --env-file) and run `reconcile plan examples/mappings.yaml` (or
    `examples/<psa>/mappings.yaml`). --port-autotask is the port of the PSA's simulator,
    whichever it is.
    """
    from reconciler.files import write_text_atomically
    from reconciler.sandbox.common import parse_faults, register_simulator, start_sandbox

    from .psa_choice import registered_simulator

    # The launcher imports no PSA: the PSA's own hook (its entry point) names its simulator.
    register_simulator(psa_name, registered_simulator(psa_name))

    try:
        fault_rates = parse_faults(faults)
    except ValueError as error:
        raise UsageError(str(error), hint="e.g. --fault 429:0.1 --fault timeout:0.02") from None
    try:
        running = start_sandbox(
            seed=seed,
            latency_ms=latency_ms,
            faults=fault_rates,
            port_psa=port_autotask,
            port_salesbuildr=port_salesbuildr,
            psa=psa_name,
        )
    except (ValueError, RuntimeError, OSError) as error:
        raise UsageError(f"cannot start the sandbox: {error}") from None
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        lines = running.export_lines()
        if env_file is not None:
            # The sandbox's own (fake) credentials: mode 0600, never through a link.
            write_text_atomically(env_file, "\n".join(lines) + "\n")
        for line in lines:
            click.echo(line)
        click.echo("sandbox ready")
        sys.stdout.flush()
        if psa_name == DEFAULT_PSA:
            _err(
                f"Autotask simulator at {running.env['AUTOTASK_API_URL']}, Salesbuildr simulator "
                f"at {running.env['SALESBUILDR_API_URL']} (seed {seed}). Ctrl-C stops them."
            )
        else:
            _err(
                f"{psa_name} simulator at {running.psa_server.url}, Salesbuildr simulator at "
                f"{running.env.get('SALESBUILDR_API_URL', '?')} (seed {seed}). Ctrl-C stops them."
            )
        stop.wait()
    finally:
        running.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _err("sandbox stopped")
