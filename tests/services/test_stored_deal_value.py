"""A revenue objective without --deal-value takes the average of the stored won amounts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from backplan.cli import app

runner = CliRunner()
PLAN = [
    "plan", "--funnel", "sales-director", "--objective", "$120k", "--period", "2026-Q4",
    "--working-days", "60", "--rate", "pitches/calls=0.2", "--rate", "demos/pitches=1/4",
    "--rate", "opps/demos=0.5", "--rate", "deals/opps=0.3", "--as-of", "2026-10-01",
]  # fmt: skip


def test_the_average_deal_value_comes_from_won_amounts_and_the_plan_says_so(
    tmp_path: Path,
) -> None:
    deals = tmp_path / "won.csv"
    deals.write_text(
        "event_id,rep,at,kind,prospect,amount,source\n"
        "d1,ana,2025-11-01,won,p1,8000,\nd2,ana,2025-12-01,won,p2,12000,\n"
        "d3,ben,2025-12-05,lost,p3,50000,\nd4,ben,2024-01-01,won,p4,90000,\n"
    )
    imported = runner.invoke(app, ["import", str(deals), "-m", "events", "--json"])
    assert json.loads(imported.stdout)["kinds"] == {"won": 3, "lost": 1}
    result = runner.invoke(app, [*PLAN, "--json"])
    assert result.exit_code == 0, result.output
    objective = json.loads(result.stdout)["objective"]
    # 2024's deal is older than a year before 2026-10-01; the lost one carries no value.
    assert objective["deal_value"] == 10_000 and objective["target"] == 12
    assert objective["deal_value_from"].startswith(
        "average deal value 10,000: the mean of 2 won deals' amounts (every rep's"
    )
    shown = runner.invoke(app, PLAN)
    assert "note:" in shown.stdout and "give --deal-value" in " ".join(shown.stdout.split())


def test_without_stored_deals_a_revenue_objective_still_asks_for_deal_value() -> None:
    result = runner.invoke(app, PLAN)
    assert result.exit_code == 2 and "--deal-value" in result.stderr
