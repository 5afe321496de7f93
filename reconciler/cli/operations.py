"""Operations commands: sync, import-products, and the ``after_apply`` actions apply runs after a
verified apply (``reconcile webhooks ...`` is :mod:`reconciler.cli.webhooks`).

Thin: parse, find the PSA of the YAML, connect, show. What the PSA brings (its sync modes, how
an import's counts are named) is its :class:`~reconciler.psa.base.PsaOperations`; the jobs
themselves are Salesbuildr's (:mod:`reconciler.jobs`). Results go to stdout; job progress,
notes and errors to stderr.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli.group import cli
from reconciler.cli.operation_views import (
    _echo_json,
    _JobProgress,
    _table,
    _words,
    output_format,
)
from reconciler.cli.options import DEFAULT_FILE
from reconciler.cli.output import _err
from reconciler.errors import ReconcileError, UsageError
from reconciler.render.escape import terminal
from reconciler.warning_ids import CATEGORY_NOT_MAPPED, NAMES_NOT_READ, labelled

# Start-up: `reconcile --help` imports this module; a command imports the clients when it runs.
if TYPE_CHECKING:
    from reconciler import session
    from reconciler.config.common import PsaDocument
    from reconciler.plan import Plan
    from reconciler.psa.base import ImportLine, JobAction, Psa, PsaOperations
    from reconciler.salesbuildr.client import Job, SalesbuildrClient

# --- shared pieces --------------------------------------------------------------------------------

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
    """Credentials from the environment (and .env); URLs from the environment, else the YAML;
    the PSA the YAML names (the default without a YAML)."""

    def __init__(self, config_file: Path | None):
        from reconciler.config.env import run_environment

        self.environ = run_environment()
        self.file = config_file
        self._config: PsaDocument | None = None
        self._loaded = False

    def config(self) -> PsaDocument | None:
        from reconciler.config import load_config

        if not self._loaded:
            self._loaded = True
            if self.file is not None and self.file.is_file():
                self._config = load_config(self.file, environ=self.environ).config
        return self._config

    def psa(self) -> Psa:
        from reconciler.cli.psa_choice import psa_of

        return psa_of(self.config())

    def operations(self, operation: str) -> tuple[Psa, PsaOperations]:
        """The YAML's PSA and its operations; a usage error (exit 2) when it has none."""
        psa = self.psa()
        return psa, psa.require_operations(operation)

    def salesbuildr(self) -> SalesbuildrClient:
        from reconciler.salesbuildr.client import SalesbuildrClient, settings_from_env
        from reconciler.salesbuildr.targets import salesbuildr_url

        config = self.config()
        url = config.salesbuildr.url if config and config.salesbuildr else None
        where = f"salesbuildr.url in {self.file}"  # checked even when the environment overrides it
        chosen, key = settings_from_env(self.environ, salesbuildr_url(url, where, self.environ))
        psa = self.psa()  # its pages' jobs, lock and reports: /integration/<its integration>/
        integration = psa.system().documents.integration if psa.system else psa.name
        return SalesbuildrClient.connect(chosen, key, integration=integration)

    def psa_client(self, operations: PsaOperations) -> Callable[[], Any] | None:
        """Opens the PSA's client; None when its credentials are not set."""
        if operations.client is None or operations.has_credentials is None:
            return None
        if not operations.has_credentials(self.environ):
            return None
        opener = operations.client
        return lambda: opener(self.environ, self.config(), str(self.file))


def _run_job(
    client: SalesbuildrClient, title: str, start: Callable[[], str], timeout_s: float
) -> Job:
    from reconciler import jobs

    with _JobProgress(title) as progress:
        job_id = start()
        return jobs.run_job(client, job_id, timeout_s=timeout_s, on_progress=progress)


def _job_dict(job: Job, **extra: Any) -> dict[str, Any]:
    return {"job": job.id, "status": job.status, "error": job.error, "counts": job.counts, **extra}


def _sync_text(title: str, job: Job) -> str:
    rows = [[_words(k), str(v)] for k, v in job.counts.items()]
    text = f"{title} succeeded (job {terminal(job.id)})."
    if rows:
        text += "\n" + _table(["item", "count"], rows, right=[1])
    return text


def _import_text(scope: str, job: Job, lines: Sequence[ImportLine], total: int) -> str:
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
    psa: Psa, operations: PsaOperations, job: Job, open_client: Callable[[], Any] | None
) -> list[ImportLine]:
    """The import's counts with the PSA's names (ids when the PSA cannot be asked)."""
    product_import = operations.product_import
    assert product_import is not None
    names: Mapping[str, Any] = {}
    if product_import.needs_names(job.counts):
        if open_client is None:
            _err(product_import.no_credentials_note)
        else:
            try:
                with open_client() as client:
                    names = product_import.read_names(client, job.counts)
            except ReconcileError as error:
                _err(
                    f"{labelled(NAMES_NOT_READ)}: could not read {psa.title} names "
                    f"({terminal(error.message)}): showing ids",
                    fg="yellow",
                )
    return product_import.lines(job.counts, names)


def _job_failed(what: str, job: Job, command: str) -> ReconcileError:
    return ReconcileError(
        f"{what} failed (job {terminal(job.id)}): "
        f"{terminal(job.error or 'Salesbuildr gave no reason')}",
        hint=f"see the Synchronize page in Salesbuildr; run `{command}` again when fixed",
    )


# --- reconcile sync -------------------------------------------------------------------------------


@cli.command()
@click.option("--full", is_flag=True, help="Full sync: companies, contacts, products, fields.")
@click.option("--fields", is_flag=True, help="Fields only: the PSA's picklists and field values.")
@click.option("--inventory", is_flag=True, help="Stock of the tracked inventory locations.")
@timeout_option
@output_format
@config_file_option
def sync(
    full: bool, fields: bool, inventory: bool, timeout: str, fmt: str, config_file: Path
) -> None:
    """Run a Salesbuildr sync with the PSA, print its counts.

    The actions of the Synchronize page (--full, --fields) and the Inventories page
    (--inventory): choose exactly one; a mode the PSA's pages lack is refused by name
    (HaloPSA: --full only; ConnectWise: --full, --fields). Starts the job, shows its progress
    on stderr until it ends, and prints the counts. Exit 0 when the job succeeded, 1 when it
    failed (its error is shown) or did not end within --timeout.

    \b
    Example:
      reconcile sync --fields
      reconcile sync --full --timeout 30m --format json
    """
    from reconciler import jobs
    from reconciler.psa.base import unsupported

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
    timeout_s = jobs.parse_duration(timeout, option="--timeout")
    targets = _Targets(config_file)
    psa, operations = targets.operations(f"sync --{mode}")
    if mode not in operations.sync_modes:
        raise unsupported(psa, f"sync --{mode}")
    title = operations.sync_modes[mode]
    with targets.salesbuildr() as client:
        job = _run_job(client, title, lambda: client.start_sync(mode), timeout_s)
    if fmt == "json":
        _echo_json(_job_dict(job, action="sync", mode=mode))
    if job.status != "succeeded":
        raise _job_failed(title, job, f"reconcile sync --{mode}")
    if fmt == "text":
        click.echo(_sync_text(title, job))


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
    """Import the products of mapped categories from the PSA.

    Salesbuildr's "Import all mapped categories", or only the --category given.
    Starts the import job, shows its progress on stderr, and prints how many items it imported
    per mapping row (Autotask: role, product category and service; ConnectWise: category and
    subcategory), by name when the PSA's credentials are set, by id otherwise. An unknown
    --category stops before anything starts. HaloPSA's pages have no product import.

    \b
    Example:
      reconcile import-products
      reconcile import-products --category Hardware/Laptops --category Software
    """
    from reconciler import jobs
    from reconciler.psa.base import unsupported

    targets = _Targets(config_file)
    timeout_s = jobs.parse_duration(timeout, option="--timeout")
    psa, operations = targets.operations("product import")
    product_import = operations.product_import
    if product_import is None:
        raise unsupported(psa, "product import")
    with targets.salesbuildr() as client:
        chosen = []
        table = None
        warnings: list[dict[str, str]] = []
        if categories:
            known = client.categories()
            table = jobs.category_table(known)
            chosen = jobs.resolve_categories(table, categories)
            mappings = client.read_section(product_import.settings_document).body
            for entry in product_import.unmapped(known, chosen, mappings):
                warnings.append(_not_mapped(table.label(entry), product_import))
        paths = [table.label(entry) for entry in chosen] if table is not None else []
        scope = ", ".join(paths) if paths else "all mapped categories"
        ids = [entry.id for entry in chosen]
        job = _run_job(
            client, "Product import", lambda: client.start_import(ids or None), timeout_s
        )
    succeeded = job.status == "succeeded"
    lines = _import_names(psa, operations, job, targets.psa_client(operations)) if succeeded else []
    total = product_import.total(job.counts) if succeeded else 0
    if fmt == "json":
        categories_json = [{"id": e.id, "path": p} for e, p in zip(chosen, paths, strict=True)]
        _echo_json(
            _job_dict(
                job,
                action="import",
                scope="categories" if chosen else "mapped",
                categories=categories_json,
                items=[line.to_dict() for line in lines],
                total=total,
                warnings=warnings,
            )
        )
    if not succeeded:
        raise _job_failed("Product import", job, "reconcile import-products")
    if fmt == "text":
        click.echo(_import_text(scope, job, lines, total))


def _not_mapped(path: str, product_import: Any) -> dict[str, str]:
    """Says on stderr, before the job starts, that ``--category PATH`` imports nothing; the same
    warning as JSON."""
    message = (
        f"--category {path}: no {product_import.mapped_objects} is mapped to it or to a "
        "subcategory, so the import brings nothing in for it"
    )
    hint = product_import.unmapped_hint
    _err(f"{labelled(CATEGORY_NOT_MAPPED)}: {terminal(message)}", fg="yellow")
    _err(f"  hint: {hint}")
    return {"id": CATEGORY_NOT_MAPPED, "message": message, "hint": hint}


# --- after_apply ----------------------------------------------------------------------------------


def run_after_apply(plan: Plan, connections: session.Connections, psa: Psa) -> None:
    """Run the plan's ``after_apply`` actions in order, after a verified apply. A failing action
    stops the rest: exit 1, saying that the apply itself succeeded."""
    from reconciler import apply_workflow as flow

    operations = psa.operations() if psa.operations is not None else None
    known: Mapping[str, JobAction] = operations.after_apply if operations is not None else {}
    actions = flow.after_apply_actions(plan, known)
    if not actions:
        return
    assert operations is not None  # an action is known only to a PSA with operations
    if connections.salesbuildr is not None:
        _run_actions(actions, operations, connections.salesbuildr, psa, connections)
        return
    try:
        client = _Targets(None).salesbuildr()
    except ReconcileError as error:
        raise flow.after_apply_error(
            actions[0], terminal(error.message), actions[1:], known
        ) from error
    with client:
        _run_actions(actions, operations, client, psa, connections)


def _run_actions(
    actions: Sequence[str],
    operations: PsaOperations,
    client: SalesbuildrClient,
    psa: Psa,
    connections: session.Connections,
) -> None:
    from reconciler import apply_workflow as flow

    connected = operations.connected(connections) if operations.connected is not None else None

    def show(action: JobAction, job: Job) -> None:
        if action.job == "sync" and action.mode:
            click.echo(_sync_text(operations.sync_modes[action.mode], job))
            return
        product_import = operations.product_import
        assert product_import is not None
        # The run's own client, left open: the run closes it.
        opener = (lambda: contextlib.nullcontext(connected)) if connected is not None else None
        lines = _import_names(psa, operations, job, opener)
        total = product_import.total(job.counts)
        click.echo(_import_text("all mapped categories", job, lines, total))

    flow.run_after_apply(
        actions,
        operations.after_apply,
        client,
        run_job=lambda title, start: _run_job(client, title, start, flow.AFTER_APPLY_TIMEOUT_S),
        show=show,
    )


def note_after_apply_skipped(plan: Plan) -> None:
    """after_apply runs after an apply that wrote something; say so when nothing was."""
    actions = [str(a) for a in plan.policy.get("after_apply") or []]
    if actions:
        _err(f"after_apply ({terminal(', '.join(actions))}) not run: nothing was applied")


# `reconcile webhooks ...` registers itself on `cli` when imported.
from reconciler.cli import webhooks as _webhooks  # noqa: E402, F401
