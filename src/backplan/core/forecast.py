"""Where the period will land: a Monte Carlo forecast from pace to date, rates and pipeline.

The model, step by step (see docs/forecast.md):

1. Activity pace. The top of the funnel runs at λ units per working day.
   λ has a Gamma posterior from the units done so far over the working days
   elapsed, with the plan's pace as a weak prior worth ``prior_days`` days.
   Activity is overdispersed from day to day (negative binomial with
   dispersion k): the days done say less about λ than Poisson days would.
2. Future activity over the remaining working days is Poisson(λ · R · D · M):
   D ~ Gamma(R·k, 1/(R·k)) the days' own ups and downs, M the shock the rep
   shares with their team (one draw per team, mean 1).
3. Each conversion thins the flow: Binomial(n, p) with p drawn from a Beta
   belief about the rate (from its interval, or its counts); stages whose
   ratio may exceed 1 use Poisson(n · ρ) with a Gamma belief about ρ. A rate
   draw is shared by the new flow and the open pipeline of the same draw.
4. Lags. Units created in the rest of the period reach the objective only if
   the conversions' lags (Kaplan–Meier, :mod:`backplan.core.lag`) fit in the
   days left: thinned by the mean of G(t) over the horizon.
5. Open pipeline. A unit open at age a converts within the h days left with
   p·(G(a + h) − G(a)) / (1 − p·G(a)): stale units count for little. Open
   units are the units created *before* today; the flow is only those still
   to be created, so nothing is counted twice.
6. The period-end result is what is done already plus both flows.

The draws are reproducible given ``seed``. Without lag models every
conversion is taken as immediate (the old model).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from backplan.core.errors import InvalidRate, NoData
from backplan.core.funnel import Conversion, Funnel
from backplan.core.lag import LagModel, chain
from backplan.core.plan import Rates, rate_for
from backplan.core.posterior import Posterior
from backplan.core.rate import Rate
from backplan.core.warnings import UnlinkedStages

DEFAULT_DRAWS = 20_000
DEFAULT_COVERAGE_BAR = 3.0
EXACT_RANGE_SPAN = 400
"""Draws spanning more whole values than this get the equal-tailed range (its mass is continuous)."""

OPEN_UNITS_AT_ONCE = 64

OpenUnits = int | Sequence[float]
"""Open pipeline at a stage: a count (age unknown: converts at the full rate), or each unit's age in days."""


@dataclass(frozen=True)
class Forecast:
    """The distribution of a period's result at the objective's stage.

    ``expected`` is the median, ``low``..``high`` the range of whole units
    whose probability is closest to ``level`` (its actual probability is
    ``range_mass``); ``p_hit`` the probability of reaching ``target``.
    ``coverage`` is open pipeline just above the objective's stage divided by
    what is still to reach (None once the objective is met).
    """

    stage: str
    target: int
    actual_to_date: int
    expected: float
    mean: float
    low: float
    high: float
    level: float
    p_hit: float
    coverage: float | None
    coverage_bar: float
    remaining_days: float
    draws: NDArray[np.int64] = field(repr=False, compare=False)
    pipeline: int = 0
    """Units open at the stage feeding the objective's (what coverage counts)."""
    range_mass: float = 0.0
    """The probability that the result falls in ``low``..``high`` (close to ``level``)."""

    @property
    def below_coverage_bar(self) -> bool:
        return self.coverage is not None and self.coverage < self.coverage_bar


def forecast(
    stage: str,
    target: int,
    funnel: Funnel,
    rates: Rates,
    actual: Mapping[str, int],
    *,
    elapsed_days: float,
    remaining_days: float,
    planned_pace: float | None = None,
    open_pipeline: Mapping[str, OpenUnits] | None = None,
    prior_days: float = 5.0,
    coverage_bar: float = DEFAULT_COVERAGE_BAR,
    level: float = 0.8,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    lags: Mapping[str, LagModel] | None = None,
    horizon_days: float | None = None,
    daily_dispersion: float | None = None,
    team_shock: float | NDArray[np.float64] | None = None,
) -> Forecast:
    """Forecast the period-end count at ``stage`` against ``target``.

    ``actual`` holds counts to date per stage key; ``planned_pace`` is the
    plan's units per working day at the top of the funnel. ``lags`` maps a
    conversion key (``sqls/meetings``) to its :class:`LagModel`;
    ``horizon_days`` is the calendar days left (default: working days × 7/5).
    ``daily_dispersion`` is k of the day-to-day negative binomial (None:
    Poisson days); ``team_shock`` the standard deviation of the multiplier the
    team shares on the rest of the period's pace, or its draws (one per draw,
    the same array for every rep of the team).

    >>> from backplan.defaults import funnel
    >>> rates = {"conversations/dials": Rate.parse("0.07"),
    ...          "meetings/conversations": Rate.parse("1/7"), "sqls/meetings": Rate.parse("1/3")}
    >>> f = forecast("sqls", 4, funnel("outbound"), rates, {"dials": 600, "sqls": 2},
    ...              elapsed_days=10, remaining_days=10)
    >>> round(f.expected), 0.4 < f.p_hit < 0.8
    (4, True)
    """
    pipeline = dict(open_pipeline or {})
    conversions = funnel.conversions(down_to=stage)
    top = funnel.stages[0].key
    rng = np.random.default_rng(seed)
    done = int(actual.get(stage, 0))
    horizon = remaining_days * 7 / 5 if horizon_days is None else horizon_days
    beliefs = [_rate_draws(c, rates, draws, rng) for c in conversions]

    future = np.zeros(draws, dtype=np.int64)
    if conversions and remaining_days > 0:
        pace = _pace_draws(
            int(actual.get(top, 0)),
            elapsed_days,
            planned_pace,
            prior_days,
            draws,
            rng,
            dispersion=daily_dispersion,
        )
        exposure = pace * remaining_days * shock_draws(team_shock, draws, rng)
        if daily_dispersion is not None and math.isfinite(daily_dispersion):
            shape = remaining_days * daily_dispersion
            exposure = exposure * rng.gamma(shape, 1 / shape, draws)
        flow = _thin(rng.poisson(exposure), beliefs, rng)
        if lags:
            reach = _chain_lag(conversions, lags).mean_reached_within(horizon)
            flow = rng.binomial(flow, reach)
        future = future + flow
    for i, conversion in enumerate(conversions):
        held = pipeline.get(conversion.source.key)
        if held is None or (isinstance(held, int) and held == 0):
            continue
        future = future + _open_flow(held, conversions[i:], beliefs[i:], lags, horizon, rng)

    feeder = conversions[-1].source.key if conversions else None
    open_units = _count(pipeline.get(feeder, 0)) if feeder is not None else 0
    remaining_target = target - done
    coverage = open_units / remaining_target if remaining_target > 0 and feeder else None
    return _summarise(stage, target, done, done + future, level, coverage, coverage_bar,
                      remaining_days, open_units)  # fmt: skip


def combine(
    parts: Sequence[Forecast],
    target: int,
    *,
    coverage_bar: float | None = None,
) -> Forecast:
    """A team's forecast as the sum of its reps' forecasts, draw by draw.

    Every part must have the same number of draws at the same stage; the
    team's coverage is its reps' open pipeline at the feeding stage over what
    the team still has to reach. Reps are not independent: give their
    forecasts the same ``team_shock`` draws and the sum keeps the shock.

    >>> from backplan.defaults import funnel
    >>> rates = {"conversations/dials": Rate.parse("0.07"),
    ...          "meetings/conversations": Rate.parse("1/7"), "sqls/meetings": Rate.parse("1/3")}
    >>> a = forecast("sqls", 4, funnel("outbound"), rates, {"sqls": 4}, elapsed_days=20,
    ...              remaining_days=0)
    >>> b = forecast("sqls", 4, funnel("outbound"), rates, {"sqls": 1}, elapsed_days=20,
    ...              remaining_days=0)
    >>> team = combine([a, b], 6)
    >>> team.actual_to_date, team.expected, team.p_hit
    (5, 5.0, 0.0)
    """
    if not parts:
        raise NoData("a team forecast needs at least one rep's forecast")
    first = parts[0]
    if any(p.stage != first.stage or len(p.draws) != len(first.draws) for p in parts):
        raise ValueError("combine forecasts of one stage with the same number of draws")
    result = np.sum([p.draws for p in parts], axis=0)
    done = sum(p.actual_to_date for p in parts)
    remaining_target = target - done
    open_units = sum(p.pipeline for p in parts)
    return _summarise(
        first.stage,
        target,
        done,
        result,
        first.level,
        open_units / remaining_target if remaining_target > 0 else None,
        first.coverage_bar if coverage_bar is None else coverage_bar,
        max(p.remaining_days for p in parts),
        open_units,
    )


def _summarise(
    stage: str,
    target: int,
    done: int,
    result: NDArray[np.int64],
    level: float,
    coverage: float | None,
    coverage_bar: float,
    remaining_days: float,
    open_units: int,
) -> Forecast:
    low, high, mass = central_range(result, level)
    return Forecast(
        stage=stage,
        target=target,
        actual_to_date=done,
        expected=float(np.median(result)),
        mean=float(result.mean()),
        low=float(low),
        high=float(high),
        level=level,
        p_hit=float((result >= target).mean()),
        coverage=coverage,
        coverage_bar=coverage_bar,
        remaining_days=remaining_days,
        draws=result,
        pipeline=open_units,
        range_mass=mass,
    )


def central_range(draws: NDArray[np.int64], level: float = 0.8) -> tuple[int, int, float]:
    """The range of whole values ``low..high`` whose probability is closest to ``level``,
    and that probability.

    Integer results cannot have a range of exactly 80%: the equal-tailed
    quantiles of a narrow distribution often hold 90% or more. Of all ranges,
    the one whose mass is closest to ``level`` is chosen (near-ties: the one
    with the most even tails, then the narrowest).

    >>> central_range(np.array([0] * 10 + [1] * 40 + [2] * 40 + [3] * 10), 0.8)
    (1, 2, 0.8)
    """
    if len(draws) == 0:
        raise NoData("no draws to take a range from")
    lowest = int(draws.min())
    pmf = np.bincount(draws - lowest) / len(draws)
    if len(pmf) > EXACT_RANGE_SPAN:
        tail = (1 - level) / 2
        lo, hi = (round(float(q)) for q in np.quantile(draws, [tail, 1 - tail]))
        return lo, hi, float(((draws >= lo) & (draws <= hi)).mean())
    cdf = np.concatenate([[0.0], np.cumsum(pmf)])
    below = cdf[:-1, None]  # P(X < low)
    upto = cdf[None, 1:]  # P(X ≤ high)
    mass = upto - below
    valid = np.triu(np.ones_like(mass, dtype=bool))
    miss = np.where(valid, np.abs(mass - level), np.inf)
    near = miss <= miss.min() + 0.005
    imbalance = np.abs(below - (1 - upto))
    width = np.arange(len(pmf))[None, :] - np.arange(len(pmf))[:, None]
    score = np.where(near, imbalance * 1e3 + width * 1e-6 + miss, np.inf)
    i, j = np.unravel_index(int(np.argmin(score)), score.shape)
    return lowest + int(i), lowest + int(j), round(float(mass[i, j]), 6)


def shock_draws(
    shock: float | NDArray[np.float64] | None, draws: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Draws of the multiplier a team shares on the rest of the period's pace (mean 1).

    A standard deviation σ gives Gamma(1/σ², σ²); an array is used as given
    (the same draws for every rep of a team); None or 0 gives ones.

    >>> shock_draws(None, 3, np.random.default_rng(0)).tolist()
    [1.0, 1.0, 1.0]
    """
    if shock is None:
        return np.ones(draws)
    if isinstance(shock, np.ndarray):
        if shock.shape != (draws,):
            raise ValueError(f"team shock draws must have {draws} values, not {shock.shape}")
        return shock.astype(float)
    if shock <= 0:
        return np.ones(draws)
    return rng.gamma(1 / shock**2, shock**2, draws)


def _count(held: OpenUnits) -> int:
    return held if isinstance(held, int) else len(held)


def _chain_lag(conversions: Sequence[Conversion], lags: Mapping[str, LagModel]) -> LagModel:
    models = [lags[c.key] for c in conversions if c.key in lags]
    if not models:
        return LagModel.instant()
    return models[0] if len(models) == 1 else chain(models)


def _open_flow(
    held: OpenUnits,
    conversions: Sequence[Conversion],
    beliefs: Sequence[tuple[bool, NDArray[np.float64]]],
    lags: Mapping[str, LagModel] | None,
    horizon: float,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """What units open at the first conversion's source bring to the objective by the end."""
    draws = len(beliefs[0][1])
    lag = lags.get(conversions[0].key) if lags else None
    if isinstance(held, int) or lag is None:
        return _thin(np.full(draws, _count(held), dtype=np.int64), beliefs, rng)
    ages = np.asarray(held, dtype=float)
    p = np.minimum(beliefs[0][1], 1.0)
    converted = np.zeros(draws, dtype=np.int64)
    for start in range(0, len(ages), OPEN_UNITS_AT_ONCE):  # one draws × units matrix at a time
        chance = lag.still_converts(
            p[:, None], age=ages[None, start : start + OPEN_UNITS_AT_ONCE], horizon=horizon
        )
        converted += (rng.random(chance.shape) < chance).sum(axis=1)
    rest = _thin(converted, beliefs[1:], rng)
    if lags and len(conversions) > 1:
        # Later conversions start on average halfway through the days left.
        rest = rng.binomial(rest, float(_chain_lag(conversions[1:], lags).reached_by(horizon / 2)))
    return rest


def _pace_draws(
    done: int,
    elapsed: float,
    planned: float | None,
    prior_days: float,
    draws: int,
    rng: np.random.Generator,
    *,
    dispersion: float | None = None,
) -> NDArray[np.float64]:
    """Draws of units per working day: Gamma(a₀ + done/φ, b₀ + elapsed/φ).

    φ = 1 + λ̂/k is how much the negative binomial's day-to-day variance
    exceeds Poisson's (φ = 1 without ``dispersion``): overdispersed days carry
    less information about the pace.
    """
    if planned is not None and planned > 0:
        shape, rate = planned * prior_days, prior_days
    else:
        shape, rate = 0.5, 0.0  # Jeffreys-like: the data alone speak
    if rate + elapsed <= 0:
        raise NoData(
            "no working day has passed and there is no plan to set the pace; "
            "give the plan's daily pace or forecast later in the period"
        )
    inflation = 1.0
    if dispersion is not None and math.isfinite(dispersion) and dispersion > 0:
        inflation = 1 + ((shape + done) / (rate + elapsed)) / dispersion
    shape, rate = shape + done / inflation, rate + elapsed / inflation
    return rng.gamma(shape, 1 / rate, size=draws)


def _rate_draws(
    conversion: Conversion, rates: Rates, draws: int, rng: np.random.Generator
) -> tuple[bool, NDArray[np.float64]]:
    """(bounded, draws of the rate): a Beta belief for a true conversion, else a Gamma one.

    A bounded stage whose rate reads above 1 cannot be a conversion of its
    source's units: it is read as a per-period ratio, with a warning.
    """
    rate = rate_for(conversion, rates)
    bounded = conversion.target.bounded
    if bounded and _above_one(rate):
        read = (
            f"{rate.successes} {conversion.target.plural} from {rate.trials} "
            f"{conversion.source.plural}"
            if rate.successes is not None and rate.trials is not None
            else f"{float(rate.value):.2f}"
        )
        warnings.warn(
            f"{conversion.key} reads {read}: more {conversion.target.plural} than "
            f"{conversion.source.plural}, so the stages are not linked (e.g. units owned by "
            "another team); forecast as a per-period ratio",
            UnlinkedStages,
            stacklevel=3,
        )
        bounded = False
    if bounded:
        a, b = beta_belief(rate)
        p = np.full(draws, float(rate.value)) if math.isinf(a) else rng.beta(a, b, draws)
        return True, p
    shape, scale = gamma_belief(rate)
    ratio = (
        np.full(draws, float(rate.value)) if math.isinf(shape) else rng.gamma(shape, scale, draws)
    )
    return False, ratio


def _above_one(rate: Rate) -> bool:
    if float(rate.value) > 1:
        return True
    if rate.successes is not None and rate.trials is not None and rate.successes > rate.trials:
        return True
    posterior = rate.distribution
    return posterior is not None and posterior.family == "gamma" and posterior.mean >= 1


def _thin(
    units: NDArray[np.int64],
    beliefs: Sequence[tuple[bool, NDArray[np.float64]]],
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Push ``units`` (one count per draw) through the conversions' rate draws."""
    n = units
    for bounded, value in beliefs:
        n = rng.binomial(n, value) if bounded else rng.poisson(n * value)
    return n


def histogram(draws: NDArray[np.int64], bins: int = 12) -> list[tuple[int, int, float]]:
    """The distribution of results as (from, to, share) bins of whole units, for a text chart.

    One bin per value when the draws span at most ``bins`` values; else
    ``bins`` bins of equal width.

    >>> histogram(np.array([3, 3, 4, 6]))
    [(3, 3, 0.5), (4, 4, 0.25), (5, 5, 0.0), (6, 6, 0.25)]
    """
    if len(draws) == 0:
        return []
    low, high = int(draws.min()), int(draws.max())
    width = max(1, math.ceil((high - low + 1) / bins))
    edges = list(range(low, high + 1, width))
    counts = np.bincount((draws - low) // width, minlength=len(edges))
    return [
        (start, min(start + width - 1, high), float(n / len(draws)))
        for start, n in zip(edges, counts, strict=True)
    ]


def beta_belief(rate: Rate) -> tuple[float, float]:
    """Beta(a, b) parameters for what is known about a true conversion rate.

    From its posterior when it has one (a Gamma posterior of a per-period
    ratio is matched by mean and variance, when a Beta can have them), else
    from its interval (a Beta with the rate as mean and that interval's
    width), else from its counts (Jeffreys), else a point (a = b = ∞).

    >>> from backplan.core.posterior import Posterior
    >>> beta_belief(Rate(0.25, distribution=Posterior("beta", 3.0, 9.0)))
    (3.0, 9.0)
    """
    posterior = rate.distribution
    if posterior is not None:
        if posterior.family == "beta":
            return posterior.alpha, posterior.beta
        mean, variance = posterior.mean, posterior.variance
        if mean < 1 and variance < mean * (1 - mean):
            matched = Posterior.matching("beta", mean, variance)
            return matched.alpha, matched.beta
    p = float(rate.value)
    if rate.low is not None and rate.high is not None and rate.high > rate.low and p < 1:
        width = rate.high - rate.low
        tail = (1 - rate.level) / 2

        def excess(log_k: float) -> float:
            k = math.exp(log_k)
            dist = stats.beta(p * k, (1 - p) * k)
            return float(dist.ppf(1 - tail) - dist.ppf(tail)) - width

        lo, hi = math.log(1e-2), math.log(1e8)
        if excess(hi) > 0:
            return math.inf, math.inf
        k = math.exp(optimize.brentq(excess, lo, hi)) if excess(lo) > 0 else math.exp(lo)
        return p * k, (1 - p) * k
    if rate.successes is not None and rate.trials is not None and rate.trials > 0:
        if rate.successes > rate.trials:
            raise InvalidRate(
                f"{rate.successes} successes of {rate.trials} trials is not a conversion rate "
                "(more successes than trials: the stages are not linked); read it as a "
                "per-period ratio (gamma_belief) or mark the stage unbounded"
            )
        return rate.successes + 0.5, rate.trials - rate.successes + 0.5
    return math.inf, math.inf


def gamma_belief(rate: Rate) -> tuple[float, float]:
    """Gamma(shape, scale) for a per-period ratio that may exceed 1.

    From its posterior when it has one (a Beta matched by mean and variance),
    else from its interval, else from its counts, else a point.

    >>> from backplan.core.posterior import Posterior
    >>> gamma_belief(Rate(1.5, distribution=Posterior("gamma", 30.0, 20.0)))
    (30.0, 0.05)
    """
    posterior = rate.distribution
    if posterior is not None:
        if posterior.family == "gamma":
            return posterior.alpha, 1 / posterior.beta
        mean, variance = posterior.mean, posterior.variance
        return mean**2 / variance, variance / mean
    value = float(rate.value)
    if rate.low is not None and rate.high is not None and rate.high > rate.low:
        z = stats.norm.ppf(0.5 + rate.level / 2)
        sd = (rate.high - rate.low) / (2 * z)
        shape = (value / sd) ** 2
        return shape, value / shape
    if rate.successes is not None and rate.trials is not None and rate.trials > 0:
        return rate.successes + 0.5, 1 / rate.trials
    return math.inf, math.inf
