"""``backplan sync hubspot|pipedrive``: events straight from the CRM's API, no export needed."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from backplan.cli.output import console, print_json, spinner
from backplan.cli.plan import _date
from backplan.config import get_settings
from backplan.services.audit import Actor
from backplan.services.formatting import number
from backplan.services.sync import SyncSummary, sync

sync_app = typer.Typer(
    help="Read calls, meetings and deals from a CRM's API into the event store "
    "(incremental: run it again, or from cron, to add what changed).",
    no_args_is_help=True,
)

BASE_URL_HELP = "The API's address (default: the vendor's, {url}); a proxy or a test server."
TOKEN_HELP = "The API token (default: the setting {var}, else the one set on the admin page)."
JSON_HELP = "Print the result as one JSON object."


@sync_app.command("hubspot")
def hubspot(
    base_url: str = typer.Option(
        None, "--base-url", help=BASE_URL_HELP.format(url="https://api.hubapi.com")
    ),
    token: str = typer.Option(
        None, "--token", help=TOKEN_HELP.format(var="BACKPLAN_HUBSPOT_TOKEN"), show_default=False
    ),
    since: str = typer.Option(
        None,
        "--since",
        help="Read records modified since this day (YYYY-MM-DD) instead of since the last sync.",
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Sync owners, calls, meetings and deals from HubSpot (CRM API v3).

    Calls, meetings and deals become events as the hubspot-calls, hubspot-meetings
    and hubspot-deals export mappings make them; owners the roster does not know
    (by email, then name) are added as reps. A bad token stops with exit status 2
    and nothing stored.

        backplan sync hubspot --token pat-na1-...
    """
    _run("hubspot", base_url, token, since, as_json)


@sync_app.command("pipedrive")
def pipedrive(
    base_url: str = typer.Option(
        None, "--base-url", help=BASE_URL_HELP.format(url="https://api.pipedrive.com")
    ),
    token: str = typer.Option(
        None,
        "--token",
        help=TOKEN_HELP.format(var="BACKPLAN_PIPEDRIVE_TOKEN"),
        show_default=False,
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Sync users, activities and deals from Pipedrive (API v1).

    Activities and deals become events as the pipedrive-activities and
    pipedrive-deals export mappings make them; users the roster does not know
    (by email, then name) are added as reps.

        backplan sync pipedrive --token 0123abcd...
    """
    _run("pipedrive", base_url, token, None, as_json)


def _run(
    source: str, base_url: str | None, token: str | None, since: str | None, as_json: bool
) -> None:
    settings = get_settings()
    day = _date(since) if since else None
    by = Actor.command_line()
    if as_json:
        summary = sync(settings, source, token=token, base_url=base_url, since=day, by=by)
        print_json(summary.to_dict())
        return
    with spinner(f"Syncing {source}") as say:

        def progress(stage: str, done: float | None) -> None:
            say(f"Syncing {source}: {stage}")

        summary = sync(
            settings, source, token=token, base_url=base_url, since=day, by=by, progress=progress
        )
    render(summary)


def render(summary: SyncSummary) -> None:
    table = Table(title=f"Sync from {summary.source}", title_justify="left")
    for column in ("", "read", "events added", "already stored", "rejected"):
        table.add_column(column, justify="right" if column else "left")
    for name, c in summary.objects.items():
        table.add_row(
            name,
            number(c.read),
            f"[green]{number(c.added)}[/]" if c.added else "0",
            number(c.duplicates),
            f"[red]{number(c.rejected)}[/]" if c.rejected else "0",
        )
    console.print(table)
    if summary.reps_added:
        console.print(
            f"Added {len(summary.reps_added)} reps: {escape(', '.join(summary.reps_added))}"
        )
    for name, path in summary.rejects_files.items():
        console.print(f"Rejected {name}, with the reason for each: [bold]{escape(path)}[/]")
    console.print(f"{summary.requests} requests in {summary.seconds:.1f} s.")


def register(app: typer.Typer) -> None:
    app.add_typer(sync_app, name="sync")
