"""Did the coaching move the conversion? A difference in differences that expects regression.

A manager picks a rep to coach on one conversion (meeting → SQL) because the
rep looks weak there. Two things make the rep's next figures rise without any
coaching: the whole team's rate drifts (season, leads, a new offer), and a
rate picked because it looked low was partly low by chance (regression to the
mean). The model meets each:

- **the control**: the team's reps not coached on that conversion, pooled, over
  the same two windows. Their change is what the coached rep's rate would have
  done without the coaching.
- **partial pooling of the before rate**: the coached rep's rate before the
  focus is the team's beta-binomial hierarchy (:mod:`backplan.core.hierarchy`,
  the same estimate ``backplan rates`` gives) fitted on every rep's before
  counts, so a low before on few trials is read as "probably nearer the team".

The model, on the rate scale (percentage points)::

    θ_before  ~ the rep's shrunk posterior given the team's before counts
    c_before, c_after ~ Beta(s + ½, n − s + ½)  (the control's pooled counts, Jeffreys)
    δ         ~ effect_scale · Student-t(3)       (most effects a few points, a few large)
    θ_after   = θ_before + (c_after − c_before) + δ
    successes_after ~ Binomial(trials_after, θ_after)

``δ``, the difference in differences, is the coaching's effect. Its posterior
is computed on a grid (no sampling, so the same counts always give the same
figures): the distribution of θ_before + c_after − c_before by convolution,
then the after-window likelihood over every δ. ``p_improved`` is P(δ > 0).
The verdict is ``improved`` when P ≥ 0.9, ``worse`` when P ≤ 0.1, ``unclear``
otherwise, and always ``unclear`` when evidence is thin (fewer than
:data:`MIN_TRIALS` trials in any of the four counts). See docs/coaching.md.

>>> review = CoachingEffect().fit(
...     Counts(9, 71), Counts(29, 58),
...     [Counts(18, 72)] * 6, [Counts(15, 60)] * 6)
>>> review.verdict_, round(review.p_improved_, 3) >= 0.9
('improved', True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Self

import numpy as np
from numpy.typing import NDArray
from scipy.special import betainc, ndtr

from backplan.core.errors import InvalidLevel
from backplan.core.hierarchy import HyperPosterior
from backplan.core.posterior import Posterior
from backplan.core.proportions import JEFFREYS, check_counts, jeffreys_interval
from backplan.core.shrinkage import DEFAULT_LEVEL, DEFAULT_MIN_REPS

Verdict = Literal["improved", "unclear", "worse"]

IMPROVED_AT = 0.9
"""P(improved) from which a focus has worked (DESIGN.md: flags only where evidence holds)."""

WORSE_AT = 0.1
"""P(improved) up to which the rep's conversion has got worse than the control's."""

MIN_TRIALS = 10
"""Fewer trials than this in any window, for the rep or the control, is thin evidence."""

EFFECT_SCALE = 0.05
"""The scale of the prior of a coaching effect, in rate units (5 percentage points)."""

EFFECT_DF = 3.0
"""The prior's degrees of freedom: a Student t, so most effects are a few points but a
big one, once clear in the data, is not shrunk away."""

GRID_STEP = 0.0025
"""Width of a rate's grid cell (a quarter of a percentage point)."""

_SPAN = 12.0
"""Effects are integrated over ± this many prior scales (capped at ±1)."""


@dataclass(frozen=True)
class Counts:
    """``successes`` of ``trials`` over one window (8 SQLs of 40 meetings)."""

    successes: int
    trials: int

    def __post_init__(self) -> None:
        check_counts(self.successes, self.trials)

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.successes + other.successes, self.trials + other.trials)


@dataclass(frozen=True)
class WindowRate:
    """A conversion over one window: its counts and the estimate with its interval."""

    successes: int
    trials: int
    estimate: float
    low: float
    high: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "successes": self.successes,
            "trials": self.trials,
            "estimate": round(self.estimate, 6),
            "low": round(self.low, 6),
            "high": round(self.high, 6),
        }


@dataclass(frozen=True)
class Change:
    """A change in a rate, in rate units (0.05 is five percentage points), with its interval."""

    estimate: float
    low: float
    high: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": round(self.estimate, 6),
            "low": round(self.low, 6),
            "high": round(self.high, 6),
        }


def verdict(p_improved: float, *, thin: bool) -> Verdict:
    """The verdict in words: never ``improved`` (or ``worse``) on thin evidence.

    >>> verdict(0.95, thin=False), verdict(0.95, thin=True), verdict(0.04, thin=False)
    ('improved', 'unclear', 'worse')
    """
    if thin:
        return "unclear"
    if p_improved >= IMPROVED_AT:
        return "improved"
    if p_improved <= WORSE_AT:
        return "worse"
    return "unclear"


@dataclass
class CoachingEffect:
    """The effect of a coaching focus on one conversion, as a difference in differences.

    Options: ``level`` of the intervals (0.8), ``effect_scale`` (the prior's
    scale of an effect, :data:`EFFECT_SCALE`); ``shrink_before``
    and ``use_control`` switch off the two guards against regression to the
    mean, for measuring what each is worth (never in use).

    Fitted attributes: ``before_``, ``after_`` (the coached rep's
    :class:`WindowRate` per window), ``control_before_``, ``control_`` (the
    control's pooled rates, after the start), ``control_change_``, ``effect_``
    (:class:`Change`), ``p_improved_``, ``thin_``, ``verdict_`` and
    ``caveats_`` (sentences).
    """

    level: float = DEFAULT_LEVEL
    effect_scale: float = EFFECT_SCALE
    shrink_before: bool = True
    use_control: bool = True
    caveats_: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if not 0.5 <= self.level < 1:
            raise InvalidLevel(
                f"credibility level {self.level} must be at least 0.5 and below 1, e.g. 0.8"
            )
        if not self.effect_scale > 0:
            raise ValueError(f"effect_scale must be above 0, not {self.effect_scale}")

    def fit(
        self,
        rep_before: Counts,
        rep_after: Counts,
        control_before: Sequence[Counts],
        control_after: Sequence[Counts],
    ) -> Self:
        """Fit the effect from the coached rep's counts and each control rep's, per window.

        ``control_before[i]`` and ``control_after[i]`` are the same rep's counts.
        """
        if len(control_before) != len(control_after):
            raise ValueError(
                f"got {len(control_before)} control reps before and {len(control_after)} after"
            )
        self.caveats_ = []
        pooled_before = sum(control_before, Counts(0, 0))
        pooled_after = sum(control_after, Counts(0, 0))
        before = self._before(rep_before, control_before)
        self.before_ = _window(rep_before, before, self.level)
        self.after_ = _jeffreys_window(rep_after, self.level)
        self.control_before_ = _jeffreys_window(pooled_before, self.level)
        self.control_ = _jeffreys_window(pooled_after, self.level)
        change = _control_change(control_before, control_after)
        self.control_change_ = _summary(change, self.level)
        if not self.use_control:
            change = _NO_CHANGE
        counterfactual = _sum(_masses(before), change)
        effect = _effect(counterfactual, rep_after, self.effect_scale)
        self.effect_ = _summary(effect, self.level)
        self.p_improved_ = effect.p_above_zero()
        fewest = min(rep_before.trials, rep_after.trials, pooled_before.trials, pooled_after.trials)
        self.thin_ = fewest < MIN_TRIALS
        if self.thin_:
            self.caveats_.append(
                f"thin evidence: {fewest} trials in one of the windows (at least {MIN_TRIALS} "
                "each for the rep and the control before a verdict)"
            )
        self.verdict_: Verdict = verdict(self.p_improved_, thin=self.thin_)
        return self

    def _before(self, rep: Counts, control: Sequence[Counts]) -> Posterior:
        """The coached rep's before rate: shrunk toward the team's (or, unguarded, raw).

        The team's hierarchy is fitted on every rep's before counts, the rep's posterior
        is the mixture over it matched to one Beta: the estimate ``backplan rates`` gives.
        """
        if not self.shrink_before:
            return _jeffreys(rep)
        team = [rep, *control]
        with_data = sum(c.trials > 0 for c in team)
        if with_data == 0:
            self.caveats_.append("no trials before the start for anyone in the team")
            return Posterior("beta", 1.0, 1.0)  # nothing known: every rate alike
        if with_data < DEFAULT_MIN_REPS:
            self.caveats_.append(
                f"only {with_data} rep(s) with data before the start: too few to learn how "
                "much reps differ, so the before rate's interval carries that uncertainty"
            )
        hyper = HyperPosterior.fit([c.successes for c in team], [c.trials for c in team])
        means, variances = hyper.rep_moments([rep.successes], [rep.trials])
        mean = float(means[0])
        # Both shapes at least 1, as the rates' widening keeps them: a unimodal before rate,
        # so that more successes after the start never make an improvement less likely.
        most = mean * (1 - mean) / (max(1 / mean, 1 / (1 - mean)) + 1)
        return Posterior.matching("beta", mean, min(float(variances[0]), most))

    def to_dict(self) -> dict[str, Any]:
        """The fitted review as JSON-ready data (the ``coaching review --json`` fields)."""
        control = self.control_.to_dict()
        control["before"] = self.control_before_.to_dict()
        control["change"] = self.control_change_.to_dict()
        return {
            "before": self.before_.to_dict(),
            "after": self.after_.to_dict(),
            "control": control,
            "effect": self.effect_.to_dict(),
            "p_improved": round(self.p_improved_, 6),
            "verdict": self.verdict_,
            "thin": self.thin_,
            "caveats": list(self.caveats_),
        }


# -- the grid -------------------------------------------------------------------------
#
# Rates live on cells of width GRID_STEP centred at (i + ½)·GRID_STEP; to keep their
# sums and differences exactly on a grid, positions are counted in half-steps.

_HALF = GRID_STEP / 2


@dataclass(frozen=True)
class _Grid:
    """A distribution on the grid: the mass at ``cells[i]·unit`` is ``mass[i]``; cells
    are evenly spaced."""

    cells: NDArray[np.int64]
    mass: NDArray[np.float64]
    unit: float = _HALF

    @property
    def values(self) -> NDArray[np.float64]:
        return np.asarray(self.cells * self.unit, dtype=np.float64)

    def mean(self) -> float:
        return float(self.mass @ self.values)

    def quantile(self, q: float) -> float:
        """The ``q`` quantile, interpolated between cells."""
        cumulative = np.cumsum(self.mass) - self.mass / 2
        return float(np.interp(q, cumulative, self.values))

    def p_above_zero(self) -> float:
        """P(value > 0), a zero cell counting half."""
        return float(self.mass[self.cells > 0].sum() + self.mass[self.cells == 0].sum() / 2)


def _cells() -> int:
    return round(1 / GRID_STEP)


def _masses(posterior: Posterior) -> _Grid:
    """A rate's distribution as the masses of the cells of [0, 1] (exact, from the CDF,
    so a Jeffreys posterior's infinite density at 0 or 1 is no trouble)."""
    n = _cells()
    cdf = betainc(posterior.alpha, posterior.beta, np.linspace(0.0, 1.0, n + 1))
    mass = np.clip(np.diff(cdf), 0.0, None)
    return _Grid(2 * np.arange(n, dtype=np.int64) + 1, mass / mass.sum())


def _sum(a: _Grid, b: _Grid) -> _Grid:
    """The distribution of a + b, independent, both in half-steps with the same spacing."""
    mass = np.convolve(a.mass, b.mass)
    spacing = int(a.cells[1] - a.cells[0])
    return _Grid(a.cells[0] + b.cells[0] + spacing * np.arange(len(mass), dtype=np.int64), mass)


def _control_change(before: Sequence[Counts], after: Sequence[Counts]) -> _Grid:
    """The control's change in rate: each rep's own change, weighted by its precision.

    Comparing each rep with themselves keeps a change in who did the trials (a strong
    rep busier after the start) out of the drift, which pooled counts would mistake
    for one. Normal on the grid, in even half-steps: log-concave, so more successes
    after the start never make an improvement less likely. With no rep in both
    windows, the pooled counts: a change all but unknown.
    """
    pairs = [(b, a) for b, a in zip(before, after, strict=True) if b.trials and a.trials]
    if not pairs:  # nobody to compare with themselves: the pooled counts, however few
        pairs = [(sum(before, Counts(0, 0)), sum(after, Counts(0, 0)))]
    rates = np.array([[_jeffreys(b).mean, _jeffreys(a).mean] for b, a in pairs])
    trials = np.array([[b.trials, a.trials] for b, a in pairs], dtype=float)
    variance = (rates * (1 - rates) / (trials + 1)).sum(axis=1)
    weight = 1 / variance
    mean = float(weight @ (rates[:, 1] - rates[:, 0]) / weight.sum())
    sd = math.sqrt(1 / weight.sum())
    reach = min(math.ceil((abs(mean) + _SPAN * sd) / GRID_STEP), _cells())
    steps = np.arange(-reach, reach + 1, dtype=np.int64)
    edges = (np.append(steps, reach + 1) - 0.5) * GRID_STEP
    mass = np.clip(np.diff(ndtr((edges - mean) / sd)), 0.0, None)
    return _Grid(2 * steps, mass / mass.sum())


_NO_CHANGE = _Grid(np.zeros(1, dtype=np.int64), np.ones(1))


def _effect(counterfactual: _Grid, after: Counts, scale: float) -> _Grid:
    """The posterior of δ given the after counts, on whole steps δ = −span..span.

    ``counterfactual`` is θ_before + the control's change (odd half-steps: a rate's
    centre), so θ_after = counterfactual + δ lands on rate centres.
    """
    span = min(math.ceil(_SPAN * scale / GRID_STEP), _cells())
    deltas = np.arange(-span, span + 1, dtype=np.int64)
    # Every θ_after there can be, in half-steps: a counterfactual cell + 2·δ.
    first = counterfactual.cells[0] - 2 * span
    theta = (first + 2 * np.arange(len(counterfactual.mass) + 2 * span)) * _HALF
    inside = (theta > 0) & (theta < 1)
    log_like = np.full(theta.shape, -np.inf)
    y, n = after.successes, after.trials
    log_like[inside] = y * np.log(theta[inside]) + (n - y) * np.log1p(-theta[inside])
    likelihood = np.exp(log_like - log_like[inside].max())
    # For each δ: Σ over the counterfactual of its mass × the likelihood at it + δ.
    marginal = np.correlate(likelihood, counterfactual.mass, mode="valid")
    prior = (1 + (deltas * GRID_STEP / scale) ** 2 / EFFECT_DF) ** (-(EFFECT_DF + 1) / 2)
    mass = np.clip(prior * marginal, 0.0, None)
    return _Grid(deltas, mass / mass.sum(), GRID_STEP)


def _summary(grid: _Grid, level: float) -> Change:
    tail = (1 - level) / 2
    return Change(grid.mean(), grid.quantile(tail), grid.quantile(1 - tail))


# -- rates per window ------------------------------------------------------------------


def _jeffreys(counts: Counts) -> Posterior:
    return Posterior(
        "beta", counts.successes + JEFFREYS, counts.trials - counts.successes + JEFFREYS
    )


def _window(counts: Counts, posterior: Posterior, level: float) -> WindowRate:
    low, high = posterior.interval(level)
    return WindowRate(counts.successes, counts.trials, posterior.mean, low, high)


def _jeffreys_window(counts: Counts, level: float) -> WindowRate:
    low, high = jeffreys_interval(counts.successes, counts.trials, level)
    return WindowRate(counts.successes, counts.trials, _jeffreys(counts).mean, low, high)
