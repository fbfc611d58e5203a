"""``backplan settings``: every setting in force, and where each came from."""

from __future__ import annotations

import typer
from rich.table import Table

from backplan.cli.output import console, print_json
from backplan.config import get_settings
from backplan.config.settings import config_file, effective


def settings(
    as_json: bool = typer.Option(False, "--json", help="Print the settings as JSON."),
) -> None:
    """Show the settings in force: each value and whether it came from a BACKPLAN_* variable,
    the settings file or the default (secrets are never shown)."""
    found = effective(get_settings())
    if as_json:
        print_json(
            [
                {"name": e.name, "value": e.value, "source": e.source, "meaning": e.description}
                for e in found
            ]
        )
        return
    table = Table(title=f"Settings in force (file: {config_file()})", title_justify="left")
    for column in ("setting", "value", "from"):
        table.add_column(column, overflow="fold")
    for e in found:
        name = e.name if e.source == "default" else f"[bold]{e.name}[/]"
        table.add_row(name, e.value, e.source)
    console.print(table)
    console.print("What each one means: backplan settings --json (and the README's table).")


def register(app: typer.Typer) -> None:
    app.command()(settings)
