"""The ``backplan`` command: thin wrappers that parse input, call a service, render output."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from backplan.cli.lazy import COMMANDS, Placeholder, add_placeholders, load
from backplan.cli.output import error_console
from backplan.core.errors import BackplanError


class BackplanGroup(TyperGroup):
    """Turns a user's mistake into one line on stderr and the error's exit code, never a traceback.

    The exit code is the error's category's (``core/errors.py``): 2 for what the user can
    fix now, 75 (EX_TEMPFAIL) for ``Busy``: the same command run again later should succeed.

    Commands are placeholders until one runs (``cli/lazy.py``): only the module of the
    command being run, or whose help is asked for, is imported.
    """

    def resolve_command(  # type: ignore[override]
        self, ctx: typer.Context, args: list[str]
    ) -> tuple[str | None, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, Placeholder) and name is not None:
            self.commands.update(load(COMMANDS[name].module).commands)
            command = self.commands[name]
        return name, command, rest

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
add_placeholders(app)


def main() -> None:
    """The ``backplan`` command. Files it creates are its owner's only (``config/private.py``)."""
    from backplan.config.private import private_umask

    private_umask()
    app()
