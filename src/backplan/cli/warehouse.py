"""``backplan warehouse``: what backplan keeps in a warehouse holding the events."""

from __future__ import annotations

import typer

from backplan.cli.output import console, print_json, spinner
from backplan.config import get_settings

warehouse_app = typer.Typer(
    help="Events in a warehouse (BACKPLAN_EVENTS_URL): keep their daily counts in the engine.",
    no_args_is_help=True,
)
PHASES = {
    "connecting": "Connecting to the warehouse",
    "materialising": "Counting the events per rep, day, kind and source",
    "checking": "Reading the rollup back",
}


@warehouse_app.command("rollup")
def rollup(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Materialise the events' daily counts in the engine, where counting reads them.

    Run it after each load of the events (from the pipeline's scheduler): until it runs
    again, counting reads the events themselves. The table is BACKPLAN_ROLLUP_TABLE
    (default: the events table's name followed by _daily_counts).

    backplan warehouse rollup --json
    """
    from backplan.services.warehouse import NoWarehouse, RollupReport, materialise_rollup

    settings = get_settings()
    try:
        if as_json:
            report = materialise_rollup(settings)
        else:
            with spinner(PHASES["connecting"]) as say:
                report = materialise_rollup(settings, lambda phase: say(PHASES[phase]))
    except NoWarehouse as e:  # nothing to do, and nothing wrong: exit 0
        if as_json:
            print_json({**RollupReport(None, 0, 0, 0.0).to_dict(), "note": str(e)})
        else:
            console.print(f"Nothing to do: {e}.", highlight=False)
        return
    if as_json:
        print_json(report.to_dict())
        return
    console.print(
        f"Rollup [bold]{report.table}[/]: {report.rows:,} rows covering {report.events:,} "
        f"events, {report.seconds:.1f} s. Counting reads it until new events arrive.",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(warehouse_app, name="warehouse")
