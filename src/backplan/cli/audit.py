"""``backplan audit``: the audit log of admin actions, as a table, JSON or CSV."""

from __future__ import annotations

import json
import sys

import typer
from rich.markup import escape
from rich.table import Table

from backplan.cli.output import console, print_json
from backplan.config import get_settings
from backplan.services import audit as service


def audit(
    since: str = typer.Option(None, "--since", help="From this day on, e.g. 2026-11-01."),
    until: str = typer.Option(None, "--until", help="Up to the end of this day."),
    action: str = typer.Option(
        None, "--action", help="Only this action, e.g. user.role_changed (see --help's list)."
    ),
    who: str = typer.Option(None, "--who", help="Only actions by this email or OS user (part)."),
    limit: int = typer.Option(
        50, "--limit", min=1, help="Events the table shows (--json and --csv give all)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print every matching event as JSON."),
    as_csv: bool = typer.Option(
        False, "--csv", help="Print every matching event as CSV (safe to open in a spreadsheet)."
    ),
) -> None:
    """Who changed accounts, roles, the roster, funnels, the playbook, objectives and the
    event data, and when: newest first, times in the organisation's time zone.

        backplan audit --since 2026-11-01 --action user.role_changed
        backplan audit --csv > audit.csv
    """
    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv")
    settings = get_settings()
    wanted = service.AuditFilter.parse(action=action, who=who, since=since, until=until)
    zone = settings.clock.zone
    if as_csv:
        for line in service.audit_csv(service.audit_events(settings, wanted), zone):
            sys.stdout.write(line)
        return
    if as_json:
        print_json([e.to_dict(zone) for e in service.audit_events(settings, wanted)])
        return
    found = service.audit_log(settings, wanted, per_page=limit)
    table = Table(
        title=f"Audit log: {found.total} event{'s' if found.total != 1 else ''} ({zone})",
        title_justify="left",
    )
    for column in ("when", "who", "did", "what", "details"):
        table.add_column(column)
    for entry in found.entries:
        shown = entry.to_dict(zone)
        detail = json.dumps(entry.detail, ensure_ascii=False, sort_keys=True)
        table.add_row(
            *(escape(str(shown[k])) for k in ("when", "who", "what", "subject")), escape(detail)
        )
    console.print(table)
    if found.total > len(found.entries):
        console.print(f"[dim]Newest {len(found.entries)} shown; --limit or --csv for more.[/]")


ACTIONS_HELP = "Actions: " + ", ".join(service.ACTIONS) + "."


def register(app: typer.Typer) -> None:
    app.command(epilog=ACTIONS_HELP)(audit)
