"""``backplan leadership``: the teams' and organisation's period, trends and lead sources (S10)."""

from __future__ import annotations

import typer
from rich.table import Table

from backplan.cli.okr import PACE_STYLE, _as_of
from backplan.cli.output import console, error_console, print_json
from backplan.config import get_settings
from backplan.services.formatting import number
from backplan.services.leadership import LeadershipRequest, leadership_to_dict, leadership_view

SPARK = "▁▂▃▄▅▆▇█"


def leadership(
    period: str = typer.Option(
        None, "--period", "-p", help="2026-10, 2026-Q4 (default: this month)."
    ),
    funnel: str = typer.Option(None, "--funnel", "-f"),
    months: int = typer.Option(6, "--months", min=2, help="Months in the trend."),
    no_forecast: bool = typer.Option(False, "--no-forecast", help="Skip the teams' forecasts."),
    as_of: str = typer.Option(None, "--as-of", help="As at the end of this day."),
    as_json: bool = typer.Option(False, "--json", help="Print everything as JSON."),
) -> None:
    """Where each team and the organisation stand, where the period will land, whether the
    funnel is trending the right way, and which lead sources the activity went into.

        backplan leadership --period 2026-10 --as-of 2026-10-15
    """
    request = LeadershipRequest(
        period=period, funnel=funnel, trend_months=months, forecast=not no_forecast
    )
    with error_console.status("Rolling up the teams…"):
        view = leadership_view(get_settings(), request, _as_of(as_of))
    if as_json:
        print_json(leadership_to_dict(view))
        return
    stage = view.stage
    table = Table(
        title=f"{view.period.label} as at {view.as_of}: {number(view.elapsed_days)} of "
        f"{view.working_days} working days ({stage})",
        title_justify="left",
    )
    for column in (
        "team",
        "reps",
        "actual",
        "expected by now",
        "target",
        "pace",
        "forecast",
        "P(hit)",
        "coverage",
    ):
        table.add_column(column, justify="left" if column == "team" else "right")
    for row in [*view.teams, view.organisation]:
        f = row.forecast
        table.add_row(
            row.team or "[bold]organisation[/]",
            str(row.reps),
            number(row.actual[stage]),
            number(row.expected_to_date),
            number(row.target),
            f"[{PACE_STYLE[row.pace]}]{row.pace.replace('_', ' ')}[/]" if row.pace else "–",
            f"{number(f.expected)} ({number(f.low)}–{number(f.high)})" if f else "–",
            f"{f.p_hit:.0%}" if f else "–",
            f"{f.coverage:.1f}×" if f and f.coverage is not None else "–",
        )
    console.print(table)
    trends = Table(title="Trends, month by month", title_justify="left")
    for column in ("who", "conversion", "months", "verdict"):
        trends.add_column(column)
    for t in view.trends:
        rates = [s / n if n else 0.0 for s, n in zip(t.successes, t.trials, strict=True)]
        top = max(rates) or 1.0
        spark = "".join(
            SPARK[min(7, int(8 * r / top))] if n else " "
            for r, n in zip(rates, t.trials, strict=True)
        )
        verdict = t.trend.explanation if t.trend else (t.note or "–")
        trends.add_row(t.team or "organisation", t.conversion, spark, verdict)
    console.print(trends)
    window = view.sources_window.label if view.sources_window else view.period.label
    sources = Table(title=f"By lead source or campaign, {window}", title_justify="left")
    sources.add_column("source")
    for st in view.funnel.stages:
        sources.add_column(st.key, justify="right")
    sources.add_column(f"{stage} per {view.funnel.stages[0].unit}", justify="right")
    for s in view.sources:
        sources.add_row(
            s.source,
            *(number(s.counts[k.key]) for k in view.funnel.stages),
            f"{s.yield_rate:.2%}" if s.yield_rate is not None else "–",
        )
    console.print(sources)
    for note in view.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(leadership)
