"""The diagnosis reads a rep's plan agreed through their objective (one home for agreed plans)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from backplan.config import Settings
from backplan.core.errors import NoObjective
from backplan.core.period import Period
from backplan.services import okr
from backplan.services.diagnosis import (
    DiagnosisRequest,
    build_context,
    diagnose_rep,
    planned_for,
    result_to_dict,
)
from okr_support import add_roster, simulate, store_events

OCTOBER = Period.parse("2026-10", date(2026, 10, 1))


@pytest.fixture
def org(app_database: str, backplan_home: Path) -> Settings:
    settings = Settings()
    add_roster(settings)
    store_events(backplan_home, simulate(date(2026, 5, 1), date(2026, 10, 15)))
    return settings


def _agree(settings: Settings, rep: str, result: str, rates: dict[str, str]) -> int:
    first = date(2026, 10, 1)
    created = okr.create_objective(
        settings, okr.ObjectiveRequest(rep, "rep", "2026-10", [result]), first
    )
    oid = created.objective.id
    okr.propose_plan(settings, oid, first, rates=rates)
    okr.agree_plan(settings, oid, okr.Actor(rep, rep=rep))
    return oid


def test_without_an_agreed_plan_there_is_none_to_diagnose_against(org: Settings):
    assert planned_for(org, "ana", OCTOBER) is None
    assert planned_for(org, "nobody", OCTOBER) is None
    oid = okr.create_objective(
        org, okr.ObjectiveRequest("ana", "rep", "2026-10", ["6 sqls"]), date(2026, 10, 1)
    ).objective.id
    okr.propose_plan(org, oid, date(2026, 10, 1))
    assert planned_for(org, "ana", OCTOBER) is None  # proposed, not agreed


def test_the_agreed_plan_is_the_objective_and_the_rates_agreed(org: Settings):
    oid = _agree(org, "ana", "6 sqls", {"sqls/meetings": "1/2"})
    agreed = planned_for(org, "ana", OCTOBER)
    assert agreed is not None
    assert agreed["objective"] == "6 sqls" and agreed["objective_id"] == oid
    assert agreed["rates"]["sqls/meetings"] == "1/2"
    assert set(agreed["rates"]) == {
        "conversations/dials",
        "meetings/conversations",
        "sqls/meetings",
    }
    september = Period.parse("2026-09", date(2026, 9, 1))
    assert planned_for(org, "ana", september) is None  # another period has no plan


def _october(objective: str | None = None, **rates: str) -> DiagnosisRequest:
    return DiagnosisRequest(
        objective=objective,
        rates=rates,
        funnel="outbound",
        since=date(2026, 10, 1),
        until=date(2026, 10, 31),
        as_of=date(2026, 10, 15),
    )


def test_the_reps_diagnosis_defaults_to_their_agreed_plan(org: Settings):
    oid = _agree(org, "ana", "6 sqls", {"sqls/meetings": "1/2"})
    result = result_to_dict(diagnose_rep(build_context(org, _october()), "ana"))
    assert result["objective"]["target"] == 6
    assert (result["objective"]["source"], result["objective"]["objective_id"]) == ("agreed", oid)
    planned = {p["conversion"]: p for p in result["planned_rates"]}
    assert planned["sqls/meetings"] == {
        "conversion": "sqls/meetings",
        "rate": 0.5,
        "source": "agreed",
    }
    # A rate typed overrides the agreed one; the agreed objective stays.
    typed = _october(**{"sqls/meetings": "1/4"})
    result = result_to_dict(diagnose_rep(build_context(org, typed), "ana"))
    assert result["objective"]["target"] == 6
    assert {p["conversion"]: p["rate"] for p in result["planned_rates"]}["sqls/meetings"] == 0.25


def test_a_typed_objective_overrides_the_agreed_plan(org: Settings):
    _agree(org, "ana", "6 sqls", {"sqls/meetings": "1/2"})
    typed = _october(
        "1 sqls",
        **{"conversations/dials": "0.5", "meetings/conversations": "1/2", "sqls/meetings": "1/9"},
    )
    ana = result_to_dict(diagnose_rep(build_context(org, typed), "ana"))
    assert (ana["objective"]["target"], ana["objective"]["source"]) == (1, "given")
    assert {p["conversion"]: p["rate"] for p in ana["planned_rates"]}["sqls/meetings"] == 0.111111


def test_an_objective_set_but_not_agreed_is_planned_at_the_reps_own_rates(org: Settings):
    oid = okr.create_objective(
        org, okr.ObjectiveRequest("ben", "rep", "2026-10", ["5 sqls"]), date(2026, 10, 1)
    ).objective.id
    ben = result_to_dict(diagnose_rep(build_context(org, _october()), "ben"))
    assert (ben["objective"]["target"], ben["objective"]["source"]) == (5, "okr")
    assert ben["objective"]["objective_id"] == oid
    own = {e["conversion"]: e["estimate"] for e in ben["evidence"]}
    for p in ben["planned_rates"]:
        assert p["source"] == "own"
        assert p["rate"] == pytest.approx(own[p["conversion"]], abs=1e-6)


def test_without_any_objective_the_diagnosis_says_how_to_give_one(org: Settings):
    with pytest.raises(NoObjective, match=r"Ana Silva has no objective for 2026-10: set one") as e:
        diagnose_rep(build_context(org, _october()), "ana")
    assert "--objective '4 sqls'" in str(e.value.command)  # the command line's own hint


def test_a_plan_agreed_on_my_plan_is_the_one_the_diagnosis_reads(org: Settings):
    from backplan.services.planning import PlanRequest, build_plan

    _agree(org, "ana", "6 sqls", {"sqls/meetings": "1/2"})  # agreed through the OKR first
    request = PlanRequest(
        objective="6 sqls",
        rates={
            "conversations/dials": "1/10",
            "meetings/conversations": "1/5",
            "sqls/meetings": "1/4",
        },
        period="2026-10",
    )
    planned = build_plan(request, org, date(2026, 10, 1))
    objective, plan = okr.agree_built_plan(
        org, okr.Actor("ana@example.com", "ana"), request, planned
    )
    agreed = planned_for(org, "ana", OCTOBER)
    assert agreed is not None
    assert (agreed["objective_id"], agreed["plan_id"]) == (objective.id, plan.id)
    assert agreed["rates"]["sqls/meetings"] == "1/4"  # the newer agreement is in force
    statuses = [p.status for p in okr.get_objective(org, objective.id).plans]
    assert statuses == ["superseded", "agreed"]
