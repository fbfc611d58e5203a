"""``backplan forecast``: a rep's or team's period from events, their plan and their rates."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from backplan import Rate, funnel
from backplan.cli import app
from backplan.config import Settings
from backplan.core.errors import InvalidObjective, UnknownObjective
from backplan.core.forecast import combine, forecast
from backplan.core.posterior import Posterior
from backplan.services import okr
from backplan.services.forecasting import ForecastRequest, forecast_period, forecast_to_dict
from okr_support import add_roster, simulate, store_events

pytestmark = pytest.mark.dates  # reads today from the clock: CI runs it on edge days

MID_OCTOBER = date(2026, 10, 15)
runner = CliRunner()


@pytest.fixture
def org(app_database: str, backplan_home: Path) -> Settings:
    settings = Settings()
    add_roster(settings)
    store_events(backplan_home, simulate(date(2026, 7, 1), MID_OCTOBER))
    return settings


def _objective(settings: Settings, owner: str, kind: okr.OwnerKind, target: str, **kw: bool) -> int:
    request = okr.ObjectiveRequest(owner, kind, "2026-10", [target], **kw)
    return okr.create_objective(settings, request, date(2026, 10, 1)).objective.id


def test_a_reps_forecast_uses_their_agreed_plan_and_counts_to_date(org: Settings):
    objective_id = _objective(org, "ana", "rep", "8 sqls")
    okr.propose_plan(org, objective_id, date(2026, 10, 1))
    okr.agree_plan(org, objective_id, okr.Actor("Ana", rep="ana"))
    result = forecast_period(org, ForecastRequest(rep="ana"), MID_OCTOBER)
    data = forecast_to_dict(result)
    progress = okr.progress(org, objective_id, MID_OCTOBER)
    assert data["actual_to_date"] == {k.stage: k.actual for k in progress.key_results}["sqls"]
    assert data["objective"]["target"] == 8 and data["objective"]["id"] == objective_id
    assert (data["elapsed_days"], data["remaining_days"]) == (11, 11)
    assert data["low"] <= data["expected"] <= data["high"]
    assert data["actual_to_date"] <= data["low"]
    assert 0 <= data["p_hit"] <= 1
    assert data["rates_from"].startswith("agreed plan")
    assert sum(b["share"] for b in data["histogram"]) == pytest.approx(1, abs=1e-3)
    # Open meetings (booked, no SQL yet) over the SQLs still to reach.
    if data["actual_to_date"] < 8:
        assert data["coverage"] == pytest.approx(
            data["open_pipeline"] / (8 - data["actual_to_date"]), abs=1e-3
        )


def test_a_typed_objective_is_forecast_on_the_reps_rates_from_data(org: Settings):
    request = ForecastRequest(rep="Ben Novak", objective="4 sqls", period="2026-10")
    result = forecast_period(org, request, MID_OCTOBER)
    assert result.objective_id is None and result.owner == "ben"
    assert result.rates_from == "data 2026-Q3"
    # Ben runs about 70 dials a day at 7% × 1/7 × 1/4: about 1.75 SQLs a week, 7.7 a month.
    assert 4 <= result.forecast.expected <= 12


def test_a_teams_forecast_is_the_sum_of_its_reps(org: Settings):
    _objective(org, "North", "team", "15 sqls", split=True)
    team = forecast_period(org, ForecastRequest(team="North", seed=5), MID_OCTOBER)
    assert [r.rep for r in team.reps] == ["ana", "ben"]
    assert team.forecast.actual_to_date == sum(r.forecast.actual_to_date for r in team.reps)
    assert team.forecast.mean == pytest.approx(sum(r.forecast.mean for r in team.reps))
    assert team.forecast.target == 15
    assert sum(r.target or 0 for r in team.reps) == 15


def test_without_an_objective_the_forecast_says_how_to_give_one(org: Settings):
    with pytest.raises(
        UnknownObjective, match="cy has no objective for 2026-10: set one on the OKRs page"
    ):
        forecast_period(org, ForecastRequest(rep="cy", period="2026-10"), MID_OCTOBER)
    with pytest.raises(InvalidObjective, match="give --rep NAME or --team NAME"):
        forecast_period(org, ForecastRequest(), MID_OCTOBER)


def test_forecast_json_has_the_contracted_keys(org: Settings):
    _objective(org, "cy", "rep", "5 sqls")
    out = runner.invoke(app, ["forecast", "--rep", "cy", "--as-of", "2026-10-15", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    for key in (
        "objective",
        "actual_to_date",
        "expected",
        "low",
        "high",
        "p_hit",
        "coverage",
        "coverage_bar",
    ):
        assert key in data
    assert data["coverage_bar"] == 3.0 and data["period"]["label"] == "2026-10"


def test_forecast_prints_the_distribution_as_a_text_chart(org: Settings):
    out = runner.invoke(
        app, ["forecast", "--team", "South", "--objective", "6 sqls", "--period", "2026-10",
              "--as-of", "2026-10-15"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "P(reaching 6)" in out.stdout and "█" in out.stdout and "◀ objective" in out.stdout


def test_okr_commands_create_show_propose_and_agree(org: Settings):
    created = runner.invoke(
        app, ["okr", "create", "--rep", "ana", "--objective", "4 sqls", "--period", "2026-10",
              "--text", "Four qualified leads", "--json"],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    objective_id = json.loads(created.stdout)["id"]
    listed = json.loads(runner.invoke(app, ["okr", "list", "--json"]).stdout)
    assert [o["text"] for o in listed] == ["Four qualified leads"]
    proposed = runner.invoke(
        app, ["okr", "propose", str(objective_id), "--as-of", "2026-10-01", "--json"]
    )
    assert json.loads(proposed.stdout)["status"] == "proposed"
    refused = runner.invoke(app, ["okr", "agree", str(objective_id), "--rep", "ben"])
    assert refused.exit_code == 2
    assert "cannot agree another rep's plan" in refused.stderr
    agreed = runner.invoke(app, ["okr", "agree", str(objective_id), "--rep", "ana", "--json"])
    assert json.loads(agreed.stdout)["agreement"]["agreed_by"] == "ana"
    shown = runner.invoke(
        app, ["okr", "show", str(objective_id), "--as-of", "2026-10-15", "--json"]
    )
    data = json.loads(shown.stdout)
    assert data["elapsed_days"] == 11
    assert [k["stage"] for k in data["key_results"]] == [
        "dials",
        "conversations",
        "meetings",
        "sqls",
    ]
    assert (
        runner.invoke(app, ["okr", "show", str(objective_id), "--as-of", "2026-10-15"]).exit_code
        == 0
    )


def _posterior_forecasts(uncertain: bool) -> tuple[np.ndarray, ...]:
    """P(hit), hit, range held and range mass of 400 rep-periods forecast at mid-month from
    rates carrying their posteriors (as estimated rates do), or their bare means."""
    rng = np.random.default_rng(7)
    outbound = funnel("outbound")
    rows = []
    for _ in range(400):
        pace = rng.gamma(30, 2)
        rates, true = {}, {}
        for key, (a, b), n in (
            ("conversations/dials", (14, 186), 2400),
            ("meetings/conversations", (10, 60), 170),
            ("sqls/meetings", (10, 20), 24),
        ):
            true[key] = rng.beta(a, b)
            s = rng.binomial(n, true[key])
            posterior = Posterior("beta", s + 0.5, n - s + 0.5)
            rates[key] = Rate(posterior.mean, distribution=posterior if uncertain else None)
        done = [_run(rng, pace * 10, true) for _ in range(2)]
        # Without uncertainty the pace is known too: the pace to date, worth a million days.
        known = {} if uncertain else {"planned_pace": done[0][0] / 10, "prior_days": 1e6}
        f = forecast(
            "sqls", 4, outbound, rates, {"dials": done[0][0], "sqls": done[0][-1]},
            elapsed_days=10, remaining_days=10, draws=2000, seed=int(rng.integers(1 << 30)),
            **known,
        )  # fmt: skip
        outcome = done[0][-1] + done[1][-1]
        rows.append((f.p_hit, outcome >= 4, f.low <= outcome <= f.high, f.range_mass))
    return tuple(np.array(column, dtype=float) for column in zip(*rows, strict=True))


def _calibrated(p: np.ndarray, hit: np.ndarray, held: np.ndarray, mass: np.ndarray) -> bool:
    """Mean P(hit) = hit share ± 0.05, and the ranges hold their mass ± two standard errors."""
    se = np.sqrt(mass.mean() * (1 - mass.mean()) / len(held))
    return bool(abs(p.mean() - hit.mean()) < 0.05 and abs(held.mean() - mass.mean()) <= 2 * se)


def test_posterior_beliefs_keep_forecasts_calibrated():
    """Rates carrying their posteriors: P≈0.7 hits about 70% of the time, 80% ranges hold 80%."""
    p, hit, held, mass = _posterior_forecasts(uncertain=True)
    assert _calibrated(p, hit, held, mass)
    assert mass.mean() == pytest.approx(0.8, abs=0.03)
    middle = (p > 0.55) & (p < 0.85)
    assert middle.sum() > 25 and abs(hit[middle].mean() - p[middle].mean()) < 0.12


def test_the_calibration_check_catches_forecasts_without_rate_and_pace_uncertainty():
    assert not _calibrated(*_posterior_forecasts(uncertain=False))


def _run(rng: np.random.Generator, dials: float, true: dict[str, float]) -> list[int]:
    n = [int(rng.poisson(dials))]
    for key in ("conversations/dials", "meetings/conversations", "sqls/meetings"):
        n.append(int(rng.binomial(n[-1], true[key])))
    return n


def test_combining_forecasts_adds_them_draw_by_draw():
    rates = {"deals/opps": Rate.parse("0.5"), "opps/demos": Rate.parse("0.5"),
             "demos/pitches": Rate.parse("0.25"), "pitches/calls": Rate.parse("0.2")}  # fmt: skip
    director = funnel("sales-director")
    parts = [
        forecast("deals", 3, director, rates, {"deals": 2}, elapsed_days=20, remaining_days=0,
                 open_pipeline={"opps": 4}, draws=50_000, seed=s)
        for s in (1, 2)
    ]  # fmt: skip
    team = combine(parts, 6)
    # 4 won + Binomial(8, 0.5) ≥ 6, i.e. at least 2 of 8: 1 − 9/256.
    assert team.p_hit == pytest.approx(1 - 9 / 256, abs=0.005)
    assert (team.actual_to_date, team.pipeline, team.coverage) == (4, 8, 4.0)
