"""``reconcile webhooks status|report|uninstall``: the PSA-side objects that call Salesbuildr.

Thin: the YAML's PSA does the reading and choosing (its
:class:`~reconciler.psa.base.CalloutOperations`) and returns what to show; this module shows it,
asks before an uninstall, and holds the apply lock and journal around its deletes
(:func:`reconciler.apply_workflow.locked_journal`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from reconciler.cli.group import cli
from reconciler.cli.operation_views import _confirm, _show_blocks, _show_view, output_format
from reconciler.cli.operations import _Targets, config_file_option
from reconciler.cli.options import DEFAULT_FILE
from reconciler.cli.output import _err

if TYPE_CHECKING:
    from reconciler.psa.base import CalloutOperations, Psa, PsaOperations

CALLOUTS = "webhooks"


def _callouts(psa: Psa) -> tuple[PsaOperations, CalloutOperations]:
    """The PSA's operations and callouts; a usage error (exit 2) when it has none."""
    from reconciler.psa.base import unsupported

    operations = psa.require_operations(CALLOUTS)
    if operations.callouts is None:
        raise unsupported(psa, CALLOUTS)
    return operations, operations.callouts


@cli.group()
def webhooks() -> None:
    """PSA webhooks and callbacks: status, report, uninstall.

    \b
    Example:
      reconcile webhooks status mappings.yaml
      reconcile webhooks report --since 7d
      reconcile webhooks uninstall sb-companies
    """


@webhooks.command("status")
@click.argument(
    "file", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_FILE, required=False
)
@output_format
@click.pass_context
def webhooks_status(ctx: click.Context, file: Path, fmt: str) -> None:
    """Show every installed webhook, compared with FILE.

    Lists the webhooks the PSA holds (Autotask: of the five entities; ConnectWise: the
    callbacks; HaloPSA: /Webhook). Columns: what each is, whether it is active (Autotask: and
    ready), what it subscribes to, URL, and whether it matches FILE: yes / differs (which
    fields) / not in YAML. Ones FILE lists that are not installed are shown as such. Without
    FILE (default mappings.yaml, when it exists) only the PSA's credentials are needed. Makes
    no writes.

    \b
    Example:
      reconcile webhooks status
      reconcile webhooks status examples/mappings.yaml --format json
    """
    from reconciler.cli.psa_choice import psa_of
    from reconciler.config import load_config
    from reconciler.config.env import run_environment
    from reconciler.psa.base import StatusRequest

    environ = run_environment()
    explicit = ctx.get_parameter_source("file") is not ParameterSource.DEFAULT
    whole = load_config(file, environ=environ) if file.is_file() or explicit else None
    _, callouts = _callouts(psa_of(whole.config if whole is not None else None))
    request = StatusRequest(environ=environ, loaded=whole, file=str(file))
    _show_view(callouts.status(request, _err), fmt)


@webhooks.command("report")
@click.option(
    "--since",
    default="24h",
    show_default=True,
    help="Deliveries received after this: a duration back from now (30m, 24h, 7d) or an "
    "ISO-8601 timestamp.",
)
@output_format
@config_file_option
def webhooks_report(since: str, fmt: str, config_file: Path) -> None:
    """Show the callouts Salesbuildr's receiver got, per webhook.

    Reads Salesbuildr's delivery report and counts per webhook: delivered, failed,
    bad_signature, with the last error and when the last one arrived. Webhooks are named
    through their GUID (needs the PSA's credentials; a GUID no installed webhook has is shown as
    unknown). Webhooks that point at the receiver are listed even without deliveries.

    \b
    Example:
      reconcile webhooks report
      reconcile webhooks report --since 2026-11-25T08:00:00Z --format json
    """
    from reconciler import jobs
    from reconciler.psa.base import ReportRequest

    since_at = jobs.parse_since(since, now=datetime.now(UTC))
    targets = _Targets(config_file)
    operations, callouts = _callouts(targets.psa())
    request = ReportRequest(
        environ=targets.environ,
        salesbuildr=targets.salesbuildr,
        since=since_at,
        client=targets.psa_client(operations),
    )
    _show_view(callouts.report(request, _err), fmt)


@webhooks.command("uninstall")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option(
    "--file",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_FILE,
    show_default=True,
    help="Without NAME: delete every webhook this file's webhooks section lists.",
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (pipelines).")
@click.option(
    "--lock-timeout",
    default="60s",
    show_default=True,
    help="How long to wait for another apply's lock on this tenant.",
)
def webhooks_uninstall(
    names: tuple[str, ...], config_file: Path, auto_approve: bool, lock_timeout: str
) -> None:
    """Delete webhooks: the NAMEs given, or all that --file manages.

    NAME is a webhook's name, or entity/name (company/sb-companies) when two entities' webhooks
    share it. Shows what will be deleted and asks first. Deleting a webhook deletes its fields,
    UDF fields and excluded resources. Holds the apply lock, journals every delete to
    .reconcile/journal-<timestamp>.jsonl, then checks that neither the webhooks nor any child of
    theirs remains: exit 0 done and verified; 1 error before any delete or answered no; 3 the
    lock is held; 4 something remains (run it again).

    \b
    Example:
      reconcile webhooks uninstall sb-companies
      reconcile webhooks uninstall --file mappings.yaml --auto-approve
    """
    from reconciler import jobs
    from reconciler.apply_workflow import journal_path_for, locked_journal
    from reconciler.cli import locking
    from reconciler.psa.base import UninstallRequest

    wait_s = jobs.parse_duration(lock_timeout, option="--lock-timeout", allow_zero=True)
    targets = _Targets(config_file)
    operations, callouts = _callouts(targets.psa())
    assert operations.client is not None  # a PSA with callouts connects to its API
    open_client = operations.client
    request = UninstallRequest(
        environ=targets.environ,
        names=names,
        config=targets.config(),
        config_file=str(config_file),
        client=lambda: open_client(targets.environ, targets.config(), str(config_file)),
        salesbuildr=targets.salesbuildr,
    )
    with callouts.prepare_uninstall(request, _err) as uninstall:
        _show_blocks(uninstall.preview)
        if not uninstall.count:
            return
        _confirm(uninstall.question, auto_approve)
        journal_path = journal_path_for(config_file, saved=False)
        with locked_journal(
            uninstall.salesbuildr,
            journal_path,
            wait_s=wait_s,
            reporting=locking.reporting(wait_s),
        ) as journal:
            uninstall.run(journal, _err)
        click.echo(uninstall.verify())
