"""The documented example in docs/diagnosis.md, on the public Maven CRM data.

The pipeline goes in through the real importer (``opportunities`` mapping) and
the roster from sales_teams.csv; every count the diagnosis rests on is checked
against the CSV file read here with the csv module.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from backplan.config import get_settings
from backplan.services.importing import ImportRequest, import_file
from backplan.services.roster import import_roster
from diagnosis_support import run

TEAM = "Dustin Brinkmann's team"
EXAMPLE = [
    "--funnel", "sales-director", "--objective", "50 deals", "--rate", "deals/opps=0.5",
    "--since", "2017-07-01", "--until", "2017-09-30", "--as-of", "2018-01-02",
]  # fmt: skip


@pytest.fixture
def maven(shared_data: Path) -> Path:
    folder = shared_data / "maven-crm-sales-opportunities"
    settings = get_settings()
    import_roster(settings, folder / "sales_teams.csv")
    summary = import_file(settings, ImportRequest(folder / "sales_pipeline.csv", "opportunities"))
    assert summary.status == "done"
    return folder


def q3(day: str) -> bool:
    return "2017-07-01" <= day <= "2017-09-30"


def counts_from_csv(folder: Path) -> tuple[dict[str, str], Counter[str], Counter[str]]:
    """Team of each agent; opportunities engaged in Q3 2017 and deals won in it, per agent."""
    with open(folder / "sales_teams.csv", newline="", encoding="utf-8") as f:
        manager = {r["sales_agent"]: r["manager"] for r in csv.DictReader(f)}
    opps: Counter[str] = Counter()
    won: Counter[str] = Counter()
    with open(folder / "sales_pipeline.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["engage_date"] and q3(r["engage_date"]):
                opps[r["sales_agent"]] += 1
            if r["deal_stage"] == "Won" and q3(r["close_date"]):
                won[r["sales_agent"]] += 1
    return manager, opps, won


@pytest.mark.slow
def test_the_documented_team_diagnosis_matches_the_csv(maven: Path) -> None:
    manager, opps, won = counts_from_csv(maven)
    agents = sorted(a for a, m in manager.items() if m == "Dustin Brinkmann")
    team = run("team", TEAM, *EXAMPLE)

    assert sorted(r["rep"] for r in team["reps"]) == agents
    for rep in team["reps"]:
        agent = rep["rep"]
        assert (rep["actual"]["opps"], rep["actual"]["deals"]) == (opps[agent], won[agent])
        # Each agent's plan: 50 deals at 1 in 2 needs 100 opps; the window is over, so all of it.
        assert rep["expected_to_date"] == {"deals": 50, "opps": 100}

    pooled_won, pooled_opps = sum(won[a] for a in agents), sum(opps[a] for a in agents)
    assert (pooled_won, pooled_opps) == (206, 553)
    assert (team["actual"]["deals"], team["actual"]["opps"]) == (206, 553)
    assert team["expected_to_date"] == {"deals": 250, "opps": 500}
    evidence = {e["conversion"]: e for e in team["evidence"]}["deals/opps"]
    assert (evidence["successes"], evidence["trials"]) == (206, 553)
    # The organisation's pooled rate, the reference the team is compared with.
    all_won, all_opps = sum(won.values()), sum(opps.values())
    assert evidence["team"] == pytest.approx(all_won / all_opps, abs=1e-6)

    # Opps are above plan (553 against 500): the gap is opp → deal, the coaching is closing.
    assert team["layer"] == "results" and team["problem"] == "conversion"
    assert (team["bottleneck"]["from"], team["bottleneck"]["to"]) == ("opps", "deals")
    assert team["coaching"]["area"] == "closing"
    # Cecily Lampkin's opp → deal is below plan with P = 0.94: flagged under the old bar of
    # 0.9 per comparison, not under 0.95 for her two comparisons (plan and team, core.flags).
    flagged = [e["rep"] for e in team["exceptions"] if e["flagged"]]
    assert flagged == ["Versie Hillebrand", "Lajuana Vencill", "Moses Frase"]
    assert [e["rep"] for e in team["exceptions"] if not e["flagged"]] == [
        "Cecily Lampkin", "Anna Snelling",
    ]  # fmt: skip
    # Anna Snelling won her 50: the walk stops at results for her.
    anna = next(r for r in team["reps"] if r["rep"] == "Anna Snelling")
    assert won["Anna Snelling"] >= 50 and anna["on_track"]


@pytest.mark.slow
def test_a_flagged_agents_output_at_stake_is_the_plan_gap_on_their_own_opps(maven: Path) -> None:
    _, opps, won = counts_from_csv(maven)
    versie = run("diagnose", "--rep", "Versie Hillebrand", *EXAMPLE)
    assert (versie["actual"]["opps"], versie["actual"]["deals"]) == (126, 47)
    assert (opps["Versie Hillebrand"], won["Versie Hillebrand"]) == (126, 47)
    b = versie["bottleneck"]
    assert b["output_at_stake"] == pytest.approx((0.5 - b["estimate"]) * 126, abs=1e-3)
    assert b["probability_lower"] > 0.99
    # No rate for demo → opp and no demos in this data: the plan stops at opps, and says so.
    assert any("the plan stops at opps" in n for n in versie["notes"])
