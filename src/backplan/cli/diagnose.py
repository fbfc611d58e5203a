"""``backplan diagnose``, ``backplan team`` and ``backplan cadence``: where the funnel leaks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich import box
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from backplan.cli.output import console, error_console, print_json
from backplan.cli.plan import _date, _request, both_or_neither
from backplan.config import get_settings
from backplan.core.cadence import DEFAULT_THRESHOLD
from backplan.core.plan import DEFAULT_IMPROVEMENT
from backplan.services.formatting import number

if TYPE_CHECKING:
    from backplan.services.diagnosis import DiagnosisRequest, Result


def _options(
    objective: str | None,
    rate: list[str],
    file: Path | None,
    funnel: str | None,
    since: str | None,
    until: str | None,
    as_of: str | None,
    deal_value: float | None,
    coverage_bar: float | None,
) -> DiagnosisRequest:
    from backplan.services.diagnosis import DiagnosisRequest

    both_or_neither(since, until, "the current month to date")
    # Parsed exactly as `backplan plan` parses them (objective, rates, plan file).
    planned = _request(
        file, objective, rate, funnel, None, None, None, None, deal_value, [], None, required=False
    )
    settings = get_settings()
    return DiagnosisRequest(
        objective=planned.objective or None,
        rates=planned.rates,
        funnel=planned.funnel or settings.funnel,
        since=_date(since) if since else planned.since,
        until=_date(until) if until else planned.until,
        as_of=_date(as_of) if as_of else None,
        deal_value=planned.deal_value,
        improvement=planned.improvement or DEFAULT_IMPROVEMENT,
        coverage_bar=coverage_bar,
    )


OBJECTIVE = typer.Option(
    None,
    "--objective",
    "-o",
    help="The objective each rep's plan is for, as in `plan`: '4 sqls'; default: the objective "
    "set for the period and the plans the reps agreed.",
)
RATE = typer.Option(
    [],
    "--rate",
    "-r",
    help="A planned rate TO/FROM=VALUE, as in `plan`; overrides an agreed rate. Without one: "
    "the agreed rate, else the team's.",
)
FILE = typer.Option(None, "--file", help="A TOML plan file (as for `plan`); the command line wins.")
FUNNEL = typer.Option(
    None, "--funnel", "-f", help="A shipped funnel (outbound, sales-director) or a TOML file."
)
SINCE = typer.Option(None, help="First day of the window (default: the current month's first).")
UNTIL = typer.Option(None, help="Last day of the window (default: the current month's last).")
AS_OF = typer.Option(None, "--as-of", help="Act as if today were this date (YYYY-MM-DD).")
DEAL_VALUE = typer.Option(None, "--deal-value", help="Average deal value for a revenue objective.")
COVERAGE = typer.Option(
    None, "--coverage-bar", help="Minimum pipeline coverage for everyone (e.g. 3 for 3×)."
)
JSON = typer.Option(False, "--json", help="Print as JSON.")


def diagnose(
    rep: str = typer.Option(..., "--rep", help="The rep (rep key or name)."),
    objective: str = OBJECTIVE,
    rate: list[str] = RATE,
    file: Path = FILE,
    funnel: str = FUNNEL,
    since: str = SINCE,
    until: str = UNTIL,
    as_of: str = AS_OF,
    deal_value: float = DEAL_VALUE,
    coverage_bar: float = COVERAGE,
    as_json: bool = JSON,
) -> None:
    """Peel back the onion for one rep: results, pipeline, meetings, activity.

    Stops at the first layer on track; below it, finds the conversion that
    costs the most output among those with strong evidence, and the coaching
    it calls for. The window defaults to the current month to date.

        backplan diagnose --rep "Ann Lee" --objective "4 sqls" --rate sqls/meetings=1/3
    """
    from backplan.services.diagnosis import build_context, diagnose_rep, result_to_dict

    request = _options(objective, rate, file, funnel, since, until, as_of, deal_value, coverage_bar)
    with error_console.status("Counting events and fitting rates…"):
        result = diagnose_rep(build_context(get_settings(), request), rep)
    if as_json:
        print_json(result_to_dict(result))
    else:
        render(result)


def team(
    name: str = typer.Argument(..., help="The team's name."),
    objective: str = OBJECTIVE,
    rate: list[str] = RATE,
    file: Path = FILE,
    funnel: str = FUNNEL,
    since: str = SINCE,
    until: str = UNTIL,
    as_of: str = AS_OF,
    deal_value: float = DEAL_VALUE,
    coverage_bar: float = COVERAGE,
    as_json: bool = JSON,
) -> None:
    """A team's diagnosis, then who needs attention first (flags on strong evidence only).

    The objective is each rep's; the team's plan is the sum of its reps' plans.

        backplan team north --objective "4 sqls" --rate sqls/meetings=1/3
    """
    from backplan.services.diagnosis import build_context, diagnose_team, result_to_dict

    request = _options(objective, rate, file, funnel, since, until, as_of, deal_value, coverage_bar)
    with error_console.status("Counting events and fitting rates…"):
        result = diagnose_team(build_context(get_settings(), request), name)
    if as_json:
        print_json(result_to_dict(result))
        return
    render(result)
    render_exceptions(result)


def cadence(
    rep: str = typer.Option(None, "--rep", help="One rep (rep key or name)."),
    team: str = typer.Option(None, "--team", help="One team."),
    threshold: float = typer.Option(
        DEFAULT_THRESHOLD,
        "--threshold",
        help="Least yield an attempt must have, per prospect still in the cadence (0.02 = 2%).",
    ),
    since: str = SINCE,
    until: str = UNTIL,
    funnel: str = typer.Option(
        None, "--funnel", "-f", help="Accepted for symmetry; attempts are dials, emails, social."
    ),
    as_of: str = AS_OF,
    as_json: bool = JSON,
) -> None:
    """Response by attempt number and how many attempts to make before moving on.

    backplan cadence --team north --since 2026-01-01 --until 2026-03-31
    """
    from backplan.services.diagnosis import CadenceRequest, cadence_report

    both_or_neither(since, until, "the current month to date")
    request = CadenceRequest(
        rep=rep,
        team=team,
        since=_date(since) if since else None,
        until=_date(until) if until else None,
        as_of=_date(as_of) if as_of else None,
        threshold=threshold,
    )
    with error_console.status("Counting attempts per prospect…"):
        data = cadence_report(get_settings(), request)
    if as_json:
        print_json(data)
    else:
        render_cadence(data)


# -- rendering ---------------------------------------------------------------------------------


def render(result: Result) -> None:
    """The onion as steps, the evidence table, the coaching, the channel mix and the trends."""
    from backplan.services.diagnosis import result_to_dict

    data = result_to_dict(result)
    d = result.diagnosis
    window = data["window"]
    who = f"team {result.name}" if result.kind == "team" else result.name
    console.print(
        f"[bold]{escape(who)}[/] · {escape(data['objective']['text'])} in "
        f"{window['since']}..{window['until']} · counted to {window['counted_until']} "
        f"({window['share_elapsed']:.0%} of working days)",
        highlight=False,
    )
    if window["chosen"]:
        console.print(f"[dim]window: {escape(window['chosen'])}[/]", highlight=False)
    colour = "green" if d.on_track else "yellow" if d.bottleneck is None else "red"
    steps = "\n".join(f"{i}. {escape(line)}" for i, line in enumerate(d.explanation, 1))
    verdict = "on track" if d.on_track else f"gap at {data['layer']} ({data['problem']} problem)"
    console.print(
        Panel(steps, title=f"The onion — {verdict}", title_align="left", border_style=colour)
    )
    table = Table(title="Evidence per conversion", title_justify="left", box=box.SIMPLE_HEAD)
    for column in (
        "conversion",
        "counts",
        "estimate",
        "80% int.",
        "team",
        "plan",
        "P<team",
        "P<plan",
    ):
        table.add_column(column, justify="left" if column == "conversion" else "right")
    bottleneck = d.bottleneck.conversion.key if d.bottleneck else None
    strong_findings = {f.conversion.key for f in d.findings if f.strong}
    for e in data["evidence"]:
        strong = e["conversion"] in strong_findings
        style = "bold red" if e["conversion"] == bottleneck else "red" if strong else None
        table.add_row(
            result.context.funnel.conversion(e["conversion"]).short,
            f"{number(e['successes'])}/{number(e['trials'])}",
            _pct(e["estimate"]),
            f"{_pct(e['low'])}–{_pct(e['high'])}",
            _pct(e["team"]),
            _pct(e["planned"]),
            _p(e["p_below_team"]),
            _p(e["p_below_plan"]),
            style=style,
        )
    console.print(table)
    if data["coaching"]:
        c = data["coaching"]
        body = f"[italic]{escape(c['why'])}[/]\n" + "\n".join(
            f"• {escape(s)}" for s in c["suggestions"]
        )
        console.print(Panel(body, title=f"Coaching: {escape(c['area'])}", title_align="left"))
    mix = data["channel_mix"]
    if mix:
        parts = [
            f"{ch['channel']} {ch['meetings']}/{ch['touches']} ({_pct(ch['rate'])})"
            for ch in mix["channels"]
        ]
        shift = mix["shift"]
        advice = (
            f"[bold]{escape(shift['text'])}[/] (P = {shift['probability']:.2f})"
            if shift
            else "no channel is reliably better"
        )
        console.print(f"Channel mix (meetings per touch): {', '.join(parts)} — {advice}")
    moving = [t for t in data["trends"] if t.get("verdict")]
    for t in moving:
        style = "green" if t["direction"] == "up" else "red" if t["direction"] == "down" else "dim"
        short = result.context.funnel.conversion(t["conversion"]).short
        console.print(f"[{style}]trend {escape(short)}: {escape(t['text'])}[/]", highlight=False)
    if data["marginal_gains"]:
        best = data["marginal_gains"][0]
        short = result.context.funnel.conversion(best["conversion"]).short
        console.print(
            f"Marginal gains: +10% on {short} saves the most "
            f"({best['hours_saved']:,.1f} hours for the same objective)",
            highlight=False,
        )
    for note in data["notes"]:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)


def render_exceptions(result: Result) -> None:
    """Who needs attention first: ordered by output at stake, flagged on strong evidence only."""
    from backplan.services.diagnosis import result_to_dict

    data = result_to_dict(result)
    table = Table(
        title="Reps by output at stake (flagged only on strong evidence)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for column in ("rep", "layer", "bottleneck", "P(lower)", "at stake", "outside limits"):
        table.add_column(column, justify="right" if column in ("P(lower)", "at stake") else "left")
    funnel = result.context.funnel
    for row in data["exceptions"]:
        outside = [
            f"{funnel.conversion(k).short} {v['position']}"
            for k, v in row["control"].items()
            if v and v["position"] != "within"
        ]
        table.add_row(
            ("⚑ " if row["flagged"] else "  ") + escape(row["name"]),
            row["layer"] or "on track",
            funnel.conversion(row["bottleneck"]).short if row["bottleneck"] else "–",
            _p(row["probability_lower"]),
            f"{row['output_at_stake']:.1f}",
            ", ".join(outside) or "–",
            style="red" if row["flagged"] else None,
        )
    console.print(table)


def render_cadence(data: dict[str, Any]) -> None:
    table = Table(
        title=f"Response by attempt ({data['prospects']:,} prospects, {data['responses']:,} responses)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for column in ("attempt", "prospects", "responses", "rate", "cumulative"):
        table.add_column(column, justify="right")
    recommended = data["recommended_attempts"]
    for row, point in zip(data["by_attempt"], data["cumulative"], strict=True):
        table.add_row(
            str(row["attempt"]),
            f"{row['prospects']:,}",
            f"{row['responses']:,}",
            _pct(row["rate"]),
            _pct(point["responded"]),
            style="bold green" if row["attempt"] == recommended else None,
        )
    console.print(table)
    console.print(f"[bold]{escape(data['reason'])}[/]", highlight=False)
    if data["window"]["chosen"]:
        console.print(f"[dim]window: {escape(data['window']['chosen'])}[/]", highlight=False)
    for note in data["notes"]:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def _p(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def register(app: typer.Typer) -> None:
    app.command()(diagnose)
    app.command()(team)
    app.command()(cadence)
