"""``backplan demo``: a demo organisation with demo accounts, served on 127.0.0.1."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from backplan.cli.output import console, print_json
from backplan.cli.serve import run_server
from backplan.config import get_settings
from backplan.services.demo.site import DemoSite, set_up_demo


def demo(
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="Start the web server (or only set the demo up)."
    ),
    events: int = typer.Option(200_000, "--events", min=1, help="Events to generate."),
    as_json: bool = typer.Option(False, "--json", help="Print the demo accounts as JSON."),
) -> None:
    """Set up the demo organisation and its accounts, print the sign-ins, and serve it.

    The demo lives in BACKPLAN_HOME/demo, apart from real data. Each run
    gives the demo accounts new random passwords.
    """
    settings = get_settings().for_demo()
    with Progress(
        TextColumn("demo organisation"), BarColumn(), TaskProgressColumn(), console=console,
        transient=True, disable=as_json,
    ) as bar:  # fmt: skip
        task = bar.add_task("events", total=None)
        site = set_up_demo(
            settings, events=events, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )  # fmt: skip
    if as_json:
        print_json(site.to_dict())
    else:
        show(site, port, two_factor=settings.admin_two_factor)
    if serve:
        run_server(settings, "127.0.0.1", port)


def show(site: DemoSite, port: int, *, two_factor: str = "optional") -> None:
    table = Table(title=f"Demo accounts — sign in at http://127.0.0.1:{port}/login")
    # Sign-ins are copied from here: never cut or fold them, let "sees" wrap instead.
    for column in ("email", "password"):
        table.add_column(column, no_wrap=True, overflow="ignore", min_width=len(column))
    table.add_column("role", no_wrap=True)
    table.add_column("sees")
    for account in site.accounts:
        table.add_row(account.email, account.password, account.role, account.sees)
    console.print(table)
    o = site.organisation
    console.print(
        f"Demo organisation: {o.reps} reps in {o.teams} teams, {o.events:,} events "
        f"from {o.first_day} to {o.last_day}, in {site.home}"
    )
    if site.objectives:
        console.print(
            f"{site.objectives} objectives for this month: each team's, split across its reps"
        )
    if two_factor == "optional":
        console.print(
            "Two-factor sign-in is optional in the demo, so the admin signs in with the "
            "password alone (anyone may set it up on their account page); a real "
            "deployment requires it of admins (BACKPLAN_ADMIN_TWO_FACTOR)."
        )
    else:
        console.print(
            "Two-factor sign-in is required of admins: the admin sets it up with an "
            "authenticator app at the first sign-in."
        )


def register(app: typer.Typer) -> None:
    app.command()(demo)
