"""Managing by exception without punishing noise: funnel-plot limits and trends.

**Control limits.** A rep with ``n`` trials at the team's rate ``p`` has
``X ~ Binomial(n, p)`` successes if nothing sets them apart. The funnel plot
draws, for every ``n``, the range of rates such a rep shows with probability
``level``; a rep outside it differs from the team by more than chance. The
limits are exact binomial quantiles, smoothed the way Spiegelhalter (2005)
proposes: with ``r`` the smallest count whose CDF reaches ``q = (1 − level)/2``,

    low = (r − a) / n,   a = (F(r) − q) / (F(r) − F(r − 1)),

and the upper limit is the same construction on the failures,
``high = 1 − low(1 − p)``. A rep is ``below`` when their rate is strictly
under ``low``, which happens exactly when ``P(X ≤ x) < q``; ``above``
likewise when ``P(X ≥ x) < q``: plot and verdict always agree. The normal
approximation ``p ± z √(p(1 − p)/n)`` is available for comparison; it is
poor for small ``n`` or rates near 0 or 1, which is why exact is the default.

**Trend.** Whether one rep's rate is really moving over recent periods is
the Cochran–Armitage test for trend in proportions: with periods scored
``t = 0, 1, ...``, ``x_t`` successes out of ``n_t``, ``p̄ = Σx / Σn`` and
``t̄ = Σ n_t t / Σn``,

    slope = Σ x_t (t − t̄) / S,   S = Σ n_t (t − t̄)²,   z = slope · √(S / (p̄(1 − p̄))),

the slope being the change in rate per period (a weighted least-squares
line through the period rates). When successes or failures are few
(``min(Σx, Σn − Σx) ≤ 50``) the p-value is exact: the permutation
distribution of ``Σ t x_t`` given the total, computed by convolution;
otherwise it is the chi-square (1 df) p-value ``P(χ² ≥ z²)``.

Months differ by more than binomial chance (a holiday month, a new list), so
the test allows for **overdispersion**: with ``k`` periods with trials, the
dispersion is estimated from the Pearson residuals around the fitted line,

    φ = Σ (x_t − n_t p̂_t)² / (n_t p̄(1 − p̄)) / (k − 2),

and when φ > 1 (quasi-binomial, McCullagh & Nelder 1989 §4.5) the p-value is
``P(F(1, k − 2) ≥ z²/φ)`` and the slope's interval is widened by √φ (with a
t quantile). A rate that swings month to month is then not called a trend.

Reference: D. J. Spiegelhalter, "Funnel plots for comparing institutional
performance", Statistics in Medicine 24 (2005) 1185–1202.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.stats import binom, chi2, norm
from scipy.stats import f as f_dist
from scipy.stats import t as t_dist

from backplan.core.errors import InvalidCounts, InvalidRate, NoData
from backplan.core.proportions import check_counts, check_level
from backplan.core.warnings import SmallSampleWarning

Position = Literal["below", "within", "above"]
Method = Literal["exact", "normal"]

DEFAULT_LEVEL = 0.998
"""Flag only strong evidence: the outer funnel (about three standard errors)."""

WARNING_LEVEL = 0.95
"""The inner funnel drawn beside it (about two standard errors)."""

EXACT_TREND_LIMIT = 50
"""Exact trend p-values while the rarer outcome has at most this many cases."""


@dataclass(frozen=True)
class ControlLimits:
    """The rates a rep with ``trials`` trials shows at ``rate`` with probability ``level``."""

    rate: float
    trials: int
    low: float
    high: float
    level: float
    method: Method


@dataclass(frozen=True)
class ControlCheck:
    """A rep's observed rate against the team's funnel limits.

    ``tail`` is the one-sided probability, at the team's rate, of a result at
    least this far out on the side the rep lies (``P(X ≤ x)`` below the team's
    rate, ``P(X ≥ x)`` above it); ``position`` is ``below`` or ``above`` when
    the rate lies outside the limits.
    """

    successes: int
    trials: int
    observed: float | None
    limits: ControlLimits
    tail: float
    position: Position

    @property
    def outside(self) -> bool:
        return self.position != "within"


def level_for_z(z: float) -> float:
    """The two-sided level of ``±z`` standard errors: 2 → 0.9545, 3 → 0.9973."""
    if not z > 0:
        raise InvalidRate(f"z must be above 0, e.g. 2 or 3, not {z}")
    return float(2 * norm.cdf(z) - 1)


def control_limits(
    rate: float,
    trials: int,
    *,
    level: float = DEFAULT_LEVEL,
    z: float | None = None,
    method: Method = "exact",
) -> ControlLimits:
    """Funnel-plot limits for ``trials`` trials at the team's ``rate``.

    Give ``level`` (0.998 by default) or ``z`` (standard errors, e.g. 3).

    >>> limits = control_limits(0.33, 15, level=0.95)
    >>> round(limits.low, 3), round(limits.high, 3)
    (0.071, 0.612)
    """
    level = _level(level, z)
    _check_rate(rate)
    check_counts(0, trials, "trials")
    low, high = funnel_limits(rate, np.array([trials]), level=level, method=method)
    return ControlLimits(rate, int(trials), float(low[0]), float(high[0]), level, method)


def funnel_limits(
    rate: float,
    trials: npt.ArrayLike,
    *,
    level: float = DEFAULT_LEVEL,
    method: Method = "exact",
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Lower and upper limits for many trial counts at once: the curves of a funnel plot.

    With no trials the limits are 0 and 1: nothing can be told apart.
    """
    _check_rate(rate)
    check_level(level)
    n = np.asarray(trials, dtype=np.float64)
    q = (1 - level) / 2
    if method == "exact":
        low = _lower(rate, n, q)
        high = 1 - _lower(1 - rate, n, q)
    elif method == "normal":
        spread = float(norm.ppf(1 - q)) * np.sqrt(rate * (1 - rate) / np.maximum(n, 1))
        low, high = np.clip(rate - spread, 0, 1), np.clip(rate + spread, 0, 1)
    else:
        raise InvalidRate(f"unknown method {method!r}; use 'exact' or 'normal'")
    empty = n == 0
    return np.where(empty, 0.0, low), np.where(empty, 1.0, high)


def classify(
    successes: int,
    trials: int,
    team_rate: float,
    *,
    level: float = DEFAULT_LEVEL,
    z: float | None = None,
    method: Method = "exact",
) -> ControlCheck:
    """Is a rep's rate within, below or above the team's funnel limits?

    Three meetings and no SQL against a team converting 33% is within
    (nothing to flag yet); forty meetings and two SQLs is below:

    >>> classify(0, 3, 0.33).position, classify(2, 40, 0.33).position
    ('within', 'below')
    """
    check_counts(successes, trials)
    limits = control_limits(team_rate, trials, level=level, z=z, method=method)
    if trials == 0:
        return ControlCheck(int(successes), 0, None, limits, 1.0, "within")
    observed = successes / trials
    below_tail = float(binom.cdf(successes, trials, team_rate))
    above_tail = float(binom.sf(successes - 1, trials, team_rate))
    tail = below_tail if observed < team_rate else above_tail
    position: Position = "within"
    if observed < limits.low:
        position = "below"
    elif observed > limits.high:
        position = "above"
    return ControlCheck(int(successes), int(trials), observed, limits, min(tail, 1.0), position)


@dataclass(frozen=True)
class Trend:
    """Whether one rate is really moving across consecutive periods.

    ``slope`` is the change in rate per period (0.02 = up two points a
    period), ``low``–``high`` its interval at ``level``; ``p_value`` tests
    "no trend" (``method`` says how); ``direction`` is set only when
    ``p_value < alpha``.
    """

    periods: int
    successes: int
    trials: int
    slope: float
    low: float
    high: float
    level: float
    p_value: float
    alpha: float
    method: Literal["exact", "chi-square", "quasi-binomial"]
    dispersion: float = 1.0

    @property
    def direction(self) -> Literal["up", "down"] | None:
        if self.p_value >= self.alpha or self.slope == 0:
            return None
        return "up" if self.slope > 0 else "down"

    @property
    def moving(self) -> bool:
        return self.direction is not None

    @property
    def verdict(self) -> str:
        """``moving up``, ``moving down`` or ``not really moving``."""
        return f"moving {self.direction}" if self.direction else "not really moving"

    @property
    def explanation(self) -> str:
        change = f"{self.slope * 100:+.1f} points a period"
        return f"{self.verdict}: {change} over {self.periods} periods (p = {self.p_value:.3g})"


def trend(
    successes: Sequence[int],
    trials: Sequence[int],
    *,
    alpha: float = 0.05,
    level: float = 0.8,
) -> Trend:
    """The Cochran–Armitage trend test over consecutive periods, oldest first.

    >>> trend([2, 4, 6, 8], [20, 20, 20, 20]).verdict
    'moving up'
    >>> trend([5, 3, 6, 4], [20, 20, 20, 20]).verdict
    'not really moving'
    """
    check_level(level)
    if not 0 < alpha < 1:
        raise InvalidRate(f"alpha {alpha} must be between 0 and 1, e.g. 0.05")
    if len(successes) != len(trials):
        raise InvalidCounts(
            f"{len(successes)} success counts for {len(trials)} trial counts; give one of each "
            "per period"
        )
    for i, (hit, tried) in enumerate(zip(successes, trials, strict=True)):
        check_counts(hit, tried, f"period {i + 1}")
    x = np.asarray(successes, dtype=np.int64)
    n = np.asarray(trials, dtype=np.int64)
    observed = int(np.count_nonzero(n))
    if observed < 2:
        raise NoData(f"a trend needs at least two periods with trials; {observed} had any")
    if observed < 3:
        warnings.warn(
            "a trend over two periods is a comparison, not a trend; give more periods",
            SmallSampleWarning,
            stacklevel=2,
        )
    t = np.arange(len(n), dtype=np.float64)
    total, hits = int(n.sum()), int(x.sum())
    centre = float((n * t).sum() / total)
    spread = float((n * (t - centre) ** 2).sum())
    slope = float((x * (t - centre)).sum() / spread)
    p_bar = hits / total
    width = float(norm.ppf((1 + level) / 2)) * math.sqrt(p_bar * (1 - p_bar) / spread)
    rare = min(hits, total - hits)
    method: Literal["exact", "chi-square", "quasi-binomial"] = "exact"
    dispersion = _dispersion(x, n, t, centre, slope, p_bar)
    if rare == 0:
        p_value = 1.0  # all successes or all failures: the rate cannot be seen to move
    elif rare <= EXACT_TREND_LIMIT:
        p_value = _exact_trend_p(x if hits == rare else n - x, n, rare)
    else:
        z = slope * math.sqrt(spread / (p_bar * (1 - p_bar)))
        p_value, method = float(chi2.sf(z * z, 1)), "chi-square"
    if rare > 0 and dispersion > 1:
        df = observed - 2
        z = slope * math.sqrt(spread / (p_bar * (1 - p_bar)))
        p_value = max(p_value, float(f_dist.sf(z * z / dispersion, 1, df)))
        width *= (
            math.sqrt(dispersion)
            * float(t_dist.ppf((1 + level) / 2, df))
            / float(norm.ppf((1 + level) / 2))
        )
        method = "quasi-binomial"
    return Trend(
        len(n), hits, total, slope, slope - width, slope + width, level, p_value, alpha, method,
        dispersion,
    )  # fmt: skip


def _dispersion(
    x: npt.NDArray[np.int64],
    n: npt.NDArray[np.int64],
    t: npt.NDArray[np.float64],
    centre: float,
    slope: float,
    p_bar: float,
) -> float:
    """Pearson dispersion around the fitted trend line; 1 when it cannot be estimated."""
    used = n > 0
    df = int(used.sum()) - 2
    if df < 1 or not 0 < p_bar < 1:
        return 1.0
    fitted = np.clip(p_bar + slope * (t - centre), 1e-9, 1 - 1e-9)
    residual = (x - n * fitted)[used] ** 2 / (n[used] * p_bar * (1 - p_bar))
    return float(residual.sum() / df)


def _exact_trend_p(
    counts: npt.NDArray[np.int64], trials: npt.NDArray[np.int64], total: int
) -> float:
    """Two-sided exact p-value of ``Σ t·y_t`` given ``Σ y_t = total``.

    Under no trend, the periods' counts given their total follow a
    multivariate hypergeometric law; convolving each period's binomial (at
    any common rate, which cancels on conditioning) and keeping the slice
    with the observed total gives the distribution of the score.
    """
    periods = len(trials)
    scores = (periods - 1) * total
    # dist[y, s]: probability that the periods so far hold y cases with score s.
    dist = np.zeros((total + 1, scores + 1))
    dist[0, 0] = 1.0
    share = total / int(trials.sum())
    for t, n in enumerate(trials.tolist()):
        step = np.zeros_like(dist)
        for k in range(min(n, total) + 1):
            weight = float(binom.pmf(k, n, share))
            if weight == 0.0:
                continue
            step[k:, k * t :] += weight * dist[: total + 1 - k, : scores + 1 - k * t]
        dist = step
    score = dist[total] / dist[total].sum()
    observed = int((np.arange(periods) * counts).sum())
    mean = float((np.arange(scores + 1) * score).sum())
    far = np.abs(np.arange(scores + 1) - mean) >= abs(observed - mean) - 1e-9
    return float(min(1.0, score[far].sum()))


def _lower(rate: float, n: npt.NDArray[np.float64], q: float) -> npt.NDArray[np.float64]:
    r = binom.ppf(q, n, rate)
    at = binom.cdf(r, n, rate)
    below = binom.cdf(r - 1, n, rate)
    a = (at - q) / np.where(at > below, at - below, 1.0)
    safe_n = np.maximum(n, 1)
    return np.asarray(np.clip((r - a) / safe_n, 0.0, 1.0), dtype=np.float64)


def _level(level: float, z: float | None) -> float:
    if z is not None:
        if level != DEFAULT_LEVEL:
            raise InvalidRate("give the limits as a level or as z, not both")
        return level_for_z(z)
    check_level(level)
    return level


def _check_rate(rate: float) -> None:
    if not 0 < rate < 1:
        raise InvalidRate(
            f"the team's rate {rate:g} must be strictly between 0 and 1 to draw limits around it"
        )
