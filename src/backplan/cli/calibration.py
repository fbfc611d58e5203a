"""``backplan calibration``: how good the forecasts have been on the organisation's own history."""

from __future__ import annotations

import typer
from rich.table import Table

from backplan.cli.okr import _as_of
from backplan.cli.output import console, error_console, print_json
from backplan.config import get_settings
from backplan.services.calibration import (
    DEFAULT_MONTHS,
    DEFAULT_WORKING_DAY,
    CalibrationRequest,
    calibration,
    calibration_to_dict,
)


def calibration_command(
    team: list[str] = typer.Option(None, "--team", "-t", help="A team (repeat; default: all)."),
    months: int = typer.Option(DEFAULT_MONTHS, "--months", min=1, help="Full months back."),
    day: int = typer.Option(
        DEFAULT_WORKING_DAY, "--day", min=1, help="Forecast on this working day of each month."
    ),
    stage: str = typer.Option(None, "--stage", help="The stage forecast (default: SQLs, opps)."),
    funnel: str = typer.Option(None, "--funnel", "-f"),
    as_of: str = typer.Option(None, "--as-of", help="Backtest the months before this day."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
) -> None:
    """Backtest the forecasts: made on the 10th working day of each past month with only what
    was known then, scored against what happened (reliability, 80% range coverage, Brier).

        backplan calibration --team North --months 6 --json
    """
    request = CalibrationRequest(
        teams=team or None, months=months, working_day=day, funnel=funnel, stage=stage
    )
    with error_console.status("Backtesting the forecasts…"):
        report = calibration(get_settings(), request, _as_of(as_of))
    data = calibration_to_dict(report)
    if as_json:
        print_json(data)
        return
    console.print(
        f"[bold]{data['forecasts']}[/] forecasts of {report.stage} made on working day "
        f"{report.working_day} of {', '.join(report.periods) or 'no month'} "
        f"({', '.join(report.teams)})",
        highlight=False,
    )
    table = Table(title="Reliability: of the forecasts that said P, the share that hit")
    for column in ("P(hit) said", "hit share", "forecasts"):
        table.add_column(column, justify="right")
    for row in data["reliability"]:
        table.add_row(f"{row['predicted']:.0%}", f"{row['observed']:.0%}", str(row["n"]))
    console.print(table)
    cover = Table(title="Ranges: how often they held the outcome")
    for column in ("range", "should hold", "held", "forecasts"):
        cover.add_column(column, justify="right")
    for row in data["interval_coverage"]:
        if row["n"]:
            cover.add_row(
                f"{row['level']:.0%}", f"{row['mass']:.0%}", f"{row['observed']:.0%}", str(row["n"])
            )
    console.print(cover)
    console.print(
        f"mean P(hit) {data['mean_p_hit']:.2f} against a hit share of {data['hit_share']:.2f}; "
        f"Brier score {data['brier']:.3f} (0 is perfect, 0.25 is a coin toss)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("calibration")(calibration_command)
