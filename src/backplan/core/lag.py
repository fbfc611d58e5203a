"""How long a conversion takes: Kaplan–Meier on the time from entering a stage to the next.

A meeting booked today does not become an SQL today. Of the prospects that
entered a stage, some reached the next one after a while, some never will,
and some are still open: their time is *censored* at the day we look. The
Kaplan–Meier estimator uses all three without look-ahead:

    S(t) = Π_{tⱼ ≤ t} (1 − dⱼ / nⱼ)

where dⱼ prospects converted at time tⱼ out of the nⱼ still open (at risk)
just before it. ``1 − S(t)`` is the share converted within ``t`` days;
``1 − S(∞)`` (the plateau) is the share that ever converts in the data's
follow-up.

:class:`LagModel` turns the curve into what a forecast needs: the share of
*eventual* converters that have converted by ``t`` days, G(t) = (1 − S(t)) /
(1 − S(∞)), and from it the chance that a unit still open at age ``a``
converts in the next ``h`` days when its eventual rate is ``p``:

    P(converts in (a, a + h] | open at a) = p·(G(a + h) − G(a)) / (1 − p·G(a))

(a stale unit, older than almost every conversion, is worth almost nothing).
See docs/forecast.md.

>>> km = KaplanMeier().fit([1, 2, 2, 5, 9], [True, True, False, True, False])
>>> [round(float(s), 3) for s in km.survival_at([0, 1, 2, 5, 10])]
[1.0, 0.8, 0.6, 0.3, 0.3]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from backplan.core.warnings import SmallSampleWarning

MIN_CONVERSIONS = 20
"""Fewer converted units than this make a lag curve a guess: a SmallSampleWarning says so."""


class KaplanMeier:
    """The Kaplan–Meier estimator of a survival curve S(t) from durations, some censored.

    ``fit(durations, observed)``: ``observed[i]`` is True when unit ``i``'s
    event (the conversion) happened at ``durations[i]``, False when the unit
    was still open (censored) then. Fitted attributes: ``timeline`` (the
    distinct event times) and ``survival`` (S just after each), ``n`` and
    ``events``.

    >>> KaplanMeier().fit([3, 3, 4], [True, False, True]).survival.tolist()
    [0.6666666666666667, 0.0]
    """

    timeline: NDArray[np.float64]
    survival: NDArray[np.float64]
    n: int
    events: int

    def fit(self, durations: ArrayLike, observed: ArrayLike) -> KaplanMeier:
        t = np.asarray(durations, dtype=float)
        seen = np.asarray(observed, dtype=bool)
        if t.shape != seen.shape:
            raise ValueError("durations and observed must have the same length")
        if (t < 0).any():
            raise ValueError("durations cannot be negative")
        self.n, self.events = len(t), int(seen.sum())
        times = np.unique(t[seen])
        # At risk at tⱼ: every unit whose duration is ≥ tⱼ (censored at tⱼ count as at risk).
        at_risk = len(t) - np.searchsorted(np.sort(t), times, side="left")
        deaths = np.array([np.sum(seen & (t == x)) for x in times], dtype=float)
        self.timeline = times.astype(float)
        self.survival = np.asarray(np.cumprod(1 - deaths / np.maximum(at_risk, 1)), dtype=float)
        return self

    def survival_at(self, t: ArrayLike) -> NDArray[np.float64]:
        """S(t), a right-continuous step function (1 before the first event)."""
        x = np.asarray(t, dtype=float)
        i = np.searchsorted(self.timeline, x, side="right")
        curve = np.concatenate([[1.0], self.survival])
        return np.asarray(curve[i], dtype=float)


class LagModel:
    """The time a conversion takes, from the organisation's own history.

    ``fit(durations, observed)`` as :class:`KaplanMeier` (days from entering
    the stage to entering the next, or to the day looked at for units still
    open). Fitted attributes: ``curve`` (the Kaplan–Meier fit) and
    ``eventual`` (the share that converts at all within the follow-up).
    :meth:`reached_by` gives G(t), :meth:`still_converts` the chance an open
    unit of a given age converts within a horizon.

    >>> lag = LagModel().fit([2, 4, 6, 30, 30], [True, True, True, False, False])
    >>> round(float(lag.reached_by(4)), 3), round(float(lag.still_converts(0.5, age=5, horizon=10)), 3)
    (0.667, 0.25)
    """

    curve: KaplanMeier
    eventual: float

    def fit(self, durations: ArrayLike, observed: ArrayLike) -> LagModel:
        self.curve = KaplanMeier().fit(durations, observed)
        if self.curve.events < MIN_CONVERSIONS:
            warnings.warn(
                f"the lag curve rests on {self.curve.events} conversions (fewer than "
                f"{MIN_CONVERSIONS}): read the pipeline's weights as rough",
                SmallSampleWarning,
                stacklevel=2,
            )
        plateau = float(self.curve.survival[-1]) if len(self.curve.survival) else 1.0
        self.eventual = 1.0 - plateau
        return self

    @classmethod
    def instant(cls) -> LagModel:
        """A conversion that happens the moment it happens at all (G = 1 from day 0)."""
        model = cls()
        model.curve = KaplanMeier().fit([0.0], [True])
        model.eventual = 1.0
        return model

    def reached_by(self, t: ArrayLike) -> NDArray[np.float64]:
        """G(t): the share of eventual converters converted within ``t`` days."""
        if self.eventual <= 0:
            return np.ones_like(np.asarray(t, dtype=float))
        converted = 1.0 - self.curve.survival_at(t)
        return np.asarray(np.clip(converted / self.eventual, 0.0, 1.0), dtype=float)

    def still_converts(
        self, p: ArrayLike, *, age: ArrayLike, horizon: float
    ) -> NDArray[np.float64]:
        """P(an open unit of ``age`` days converts within ``horizon`` more days | eventual rate p).

        ``p`` and ``age`` broadcast: draws of the rate as a column against the
        units' ages as a row give one probability per draw and unit.
        """
        rate = np.asarray(p, dtype=float)
        a = np.asarray(age, dtype=float)
        before, after = self.reached_by(a), self.reached_by(a + horizon)
        rate = np.minimum(rate, 1.0)
        open_share = np.maximum(1.0 - rate * before, 1e-12)
        return np.asarray(np.clip(rate * (after - before) / open_share, 0.0, 1.0), dtype=float)

    def mean_reached_within(self, horizon: float, steps: int = 200) -> float:
        """The mean of G(t) over t uniform in [0, horizon]: the share of units started at an
        even pace over the next ``horizon`` days that convert before it ends (if they do)."""
        if horizon <= 0:
            return 0.0
        t = (np.arange(steps) + 0.5) / steps * horizon
        return float(self.reached_by(t).mean())


def chain(lags: Sequence[LagModel], *, days: int = 366) -> LagModel:
    """The lag of several conversions one after the other (their lags added, independent).

    The converters' lag distributions are convolved on a grid of whole days;
    the result is a :class:`LagModel` whose ``eventual`` is 1 (the chain's
    rates are applied separately).

    >>> round(float(chain([LagModel.instant(), LagModel.instant()]).reached_by(0)), 3)
    1.0
    """
    pmf = np.array([1.0])
    grid = np.arange(days + 1, dtype=float)
    for lag in lags:
        g = lag.reached_by(grid)
        step = np.diff(np.concatenate([[0.0], g]))
        pmf = np.convolve(pmf, step)[: days + 1]
    cdf = np.cumsum(pmf)
    cdf = cdf / cdf[-1] if cdf[-1] > 0 else np.ones_like(cdf)
    # A curve that reaches cdf at each whole day: durations on the grid, weighted.
    model = LagModel()
    km = KaplanMeier()
    km.timeline = grid[: len(cdf)]
    km.survival = 1.0 - cdf
    km.n, km.events = 0, 0
    model.curve, model.eventual = km, 1.0
    return model
