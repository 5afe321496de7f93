"""Usage errors that say how to write the command instead.

``reconcile plan -v`` fails in click with "No such option: -v": ``-v`` exists, but as an option
of ``reconcile`` itself, which goes before the command. The message says so, with the command
line that works.
"""

from __future__ import annotations

import click


def _root_option(ctx: click.Context, name: str) -> click.Option | None:
    root = ctx.find_root().command
    for param in root.params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def explain(error: click.UsageError) -> str:
    """The error's message, with "did you mean `reconcile -v plan`?" when the unknown option of
    a command is an option of ``reconcile`` itself."""
    message = error.format_message()
    ctx = error.ctx
    if not isinstance(error, click.NoSuchOption) or ctx is None or ctx.parent is None:
        return message
    option = _root_option(ctx, error.option_name)
    if option is None:
        return message
    numeric = option.type.name.startswith(("integer", "float"))
    value = (
        ""
        if option.is_flag or option.count
        else f" {option.metavar or ('N' if numeric else 'VALUE')}"
    )
    prog, _, command = ctx.command_path.partition(" ")
    return (
        f"{message}\n  did you mean `{prog} {error.option_name}{value} {command}`? "
        f"{error.option_name} is an option of {prog} itself: it goes before the command"
    )
