"""``backplan okr`` (create, list, show, propose, agree) and ``backplan forecast``."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from backplan.cli.output import console, error_console, print_json
from backplan.cli.plan import _date
from backplan.config import get_settings
from backplan.core.period import Period
from backplan.services import okr
from backplan.services.audit import Actor
from backplan.services.forecasting import (
    ForecastRequest,
    PeriodForecast,
    forecast_period,
    forecast_to_dict,
)
from backplan.services.formatting import number
from backplan.services.planning import parse_rate_option

okr_app = typer.Typer(
    help="Objectives and key results: owned by a rep or team, tracked from events, agreed by the rep.",
    no_args_is_help=True,
)

PACE_STYLE = {
    "ahead": "green",
    "on_pace": "green",
    "met": "bold green",
    "behind": "red",
    "not_started": "dim",
}
BAR = "█"


def _today(as_of: str | None) -> date:
    """The day given, or today by the organisation's clock (``BACKPLAN_TODAY`` pins it)."""
    return _date(as_of) if as_of else get_settings().clock.today()


def _as_of(as_of: str | None) -> date | None:
    """The day given, counted whole; none: now, part of today included."""
    return _date(as_of) if as_of else None


@okr_app.command("create")
def create(
    objective: list[str] = typer.Option(
        ...,
        "--objective",
        "-o",
        help="A key result: '4 sqls', '6 deals', '$120k' (with --deal-value). Repeat for more; "
        "the first is the main result, the plan is worked back from it.",
    ),
    rep: str = typer.Option(None, "--rep", help="The rep who owns it (key or name)."),
    team: str = typer.Option(None, "--team", help="The team that owns it."),
    period: str = typer.Option("month", "--period", "-p", help="month, quarter, 2026-10, 2026-Q4."),
    text: str = typer.Option(None, "--text", help="The objective in words."),
    funnel: str = typer.Option(None, "--funnel", "-f", help="Funnel (default: the settings')."),
    deal_value: float = typer.Option(None, "--deal-value", "--aov", help="Average deal value."),
    split: bool = typer.Option(
        False, "--split", help="Share a team objective across its reps (working days × own pace)."
    ),
    by: str = typer.Option(None, "--by", help="Who creates it (recorded)."),
    as_of: str = typer.Option(None, "--as-of", help="Today, for 'month' and 'quarter'."),
    as_json: bool = typer.Option(False, "--json", help="Print the objective as JSON."),
) -> None:
    """Create an objective for a rep or a team.

    backplan okr create --rep ana --objective "4 sqls" --period 2026-10
    backplan okr create --team North --objective "12 sqls" --period 2026-10 --split
    """
    kind, owner = _owner(rep, team)
    request = okr.ObjectiveRequest(
        owner=owner,
        owner_kind=kind,
        period=period,
        key_results=objective,
        text=text,
        funnel=funnel,
        deal_value=deal_value,
        split=split,
        created_by=by,
    )
    created = okr.create_objective(get_settings(), request, _today(as_of), by=Actor.command_line())
    if as_json:
        data = okr.objective_to_dict(created.objective)
        data["shares"] = [okr.share_to_dict(s) for s in created.shares]
        print_json(data)
        return
    render_objective(created.objective)
    if created.shares:
        table = Table(title="Shares by capacity (working days × own pace)", title_justify="left")
        for column in ("rep", "working days", "pace", "weight", "target"):
            table.add_column(column, justify="left" if column == "rep" else "right")
        for s in created.shares:
            table.add_row(
                s.name, str(s.working_days), f"{s.pace:g}", f"{s.weight:g}", str(s.target)
            )
        console.print(table)


@okr_app.command("list")
def list_(
    rep: str = typer.Option(None, "--rep"),
    team: str = typer.Option(None, "--team", help="The team's objectives and its reps'."),
    period: str = typer.Option(None, "--period", "-p", help="Only objectives overlapping it."),
    as_of: str = typer.Option(None, "--as-of"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List objectives, newest period first."""
    chosen = Period.parse(period, _today(as_of)) if period else None
    views = okr.list_objectives(get_settings(), rep=rep, team=team, period=chosen)
    if as_json:
        print_json([okr.objective_to_dict(v) for v in views])
        return
    table = Table(title="Objectives", title_justify="left")
    for column in ("id", "owner", "period", "objective", "key results", "plan"):
        table.add_column(column)
    for v in views:
        plan = v.current_plan
        table.add_row(
            str(v.id),
            f"{v.owner_name} ({v.owner_kind})",
            v.period.label,
            v.text,
            ", ".join(kr.text for kr in v.key_results),
            f"{plan.status} ({plan.id})" if plan else "–",
        )
    console.print(table)


@okr_app.command("show")
def show(
    objective_id: int = typer.Argument(..., help="The objective's id (see okr list)."),
    as_of: str = typer.Option(None, "--as-of", help="Progress up to the end of this day."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """An objective with its plan and its progress to date from events."""
    settings = get_settings()
    progress = okr.progress(settings, objective_id, _as_of(as_of))
    if as_json:
        print_json(okr.progress_to_dict(progress))
        return
    render_objective(progress.objective)
    table = Table(
        title=f"Progress to {progress.as_of} — {number(progress.elapsed_days)} of "
        f"{progress.working_days} working days",
        title_justify="left",
    )
    for column in ("key result", "kind", "actual", "expected by now", "target", "pace"):
        table.add_column(column, justify="left" if column in ("key result", "kind") else "right")
    for k in progress.key_results:
        kind = "leading" if k.leading else "lagging"
        table.add_row(
            k.stage + (" (from plan)" if k.from_plan else ""),
            kind,
            number(k.actual),
            number(k.expected_to_date),
            number(k.target),
            f"[{PACE_STYLE[k.pace]}]{k.pace.replace('_', ' ')}[/]",
        )
    console.print(table)
    for note in progress.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)


@okr_app.command("propose")
def propose(
    objective_id: int = typer.Argument(...),
    rate: list[str] = typer.Option([], "--rate", "-r", help="TO/FROM=VALUE overrides a rate."),
    rates_since: str = typer.Option(None, "--rates-since"),
    rates_until: str = typer.Option(None, "--rates-until"),
    by: str = typer.Option(None, "--by", help="Who proposes it (recorded)."),
    as_of: str = typer.Option(None, "--as-of"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Work a rep's objective back through their own rates and propose the plan to them."""
    settings = get_settings()
    with error_console.status("Estimating the rep's rates…"):
        plan = okr.propose_plan(
            settings,
            objective_id,
            _today(as_of),
            by=okr.Actor(by) if by else None,
            rates=dict(parse_rate_option(r) for r in rate),
            rates_since=_date(rates_since) if rates_since else None,
            rates_until=_date(rates_until) if rates_until else None,
        )
    if as_json:
        print_json(okr.plan_view_to_dict(plan))
        return
    render_plan(plan)
    owner = okr.get_objective(settings, objective_id).owner
    console.print(f"The rep agrees it with: backplan okr agree {objective_id} --rep {owner}")


@okr_app.command("agree")
def agree(
    objective_id: int = typer.Argument(...),
    rep: str = typer.Option(..., "--rep", help="The rep agreeing: only the owner may."),
    plan_id: int = typer.Option(None, "--plan", help="Which proposal (default: the newest)."),
    note: str = typer.Option(None, "--note"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Agree the proposed plan of your own objective (who, when and the rates are recorded)."""
    plan = okr.agree_plan(
        get_settings(), objective_id, okr.Actor(rep, rep=rep), plan_id=plan_id, note=note
    )
    if as_json:
        print_json(okr.plan_view_to_dict(plan))
        return
    render_plan(plan)


def forecast(
    rep: str = typer.Option(None, "--rep", help="The rep (key or name)."),
    team: str = typer.Option(None, "--team", help="The team: the sum of its reps' forecasts."),
    objective: str = typer.Option(
        None, "--objective", "-o", help="'4 sqls', '$120k' ...; default: the owner's OKR."
    ),
    period: str = typer.Option(None, "--period", "-p", help="2026-10, 2026-Q4, month, quarter."),
    funnel: str = typer.Option(None, "--funnel", "-f"),
    deal_value: float = typer.Option(None, "--deal-value", "--aov"),
    as_of: str = typer.Option(None, "--as-of", help="Forecast as at the end of this day."),
    seed: int = typer.Option(0, "--seed", help="Random seed (the same seed, the same figures)."),
    as_json: bool = typer.Option(False, "--json", help="Print the forecast as JSON."),
) -> None:
    """Where the period will land: median, 80% range, P(objective met) and pipeline coverage.

    backplan forecast --rep ana --period 2026-10 --as-of 2026-10-15
    backplan forecast --team North --objective "12 sqls" --period 2026-10
    """
    request = ForecastRequest(
        rep=rep,
        team=team,
        objective=objective,
        period=period,
        funnel=funnel,
        deal_value=deal_value,
        seed=seed,
    )
    with error_console.status("Forecasting…"):
        result = forecast_period(get_settings(), request, _as_of(as_of))
    if as_json:
        print_json(forecast_to_dict(result))
    else:
        render_forecast(result)


def render_objective(view: okr.ObjectiveView) -> None:
    console.print(
        f"[bold]#{view.id} {view.text}[/] — {view.owner_name} ({view.owner_kind}), "
        f"{view.period.label}, funnel {view.funnel}",
        highlight=False,
    )
    for i, kr in enumerate(view.key_results):
        console.print(f"  KR{i + 1}: {kr.text}" + ("  (main)" if i == 0 else ""), highlight=False)
    plan = view.current_plan
    if plan is not None:
        render_plan(plan)
    for child in view.children:
        console.print(
            f"  #{child.id} {child.owner_name}: {child.main.text}"
            + (f" — plan {child.current_plan.status}" if child.current_plan else ""),
            highlight=False,
        )


def render_plan(plan: okr.PlanView) -> None:
    stages = ", ".join(
        f"{number(s['per_period'])} {s['key']}" for s in plan.figures.get("stages", [])
    )
    status = plan.status
    if plan.agreement:
        status += f" by {plan.agreement.agreed_by} at {plan.agreement.agreed_at:%Y-%m-%d %H:%M}"
    daily = okr.daily_number(plan.figures)
    lead = (
        f"{number(daily['per_working_day'])} {daily['label'].lower()} a working day, the daily "
        "number; "
        if daily
        else ""
    )
    console.print(f"Plan {plan.id} ({status}): {lead}{stages} over the period", highlight=False)
    for r in plan.rates:
        evidence = (
            f"{number(r['successes'])} / {number(r['trials'])}"
            if r["source"] == "data" and r["trials"]
            else "given"
        )
        console.print(f"  {r['conversion']}: {r['estimate']:.3g} ({evidence})", highlight=False)


def render_forecast(p: PeriodForecast) -> None:
    f = p.forecast
    o = p.objective
    console.print(
        f"[bold]{p.owner_name}[/]: {p.objective_text} in {o.period.label}, as at {p.as_of} "
        f"({number(p.elapsed_days)} working days gone, {number(f.remaining_days)} left)",
        highlight=False,
    )
    hit = "green" if f.p_hit >= 0.7 else "yellow" if f.p_hit >= 0.4 else "red"
    console.print(
        f"{number(f.actual_to_date)} {o.stage} so far; expected {number(f.expected)} "
        f"({f.level:.0%}: {number(f.low)}–{number(f.high)}); "
        f"P(reaching {o.target}) = [{hit}]{f.p_hit:.0%}[/]",
        highlight=False,
    )
    if f.coverage is not None:
        style = "red" if f.below_coverage_bar else "green"
        console.print(
            f"Pipeline coverage [{style}]{f.coverage:.1f}×[/] ({f.pipeline} open for "
            f"{o.target - f.actual_to_date} to go; bar {f.coverage_bar:g}×)",
            highlight=False,
        )
    from backplan.core.forecast import histogram

    bins = histogram(f.draws)
    while bins and bins[-1][2] < 0.001:  # a far tail nobody needs to read
        bins.pop()
    top = max((share for _, _, share in bins), default=0) or 1
    for lo, hi, share in bins:
        label = f"{lo}" if lo == hi else f"{lo}–{hi}"
        mark = " ◀ objective" if lo <= o.target <= hi else ""
        console.print(
            f"  {label:>9} {BAR * round(30 * share / top):<30} {share:5.1%}{mark}", highlight=False
        )
    console.print(f"Rates from: {p.rates_from}", highlight=False)
    if p.owner_kind == "team":
        table = Table(title="By rep", title_justify="left")
        for column in ("rep", "so far", "expected", "range", "target", "P(hit)"):
            table.add_column(column, justify="left" if column == "rep" else "right")
        for r in p.reps:
            table.add_row(
                r.name,
                number(r.forecast.actual_to_date),
                number(r.forecast.expected),
                f"{number(r.forecast.low)}–{number(r.forecast.high)}",
                number(r.target),
                f"{r.forecast.p_hit:.0%}" if r.target is not None else "–",
            )
        console.print(table)


def _owner(rep: str | None, team: str | None) -> tuple[okr.OwnerKind, str]:
    if bool(rep) == bool(team):
        raise typer.BadParameter("give --rep NAME or --team NAME (one of them)")
    return ("rep", rep) if rep else ("team", team)  # type: ignore[return-value]


def register(app: typer.Typer) -> None:
    app.add_typer(okr_app, name="okr")
    app.command()(forecast)
