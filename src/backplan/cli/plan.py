"""``backplan plan``: an objective worked backwards to daily numbers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer
from rich.panel import Panel
from rich.table import Table

from backplan.cli.output import console, error_console, print_json
from backplan.config import get_settings
from backplan.core.bounds import check_day
from backplan.core.errors import InvalidPeriod
from backplan.core.plan import DEFAULT_IMPROVEMENT
from backplan.services.formatting import number
from backplan.services.planning import (
    PlannedObjective,
    PlanRequest,
    build_plan,
    parse_rate_option,
    plan_to_dict,
    read_plan_file,
)


def _date(text: str) -> date:
    """A date option, written YYYY-MM-DD and within backplan's range (1900..2200)."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise InvalidPeriod(
            f"cannot read date {text!r}; write it as YYYY-MM-DD, e.g. 2026-11-30"
        ) from None
    return check_day(day)


def both_or_neither(since: str | None, until: str | None, default: str) -> None:
    """The command's own words for a window with one end: --since and --until go together."""
    if (since is None) != (until is None):
        raise InvalidPeriod(f"give both --since and --until, or neither for {default}")


def plan(
    objective: str = typer.Option(
        None,
        "--objective",
        "-o",
        help="What to reach: '4 sqls', '6 deals', '$120k' (needs --deal-value).",
    ),
    rate: list[str] = typer.Option(
        [],
        "--rate",
        "-r",
        help="A conversion rate TO/FROM=VALUE, e.g. conversations/dials=0.07, "
        "meetings/conversations=1/7, sqls/meetings=33%. Repeat for each conversion.",
    ),
    funnel: str = typer.Option(
        None, "--funnel", "-f", help="A shipped funnel (outbound, sales-director) or a TOML file."
    ),
    period: str = typer.Option(
        None, "--period", "-p", help="month or quarter (the current one), 2026-10, 2026-Q4."
    ),
    since: str = typer.Option(None, help="First day of a custom period (YYYY-MM-DD)."),
    until: str = typer.Option(None, help="Last day of a custom period (YYYY-MM-DD)."),
    working_days: int = typer.Option(
        None, "--working-days", min=1, help="Working days in the period (overrides the calendar)."
    ),
    deal_value: float = typer.Option(
        None, "--deal-value", "--aov", help="Average deal value, to turn revenue into deals."
    ),
    time_off: list[str] = typer.Option(
        [],
        "--time-off",
        help="A day off (YYYY-MM-DD) or range (YYYY-MM-DD..YYYY-MM-DD); repeatable.",
    ),
    improvement: float = typer.Option(
        None,
        "--improvement",
        help="Relative improvement for the marginal-gains ranking (0.10 = +10%).",
    ),
    file: Path = typer.Option(
        None, "--file", help="A TOML plan file with any of these options; the command line wins."
    ),
    rep: str = typer.Option(
        None,
        "--rep",
        help="Plan on this rep's own rates, estimated from their data (rep key or name); "
        "any --rate still wins.",
    ),
    rates_since: str = typer.Option(
        None,
        "--rates-since",
        help="First day of the data the rates come from (default: last full quarter).",
    ),
    rates_until: str = typer.Option(
        None, "--rates-until", help="Last day of the data the rates come from."
    ),
    as_of: str = typer.Option(
        None, "--as-of", help="Plan as if today were this date (YYYY-MM-DD)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """Work an objective backwards through your rates to the numbers you control each day.

    Example (the seed case): 4 SQLs a month at 7% dial→conversation, 1 in 7
    conversation→meeting and 1 in 3 meeting→SQL is 1,200 dials or 84
    conversations: about 4 conversations a working day.

        backplan plan --objective "4 sqls" --period month --working-days 20
        --rate conversations/dials=0.07 --rate meetings/conversations=1/7
        --rate sqls/meetings=1/3

    Or on a rep's own rates from the event data, with ranges from their uncertainty:

        backplan plan --rep "Anna Snelling" --funnel sales-director --objective "12 deals"
    """
    request = _request(
        file,
        objective,
        rate,
        funnel,
        period,
        since,
        until,
        working_days,
        deal_value,
        time_off,
        improvement,
    )
    request.rep = rep
    request.rates_since = _date(rates_since) if rates_since else None
    request.rates_until = _date(rates_until) if rates_until else None
    settings = get_settings()
    if not request.funnel:
        request.funnel = settings.funnel
    today = _date(as_of) if as_of else settings.clock.today()
    if rep:
        with error_console.status(f"Estimating {rep}'s rates…"):
            planned = build_plan(request, settings, today)
    else:
        planned = build_plan(request, settings, today)
    if as_json:
        print_json(plan_to_dict(planned))
    else:
        render_plan(planned)


def _request(
    file: Path | None,
    objective: str | None,
    rate: list[str],
    funnel: str | None,
    period: str | None,
    since: str | None,
    until: str | None,
    working_days: int | None,
    deal_value: float | None,
    time_off: list[str],
    improvement: float | None,
    *,
    required: bool = True,
) -> PlanRequest:
    """The plan asked for on the command line over the plan file; without ``required`` the
    objective may be left out (the diagnosis then reads each one's objective in force)."""
    spec = read_plan_file(file) if file else None
    rates = {k: str(v) for k, v in (spec.rates if spec else {}).items()}
    rates.update(parse_rate_option(r) for r in rate)
    chosen = objective or (spec.objective if spec else None)
    if not chosen and required:
        raise typer.BadParameter(
            "give --objective, e.g. --objective '4 sqls'", param_hint="--objective"
        )
    return PlanRequest(
        objective=chosen or "",
        rates=rates,
        funnel=funnel or (spec.funnel if spec and spec.funnel else ""),
        period=period or (spec.period if spec else None),
        since=_date(since) if since else (spec.since if spec else None),
        until=_date(until) if until else (spec.until if spec else None),
        working_days=working_days or (spec.working_days if spec else None),
        deal_value=deal_value or (spec.deal_value if spec else None),
        time_off=[*(spec.time_off if spec else []), *_days_off(time_off)],
        improvement=improvement
        or (spec.improvement if spec and spec.improvement else None)
        or DEFAULT_IMPROVEMENT,
    )


def _days_off(items: list[str]) -> list[date]:
    days: list[date] = []
    for item in items:
        first, _, last = item.partition("..")
        start, end = _date(first), _date(last or first)
        days.extend(date.fromordinal(n) for n in range(start.toordinal(), end.toordinal() + 1))
    return days


def render_plan(planned: PlannedObjective) -> None:
    """The chain as a table, the reasoning step by step, and where coaching pays most."""
    plan = planned.plan
    o = plan.objective
    title = (
        f"{o.describe()} in {o.period.label} — {plan.working_days} working days, "
        f"{plan.weeks:g} weeks ({plan.funnel.label})"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("stage")
    table.add_column("per period", justify="right")
    table.add_column("per week", justify="right")
    table.add_column("per working day", justify="right")
    if plan.has_intervals:
        table.add_column(f"range ({plan.level:.0%})", justify="right")
    for target in plan.stages:
        focus = target.stage.focus
        cells = [
            target.stage.label + ("  ◀ your daily number" if focus else ""),
            number(target.per_period),
            number(target.per_week),
            number(target.per_working_day),
        ]
        if plan.has_intervals:
            cells.append(f"{number(target.low)}–{number(target.high)}")
        table.add_row(*cells, style="bold green" if focus else None)
    console.print(table)
    if plan.has_intervals:
        ranges = [
            f"{number(t.low)}–{number(t.high)} {t.stage.plural} ({plan.level:.0%})"
            for t in plan.stages[:-1]
        ]
        console.print("Range from the rates' uncertainty: " + ", ".join(ranges), highlight=False)
    if planned.deal_value_note:
        console.print(f"[yellow]note:[/] {planned.deal_value_note}", highlight=False)
    if planned.rates_from is not None:
        render_rates_from(planned)
    steps = "\n".join(f"{i}. {line}" for i, line in enumerate(plan.reasoning, 1))
    console.print(Panel(steps, title="Why: the objective worked backwards", title_align="left"))
    render_gains(planned)


def render_rates_from(planned: PlannedObjective) -> None:
    """Which of the rep's rates the plan used, with the evidence behind each."""
    source = planned.rates_from
    assert source is not None
    plan = planned.plan
    team = f", team {source.team}" if source.team else ""
    table = Table(
        title=f"{source.name}'s rates, {source.window.label}{team} ({plan.level:.0%} intervals)",
        title_justify="left",
    )
    for column in ("conversion", "counts", "estimate", "interval"):
        table.add_column(column, justify="left" if column == "conversion" else "right")
    for step in reversed(plan.steps):
        rate = step.rate
        key = step.conversion.key
        if key in source.overridden or key not in source.rates:
            counts, interval = "given with --rate", "–"
        else:
            counts = f"{number(rate.successes)} / {number(rate.trials)}"
            interval = f"{rate.low:.3g}–{rate.high:.3g}" if rate.low and rate.high else "–"
        table.add_row(step.conversion.short, counts, f"{float(rate.value):.3g}", interval)
    console.print(table)
    for note in source.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)


def render_gains(planned: PlannedObjective) -> None:
    plan = planned.plan
    top, focus = plan.top.key, plan.focus.key if plan.focus else None
    table = Table(
        title=f"Marginal gains: what +{planned.improvement:.0%} on one conversion saves",
        title_justify="left",
    )
    table.add_column("#", justify="right")
    table.add_column("conversion")
    table.add_column("rate", justify="right")
    table.add_column(f"{top} saved", justify="right")
    if focus and focus != top:
        table.add_column(f"{focus} saved", justify="right")
    table.add_column("hours saved", justify="right")
    for rank, gain in enumerate(planned.gains, 1):
        cells = [
            str(rank),
            gain.conversion.short,
            f"{float(gain.rate.value):.3g} → {float(gain.improved.value):.3g}",
            number(gain.saved.get(top, 0)),
        ]
        if focus and focus != top:
            cells.append(number(gain.saved.get(focus, 0)))
        cells.append(f"{gain.hours_saved:,.1f}")
        table.add_row(*cells)
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(plan)
