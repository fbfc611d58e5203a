"""Objectives owned by reps and teams: stored, split, planned, agreed (S9), followed from events."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from backplan.config import Settings
from backplan.core.errors import (
    InvalidObjective,
    NotAllowed,
    UnknownObjective,
    UnknownRep,
    UnknownTeam,
)
from backplan.events.schema import events_glob
from backplan.services import okr
from okr_support import add_roster, simulate, store_events

OCTOBER = "2026-10"
TODAY = date(2026, 10, 1)
MID_OCTOBER = date(2026, 10, 15)


@pytest.fixture
def org(app_database: str, backplan_home: Path) -> Settings:
    """North (ana, ben) and South (cy) with events from July to mid-October 2026."""
    settings = Settings()
    add_roster(settings)
    store_events(backplan_home, simulate(date(2026, 7, 1), MID_OCTOBER))
    return settings


def _rep_objective(settings: Settings, rep: str = "ana", *key_results: str) -> okr.ObjectiveView:
    request = okr.ObjectiveRequest(rep, "rep", OCTOBER, list(key_results) or ["4 sqls"])
    return okr.create_objective(settings, request, TODAY).objective


def test_a_reps_objective_is_stored_with_its_key_results(org: Settings):
    view = _rep_objective(org, "Ana Silva", "4 sqls", "1200 dials")
    assert (view.owner_kind, view.owner, view.owner_name, view.team) == (
        "rep",
        "ana",
        "Ana Silva",
        "North",
    )
    assert (view.period.start, view.period.end, view.period.label) == (
        date(2026, 10, 1), date(2026, 10, 31), "2026-10",
    )  # fmt: skip
    assert [(kr.stage, kr.target) for kr in view.key_results] == [("sqls", 4), ("dials", 1200)]
    assert view.text == "4 SQLs in 2026-10"  # in the funnel's own units
    assert okr.get_objective(org, view.id) == view
    assert [v.id for v in okr.list_objectives(org, rep="ana")] == [view.id]
    assert okr.list_objectives(org, rep="cy") == []


def test_an_unknown_owner_is_named_with_the_known_ones(org: Settings):
    with pytest.raises(
        UnknownRep, match="no rep 'zed' in the roster; reps are Ana Silva, Ben Novak, Cy Okafor"
    ):
        _rep_objective(org, "zed")
    with pytest.raises(UnknownTeam, match="teams are North, South"):
        okr.create_objective(org, okr.ObjectiveRequest("West", "team", OCTOBER, ["4 sqls"]), TODAY)


def test_a_team_objective_splits_by_working_days_times_own_pace(org: Settings):
    request = okr.ObjectiveRequest("north", "team", OCTOBER, ["12 sqls"], split=True)
    created = okr.create_objective(org, request, TODAY)
    shares = {s.rep: s for s in created.shares}
    assert sum(s.target for s in shares.values()) == 12
    # Ana's SQL pace in Q3 is well above Ben's (a half against a quarter of her meetings).
    assert shares["ana"].pace > shares["ben"].pace
    assert shares["ana"].target > shares["ben"].target
    assert {s.working_days for s in shares.values()} == {22}
    children = created.objective.children
    assert {(c.owner, c.main.target) for c in children} == {
        (s.rep, s.target) for s in shares.values()
    }
    assert {c.parent_id for c in children} == {created.objective.id}
    assert {v.id for v in okr.list_objectives(org, team="North")} == {
        created.objective.id, *(c.id for c in children),
    }  # fmt: skip


def test_time_off_lowers_a_reps_share(app_database: str, backplan_home: Path):
    settings = Settings()
    add_roster(settings, time_off={"ben": (date(2026, 10, 12), date(2026, 10, 23))})
    request = okr.ObjectiveRequest("North", "team", OCTOBER, ["20 sqls"], split=True)
    shares = {s.rep: s for s in okr.create_objective(settings, request, TODAY).shares}
    # No events: both weighed at the same pace, so working days alone decide (22 vs 12).
    assert (shares["ana"].working_days, shares["ben"].working_days) == (22, 12)
    assert (shares["ana"].target, shares["ben"].target) == (13, 7)


def test_progress_equals_counts_computed_straight_from_the_parquet_files(
    org: Settings, backplan_home: Path
):
    view = _rep_objective(org, "ben", "4 sqls", "1500 dials", "100 conversations")
    progress = okr.progress(org, view.id, MID_OCTOBER)
    sql = f"""
        SELECT kind, count(*) FROM read_parquet('{events_glob(backplan_home)}')
        WHERE rep = 'ben' AND "at" >= TIMESTAMPTZ '2026-10-01 00:00:00+00'
          AND "at" < TIMESTAMPTZ '2026-10-16 00:00:00+00'
        GROUP BY kind
    """
    counted = dict(duckdb.sql(sql).fetchall())
    actual = {k.stage: k.actual for k in progress.key_results}
    assert actual == {
        "dials": counted["dial"],
        "conversations": counted["connect"],
        "sqls": counted["sql"],
    }
    # October 2026 has 22 working days; 1–15 October holds 11 of them.
    assert (progress.elapsed_days, progress.working_days) == (11, 22)
    expected = {k.stage: k.expected_to_date for k in progress.key_results}
    assert expected == {"dials": 750.0, "conversations": 50.0, "sqls": 2.0}
    leading = {k.stage: k.leading for k in progress.key_results}
    assert leading == {"dials": True, "conversations": True, "sqls": False}


def test_progress_with_no_events_yet_counts_zero_and_says_why(app_database: str):
    settings = Settings()
    add_roster(settings)
    view = _rep_objective(settings)
    progress = okr.progress(settings, view.id, MID_OCTOBER)
    assert [(k.stage, k.actual, k.pace) for k in progress.key_results] == [("sqls", 0, "behind")]
    assert progress.notes == ["no events imported yet: every count is 0"]


def test_a_proposed_plan_stores_its_figures_and_the_reps_own_rates_with_evidence(org: Settings):
    view = _rep_objective(org, "ana")
    plan = okr.propose_plan(org, view.id, TODAY, by=okr.Actor("Maya"))
    assert (plan.status, plan.proposed_by, plan.agreement) == ("proposed", "Maya", None)
    assert plan.figures["objective"]["target"] == 4
    assert plan.figures["rates_from"]["rep"] == "ana"
    assert plan.figures["rates_from"]["since"] == "2026-07-01"
    rates = {r["conversion"]: r for r in plan.rates}
    assert list(rates) == ["conversations/dials", "meetings/conversations", "sqls/meetings"]
    dials = plan.figures["stages"][0]
    assert plan.planned_pace == dials["per_working_day"]
    for r in rates.values():
        assert r["source"] == "data" and r["trials"] > 0 and r["posterior"] is not None
    # Each stored rate comes back as the same Rate, posterior included.
    back = okr.rates_from_evidence(plan.rates)
    assert float(back["sqls/meetings"].value) == pytest.approx(rates["sqls/meetings"]["estimate"])
    assert back["sqls/meetings"].distribution is not None


def test_the_rep_agrees_their_plan_and_who_when_and_which_rates_are_recorded(org: Settings):
    view = _rep_objective(org, "ana")
    proposed = okr.propose_plan(
        org, view.id, TODAY, rates={"sqls/meetings": "1/3"}, by=okr.Actor("Maya")
    )
    when = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
    agreed = okr.agree_plan(org, view.id, okr.Actor("Ana Silva", rep="ana"), now=when)
    assert (agreed.id, agreed.status) == (proposed.id, "agreed")
    assert agreed.agreement is not None
    assert agreed.agreement.agreed_by == "ana"
    assert agreed.agreement.agreed_at == when
    assert agreed.agreement.rates == proposed.rates
    given = {r["conversion"]: r for r in agreed.agreement.rates}["sqls/meetings"]
    assert (given["value"], given["source"]) == ("1/3", "given")
    stored = okr.get_objective(org, view.id)
    assert stored.agreed_plan == agreed and stored.current_plan == agreed


def test_a_rep_cannot_agree_another_reps_plan(org: Settings):
    view = _rep_objective(org, "ana")
    okr.propose_plan(org, view.id, TODAY)
    with pytest.raises(NotAllowed, match=r"only Ana Silva \(ana\) can agree .* Ben Novak cannot"):
        okr.agree_plan(org, view.id, okr.Actor("Ben Novak", rep="ben"))
    with pytest.raises(NotAllowed):
        okr.agree_plan(org, view.id, okr.Actor("Maya"))  # a manager is not the owner either
    assert okr.get_objective(org, view.id).plans[0].status == "proposed"


def test_agreeing_needs_a_proposal_and_a_new_agreement_supersedes_the_old(org: Settings):
    view = _rep_objective(org, "cy")
    ana = okr.Actor("Cy", rep="cy")
    with pytest.raises(UnknownObjective, match="propose one first"):
        okr.agree_plan(org, view.id, ana)
    first = okr.propose_plan(org, view.id, TODAY)
    okr.agree_plan(org, view.id, ana)
    second = okr.propose_plan(org, view.id, TODAY, rates={"sqls/meetings": "1/2"})
    okr.agree_plan(org, view.id, ana)
    statuses = {p.id: p.status for p in okr.get_objective(org, view.id).plans}
    assert statuses == {first.id: "superseded", second.id: "agreed"}


def test_a_team_objective_is_planned_through_its_reps(org: Settings):
    request = okr.ObjectiveRequest("North", "team", OCTOBER, ["12 sqls"])
    team = okr.create_objective(org, request, TODAY).objective
    with pytest.raises(InvalidObjective, match="split it across its reps first"):
        okr.propose_plan(org, team.id, TODAY)


def test_the_plans_volumes_become_leading_key_results(org: Settings):
    view = _rep_objective(org, "ana")
    plan = okr.propose_plan(org, view.id, TODAY)
    progress = okr.progress(org, view.id, MID_OCTOBER)
    planned = {s["key"]: s["per_period"] for s in plan.figures["stages"]}
    rows = {k.stage: k for k in progress.key_results}
    assert list(rows) == ["dials", "conversations", "meetings", "sqls"]
    assert all(rows[s].from_plan and rows[s].target == planned[s] for s in ("dials", "meetings"))
    assert not rows["sqls"].from_plan


def test_unknown_objective_ids_say_where_to_look(org: Settings):
    with pytest.raises(UnknownObjective, match="no objective 99; list them with backplan okr list"):
        okr.get_objective(org, 99)


def test_a_rep_whose_share_rounds_to_nothing_gets_no_objective_to_plan(org: Settings):
    request = okr.ObjectiveRequest("North", "team", OCTOBER, ["1 sqls"], split=True)
    created = okr.create_objective(org, request, TODAY)
    shares = {s.rep: s.target for s in created.shares}
    assert sorted(shares.values()) == [0, 1]
    [child] = created.objective.children
    assert child.owner == next(rep for rep, target in shares.items() if target == 1)
    okr.propose_plan(org, child.id, TODAY)  # the one share there is can be planned
