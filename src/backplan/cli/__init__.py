"""The ``backplan`` command: thin wrappers that parse input, call a service, render output."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from backplan.cli.output import error_console
from backplan.core.errors import BackplanError


class BackplanGroup(TyperGroup):
    """Turns a user's mistake into one line on stderr and the error's exit code, never a traceback.

    The exit code is the error's category's (``core/errors.py``): 2 for what the user can
    fix now, 75 (EX_TEMPFAIL) for ``Busy``: the same command run again later should succeed.
    """

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except BackplanError as e:
            hint = f" ({e.command})" if e.command else ""
            error_console.print(
                f"[bold red]error:[/] {escape(str(e))}{escape(hint)}",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(code=e.exit_code) from None


app = typer.Typer(
    cls=BackplanGroup,
    name="backplan",
    help="Work backwards from an objective, through your own funnel, to the daily numbers you control.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _register() -> None:
    from backplan.cli import (
        audit,
        calibration,
        coaching,
        config,
        data,
        demo,
        diagnose,
        digest,
        example,
        funnels,
        leadership,
        mappings,
        okr,
        plan,
        rates,
        serve,
        sync,
        users,
    )

    modules = (
        plan,
        rates,
        diagnose,
        okr,
        coaching,
        digest,
        leadership,
        calibration,
        funnels,
        example,
        demo,
    )
    for module in (*modules, data, sync, mappings, serve, users, audit, config):
        module.register(app)


_register()


def main() -> None:
    """The ``backplan`` command. Files it creates are its owner's only (``config/private.py``)."""
    from backplan.config.private import private_umask

    private_umask()
    app()
