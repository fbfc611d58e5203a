"""Cadence: attempts on one prospect until the first response, and when to move on.

Each prospect gets attempts 1, 2, 3, ... until they respond or the rep moves
on. A prospect who responded on attempt ``t`` is an observed first response
at ``t``; a prospect who never responded after ``t`` attempts is *censored*
at ``t``: we know only that the first response, if any, would come later.
This is discrete-time survival analysis:

- prospects still in the cadence at attempt ``k`` (at risk):
  ``n_k = #{prospects with at least k attempts}``
- responses at ``k``: ``d_k``; the response rate of attempt ``k`` (hazard):
  ``h_k = d_k / n_k``, with a Jeffreys interval
- cumulative response (Kaplan–Meier): ``F(k) = 1 − Π_{j≤k} (1 − h_j)``,
  with Greenwood's variance on the log(−log) scale for its interval
- recommended attempts: the ``K`` that maximises the responses gained net of
  the attempts spent, counting each attempt at ``threshold`` responses:
  ``G(K) = Σ_{j≤K} S(j−1) · (h_j − threshold)`` with ``S = 1 − F``.

The rule reads as: keep calling while the attempts still to come yield at
least ``threshold`` responses per prospect still in the cadence (0.02 is two
responses per 100 attempts). Where the rate falls steadily, ``K`` is simply
the last attempt with ``h_K ≥ threshold``; where responses bunch late (on
the fifth or sixth attempt, after a quiet third and fourth), the quiet
attempts are worth making for what follows them, and ``G`` says so. Only
attempts with at least ``min_prospects`` prospects still in the cadence are
weighed, so one lucky response in a thin tail cannot stretch the cadence.
See docs/cadence.md for the derivation and a worked example.

>>> cadence = Cadence(threshold=0.1, min_prospects=2).fit([1, 2, 2, 3, 3], [1, 1, 0, 0, 0])
>>> [row.responses for row in cadence.by_attempt_]
[1, 1, 0]
>>> cadence.recommended_attempts_
2
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, Self

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from backplan.core.errors import InvalidCounts, InvalidRate, NoData
from backplan.core.proportions import check_level, jeffreys_interval, jeffreys_intervals
from backplan.core.rate import as_fraction
from backplan.core.warnings import SmallSampleWarning

DEFAULT_THRESHOLD = 0.02
"""Two responses per 100 prospects still in the cadence: below that, move on."""

DEFAULT_MIN_PROSPECTS = 30
"""Attempts with fewer prospects still in the cadence are too thin to weigh."""

DEFAULT_LEVEL = 0.8

MAX_ATTEMPTS = 10_000
"""More attempts than this on one prospect is a data error, not a cadence."""


@dataclass(frozen=True)
class AttemptRow:
    """What happened on attempt number ``attempt``.

    ``prospects`` were still in the cadence (made at least this many attempts
    with no earlier response); ``responses`` of them responded for the first
    time on this attempt; ``moved_on`` made it their last attempt without a
    response. ``rate`` is ``responses / prospects`` and ``low``–``high`` its
    Jeffreys interval at the cadence's level.
    """

    attempt: int
    prospects: int
    responses: int
    moved_on: int
    rate: float
    low: float
    high: float


@dataclass(frozen=True)
class CumulativePoint:
    """The share of prospects who respond within ``attempt`` attempts (Kaplan–Meier)."""

    attempt: int
    responded: float
    low: float
    high: float


@dataclass(frozen=True)
class FirstResponse:
    """When first responses come: ``responses`` observed on ``attempt``.

    ``share`` is their fraction of all observed first responses; prospects who
    were dropped early pull that towards early attempts. ``probability`` is
    the censoring-corrected chance that a prospect first responds on this
    attempt, ``S(k−1) · h_k``, the step of the cumulative curve.
    """

    attempt: int
    responses: int
    share: float
    probability: float


@dataclass(frozen=True)
class Recommendation:
    """How many attempts to make before moving on, and why.

    ``horizon`` is the last attempt with at least ``min_prospects`` prospects
    still in the cadence (0 when even the first has fewer); ``net_gain[k-1]``
    is ``G(k)``, the responses per prospect from ``k`` attempts less
    ``threshold`` for every attempt spent. ``attempts`` is the smallest ``k``
    with the largest ``G(k)``, or None without evidence.
    """

    attempts: int | None
    threshold: float
    min_prospects: int
    horizon: int
    net_gain: tuple[float, ...]
    reason: str


class Cadence:
    """Response by attempt number, the cumulative response curve, and when to move on.

    ``threshold`` is the smallest yield an attempt must have to be worth
    making, in responses per prospect still in the cadence (0.02 = 2 per
    100); ``level`` the credibility of the intervals; ``min_prospects`` the
    fewest prospects still in the cadence for an attempt to count as evidence.

    ``fit(attempts, responded, weights=None)`` takes one entry per prospect:
    the number of attempts made (the attempt that got the first response, for
    those who responded) and whether they responded; ``weights`` optionally
    says how many prospects each entry stands for (aggregated data).

    Fitted attributes: ``by_attempt_``, ``cumulative_``, ``first_response_``,
    ``recommendation_``, ``recommended_attempts_``, ``prospects_``,
    ``responses_``.

    >>> cadence = Cadence(threshold=0.02).fit([5] * 40 + [8] * 60, [True] * 40 + [False] * 60)
    >>> cadence.recommended_attempts_, cadence.by_attempt_[4].rate
    (5, 0.4)
    """

    by_attempt_: tuple[AttemptRow, ...]
    cumulative_: tuple[CumulativePoint, ...]
    first_response_: tuple[FirstResponse, ...]
    recommendation_: Recommendation
    recommended_attempts_: int | None
    prospects_: int
    responses_: int

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        level: float = DEFAULT_LEVEL,
        min_prospects: int = DEFAULT_MIN_PROSPECTS,
    ) -> None:
        _check_threshold(threshold)
        check_level(level)
        if min_prospects < 1 or min_prospects != int(min_prospects):
            raise InvalidCounts(
                f"min_prospects must be a whole number of at least 1, not {min_prospects!r}"
            )
        self.threshold = threshold
        self.level = level
        self.min_prospects = int(min_prospects)

    def fit(
        self,
        attempts: npt.ArrayLike,
        responded: npt.ArrayLike,
        weights: npt.ArrayLike | None = None,
    ) -> Self:
        """Estimate the curves from one entry per prospect (or per group, with ``weights``)."""
        tried, hit, count = _validate(attempts, responded, weights)
        last = int(tried.max())
        stopped = np.bincount(tried, weights=count, minlength=last + 1)[1:].astype(np.int64)
        responses = np.bincount(tried[hit], weights=count[hit], minlength=last + 1)[1:]
        responses = responses.astype(np.int64)
        at_risk = np.cumsum(stopped[::-1])[::-1]
        self._at_risk = at_risk
        self._responses = responses
        self.prospects_ = int(at_risk[0])
        self.responses_ = int(responses.sum())

        hazard = responses / at_risk
        lows, highs = jeffreys_intervals(responses, at_risk, self.level)
        self.by_attempt_ = tuple(
            AttemptRow(k + 1, n, d, moved_on, h, low, high)
            for k, (n, d, moved_on, h, low, high) in enumerate(
                zip(
                    at_risk.tolist(),
                    responses.tolist(),
                    (stopped - responses).tolist(),
                    hazard.tolist(),
                    lows.tolist(),
                    highs.tolist(),
                    strict=True,
                )
            )
        )
        self.cumulative_ = _kaplan_meier(responses, at_risk, self.level)
        before = np.concatenate(([1.0], np.cumprod(1 - hazard)[:-1]))
        self.first_response_ = tuple(
            FirstResponse(
                attempt=k + 1,
                responses=int(responses[k]),
                share=float(responses[k] / self.responses_) if self.responses_ else 0.0,
                probability=float(before[k] * hazard[k]),
            )
            for k in range(last)
        )
        self.recommendation_ = self.recommend()
        self.recommended_attempts_ = self.recommendation_.attempts
        if self.prospects_ < self.min_prospects:
            warnings.warn(
                f"only {self.prospects_} prospects in the cadence, fewer than min_prospects "
                f"({self.min_prospects}); the curves are rough and no attempt count is recommended",
                SmallSampleWarning,
                stacklevel=2,
            )
        elif self.recommendation_.attempts == self.recommendation_.horizon < last:
            warnings.warn(
                f"attempts still paid at attempt {self.recommendation_.horizon}, where fewer than "
                f"{self.min_prospects} prospects remain in the cadence; the recommendation may be "
                "too low",
                SmallSampleWarning,
                stacklevel=2,
            )
        return self

    def recommend(self, threshold: float | None = None) -> Recommendation:
        """The recommendation at ``threshold`` (default: the cadence's own), without refitting."""
        at_risk, responses = self._fitted()
        c = self.threshold if threshold is None else threshold
        _check_threshold(c)
        horizon = int(np.count_nonzero(at_risk >= self.min_prospects))
        # Exact arithmetic: the choice between attempt counts must not hinge on rounding.
        cost = as_fraction(c)
        remaining, gain = Fraction(1), Fraction(0)
        gains: list[Fraction] = []
        for k in range(horizon):
            n, d = int(at_risk[k]), int(responses[k])
            gain += remaining * (Fraction(d, n) - cost)
            gains.append(gain)
            remaining *= Fraction(n - d, n)
        best = None if not gains else 1 + gains.index(max(gains))
        reason = self._reason(best, c, horizon, len(at_risk))
        return Recommendation(
            best, c, self.min_prospects, horizon, tuple(map(float, gains)), reason
        )

    def to_dict(self) -> dict[str, Any]:
        """Everything fitted, as plain JSON-ready values."""
        self._fitted()
        rec = self.recommendation_
        return {
            "prospects": self.prospects_,
            "responses": self.responses_,
            "level": self.level,
            "threshold": rec.threshold,
            "min_prospects": rec.min_prospects,
            "horizon": rec.horizon,
            "recommended_attempts": rec.attempts,
            "reason": rec.reason,
            "by_attempt": [asdict(row) for row in self.by_attempt_],
            "cumulative": [asdict(point) for point in self.cumulative_],
            "first_response": [asdict(first) for first in self.first_response_],
            "net_gain": list(rec.net_gain),
        }

    def _fitted(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        try:
            return self._at_risk, self._responses
        except AttributeError:
            raise NoData("the cadence is not fitted yet; call fit(attempts, responded)") from None

    def _reason(self, best: int | None, threshold: float, horizon: int, last: int) -> str:
        per_100 = f"{threshold * 100:g} responses per 100 prospects still in the cadence"
        if best is None:
            return (
                f"no recommendation: fewer than {self.min_prospects} prospects made even one "
                "attempt; collect more data or lower min_prospects"
            )
        plural = "attempt" if best == 1 else "attempts"
        text = (
            f"make {best} {plural}, then move on: counting an attempt as worth making when it "
            f"yields at least {per_100}, stopping after attempt {best} leaves the most responses "
            "net of the attempts spent"
        )
        if best < horizon:
            row = self.by_attempt_[best]
            text += (
                f"; attempt {best + 1} yields {row.rate * 100:.1f} per 100 and no later run "
                "of attempts makes up for it"
            )
        elif horizon < last:
            text += (
                f"; after attempt {horizon} fewer than {self.min_prospects} prospects remain "
                "in the cadence, too few to weigh later attempts"
            )
        return text


def fit_cadence(
    attempts: npt.ArrayLike,
    responded: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    level: float = DEFAULT_LEVEL,
    min_prospects: int = DEFAULT_MIN_PROSPECTS,
) -> Cadence:
    """``Cadence(threshold, level, min_prospects).fit(attempts, responded, weights)`` in one call."""
    return Cadence(threshold, level, min_prospects).fit(attempts, responded, weights)


def _kaplan_meier(
    responses: npt.NDArray[np.int64], at_risk: npt.NDArray[np.int64], level: float
) -> tuple[CumulativePoint, ...]:
    """``F(k) = 1 − S(k)`` with a log(−log) Greenwood interval.

    While no one has responded yet, ``F = 0`` and the log(−log) scale is
    undefined; the upper end is then the Jeffreys upper bound for no
    response among the prospects still in the cadence at ``k``.
    """
    z = float(norm.ppf((1 + level) / 2))
    survival, greenwood = 1.0, 0.0
    points: list[CumulativePoint] = []
    low = 0.0
    for k, (d, n) in enumerate(zip(responses.tolist(), at_risk.tolist(), strict=True)):
        survival *= 1 - d / n
        if d == n:
            points.append(CumulativePoint(k + 1, 1.0, low, 1.0))
            continue
        greenwood += d / (n * (n - d))
        if survival >= 1.0:
            high = jeffreys_interval(0, n, level)[1]
            points.append(CumulativePoint(k + 1, 0.0, 0.0, high))
            continue
        spread = z * math.sqrt(greenwood) / abs(math.log(survival))
        low = 1 - survival ** math.exp(-spread)
        high = 1 - survival ** math.exp(spread)
        points.append(CumulativePoint(k + 1, 1 - survival, low, high))
    return tuple(points)


def _check_threshold(threshold: float) -> None:
    if not (isinstance(threshold, int | float) and 0 < threshold <= 1):
        raise InvalidRate(
            f"cadence threshold {threshold!r} must be a yield between 0 and 1 per attempt, "
            "e.g. 0.02 for 2 responses per 100 prospects still in the cadence"
        )


def _validate(
    attempts: npt.ArrayLike, responded: npt.ArrayLike, weights: npt.ArrayLike | None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    tried = _vector(attempts, "attempts")
    hit = _vector(responded, "responded")
    count = np.ones(len(tried)) if weights is None else _vector(weights, "weights")
    if not len(tried) == len(hit) == len(count):
        raise InvalidCounts(
            f"attempts ({len(tried)}), responded ({len(hit)}) and weights ({len(count)}) "
            "must give one entry per prospect each"
        )
    if len(tried) == 0:
        raise NoData("no prospects: the cadence needs at least one prospect with attempts")
    _whole(tried, "attempts", 1, "each prospect has at least 1 attempt")
    if tried.max() > MAX_ATTEMPTS:
        at = int(np.argmax(tried))
        raise InvalidCounts(
            f"attempts[{at}] is {tried[at]:g}; more than {MAX_ATTEMPTS:,} attempts on one "
            "prospect looks like a data error"
        )
    bad = np.flatnonzero((hit != 0) & (hit != 1))
    if bad.size:
        raise InvalidCounts(
            f"responded[{bad[0]}] is {hit[bad[0]]:g}; use true/false (or 1/0) for whether the "
            "prospect responded"
        )
    _whole(count, "weights", 0, "a weight is a number of prospects")
    if count.sum() == 0:
        raise NoData("all weights are 0: no prospects in the cadence")
    return tried.astype(np.int64), hit.astype(bool), count.astype(np.float64)


def _vector(values: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidCounts(f"{name} must be numbers, one per prospect") from None
    if array.ndim != 1:
        raise InvalidCounts(f"{name} must be a flat list with one entry per prospect")
    return array


def _whole(values: npt.NDArray[np.float64], name: str, least: int, why: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values) | (values < least) | (values != np.floor(values)))
    if bad.size:
        at = int(bad[0])
        raise InvalidCounts(
            f"{name}[{at}] is {values[at]:g}; expected a whole number of at least {least} ({why})"
        )
