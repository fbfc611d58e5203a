"""Getting data in: ``backplan import``, ``roster``, ``demo-data``, ``imports``, ``compact``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from backplan.cli.output import console, error_console, print_json
from backplan.cli.plan import _date
from backplan.config import Settings, get_settings
from backplan.core.errors import InvalidInput
from backplan.events.errors import MissingColumns
from backplan.services.audit import Actor
from backplan.services.formatting import number
from backplan.services.importing import (
    ImportRequest,
    ImportSummary,
    compact_store,
    import_file,
    recent_imports,
)
from backplan.services.roster import (
    RosterSummary,
    import_roster,
    import_time_off,
    roster_listing,
)
from backplan.services.roster.nearest import unknown_rep_lines

PHASES = {
    "reading": "Reading and checking rows",
    "checking": "Expanding rows into events",
    "writing": "Writing events",
    "committing": "Adding to the store",
    "compacting": "Compacting the store",
}


def import_(
    file: Path = typer.Argument(..., help="The export: .csv (any delimiter), .xlsx or .parquet."),
    mapping: str = typer.Option(
        ...,
        "--mapping",
        "-m",
        help="How the file's columns become events: events, opportunities, salesforce-tasks, "
        "salesforce-opportunities, hubspot-calls, hubspot-meetings, hubspot-deals, "
        "pipedrive-activities, pipedrive-deals, or the path to your own mapping TOML.",
    ),
    allow_rejects: bool = typer.Option(
        False, "--allow-rejects", help="Add the good rows even if some rows are rejected."
    ),
    add_reps: bool = typer.Option(
        False,
        "--add-reps",
        help="Add reps the roster does not know instead of rejecting their rows.",
    ),
    sheet: str = typer.Option(
        None, "--sheet", help="The sheet of an .xlsx file (default: the first)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
) -> None:
    """Import a CRM export into the event store.

    Rows are checked and rejected rows written to a rejects CSV (file, row,
    column, value, reason, expected, and the original row). Without
    --allow-rejects, a file with rejected rows adds nothing and the command
    exits with status 1. Importing the same export again adds nothing.

        backplan import sales_pipeline.csv --mapping opportunities
    """
    settings = get_settings()
    request = ImportRequest(
        file,
        mapping,
        allow_rejects=allow_rejects,
        add_reps=add_reps,
        sheet=sheet,
        by=Actor.command_line(),
    )
    try:
        summary = import_file(settings, request) if as_json else _with_progress(settings, request)
    except MissingColumns as e:
        error_console.print(
            f"[bold red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True
        )
        if e.hint:
            error_console.print(
                "\nA mapping to start from (save it as my-mapping.toml and edit it):\n"
            )
            error_console.print(e.hint, markup=False, highlight=False)
        raise typer.Exit(code=e.exit_code) from None
    if as_json:
        print_json(summary.to_dict())
    else:
        render_summary(summary)
    if summary.status == "rejected":
        raise typer.Exit(code=1)


def _with_progress(settings: Settings, request: ImportRequest) -> ImportSummary:
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=error_console,
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(phase: str, done: float | None) -> None:
            if phase not in tasks:
                for other in tasks.values():
                    bar.update(other, completed=100)  # type: ignore[arg-type]
                tasks[phase] = int(bar.add_task(PHASES.get(phase, phase), total=100))
            if done is not None:
                bar.update(tasks[phase], completed=done * 100)  # type: ignore[arg-type]

        return import_file(settings, request, progress)


def render_summary(summary: ImportSummary) -> None:
    table = Table(
        title=f"Import of {Path(summary.file).name} ({summary.mapping})", title_justify="left"
    )
    table.add_column("")
    table.add_column("", justify="right")
    table.add_row("rows read", number(summary.read))
    table.add_row("events in the file", number(summary.events))
    table.add_row("[green]added[/]", number(summary.added))
    for kind, n in summary.kinds.items():
        table.add_row(f"  {kind}", number(n))
    table.add_row("already stored (duplicates)", number(summary.duplicates))
    table.add_row(
        "[red]rejected rows[/]" if summary.rejected else "rejected rows", number(summary.rejected)
    )
    if summary.skipped:
        table.add_row("skipped rows (no event yet)", number(summary.skipped))
    table.add_row("time", f"{summary.seconds:.1f} s")
    table.add_row("events in the store", number(summary.store_events))
    console.print(table)
    if summary.collapsed:
        examples = "; ".join(", ".join(map(str, rows)) for rows in summary.collapsed_rows)
        error_console.print(
            f"[bold yellow]warning:[/] {summary.collapsed:,} events were exactly alike with no id "
            f"and became one each (rows {examples} ...). If they are separate events, map an id "
            "column (or a column that tells them apart, such as a time with seconds).",
            highlight=False,
        )
    if summary.compacted:
        console.print("The store had many small files: it was compacted.")
    if summary.reps_added:
        shown = ", ".join(summary.reps_added[:10]) + (
            " ..." if len(summary.reps_added) > 10 else ""
        )
        console.print(f"Added {len(summary.reps_added)} reps to the roster (it was empty): {shown}")
    if summary.encoding and summary.encoding != "utf-8":
        console.print(f"The file was read as {summary.encoding} (it is not UTF-8).")
    if summary.rejected:
        reasons = ", ".join(f"{reason} {n:,}" for reason, n in summary.reasons.items())
        console.print(f"Rejected rows by reason: {reasons}")
        console.print(f"Each rejected row is in [bold]{escape(summary.rejects_file or '')}[/]")
        if summary.unknown_reps:
            console.print("Reps the roster does not know (most rows first):")
            for line in unknown_rep_lines(summary.unknown_reps):
                console.print(f"  {escape(line)}", highlight=False)
            console.print(
                "Load the roster with their names or emails (backplan roster users.csv), "
                "or add them as new reps with --add-reps."
            )
        if summary.status == "rejected":
            error_console.print(
                "[bold red]Nothing was added.[/] Fix the rows listed in the rejects file and import "
                "again, or add the good rows now with --allow-rejects.",
                highlight=False,
            )


def roster(
    file: Path = typer.Argument(
        None,
        help="A roster or a CRM's users export: .csv, .xlsx or .parquet with a row per rep.",
    ),
    sheet: str = typer.Option(
        None, "--sheet", help="The sheet of an .xlsx file (default: the first)."
    ),
    list_: bool = typer.Option(
        False, "--list", help="Show the roster: key, name, email, team, manager of every rep."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the counts (or the list) as JSON."),
) -> None:
    """Load the roster: reps, their teams, managers and regions; or show it with --list.

    Columns are found by name: rep (a user id, or email, name, sales_agent),
    name (or First Name and Last Name), email, team, manager, region (or
    regional_office), start_date, role. A CRM's users export (Salesforce,
    HubSpot, Pipedrive, Zoho) works as it is. Without a team column, each
    manager's reps form a team. Reps already known are updated.

        backplan roster sales_teams.csv
        backplan roster users.csv
        backplan roster --list --json
    """
    settings = get_settings()
    if file is None and not list_:
        raise InvalidInput(
            "give a roster file to load (backplan roster users.csv) or --list to show the roster"
        )
    if file is not None:
        summary = import_roster(settings, file, sheet=sheet, by=Actor.command_line())
        if as_json and not list_:
            print_json(summary.to_dict())
            return
        if not as_json:
            _render_roster_summary(summary)
    if list_:
        listing = roster_listing(settings)
        if as_json:
            print_json(listing)
            return
        table = Table(title=f"Roster: {len(listing)} reps", title_justify="left")
        for column in ("key", "name", "email", "team", "manager"):
            table.add_column(column)
        for rep in listing:
            table.add_row(
                *(escape(rep[c] or "") for c in ("key", "name", "email", "team", "manager"))
            )
        console.print(table)


def _render_roster_summary(summary: RosterSummary) -> None:
    console.print(
        f"Roster from {escape(summary.file)}: {summary.reps} reps in {summary.teams} teams under "
        f"{summary.managers} managers ({summary.added} added, {summary.updated} updated)."
    )
    if summary.columns:
        console.print("Columns read:")
        for field_name, column in summary.columns.items():
            console.print(f"  {field_name:<10} ← {escape(column)}", highlight=False)
    for warning in summary.warnings:
        error_console.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False)


def time_off(
    file: Path = typer.Argument(..., help="Absences: .csv, .xlsx or .parquet, a row per absence."),
    sheet: str = typer.Option(
        None, "--sheet", help="The sheet of an .xlsx file (default: the first)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the count as JSON."),
) -> None:
    """Load reps' time off: columns rep (key, name or email), start, end (inclusive), reason.

    Plans spread targets over the working days a rep is actually there.

        backplan time-off holidays.csv
    """
    loaded = import_time_off(get_settings(), file, sheet=sheet, by=Actor.command_line())
    if as_json:
        print_json({"file": str(file), "absences": loaded})
        return
    console.print(f"Loaded {loaded} absences from {file}.")


def demo_data(
    reps: int = typer.Option(24, "--reps", min=1, help="How many reps."),
    events: int = typer.Option(200_000, "--events", min=0, help="How many events in all."),
    seed: int = typer.Option(
        7, "--seed", help="The random seed: the same seed, the same organisation."
    ),
    end: str = typer.Option(
        None, "--end", help="The last day with events (YYYY-MM-DD; default yesterday)."
    ),
    days: int = typer.Option(365, "--days", min=30, help="How many days of history."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Create a demo organisation: teams, reps with their own rates, and a year of their events.

    backplan demo-data --reps 24 --events 200000 --seed 7
    """
    from backplan.services.demo.generator import generate_demo

    settings = get_settings()
    last = _date(end) if end else None
    if as_json:
        summary = generate_demo(settings, reps=reps, events=events, seed=seed, end=last, days=days)
        print_json(summary.to_dict())
        return
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=error_console,
        transient=True,
    ) as bar:
        task = bar.add_task("Generating events", total=max(events, 1))
        summary = generate_demo(
            settings,
            reps=reps,
            events=events,
            seed=seed,
            end=last,
            days=days,
            progress=lambda done, _total: bar.update(task, completed=done),
        )
    console.print(
        f"Demo organisation in {settings.home}: {summary.reps} reps in {summary.teams} "
        f"team{'s' if summary.teams != 1 else ''}, "
        f"{summary.events:,} new events from {summary.first_day} to {summary.last_day} "
        f"({summary.prospects:,} prospects, {summary.time_off_blocks} blocks of time off), "
        f"{summary.seconds:.1f} s."
    )


def imports(
    limit: int = typer.Option(20, "--limit", min=1, help="How many imports to show."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """The import log: what each import read, added and rejected."""
    log = recent_imports(get_settings(), limit)
    if as_json:
        print_json(log)
        return
    table = Table(title="Imports, newest first", title_justify="left")
    for column in (
        "id",
        "started",
        "file",
        "mapping",
        "status",
        "read",
        "added",
        "dupl.",
        "rejected",
    ):
        table.add_column(
            column,
            justify="right" if column in {"id", "read", "added", "dupl.", "rejected"} else "left",
        )
    for r in log:
        table.add_row(
            str(r["id"]),
            (r["started_at"] or "")[:19],
            Path(r["file"]).name,
            r["mapping"],
            r["status"],
            number(r["read"]),
            number(r["added"]),
            number(r["duplicates"]),
            number(r["rejected"]),
        )
    console.print(table)


def compact(
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Merge the event store's many small import files into a few large ones (atomic)."""
    result = compact_store(get_settings())
    data = {
        "files_before": result.files_before,
        "files_after": result.files_after,
        "events": result.events,
    }
    if as_json:
        print_json(data)
        return
    console.print(
        f"{result.events:,} events: {result.files_before} files before, {result.files_after} after."
    )


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command()(roster)
    app.command("time-off")(time_off)
    app.command("demo-data")(demo_data)
    app.command()(imports)
    app.command()(compact)
