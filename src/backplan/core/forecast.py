"""Where the period will land: a Monte Carlo forecast from pace to date and rates.

The model, step by step (see docs/forecast.md):

1. Activity pace. The top of the funnel runs at λ units per working day.
   λ has a Gamma posterior from the units done so far over the working days
   elapsed, with the plan's pace as a weak prior worth ``prior_days`` days.
2. Future activity over the remaining working days is Poisson(λ · R).
3. Each conversion thins the flow: Binomial(n, p) with p drawn from a Beta
   belief about the rate (from its interval, or its counts); stages whose
   ratio may exceed 1 use Poisson(n · ρ) with a Gamma belief about ρ.
4. Units open in the pipeline (an opp not yet won or lost) convert down to
   the objective through the same rates.
5. The period-end result is what is done already plus both flows.

The draws are reproducible given ``seed``. Lags between stages are ignored:
activity late in the period is assumed to convert within it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from backplan.core.errors import NoData
from backplan.core.funnel import Conversion, Funnel
from backplan.core.plan import Rates, rate_for
from backplan.core.posterior import Posterior
from backplan.core.rate import Rate

DEFAULT_DRAWS = 20_000
DEFAULT_COVERAGE_BAR = 3.0


@dataclass(frozen=True)
class Forecast:
    """The distribution of a period's result at the objective's stage.

    ``expected`` is the median, ``low``..``high`` the central interval at
    ``level``; ``p_hit`` the probability of reaching ``target``.
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
    open_pipeline: Mapping[str, int] | None = None,
    prior_days: float = 5.0,
    coverage_bar: float = DEFAULT_COVERAGE_BAR,
    level: float = 0.8,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
) -> Forecast:
    """Forecast the period-end count at ``stage`` against ``target``.

    ``actual`` holds counts to date per stage key; ``planned_pace`` is the
    plan's units per working day at the top of the funnel.

    >>> from backplan.defaults import funnel
    >>> rates = {"conversations/dials": Rate.parse("0.07"),
    ...          "meetings/conversations": Rate.parse("1/7"), "sqls/meetings": Rate.parse("1/3")}
    >>> f = forecast("sqls", 4, funnel("outbound"), rates, {"dials": 600, "sqls": 2},
    ...              elapsed_days=10, remaining_days=10)
    >>> round(f.expected), 0.4 < f.p_hit < 0.8
    (4, True)
    """
    pipeline = dict(open_pipeline or {})
    chain = funnel.conversions(down_to=stage)
    top = funnel.stages[0].key
    rng = np.random.default_rng(seed)
    done = int(actual.get(stage, 0))

    future = np.zeros(draws, dtype=np.int64)
    if chain and remaining_days > 0:
        pace = _pace_draws(
            int(actual.get(top, 0)), elapsed_days, planned_pace, prior_days, draws, rng
        )
        future = _flow(rng.poisson(pace * remaining_days), chain, rates, rng)
    for i, conversion in enumerate(chain):
        if units := pipeline.get(conversion.source.key, 0):
            start = np.full(draws, units, dtype=np.int64)
            future = future + _flow(start, chain[i:], rates, rng)

    result = done + future
    tail = (1 - level) / 2
    remaining_target = target - done
    feeder = chain[-1].source.key if chain else None
    open_units = pipeline.get(feeder, 0) if feeder is not None else 0
    coverage = open_units / remaining_target if remaining_target > 0 and feeder else None
    return Forecast(
        stage=stage,
        target=target,
        actual_to_date=done,
        expected=float(np.median(result)),
        mean=float(result.mean()),
        low=float(np.quantile(result, tail)),
        high=float(np.quantile(result, 1 - tail)),
        level=level,
        p_hit=float((result >= target).mean()),
        coverage=coverage,
        coverage_bar=coverage_bar,
        remaining_days=remaining_days,
        draws=result,
        pipeline=open_units,
    )


def combine(
    parts: Sequence[Forecast],
    target: int,
    *,
    coverage_bar: float | None = None,
) -> Forecast:
    """A team's forecast as the sum of its reps' (independent) forecasts, draw by draw.

    Every part must have the same number of draws at the same stage; the
    team's coverage is its reps' open pipeline at the feeding stage over what
    the team still has to reach.

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
    tail = (1 - first.level) / 2
    remaining_target = target - done
    open_units = sum(p.pipeline for p in parts)
    return Forecast(
        stage=first.stage,
        target=target,
        actual_to_date=done,
        expected=float(np.median(result)),
        mean=float(result.mean()),
        low=float(np.quantile(result, tail)),
        high=float(np.quantile(result, 1 - tail)),
        level=first.level,
        p_hit=float((result >= target).mean()),
        coverage=open_units / remaining_target if remaining_target > 0 else None,
        coverage_bar=first.coverage_bar if coverage_bar is None else coverage_bar,
        remaining_days=max(p.remaining_days for p in parts),
        draws=result,
        pipeline=open_units,
    )


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


def _pace_draws(
    done: int,
    elapsed: float,
    planned: float | None,
    prior_days: float,
    draws: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Draws of units per working day: Gamma(a₀ + done, b₀ + elapsed)."""
    if planned is not None and planned > 0:
        shape, rate = planned * prior_days, prior_days
    else:
        shape, rate = 0.5, 0.0  # Jeffreys-like: the data alone speak
    shape, rate = shape + done, rate + elapsed
    if rate <= 0:
        raise NoData(
            "no working day has passed and there is no plan to set the pace; "
            "give the plan's daily pace or forecast later in the period"
        )
    return rng.gamma(shape, 1 / rate, size=draws)


def _flow(
    units: NDArray[np.int64], chain: list[Conversion], rates: Rates, rng: np.random.Generator
) -> NDArray[np.int64]:
    """Push ``units`` (one count per draw) through ``chain`` conversion by conversion."""
    n = units
    for conversion in chain:
        rate = rate_for(conversion, rates)
        if conversion.target.bounded:
            a, b = beta_belief(rate)
            p = np.full(n.shape, float(rate.value)) if math.isinf(a) else rng.beta(a, b, n.shape)
            n = rng.binomial(n, p)
        else:
            shape, scale = gamma_belief(rate)
            ratio = (
                np.full(n.shape, float(rate.value))
                if math.isinf(shape)
                else rng.gamma(shape, scale, n.shape)
            )
            n = rng.poisson(n * ratio)
    return n


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
