"""Simulated organisations with known true rates, to measure rates and flags against truth.

Every scenario is a recipe for one team: how many reps, how many trials each
has (by sample-size bucket), and the distribution their true rates are drawn
from. ``rate_coverage`` fits the rates model to many seeded teams and reports,
per bucket of trials, the share of intervals holding the true rate with its
standard error (clustered by team: reps of one team share its estimated rate).
``flag_share`` does the same for flags in teams where every rep is on plan.
The slow, full tables live in ``bench/calibration_rates.py``; the suite runs
small seeded subsets.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from backplan.core.flags import FlagRule
from backplan.core.shrinkage import BetaBinomialShrinkage
from backplan.core.warnings import StatisticalWarning

BUCKETS: tuple[tuple[int, int], ...] = ((1, 10), (10, 30), (30, 100), (100, 10_000))
"""Trials per rep: [low, high) — the sample-size buckets coverage is reported in."""


@dataclass(frozen=True)
class Scenario:
    """One kind of team: ``reps`` reps whose true rates come from Beta(mean·κ, (1−mean)·κ)
    with ``mean`` drawn uniformly from ``means`` and κ from ``strengths``, and whose trials
    are drawn log-uniformly from ``trials``."""

    name: str
    means: tuple[float, float]
    strengths: tuple[float, float]
    trials: tuple[int, int] = (1, 300)
    reps: int = 20

    def team(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """True rates, successes and trials of one simulated team."""
        mean = rng.uniform(*self.means)
        strength = math.exp(rng.uniform(*np.log(self.strengths)))
        truth = rng.beta(mean * strength, (1 - mean) * strength, self.reps)
        low, high = np.log(self.trials[0]), np.log(self.trials[1] + 1)
        trials = np.floor(np.exp(rng.uniform(low, high, self.reps))).astype(int)
        return truth, rng.binomial(trials, truth), trials


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("typical", (0.15, 0.45), (8, 60)),
        Scenario("heterogeneous low rates", (0.05, 0.10), (3, 12)),
        Scenario("near-identical reps", (0.2, 0.4), (1_000, 5_000)),
        Scenario("high rates", (0.75, 0.92), (10, 60)),
        Scenario("small samples", (0.15, 0.45), (8, 60), trials=(1, 12)),
        Scenario("large samples", (0.05, 0.45), (8, 60), trials=(100, 1_000), reps=12),
        Scenario("small teams", (0.15, 0.45), (8, 60), reps=6),
    )
}

Model = Callable[[], BetaBinomialShrinkage]


@dataclass(frozen=True)
class Coverage:
    """Share of intervals holding the truth in one bucket, its standard error and size;
    and the mean squared z-score of the truth under each posterior (1 when the
    posteriors are as wide as the truth's scatter), with its standard error."""

    bucket: tuple[int, int]
    share: float
    se: float
    intervals: int
    z2: float = 1.0
    z2_se: float = 0.0

    def within(self, goal: float, tolerance: float) -> bool:
        return abs(self.share - goal) <= tolerance


def _clustered(hits: Sequence[float], sizes: Sequence[float]) -> tuple[float, float]:
    """Ratio Σhits/Σsizes and its standard error with teams as clusters."""
    h, m = np.asarray(hits, dtype=float), np.asarray(sizes, dtype=float)
    share = float(h.sum() / m.sum())
    k = len(m)
    var = float(((h - share * m) ** 2).sum()) * k / max(k - 1, 1) / m.sum() ** 2
    return share, math.sqrt(var)


def rate_coverage(
    scenario: Scenario,
    *,
    teams: int,
    seed: int,
    level: float = 0.8,
    model: Model | None = None,
) -> list[Coverage]:
    """Coverage of ``level`` intervals per bucket over ``teams`` simulated teams."""
    rng = np.random.default_rng(seed)
    make = model or (lambda: BetaBinomialShrinkage(level=level))
    per_bucket: dict[tuple[int, int], tuple[list[float], list[float], list[float]]] = {
        b: ([], [], []) for b in BUCKETS
    }
    for _ in range(teams):
        truth, successes, trials = scenario.team(rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatisticalWarning)
            fit = make().fit(successes, trials)
        inside = (fit.low_ <= truth) & (truth <= fit.high_)
        # The truth's place in each posterior, as a normal score (clipped: a few far
        # tails would otherwise decide the mean square).
        u = np.array([p.cdf(float(t)) for p, t in zip(fit.posteriors_, truth, strict=True)])
        z2 = ndtri(np.clip(u, 0.005, 0.995)) ** 2
        for bucket, (hits, sizes, squares) in per_bucket.items():
            chosen = (trials >= bucket[0]) & (trials < bucket[1])
            if chosen.any():
                hits.append(float(inside[chosen].sum()))
                sizes.append(float(chosen.sum()))
                squares.append(float(z2[chosen].sum()))
    out = []
    for bucket, (hits, sizes, squares) in per_bucket.items():
        if sizes:
            share, se = _clustered(hits, sizes)
            z2_mean, z2_se = _clustered(squares, sizes)
            out.append(Coverage(bucket, share, se, int(sum(sizes)), z2_mean, z2_se))
    return out


@dataclass(frozen=True)
class OnPlanTeam:
    """A team where every rep's true rate at every conversion is the plan's rate."""

    rates: tuple[float, ...] = (0.25, 0.33, 0.5)
    """The plan's (and every rep's true) rate at each conversion, top of funnel first."""
    top: tuple[int, int] = (20, 120)
    """Trials at the top conversion per rep; each later conversion gets the successes above."""
    reps: int = 12


def flag_share(
    team: OnPlanTeam,
    *,
    periods: int,
    seed: int,
    rule: FlagRule | None = None,
    model: Model | None = None,
) -> tuple[float, float]:
    """Share of on-plan reps flagged per period (and its standard error): compared with the
    team and the plan at every conversion, as the diagnosis does."""
    rng = np.random.default_rng(seed)
    make = model or BetaBinomialShrinkage
    decide = rule or FlagRule()
    flagged, sizes = [], []
    for _ in range(periods):
        trials = rng.integers(team.top[0], team.top[1] + 1, team.reps)
        probabilities: list[list[float]] = [[] for _ in range(team.reps)]
        for rate in team.rates:
            successes = rng.binomial(trials, rate)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", StatisticalWarning)
                fit = make().fit(successes, trials)
            for i, posterior in enumerate(fit.posteriors_):
                if trials[i] > 0:
                    probabilities[i] += [float(fit.p_below_team_[i]), posterior.cdf(rate)]
            trials = successes
        flagged.append(float(sum(decide.flags(p) for p in probabilities)))
        sizes.append(float(team.reps))
    return _clustered(flagged, sizes)


def diagnosis_flag_share(
    team: OnPlanTeam,
    *,
    periods: int,
    seed: int,
    model: Model | None = None,
) -> tuple[float, float, float]:
    """Share of on-plan reps the diagnosis flags per period (a bottleneck found), its
    standard error, and the share flagged by the old rule (any P(below) > 0.9)."""
    from backplan import funnel as shipped_funnel
    from backplan.core.diagnose import ConversionEvidence, diagnose

    outbound = shipped_funnel("outbound")
    chain = outbound.conversions(down_to="sqls")
    rng = np.random.default_rng(seed)
    make = model or BetaBinomialShrinkage
    flagged, naive, sizes = [], [], []
    for _ in range(periods):
        trials = rng.integers(team.top[0], team.top[1] + 1, team.reps)
        counts = {chain[0].source.key: trials}
        evidence: list[dict[str, ConversionEvidence]] = [{} for _ in range(team.reps)]
        for conversion, rate in zip(chain, team.rates, strict=True):
            successes = rng.binomial(trials, rate)
            counts[conversion.target.key] = successes
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", StatisticalWarning)
                fit = make().fit(successes, trials)
            for i, posterior in enumerate(fit.posteriors_):
                if trials[i] > 0:
                    evidence[i][conversion.key] = ConversionEvidence(
                        conversion.key, float(successes[i]), float(trials[i]),
                        float(fit.estimate_[i]), float(fit.low_[i]), float(fit.high_[i]),
                        team=float(fit.team_rate_[i]), planned=rate,
                        p_below_team=float(fit.p_below_team_[i]),
                        p_below_plan=posterior.cdf(rate),
                    )  # fmt: skip
            trials = successes
        top = chain[0].source.key
        hits = bad = 0
        for i in range(team.reps):
            expected, planned = {top: float(counts[top][i])}, float(counts[top][i])
            for conversion, rate in zip(chain, team.rates, strict=True):
                planned *= rate
                expected[conversion.target.key] = planned
            actual = {k: float(v[i]) for k, v in counts.items()}
            # The top stage is the activity the plan was made from: on track by construction.
            d = diagnose(outbound, "sqls", expected, actual, evidence[i])
            hits += d.bottleneck is not None
            bad += any(
                (p or 0) > 0.9
                for e in evidence[i].values()
                for p in (e.p_below_team, e.p_below_plan)
            )
        flagged.append(float(hits))
        naive.append(float(bad))
        sizes.append(float(team.reps))
    share, se = _clustered(flagged, sizes)
    return share, se, _clustered(naive, sizes)[0]
