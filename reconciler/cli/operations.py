"""Operations commands: sync, import-products, webhooks status/report/uninstall, and the
``after_apply`` actions apply runs after a verified apply.

Thin: parse, connect, show. What deserves tests without a terminal is in
:mod:`reconciler.operations`. Results go to stdout; job progress, notes and errors to stderr.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from reconciler.cli import DEFAULT_FILE, _err, cli
from reconciler.errors import (
    EXIT_ERROR,
    PartialApplyError,
    ReconcileError,
    UsageError,
)
from reconciler.render.escape import terminal
from reconciler.warning_ids import CATEGORY_NOT_MAPPED, NAMES_NOT_READ, labelled

# Start-up: `reconcile --help` imports this module; a command imports the clients when it runs.
if TYPE_CHECKING:
    from rich.status import Status

    from reconciler import operations as ops
    from reconciler import session
    from reconciler.config.models import Config
    from reconciler.kinds.catalog import NameTable
    from reconciler.plan import Plan
    from reconciler.providers.autotask import AutotaskClient
    from reconciler.providers.salesbuildr import Job, SalesbuildrClient

AFTER_APPLY_TIMEOUT_S = 600.0
AFTER_APPLY_COMMANDS = {
    "sync_fields": "reconcile sync --fields",
    "sync_full": "reconcile sync --full",
    "sync_inventory": "reconcile sync --inventory",
    "import_products": "reconcile import-products",
}
SYNC_TITLES = {"full": "Full sync", "fields": "Fields sync", "inventory": "Inventory sync"}


# --- shared pieces --------------------------------------------------------------------------------

output_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: a table; json: one JSON document.",
)
timeout_option = click.option(
    "--timeout",
    default="10m",
    show_default=True,
    help="How long to wait for the job (30s, 10m, 1h).",
)
config_file_option = click.option(
    "--file",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_FILE,
    show_default=True,
    help="Read salesbuildr.url / autotask.url from this file when SALESBUILDR_API_URL / "
    "AUTOTASK_API_URL are not set (a missing file is ignored).",
)


class _Targets:
    """Credentials from the environment (and .env); URLs from the environment, else the YAML."""

    def __init__(self, config_file: Path | None):
        from reconciler.config.env import run_environment

        self.environ = run_environment()
        self.file = config_file
        self._config: Config | None = None
        self._loaded = False

    def config(self) -> Config | None:
        from reconciler.config import load_config

        if not self._loaded:
            self._loaded = True
            if self.file is not None and self.file.is_file():
                self._config = load_config(self.file, environ=self.environ).config
        return self._config

    def salesbuildr(self) -> SalesbuildrClient:
        from reconciler.providers.salesbuildr import SalesbuildrClient, settings_from_env
        from reconciler.providers.targets import salesbuildr_url

        config = self.config()
        url = config.salesbuildr.url if config and config.salesbuildr else None
        where = f"salesbuildr.url in {self.file}"  # checked even when the environment overrides it
        chosen, key = settings_from_env(self.environ, salesbuildr_url(url, where, self.environ))
        return SalesbuildrClient.connect(chosen, key)

    def require(self) -> None:
        """Both systems' credentials, every missing one named in one error."""
        from reconciler.providers.credentials import require_credentials

        config = self.config()
        url = config.salesbuildr.url if config and config.salesbuildr else None
        require_credentials(self.environ, autotask=True, salesbuildr=True, salesbuildr_url=url)

    def has_autotask(self) -> bool:
        from reconciler.providers.autotask import credentials_from_env

        try:
            credentials_from_env(self.environ)
        except UsageError:
            return False
        return True

    def autotask(self) -> AutotaskClient:
        from reconciler.providers.autotask import AutotaskClient, credentials_from_env
        from reconciler.providers.targets import autotask_url

        credentials = credentials_from_env(self.environ)
        config = self.config()
        yaml_url = config.autotask.url if config and config.autotask else None
        url = autotask_url(yaml_url, f"autotask.url in {self.file}", self.environ)
        return AutotaskClient.connect(credentials, url=url)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()
) -> str:
    """A plain aligned table (two spaces between columns, numbers right-aligned).

    Every cell is live data: each goes through :func:`terminal`, so none holds a control
    sequence or a line break."""
    header = [terminal(h) for h in header]
    rows = [[terminal(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    lines = []
    for row in [header, *rows]:
        cells = [
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines)


def _words(key: str) -> str:
    """``fieldValues`` -> ``field values``."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in key).strip()


def _confirm(question: str, auto_approve: bool) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "refusing without confirmation: no terminal to ask on",
            hint="review what will be done and pass --auto-approve",
        )
    if not click.confirm(question, default=False):
        _err("Nothing was changed.")
        sys.exit(EXIT_ERROR)


class _JobProgress:
    """A job's status on stderr: a spinner on a terminal, else one line per status change."""

    def __init__(self, title: str):
        self.title = title
        self.last: str | None = None
        self.started = time.monotonic()
        self._status: Status | None = None

    def __enter__(self) -> _JobProgress:
        if sys.stderr.isatty():
            from rich.console import Console  # only on a terminal

            console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))
            self._status = console.status(f"{self.title}: starting")
            self._status.start()
        return self

    def __call__(self, job: Job) -> None:
        from rich.markup import escape as rich_escape

        elapsed = time.monotonic() - self.started
        status, job_id = terminal(job.status), terminal(job.id)
        if self._status is not None:
            shown = rich_escape(f"{self.title}: {status} ({elapsed:.0f} s, job {job_id})")
            self._status.update(shown)
        elif job.status != self.last:
            _err(f"{self.title}: {status} ({elapsed:.1f} s, job {job_id})")
        self.last = job.status

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()


def _run_job(
    client: SalesbuildrClient, title: str, start: Callable[[], str], timeout_s: float
) -> Job:
    from reconciler import operations as ops

    with _JobProgress(title) as progress:
        job_id = start()
        return ops.run_job(client, job_id, timeout_s=timeout_s, on_progress=progress)


def _job_dict(job: Job, **extra: Any) -> dict[str, Any]:
    return {"job": job.id, "status": job.status, "error": job.error, "counts": job.counts, **extra}


def _sync_text(mode: str, job: Job) -> str:
    rows = [[_words(k), str(v)] for k, v in job.counts.items()]
    text = f"{SYNC_TITLES[mode]} succeeded (job {terminal(job.id)})."
    if rows:
        text += "\n" + _table(["item", "count"], rows, right=[1])
    return text


def _import_text(scope: str, job: Job, lines: Sequence[ops.ImportLine]) -> str:
    from reconciler import operations as ops

    total = ops.import_total(job.counts)
    text = (
        f"Product import ({terminal(scope)}) succeeded (job {terminal(job.id)}): "
        f"{total} item(s) imported."
    )
    rows = [[line.kind, line.name or f"#{line.id}", str(line.imported)] for line in lines]
    if rows:
        rows.append(["total", "", str(total)])
        text += "\n" + _table(["mapped", "name", "imported"], rows, right=[2])
    return text


def _import_names(
    job: Job, read_tables: Callable[[], dict[str, NameTable]] | None
) -> list[ops.ImportLine]:
    """The import's counts with Autotask names (ids when Autotask cannot be asked)."""
    from reconciler import operations as ops

    tables: dict[str, NameTable] = {}
    if ops.tables_for_counts(job.counts):
        if read_tables is None:
            _err(
                "note: Autotask credentials are not set: roles, product categories and "
                "services are shown by id"
            )
        else:
            try:
                tables = read_tables()
            except ReconcileError as error:
                _err(
                    f"{labelled(NAMES_NOT_READ)}: could not read Autotask names "
                    f"({terminal(error.message)}): showing ids",
                    fg="yellow",
                )
    return ops.import_lines(job.counts, tables)


def _tables_reader(targets: _Targets, job: Job) -> Callable[[], dict[str, NameTable]] | None:
    if not targets.has_autotask():
        return None

    def read() -> dict[str, NameTable]:
        from reconciler import operations as ops

        with targets.autotask() as client:
            return ops.read_import_tables(client, job.counts)

    return read


def _job_failed(what: str, job: Job, command: str) -> ReconcileError:
    return ReconcileError(
        f"{what} failed (job {terminal(job.id)}): "
        f"{terminal(job.error or 'Salesbuildr gave no reason')}",
        hint=f"see the Synchronize page in Salesbuildr; run `{command}` again when fixed",
    )


# --- reconcile sync -------------------------------------------------------------------------------


@cli.command()
@click.option("--full", is_flag=True, help="Full sync: companies, contacts, products, fields.")
@click.option("--fields", is_flag=True, help="Fields only: Autotask picklists and field values.")
@click.option("--inventory", is_flag=True, help="Stock of the tracked inventory locations.")
@timeout_option
@output_format
@config_file_option
def sync(
    full: bool, fields: bool, inventory: bool, timeout: str, fmt: str, config_file: Path
) -> None:
    """Run a Salesbuildr sync with Autotask, print its counts.

    The actions of the Synchronize page (--full, --fields) and the Inventories page
    (--inventory): choose exactly one. Starts the job, shows its progress on stderr until it
    ends, and prints the counts. Exit 0 when the job succeeded, 1 when it failed (its error is
    shown) or did not end within --timeout.

    \b
    Example:
      reconcile sync --fields
      reconcile sync --full --timeout 30m --format json
    """
    from reconciler import operations as ops

    modes = [
        m for m, chosen in (("full", full), ("fields", fields), ("inventory", inventory)) if chosen
    ]
    if len(modes) != 1:
        raise UsageError(
            "choose exactly one of --full, --fields, --inventory"
            + (f" (got {', '.join('--' + m for m in modes)})" if modes else ""),
            hint="e.g. reconcile sync --fields",
        )
    mode = modes[0]
    timeout_s = ops.parse_duration(timeout, option="--timeout")
    with _Targets(config_file).salesbuildr() as client:
        job = _run_job(client, SYNC_TITLES[mode], lambda: client.start_sync(mode), timeout_s)
    if fmt == "json":
        _echo_json(_job_dict(job, action="sync", mode=mode))
    if job.status != "succeeded":
        raise _job_failed(f"{SYNC_TITLES[mode]}", job, f"reconcile sync --{mode}")
    if fmt == "text":
        click.echo(_sync_text(mode, job))


# --- reconcile import-products --------------------------------------------------------------------


@cli.command("import-products")
@click.option(
    "--category",
    "categories",
    multiple=True,
    metavar="PATH",
    help="Only this Salesbuildr category (and its subcategories), as a path like "
    "Hardware/Laptops; case-insensitive. Repeatable. Default: all mapped categories.",
)
@timeout_option
@output_format
@config_file_option
def import_products(categories: tuple[str, ...], timeout: str, fmt: str, config_file: Path) -> None:
    """Import the products of mapped categories into Autotask.

    Salesbuildr's "Import all mapped categories", or only the --category given.
    Starts the import job, shows its progress on stderr, and prints how many items it imported
    per mapped Autotask role, product category and service (by name when Autotask credentials
    are set, by id otherwise). An unknown --category stops before anything starts.

    \b
    Example:
      reconcile import-products
      reconcile import-products --category Hardware/Laptops --category Software
    """
    from reconciler import operations as ops

    targets = _Targets(config_file)
    timeout_s = ops.parse_duration(timeout, option="--timeout")
    with targets.salesbuildr() as client:
        chosen = []
        table = None
        warnings: list[dict[str, str]] = []
        if categories:
            known = client.categories()
            table = ops.category_table(known)
            chosen = ops.resolve_categories(table, categories)
            mappings = client.read_section("product-import").body
            for entry in ops.unmapped_categories(known, chosen, mappings):
                warnings.append(_not_mapped(table.label(entry)))
        paths = [table.label(entry) for entry in chosen] if table is not None else []
        scope = ", ".join(paths) if paths else "all mapped categories"
        ids = [entry.id for entry in chosen]
        job = _run_job(
            client, "Product import", lambda: client.start_import(ids or None), timeout_s
        )
    succeeded = job.status == "succeeded"
    lines = _import_names(job, _tables_reader(targets, job)) if succeeded else []
    if fmt == "json":
        categories_json = [{"id": e.id, "path": p} for e, p in zip(chosen, paths, strict=True)]
        _echo_json(
            _job_dict(
                job,
                action="import",
                scope="categories" if chosen else "mapped",
                categories=categories_json,
                items=[line.to_dict() for line in lines],
                total=ops.import_total(job.counts) if job.status == "succeeded" else 0,
                warnings=warnings,
            )
        )
    if job.status != "succeeded":
        raise _job_failed("Product import", job, "reconcile import-products")
    if fmt == "text":
        click.echo(_import_text(scope, job, lines))


def _not_mapped(path: str) -> dict[str, str]:
    """Says on stderr, before the job starts, that ``--category PATH`` imports nothing; the same
    warning as JSON."""
    message = (
        f"--category {path}: no role, product category or service is mapped to it or to a "
        "subcategory, so the import brings nothing in for it"
    )
    hint = "map it under product_import (roles, product_categories or services) and apply"
    _err(f"{labelled(CATEGORY_NOT_MAPPED)}: {terminal(message)}", fg="yellow")
    _err(f"  hint: {hint}")
    return {"id": CATEGORY_NOT_MAPPED, "message": message, "hint": hint}


# --- after_apply ----------------------------------------------------------------------------------


def run_after_apply(plan: Plan, connections: session.Connections) -> None:
    """Run the plan's ``after_apply`` actions in order, after a verified apply. A failing action
    stops the rest: exit 1, saying that the apply itself succeeded."""
    from reconciler import operations as ops

    actions = ops.after_apply_actions(plan)
    if not actions:
        return
    if connections.salesbuildr is not None:
        _run_actions(actions, connections.salesbuildr, connections.autotask)
        return
    try:
        client = _Targets(None).salesbuildr()
    except ReconcileError as error:
        raise _after_apply_error(actions[0], terminal(error.message), actions[1:]) from error
    with client:
        _run_actions(actions, client, connections.autotask)


def _run_actions(
    actions: Sequence[str], client: SalesbuildrClient, autotask: AutotaskClient | None
) -> None:
    from reconciler import operations as ops

    for index, action in enumerate(actions):
        rest = actions[index + 1 :]
        try:
            job = _run_job(
                client,
                f"after_apply {action}",
                lambda: ops.start_action(client, action),  # noqa: B023 (called at once)
                AFTER_APPLY_TIMEOUT_S,
            )
        except ReconcileError as error:
            raise _after_apply_error(action, terminal(error.message), rest) from error
        if job.status != "succeeded":
            raise _after_apply_error(action, f"job {terminal(job.id)}: {terminal(job.error)}", rest)
        kind, mode = ops.AFTER_APPLY[action]
        if kind == "sync" and mode:
            click.echo(_sync_text(mode, job))
            continue
        at = autotask
        tables = (lambda: ops.read_import_tables(at, job.counts)) if at is not None else None  # noqa: B023
        click.echo(_import_text("all mapped categories", job, _import_names(job, tables)))


def _after_apply_error(action: str, reason: str, rest: Sequence[str]) -> ReconcileError:
    hint = f"run it again with `{AFTER_APPLY_COMMANDS[action]}`"
    if rest:
        hint += f"; not run: {', '.join(rest)}"
    return ReconcileError(
        f"the apply succeeded and was verified, but the after_apply action {action} failed: "
        f"{reason}",
        hint=hint,
    )


def note_after_apply_skipped(plan: Plan) -> None:
    """after_apply runs after an apply that wrote something; say so when nothing was."""
    actions = [str(a) for a in plan.policy.get("after_apply") or []]
    if actions:
        _err(f"after_apply ({terminal(', '.join(actions))}) not run: nothing was applied")


# --- reconcile webhooks ---------------------------------------------------------------------------


@cli.group()
def webhooks() -> None:
    """Installed Autotask webhooks: status, report, uninstall.

    \b
    Example:
      reconcile webhooks status mappings.yaml
      reconcile webhooks report --since 7d
      reconcile webhooks uninstall sb-companies
    """


def _yaml_state(status: ops.WebhookStatus) -> str:
    from reconciler import operations as ops

    match = status.match
    if match is None:
        return ""
    if match.state == "differs":
        return "differs: " + "; ".join(ops.describe_diff(d) for d in match.differences)
    if match.deleted_by_apply:
        return "not in YAML (apply deletes it: manage full)"
    return match.state


def _short(items: Sequence[str], limit: int = 40) -> str:
    text = f"{len(items)}" + (f": {', '.join(items)}" if items else "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@webhooks.command("status")
@click.argument(
    "file", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_FILE, required=False
)
@output_format
@click.pass_context
def webhooks_status(ctx: click.Context, file: Path, fmt: str) -> None:
    """Show every installed webhook, compared with FILE.

    Lists the webhooks of the five entities.
    Columns: entity, name, active, ready (Autotask's isReady), subscribed fields, URL, and
    whether it matches FILE's webhooks section: yes / differs (which fields) / not in YAML.
    Webhooks FILE lists that are not installed are shown as such. Without FILE (default
    mappings.yaml, when it exists) only Autotask credentials are needed. Makes no writes.

    \b
    Example:
      reconcile webhooks status
      reconcile webhooks status examples/mappings.yaml --format json
    """
    from reconciler import operations as ops
    from reconciler import session
    from reconciler.config import load_config
    from reconciler.config.env import run_environment
    from reconciler.providers.autotask import AutotaskClient, credentials_from_env
    from reconciler.providers.targets import autotask_url

    environ = run_environment()
    explicit = ctx.get_parameter_source("file") is not ParameterSource.DEFAULT
    loaded = None
    yaml_url = None
    if file.is_file() or explicit:
        whole = load_config(file, environ=environ)
        yaml_url = whole.config.autotask.url if whole.config.autotask else None
        loaded = ops.webhook_config(whole)
        if loaded is None:
            _err(f"note: {file} has no webhooks section: nothing to compare with")
    if loaded is not None:
        connections = session.connect(loaded, environ, sections=loaded.config.present_sections())
    else:
        url = autotask_url(yaml_url, f"autotask.url in {file}", environ)
        connections = session.Connections(
            autotask=AutotaskClient.connect(credentials_from_env(environ), url=url)
        )
    with connections:
        assert connections.autotask is not None
        statuses = ops.webhook_statuses(connections.autotask, connections, loaded)
    if fmt == "json":
        _echo_json(
            {
                "compared_with": str(file) if loaded is not None else None,
                "webhooks": [_status_dict(s) for s in statuses],
            }
        )
        return
    installed = [s for s in statuses if s.webhook is not None]
    if not statuses:
        click.echo("No webhooks are installed.")
        return
    header = ["entity", "name", "active", "ready", "fields", "url"]
    if loaded is not None:
        header.append("matches YAML?")
    rows = []
    for status in statuses:
        hook = status.webhook
        row = (
            [
                status.entity,
                status.name,
                "yes" if hook.active else "no",
                {True: "yes", False: "no", None: "?"}[hook.ready],
                _short(hook.fields),
                hook.url or "",
            ]
            if hook is not None
            else [status.entity, status.name, "-", "-", "-", "-"]
        )
        if loaded is not None:
            row.append(_yaml_state(status))
        rows.append(row)
    click.echo(_table(header, rows))
    summary = f"{len(installed)} webhook(s) installed"
    if loaded is not None:
        states = [s.match.state for s in statuses if s.match is not None]
        summary += (
            f"; compared with {terminal(file)}: {states.count('yes')} match, "
            f"{states.count('differs')} differ, {states.count('not in YAML')} not in it, "
            f"{states.count('not installed')} not installed"
        )
    click.echo(summary + ".")


def _status_dict(status: ops.WebhookStatus) -> dict[str, Any]:
    hook = status.webhook
    match = status.match
    return {
        "entity": status.entity,
        "name": status.name,
        "installed": hook is not None,
        "id": hook.id if hook else None,
        "webhook_guid": hook.guid if hook else None,
        "url": hook.url if hook else None,
        "active": hook.active if hook else None,
        "ready": hook.ready if hook else None,
        "fields": list(hook.fields) if hook else [],
        "udf_fields": list(hook.udf_fields) if hook else [],
        "yaml": (
            {
                "state": match.state,
                "differences": [d.to_dict() for d in match.differences],
                "deleted_by_apply": match.deleted_by_apply,
            }
            if match is not None
            else None
        ),
    }


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
    through their GUID (needs Autotask credentials; a GUID no installed webhook has is shown as
    unknown). Webhooks that point at the receiver are listed even without deliveries.

    \b
    Example:
      reconcile webhooks report
      reconcile webhooks report --since 2026-11-25T08:00:00Z --format json
    """
    from reconciler import operations as ops

    since_at = ops.parse_since(since, now=datetime.now(UTC))
    targets = _Targets(config_file)
    with targets.salesbuildr() as client:
        deliveries = client.deliveries(since_at)
        receiver = client.read_section("webhook-receiver").body.get("url")
    installed: list[ops.InstalledWebhook] = []
    if targets.has_autotask():
        with targets.autotask() as autotask:
            installed = ops.read_webhook_rows(autotask)
    else:
        _err("note: Autotask credentials are not set: webhooks are shown by GUID")
    listening = [h for h in installed if ops.points_at(h, receiver)]
    groups = ops.group_deliveries(deliveries, installed, always=listening)
    since_text = since_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "json":
        _echo_json(
            {
                "since": since_text,
                "receiver_url": receiver,
                "deliveries": len(deliveries),
                "webhooks": [g.to_dict() for g in groups],
            }
        )
        return
    noun = "delivery" if len(deliveries) == 1 else "deliveries"
    click.echo(f"{len(deliveries)} {noun} since {since_text} (receiver {terminal(receiver)}).")
    if not groups:
        return
    rows = [
        [
            _group_label(group),
            *(str(group.counts.get(s, 0)) for s in ops.DELIVERY_STATUSES),
            group.last_received or "-",
            group.last_error or "",
        ]
        for group in groups
    ]
    header = ["webhook", *ops.DELIVERY_STATUSES, "last received", "last error"]
    click.echo(_table(header, rows, right=[1, 2, 3]))


def _group_label(group: ops.DeliveryGroup) -> str:
    if group.known:
        return f"{group.entity}/{group.name}"
    if group.guid:
        return f"unknown webhook {group.guid}" + (f" ({group.entity})" if group.entity else "")
    return "(no webhook GUID)"


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
    from reconciler import operations as ops
    from reconciler import session

    wait_s = ops.parse_duration(lock_timeout, option="--lock-timeout", allow_zero=True)
    targets = _Targets(config_file)
    managed: list[tuple[str, str]] = []
    if not names:
        if not config_file.is_file():
            raise UsageError(
                f"no webhook named and no {config_file} to take the managed webhooks from",
                hint="name the webhooks (reconcile webhooks uninstall sb-companies) or pass --file",
            )
        config = targets.config()
        if config is None or config.webhooks is None:
            raise UsageError(
                f"{config_file} has no webhooks section: it manages no webhook",
                hint="name the webhooks to delete",
            )
        managed = ops.managed_webhooks(config)
    targets.require()
    connections = session.Connections(autotask=targets.autotask())
    with connections:
        connections.salesbuildr = targets.salesbuildr()
        autotask = connections.autotask
        assert autotask is not None
        installed = ops.read_webhook_rows(autotask)
        if names:
            chosen = ops.select_webhooks(installed, names)
        else:
            chosen, absent = ops.select_managed(installed, managed)
            if absent:
                _err(f"not installed (nothing to delete): {terminal(', '.join(absent))}")
        if not chosen:
            click.echo("No webhooks to delete.")
            return
        changes = ops.removals(chosen)
        click.echo(
            f"Will delete {len(chosen)} webhook(s), with their fields, UDF fields and excluded "
            "resources:"
        )
        by_address = dict(zip((c.address for c in changes), chosen, strict=True))
        rows = [
            [hook.entity, hook.name, str(hook.id), "yes" if hook.active else "no", hook.url or ""]
            for hook in by_address.values()
        ]
        click.echo(_table(["entity", "name", "id", "active", "url"], rows, right=[2]))
        _confirm(f"Delete these {len(chosen)} webhook(s)?", auto_approve)
        _uninstall_locked(connections, changes, chosen, wait_s=wait_s, environ=targets.environ)


def _uninstall_locked(
    connections: session.Connections,
    changes: Sequence[Any],
    chosen: Sequence[ops.InstalledWebhook],
    *,
    wait_s: float,
    environ: dict[str, str],
) -> None:
    from reconciler import operations as ops
    from reconciler import session
    from reconciler.apply import JsonlJournal
    from reconciler.cli import locking
    from reconciler.providers.salesbuildr import lock_owner

    salesbuildr, autotask = connections.salesbuildr, connections.autotask
    assert salesbuildr is not None and autotask is not None
    owner = lock_owner()
    locking.take_lock(salesbuildr, owner, wait_s=wait_s)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    journal_path = Path(".reconcile") / f"journal-{stamp}.jsonl"
    journal = JsonlJournal(journal_path)
    try:
        ops.remove_webhooks(
            session.writer_for(connections, environ),
            changes,
            journal,
            progress=lambda message: _err(f"  {terminal(message)}"),
        )
    finally:
        journal.close()
        locking.release(salesbuildr, owner)
        if not journal.records:
            journal_path.unlink(missing_ok=True)
        else:
            _err(f"Journal: {journal_path}")
    remaining = ops.leftovers(autotask, chosen)
    if remaining:
        raise PartialApplyError(
            "the webhooks were deleted, but a re-read finds:\n  "
            + "\n  ".join(terminal(line) for line in remaining),
            hint="run `reconcile webhooks uninstall` again; it deletes what is left",
        )
    click.echo(
        f"Deleted {len(chosen)} webhook(s). Verified: none remains, and no field, UDF field or "
        "excluded resource of theirs is left."
    )
