"""``backplan coaching`` (start, end, review, playbook, agenda): what each rep is coached on, and whether it worked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich import box
from rich.table import Table

from backplan.cli.output import console, error_console, print_json
from backplan.cli.plan import _date
from backplan.config import get_settings

if TYPE_CHECKING:
    from backplan.services.coaching import FocusReview

coaching_app = typer.Typer(
    help="Coaching focuses: one conversion per focus, and whether it moved beyond the team's.",
    no_args_is_help=True,
)

VERDICT_STYLE = {"improved": "green", "unclear": "yellow", "worse": "red"}


@coaching_app.command("start")
def start(
    rep: str = typer.Option(..., "--rep", help="The rep coached (key or name)."),
    focus: str = typer.Option(
        ..., "--focus", help="The conversion, written TO/FROM like the rates: sqls/meetings."
    ),
    since: str = typer.Option(..., "--since", help="The day the focus starts (YYYY-MM-DD)."),
    note: str = typer.Option(None, "--note", help="What was agreed, in words."),
    playbook: list[str] = typer.Option(
        [], "--playbook", help="A playbook suggestion chosen, by number or text. Repeat for more."
    ),
    commit: list[str] = typer.Option(
        [], "--commit", help="A commitment the rep makes, in their words. Repeat for more."
    ),
    by: str = typer.Option(None, "--by", help="Who starts it (recorded)."),
    funnel: str = typer.Option(None, "--funnel", "-f", help="Funnel (default: the settings')."),
    as_json: bool = typer.Option(False, "--json", help="Print the focus as JSON."),
) -> None:
    """Start a coaching focus for a rep; their current focus on the same conversion ends.

    backplan coaching start --rep ana --focus sqls/meetings --since 2026-10-01 --playbook 1
    """
    from backplan.services import coaching

    request = coaching.FocusRequest(
        rep=rep,
        focus=focus,
        since=_date(since),
        note=note,
        playbook=playbook,
        commitments=commit,
        by=by,
        funnel=funnel,
    )
    started = coaching.start_focus(get_settings(), request)
    if as_json:
        print_json(started.to_dict())
        return
    console.print(
        f"Coaching {started.name} on [bold]{started.conversion}[/] from {started.since}.",
        highlight=False,
    )
    for item in started.playbook:
        console.print(f"  playbook: {item}", highlight=False)
    for item in started.commitments:
        console.print(f"  commits to: {item}", highlight=False)


@coaching_app.command("end")
def end(
    rep: str = typer.Option(..., "--rep", help="The rep (key or name)."),
    focus: str = typer.Option(..., "--focus", help="The conversion of the focus: sqls/meetings."),
    by: str = typer.Option(None, "--by", help="Who ends it (recorded)."),
    as_json: bool = typer.Option(False, "--json", help="Print the focus as JSON."),
) -> None:
    """End a rep's current coaching focus on a conversion (it is kept, with who ended it)."""
    from backplan.services import coaching

    ended = coaching.end_focus(get_settings(), rep, focus, by=by)
    if as_json:
        print_json(ended.to_dict())
        return
    console.print(f"Ended {ended.name}'s focus on {ended.conversion}.", highlight=False)


@coaching_app.command("review")
def review(
    rep: str = typer.Option(None, "--rep", help="One rep's focuses (key or name)."),
    team: str = typer.Option(None, "--team", help="The focuses of a team's reps."),
    as_of: str = typer.Option(None, "--as-of", help="Review as at the end of this day."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Did each focus work? The conversion before and after its start, against the team's
    uncoached reps over the same days, as a difference in differences (docs/coaching.md)."""
    from backplan.services import coaching

    if (rep is None) == (team is None):
        raise typer.BadParameter("give --rep or --team (one of them)", param_hint="--rep/--team")
    settings = get_settings()
    day, _ = settings.clock.as_of(_date(as_of) if as_of else None)
    with error_console.status("Counting events and weighing the evidence…"):
        reviews = coaching.review_focuses(settings, rep=rep, team=team, as_of=day)
    if as_json:
        print_json({"as_of": day.isoformat(), "focuses": [r.to_dict() for r in reviews]})
        return
    render_reviews(reviews)


def render_reviews(reviews: list[FocusReview]) -> None:
    """One row per focus: counts before and after, the control's change, the effect, P."""
    if not reviews:
        console.print("No coaching focuses yet (start one with `backplan coaching start`).")
        return
    table = Table(
        title="Coaching focuses (80% intervals)", title_justify="left", box=box.SIMPLE_HEAD
    )
    for column in ("rep · focus", "since", "before", "after", "control change", "effect", "P"):
        table.add_column(column, justify="left" if column == "rep · focus" else "right")
    table.add_column("verdict")
    for r in reviews:
        data = r.to_dict()
        b, a, c, e = data["before"], data["after"], data["control"], data["effect"]
        table.add_row(
            f"{r.focus.name} · {r.focus.conversion}" + ("" if r.focus.current else " (ended)"),
            data["since"],
            f"{b['successes']}/{b['trials']} → {b['estimate']:.0%}",
            f"{a['successes']}/{a['trials']} → {a['estimate']:.0%}",
            _points(c["change"]["estimate"]),
            f"{_points(e['estimate'])} ({_points(e['low'])} to {_points(e['high'])})",
            f"{data['p_improved']:.2f}",
            f"[{VERDICT_STYLE[data['verdict']]}]{data['verdict']}[/]",
        )
    console.print(table)
    for r in reviews:
        for caveat in r.effect.caveats_:
            console.print(f"[yellow]note:[/] {r.focus.name}: {caveat}", highlight=False)
    console.print(
        "[dim]before: shrunk toward the team's rate; effect: the change beyond the uncoached "
        "reps' change, in percentage points; P: the probability it is above zero.[/]"
    )


@coaching_app.command("playbook")
def playbook(
    team: str = typer.Option(None, "--team", help="One team's focuses (default: everyone's)."),
    as_of: str = typer.Option(None, "--as-of", help="Review as at the end of this day."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """What works: for each conversion coached and each playbook item used, the focuses, their
    verdicts, and their effects pooled with an 80% interval (docs/coaching.md)."""
    from backplan.services.what_works import what_works, what_works_to_dict

    settings = get_settings()
    day, _ = settings.clock.as_of(_date(as_of) if as_of else None)
    with error_console.status("Reviewing every focus…"):
        found = what_works(settings, as_of=day, teams=[team] if team else None)
    if as_json:
        print_json({"as_of": day.isoformat(), "team": team, **what_works_to_dict(found)})
        return
    if found.note:
        console.print(f"[yellow]note:[/] {found.note}", highlight=False)
    if not found.items:
        console.print("No focus has run long enough to show anything yet.")
        return
    table = Table(title="What works (80% intervals)", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("conversion · playbook item", "focuses", "improved", "unclear", "worse"):
        table.add_column(column, justify="left" if column.startswith("conv") else "right")
    table.add_column("effect, pooled", justify="right")
    table.add_column("P", justify="right")
    for e in found.items:
        p = e.pooled
        table.add_row(
            f"  {e.item}" if e.item else f"[bold]{e.label}[/] (every focus)",
            str(e.focuses),
            str(e.verdicts.get("improved", 0)),
            str(e.verdicts.get("unclear", 0)),
            str(e.verdicts.get("worse", 0)),
            f"{_points(p.estimate)} ({_points(p.low)} to {_points(p.high)})" if p else "–",
            f"{p.p_improved:.2f}" if p else "–",
        )
    console.print(table)
    console.print(
        "[dim]effect: the focuses' effects pooled by inverse variance, widened when they "
        "disagree; P: the probability the pooled effect is above zero.[/]"
    )


@coaching_app.command("agenda")
def agenda(
    rep: str = typer.Option(..., "--rep", help="The rep (key)."),
    as_of: str = typer.Option(None, "--as-of", help="As at the end of this day."),
    markdown: bool = typer.Option(False, "--markdown", help="Print the Markdown itself."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """The 1:1 agenda: where the rep stands against their agreed plan, what the diagnosis
    says, their coaching focus and its evidence, the commitments from last time."""
    from rich.markdown import Markdown

    from backplan.services.one_to_one import agenda, agenda_markdown

    settings = get_settings()
    with error_console.status("Reading the rep's plan, diagnosis and coaching…"):
        data = agenda(settings, rep, _date(as_of) if as_of else None)
    if as_json:
        print_json(data)
    elif markdown:
        typer.echo(agenda_markdown(data))
    else:
        console.print(Markdown(agenda_markdown(data)))


def _points(x: float) -> str:
    return f"{x * 100:+.1f} pts"


def register(app: typer.Typer) -> None:
    app.add_typer(coaching_app, name="coaching")
