"""``backplan example``: the seed example, end to end, in the terminal."""

from __future__ import annotations

import typer

from backplan.cli.output import console
from backplan.cli.plan import render_plan
from backplan.config import get_settings
from backplan.services.planning import PlanRequest, build_plan

SEED_RATES = {
    "conversations/dials": "0.07",
    "meetings/conversations": "1/7",
    "sqls/meetings": "1/3",
}


def example() -> None:
    """Walk through the seed case: 4 SQLs a month, worked backwards for two reps."""
    settings = get_settings()
    today = settings.clock.today()
    console.rule("Rep B: 1 SQL in 3 meetings (the team's usual rates)")
    render_plan(
        build_plan(
            PlanRequest("4 sqls", SEED_RATES, period="month", working_days=20), settings, today
        )
    )
    console.rule("Rep A: qualifies well — 5 meetings give 4 SQLs")
    render_plan(
        build_plan(
            PlanRequest(
                "4 sqls", {**SEED_RATES, "sqls/meetings": "4/5"}, period="month", working_days=20
            ),
            settings,
            today,
        )
    )
    console.print(
        "Same objective, different reps: each plan comes from the rep's own rates. "
        "Try your own with [bold]backplan plan --help[/]."
    )


def register(app: typer.Typer) -> None:
    app.command()(example)
