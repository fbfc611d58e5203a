"""Simulated organisations with known truth, and the forecasts' scores on them.

Each team has reps with a true pace (dials per working day) and true rates;
days are overdispersed (negative binomial, dispersion k); the team shares a
shock on the second half of every month (the same multiplier for every rep);
a meeting becomes an SQL only after a lag (Gamma, in calendar days) and only
for the share that ever converts. The forecast is made at the end of working
day 10 of 20 and scored against what happened. ``bench/calibration.py``
prints the full tables; the tests run a fast subset.

Working day j of the month falls on calendar day 7·(j // 5) + j % 5 (weekends
off); the month is 28 calendar days; the previous month is days −28..−1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from backplan import Rate, funnel
from backplan.core.calibration import CalibrationScore, score
from backplan.core.forecast import Forecast, central_range, combine, forecast, shock_draws
from backplan.core.lag import LagModel
from backplan.core.pace import fit_daily_dispersion, fit_team_shock
from backplan.core.posterior import Posterior
from backplan.core.shrinkage import BetaBinomialShrinkage

OUTBOUND = funnel("outbound")
WIDE = 0.95
"""The second range checked for reps, besides the 80% one."""
DAYS, AS_OF_DAY, MONTH = 20, 10, 28.0
AS_OF = 7.0 * ((AS_OF_DAY - 1) // 5) + (AS_OF_DAY - 1) % 5 + 1  # end of working day 10
RATES_TRUTH = {  # Beta the true rates are drawn from, and a quarter's trials to learn them
    "conversations/dials": ((14, 186), 3600),
    "meetings/conversations": ((10, 60), 170),
    "sqls/meetings": ((10, 20), 24),
}


@dataclass(frozen=True)
class Truth:
    """The organisation: how many teams and reps, and how the world works."""

    teams: int = 120
    reps_per_team: int = 8
    dispersion: float = 3.0
    """k of the day-to-day negative binomial: daily variance = m + m²/k."""
    shock_sd: float = 0.35
    """Standard deviation of the team's shared multiplier on the second half of a month."""
    lag_shape: float = 2.0
    lag_mean: float = 8.0
    """Calendar days from meeting to SQL for the meetings that convert: Gamma(shape, mean/shape)."""


@dataclass
class RepPeriod:
    team: int
    target: int
    beliefs: dict[str, Rate]
    dials_to_date: int
    sqls_to_date: int
    open_ages: list[float]
    outcome: int
    history: dict[str, tuple[int, int]] = field(default_factory=dict)
    """A past quarter's (successes, trials) per conversion: what the rates are estimated from."""


@dataclass
class Org:
    truth: Truth
    cases: list[RepPeriod]
    lag: LagModel
    dispersion: float | None
    shock_sd: float
    history: dict[str, Any] = field(default_factory=dict)


def _calendar(j: np.ndarray) -> np.ndarray:
    return 7.0 * (j // 5) + j % 5


def simulate(truth: Truth, seed: int) -> Org:
    """One month of every rep (and the month before, for open pipeline and history)."""
    rng = np.random.default_rng(seed)
    cases: list[RepPeriod] = []
    durations: list[float] = []
    converted: list[bool] = []
    daily_history: list[np.ndarray] = []
    halves: list[tuple[float, float, float, float]] = []
    planned_dials: list[float] = []
    for team in range(truth.teams):
        shocks = rng.gamma(1 / truth.shock_sd**2, truth.shock_sd**2, 2)  # last month, this month
        team_halves = np.zeros((2, 2))
        for _ in range(truth.reps_per_team):
            pace = rng.gamma(30, 2)
            true = {k: rng.beta(a, b) for k, ((a, b), _) in RATES_TRUTH.items()}
            history = {
                key: (int(rng.binomial(trials, true[key])), trials)
                for key, (_, trials) in RATES_TRUTH.items()
            }
            j = np.arange(-DAYS, DAYS)  # working days of last month and this one
            in_second_half = (j % DAYS) >= DAYS // 2
            multiplier = np.where(in_second_half, np.where(j < 0, shocks[0], shocks[1]), 1.0)
            daily = rng.poisson(
                pace * multiplier * rng.gamma(truth.dispersion, 1 / truth.dispersion, len(j))
            )
            daily_history.append(daily[:DAYS])
            team_halves[0] += daily[: DAYS // 2].sum(), daily[DAYS // 2 : DAYS].sum()
            conversations = rng.binomial(daily, true["conversations/dials"])
            meetings = rng.binomial(conversations, true["meetings/conversations"])
            day_of = np.repeat(j, meetings)
            booked = _calendar(np.where(day_of < 0, day_of + DAYS, day_of)) - np.where(
                day_of < 0, MONTH, 0
            )
            booked = booked + rng.random(len(booked))
            converts = rng.random(len(booked)) < true["sqls/meetings"]
            lag = rng.gamma(truth.lag_shape, truth.lag_mean / truth.lag_shape, len(booked))
            sql_at = np.where(converts, booked + lag, np.inf)
            seen = booked < AS_OF
            done_by = sql_at < AS_OF
            durations += list(np.where(done_by, sql_at, AS_OF)[seen] - booked[seen])
            converted += list(done_by[seen])
            still_open = seen & ~done_by
            outcome = int(((sql_at >= 0) & (sql_at < MONTH)).sum())
            # The target: last month's dials times the manager's ambition, through the
            # rates as backplan estimates them (below, once the teams' rates are fitted).
            planned_dials.append(float(rng.uniform(0.6, 1.4)) * float(daily[:DAYS].sum()))
            cases.append(
                RepPeriod(
                    team=team,
                    target=0,
                    beliefs={},
                    dials_to_date=int(daily[DAYS : DAYS + AS_OF_DAY].sum()),
                    sqls_to_date=int(((sql_at >= 0) & (sql_at < AS_OF)).sum()),
                    open_ages=list(AS_OF - booked[still_open]),
                    outcome=outcome,
                    history=history,
                )
            )
        halves.append(
            (team_halves[0][0], DAYS / 2, team_halves[0][1], DAYS / 2, truth.reps_per_team)
        )
    for case, dials, beliefs in zip(cases, planned_dials, shrunk_beliefs(cases), strict=True):
        case.beliefs = beliefs
        case.target = max(
            1, round(dials * float(np.prod([float(r.value) for r in beliefs.values()])))
        )
    dispersion = fit_daily_dispersion(daily_history)
    return Org(
        truth,
        cases,
        LagModel().fit(durations, converted),
        dispersion,
        fit_team_shock(halves, dispersion),
    )


def shrunk_beliefs(cases: list[RepPeriod], prior_scale: float = 1.0) -> list[dict[str, Rate]]:
    """Each rep's rates from their history, shrunk toward their team's (the service's estimate).

    ``prior_scale`` ≠ 1 fixes each team's prior strength at that multiple of
    the fitted one, and 0 leaves the rates unshrunk (Jeffreys on the rep's
    own counts): deliberately wrong priors, for the test of the tests.
    """
    beliefs: list[dict[str, Rate]] = [{} for _ in cases]
    teams: dict[int, list[int]] = {}
    for i, case in enumerate(cases):
        teams.setdefault(case.team, []).append(i)
    for members in teams.values():
        for key in RATES_TRUTH:
            successes = [cases[i].history[key][0] for i in members]
            trials = [cases[i].history[key][1] for i in members]
            if prior_scale == 0:
                for i, s, n in zip(members, successes, trials, strict=True):
                    own = Posterior("beta", s + 0.5, n - s + 0.5)
                    beliefs[i][key] = Rate(own.mean, distribution=own)
                continue
            model = BetaBinomialShrinkage().fit(successes, trials)
            if prior_scale != 1.0:
                strength = model.organisation_prior_.strength * prior_scale
                model = BetaBinomialShrinkage(strength=strength).fit(successes, trials)
            for i, rate in zip(members, model.rates(), strict=True):
                assert rate is not None  # every rep has a quarter of trials
                beliefs[i][key] = rate
    return beliefs


@dataclass(frozen=True)
class Variant:
    """How the forecasts are made: the model, or a deliberately broken one."""

    name: str
    uncertain: bool = True
    ages: bool = True
    shock: bool = True
    lags: bool = True
    dispersion: bool = True
    prior_scale: float = 1.0
    """The rates' shrinkage prior strength × this (1: as fitted)."""
    quantile_range: bool = False
    """The 10th-90th percentiles of the draws as the range (before issue 13), not the closest mass."""


MODEL = Variant("model")
BROKEN = (
    Variant("rate and pace uncertainty removed", uncertain=False),
    Variant("rates unshrunk (each rep's own counts alone)", prior_scale=0.0),
    Variant("pipeline double-counted (open units at the full rate)", ages=False, lags=False),
    Variant("team shock removed", shock=False),
)
UNCAUGHT = (
    Variant("rates' prior strength x3 (over-shrunk)", prior_scale=3.0),
    Variant("rates' prior strength x0.3 (under-shrunk)", prior_scale=0.3),
)
"""Wrong models this check does not catch on these organisations (the bench shows them)."""
BEFORE = Variant(
    "before issue 13: open units at the full rate, no lags, Poisson days, no team shock, "
    "10th-90th percentiles",
    ages=False, lags=False, shock=False, dispersion=False, quantile_range=True,
)  # fmt: skip


@dataclass
class Scores:
    rep: CalibrationScore
    team: CalibrationScore
    rep_wide: dict[str, float] = field(default_factory=dict)
    """Reps' ranges closest to 95%: ``level``, ``mass``, ``observed``, ``n``, ``standard_error``."""


def forecasts(org: Org, variant: Variant = MODEL, draws: int = 2000, seed: int = 0) -> Scores:
    """Forecast every rep-period of ``org`` at day 10 and score reps and teams."""
    rng = np.random.default_rng(seed)
    reps: list[tuple[RepPeriod, Forecast]] = []
    teams: list[tuple[int, int, Forecast]] = []
    by_team: dict[int, list[RepPeriod]] = {}
    rates = (
        shrunk_beliefs(org.cases, variant.prior_scale)
        if variant.prior_scale != 1.0
        else [case.beliefs for case in org.cases]
    )
    rates_of = {id(case): r for case, r in zip(org.cases, rates, strict=True)}
    for case in org.cases:
        by_team.setdefault(case.team, []).append(case)
    for members in by_team.values():
        shock = shock_draws(org.shock_sd if variant.shock else None, draws, rng)
        parts = []
        for case in members:
            beliefs = (
                rates_of[id(case)]
                if variant.uncertain
                else {k: Rate(r.value) for k, r in rates_of[id(case)].items()}
            )
            f = _forecast(org, case, beliefs, variant, shock, draws, int(rng.integers(1 << 30)))
            if variant.quantile_range:
                f = _with_quantile_range(f)
            parts.append(f)
            reps.append((case, f))
        target = sum(c.target for c in members)
        team = combine(parts, target)
        if variant.quantile_range:
            team = _with_quantile_range(team)
        teams.append((target, sum(c.outcome for c in members), team))
    rep_score = score(
        [f.p_hit for _, f in reps],
        [c.outcome >= c.target for c, _ in reps],
        [f.low <= c.outcome <= f.high for c, f in reps],
        [f.range_mass for _, f in reps],
    )
    team_score = score(
        [f.p_hit for _, _, f in teams],
        [outcome >= target for target, outcome, _ in teams],
        [f.low <= outcome <= f.high for _, outcome, f in teams],
        [f.range_mass for _, _, f in teams],
    )
    return Scores(rep_score, team_score, _wide_coverage(reps))


def _wide_coverage(reps: list[tuple[RepPeriod, Forecast]]) -> dict[str, float]:
    """How often reps' ranges closest to 95% held the outcome, against their mass.

    The tails tell a forecast that is a little too narrow (e.g. without its
    rates' uncertainty) more clearly than the 80% range does.
    """
    held, mass = [], []
    for case, f in reps:
        low, high, m = central_range(f.draws, WIDE)
        held.append(low <= case.outcome <= high)
        mass.append(m)
    p = float(np.mean(mass))
    return {
        "level": WIDE,
        "mass": p,
        "observed": float(np.mean(held)),
        "n": float(len(reps)),
        "standard_error": float(np.sqrt(p * (1 - p) / len(reps))),
    }


def _forecast(
    org: Org,
    case: RepPeriod,
    beliefs: dict[str, Rate],
    variant: Variant,
    shock: np.ndarray,
    draws: int,
    seed: int,
) -> Forecast:
    run: Callable[..., Forecast] = forecast
    if not variant.uncertain:
        run = _certain_forecast
    return run(
        "sqls", case.target, OUTBOUND, beliefs,
        {"dials": case.dials_to_date, "sqls": case.sqls_to_date},
        elapsed_days=AS_OF_DAY, remaining_days=DAYS - AS_OF_DAY, horizon_days=MONTH - AS_OF,
        open_pipeline={"meetings": case.open_ages if variant.ages else len(case.open_ages)},
        lags={"sqls/meetings": org.lag} if variant.lags else None,
        daily_dispersion=org.dispersion if variant.uncertain and variant.dispersion else None,
        team_shock=shock, draws=draws, seed=seed,
    )  # fmt: skip


def _with_quantile_range(f: Forecast) -> Forecast:
    low, high = np.quantile(f.draws, [0.1, 0.9])
    mass = float(((f.draws >= low) & (f.draws <= high)).mean())
    return replace(f, low=float(low), high=float(high), range_mass=mass)


def _certain_forecast(*args: Any, **kw: Any) -> Forecast:
    """The forecast with the pace known too: a plan at the pace to date, worth a million days."""
    done, elapsed = args[4]["dials"], kw["elapsed_days"]
    return forecast(*args, **{**kw, "planned_pace": done / elapsed, "prior_days": 1e6})


def with_truth(**changes: Any) -> Truth:
    return replace(Truth(), **changes)


def misses(scores: Scores, tolerance: float = 0.03) -> list[str]:
    """What keeps the forecasts from being calibrated (empty when they are).

    Reps: mean P(hit) = hit share ± ``tolerance``; the 80% ranges hold 80% of
    outcomes ± max(``tolerance``, two standard errors), the ranges closest to
    95% their mass ± two standard errors. Teams (where a shared shock shows):
    their ranges hold 80% ± two standard errors.
    """
    found = []
    rep, team = scores.rep, scores.team
    if abs(rep.mean_p - rep.hit_share) > tolerance:
        found.append(f"reps: mean P(hit) {rep.mean_p:.3f} vs hit share {rep.hit_share:.3f}")
    held, se = rep.range_coverage["observed"], rep.range_coverage["standard_error"]
    if abs(held - 0.8) > max(tolerance, 2 * se):
        found.append(f"reps: 80% ranges held {held:.1%}")
    held, se = team.range_coverage["observed"], team.range_coverage["standard_error"]
    if abs(held - 0.8) > 2 * se:
        found.append(f"teams: 80% ranges held {held:.1%} (± {2 * se:.1%})")
    wide = scores.rep_wide
    if wide and abs(wide["observed"] - wide["mass"]) > 2 * wide["standard_error"]:
        found.append(f"reps: 95% ranges held {wide['observed']:.1%} (mass {wide['mass']:.1%})")
    return found
