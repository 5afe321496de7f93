"""The ``reconcile`` group: global options, and every error mapped to an exit code."""

from __future__ import annotations

import traceback
from typing import Any

import click

from reconciler.cli import usage
from reconciler.cli.limits import (
    max_config_size_option,
    max_pages_option,
    max_rate_wait_option,
    max_response_size_option,
    use_max_config_size,
    use_max_pages,
    use_max_rate_wait,
    use_max_response_size,
)
from reconciler.cli.output import _err, _report
from reconciler.cli.redacting import configure_logging, install_redacting_streams
from reconciler.errors import EXIT_ERROR, ReconcileError
from reconciler.render.escape import terminal


class _UsageError(click.UsageError):
    """A click usage error with exit code 1 (2 means "changes" in CLI.md's exit codes)."""

    exit_code = EXIT_ERROR


class ReconcileGroup(click.Group):
    """Maps errors to exit codes for every command: no traceback unless --debug."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            # The group's own options (`reconcile --bogus`) fail here, before invoke: 1, not 2.
            # click types exit_code as a ClassVar, but main() reads it from the instance.
            error.exit_code = EXIT_ERROR  # type: ignore[misc]
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReconcileError as error:
            if _debug(ctx):
                traceback.print_exc()
            _report(error)
            ctx.exit(error.exit_code)
        except click.UsageError as error:
            # Terraform-compatible codes: 2 means "changes", so bad usage is 1.
            raise _UsageError(usage.explain(error), error.ctx) from None
        except (click.exceptions.Exit, click.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            _err("interrupted", fg="red")
            ctx.exit(130)
        except Exception as error:
            if _debug(ctx):
                raise
            _err(f"internal error: {type(error).__name__}: {terminal(error)}", fg="red", bold=True)
            _err("  hint: this is a bug in reconcile; run with --debug for the traceback")
            ctx.exit(EXIT_ERROR)


def _debug(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug"))


@click.group(
    cls=ReconcileGroup,
    context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "RECONCILE"},
)
@click.option("-v", "--verbose", count=True, help="-v: one log line per API request; -vv: more.")
@click.option("--debug", is_flag=True, help="Show a traceback for every error.")
@max_pages_option
@max_config_size_option
@max_rate_wait_option
@max_response_size_option
@click.version_option(package_name="reconcile", prog_name="reconcile")  # the installed metadata
@click.pass_context
def cli(
    ctx: click.Context,
    verbose: int,
    debug: bool,
    max_pages: int | None,
    max_config_size: int | None,
    max_rate_wait: float | None,
    max_response_size: int | None,
) -> None:
    """Salesbuildr <-> PSA integration settings as code.

    Keep the settings of the seven Admin > Integrations pages of your PSA (Autotask by
    default; `psa: connectwise` or `psa: halopsa` in the file for the others) in one YAML file
    (mappings.yaml) and reconcile the live systems with it, like terraform plan/apply.

    \b
    Start here:
      reconcile sandbox                 local simulators of both APIs
      reconcile validate mappings.yaml  check the file offline
    """
    install_redacting_streams()  # idempotent: main() did it for the console script
    configure_logging(verbose, debug)
    use_max_pages(ctx, max_pages)
    use_max_config_size(ctx, max_config_size)
    use_max_rate_wait(ctx, max_rate_wait)
    use_max_response_size(ctx, max_response_size)
