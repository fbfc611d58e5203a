"""``backplan rates``: each rep's funnel with counts, raw rate, estimate and interval."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
import typer
from rich import box
from rich.table import Table

from backplan.cli.output import console, error_console, print_json
from backplan.cli.plan import both_or_neither
from backplan.config import get_settings
from backplan.core.bounds import check_day
from backplan.services.formatting import number

if TYPE_CHECKING:
    from backplan.services.rates import RatesReport

COUNTINGS = ("period", "cohort")
DEFAULT_LEVEL = 0.8


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date; write YYYY-MM-DD", param_hint=option
        ) from None
    return check_day(day, option)


def rates(
    rep: str = typer.Option(None, "--rep", help="Show one rep (rep key or name)."),
    team: str = typer.Option(None, "--team", help="Show one team."),
    since: str = typer.Option(None, help="First day of the window (YYYY-MM-DD)."),
    until: str = typer.Option(None, help="Last day of the window (YYYY-MM-DD)."),
    funnel: str = typer.Option(
        None, "--funnel", "-f", help="A shipped funnel (outbound, sales-director) or a TOML file."
    ),
    count: str = typer.Option(
        "period",
        "--count",
        help="period: each stage's events in the window (ratios may exceed 1); cohort: of the "
        "prospects entering a stage in the window, how many reached the next (needs prospect ids).",
    ),
    level: float = typer.Option(DEFAULT_LEVEL, "--level", help="Credibility of the intervals."),
    as_of: str = typer.Option(None, "--as-of", help="Act as if today were this date (YYYY-MM-DD)."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Each rep's conversion rates over a window, honest about sample size.

    A rep's estimate is shrunk toward their team's rate, the more so the less
    data they have, with a credible interval and the probability that their
    rate is below the team's. The window defaults to the last full quarter.

        backplan rates --funnel sales-director --since 2017-01-01 --until 2017-12-31
        backplan rates --rep "Anna Snelling" --json
    """
    # Imported here: Ibis and pandas take a second to load, which other commands need not pay.
    from backplan.services.rates import RatesRequest, rates_report, report_to_dict

    if count not in COUNTINGS:
        raise typer.BadParameter(f"use one of {', '.join(COUNTINGS)}", param_hint="--count")
    both_or_neither(since, until, "the last full quarter")
    settings = get_settings()
    request = RatesRequest(
        funnel=funnel or settings.funnel,
        since=_date(since, "--since"),
        until=_date(until, "--until"),
        rep=rep,
        team=team,
        counting="cohort" if count == "cohort" else "period",
        level=level,
    )
    today = _date(as_of, "--as-of") or settings.clock.today()
    with error_console.status("Counting events and fitting rates…"):
        report = rates_report(settings, request, today)
    if as_json:
        print_json(report_to_dict(report))
    else:
        render_rates(report)


def render_rates(report: RatesReport) -> None:
    """Reps' rates as a table, the teams' below it, and the caveats."""
    how = "per period" if report.counting == "period" else "per cohort"
    table = Table(
        title=f"{report.funnel.label}: rates {report.window.label} (counted {how}, "
        f"{report.level:.0%} intervals)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("rep · conversion", max_width=26)
    for column in ("counts", "raw", "estimate", f"{report.level:.0%} int.", "P<team"):
        table.add_column(column, justify="right", no_wrap=True)
    previous = None
    estimated = report.table[report.table["estimate"].notna()]
    for row in estimated.to_dict("records"):
        if row["rep"] != previous:
            previous = row["rep"]
            team = f" · {row['team']}" if _given(row["team"]) else ""
            table.add_row(f"[bold]{row['name']}[/]{team}", end_section=False)
        conversion = report.funnel.conversion(row["conversion"])
        flagged = bool(row["flagged"])
        table.add_row(
            f"  {conversion.short}",
            f"{number(row['successes'])}/{number(row['trials'])}",
            _percent(row["raw"]),
            _percent(row["estimate"]),
            f"{_percent(row['low'], sign=False)}–{_percent(row['high'])}",
            f"{row['p_below_team']:.2f}",
            style="red" if flagged else None,
        )
    console.print(table)
    if not report.teams.empty:
        teams = Table(
            title="Teams (the rates reps are shrunk toward)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        for column in ("team", "conversion", "reps", "counts", "team rate", "prior worth"):
            teams.add_column(
                column, justify="left" if column in ("team", "conversion") else "right"
            )
        for row in report.teams.to_dict("records"):
            teams.add_row(
                str(row["team"]) if _given(row["team"]) else "(no team)",
                report.funnel.conversion(row["conversion"]).short,
                number(row["reps"]),
                f"{number(row['successes'])}/{number(row['trials'])}",
                _percent(row["team_rate"]),
                f"{row['prior_strength']:,.0f} trials"
                + (f" ({row['prior']})" if row["prior"] != "team" else ""),
            )
        console.print(teams)
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    console.print(
        "[dim]P<team: the probability that the rep's rate is below the team's (red when it "
        "holds across all the rep's comparisons, see docs/rates.md). Estimates lean on the team's rate the fewer trials a rep has; "
        "see docs/rates.md.[/]"
    )


def _given(value: Any) -> bool:
    return value is not None and not pd.isna(value)


def _percent(x: float | None, *, sign: bool = True) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    text = "0%" if x == 0 else f"{x:.1%}" if x >= 0.01 else f"{x:.2%}"
    return text if sign else text.rstrip("%")


def register(app: typer.Typer) -> None:
    app.command()(rates)
