"""Working backwards: from an objective, through a rep's own rates, to daily numbers.

``plan_backwards`` divides the objective by each conversion rate in turn,
from the objective's stage up to the top of the funnel, rounding up to whole
units at every stage (nobody books 11.3 meetings). ``run_forward`` is its
inverse, and ``marginal_gains`` asks, for each conversion, how much activity
a small improvement in that conversion would save for the same objective.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist
from typing import TYPE_CHECKING

from backplan.core.errors import InvalidRate, MissingRate
from backplan.core.funnel import Conversion, Funnel, Stage
from backplan.core.objective import Objective
from backplan.core.period import Calendar
from backplan.core.rate import Rate

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Rates = Mapping[str, Rate]
"""Rates keyed by conversion, written ``to/from`` (``"conversations/dials"``)."""

DEFAULT_LEVEL = 0.8
DEFAULT_IMPROVEMENT = 0.10
DRAWS = 20_000
"""Monte Carlo draws behind a plan's range when its rates carry posteriors."""


@dataclass(frozen=True)
class Step:
    """One step of the reasoning: ``needed`` units at ``conversion.target`` need
    ``result`` units at ``conversion.source`` at this ``rate``."""

    conversion: Conversion
    rate: Rate
    needed: int
    exact: Fraction
    result: int

    @property
    def text(self) -> str:
        src, dst = self.conversion.source, self.conversion.target
        per_unit = 1 / self.rate.value
        if per_unit.denominator == 1:
            how = f"× {_count(per_unit)} {src.plural} per {dst.unit}"
        else:
            how = f"÷ {_decimal(self.rate.value)} {dst.plural} per {src.unit}"
        shown = _decimal(self.exact, 2)
        # Say so when rounding up changed the figure; float dust (54.9999…) is not news.
        rounded = "" if shown == _count(self.result) else f" ({shown} rounded up)"
        needed, result = _count(self.needed), _count(self.result)
        return f"{needed} {dst.plural} {how} = {result} {src.plural}{rounded}"


@dataclass(frozen=True)
class StageTarget:
    """What a stage needs: whole units per period, and the weekly and daily pace."""

    stage: Stage
    per_period: int
    per_week: float
    per_working_day: float
    low: int | None = None
    high: int | None = None

    @property
    def key(self) -> str:
        return self.stage.key


@dataclass(frozen=True)
class Plan:
    """An objective worked backwards: every stage's target and the steps that gave it."""

    objective: Objective
    funnel: Funnel
    stages: tuple[StageTarget, ...]
    steps: tuple[Step, ...]
    working_days: int
    days_per_week: int
    level: float = DEFAULT_LEVEL

    def stage(self, key: str) -> StageTarget:
        self.funnel.index(key)
        for target in self.stages:
            if target.key == key:
                return target
        raise KeyError(f"stage {key!r} lies below the objective's stage {self.objective.stage!r}")

    @property
    def top(self) -> StageTarget:
        return self.stages[0]

    @property
    def focus(self) -> StageTarget | None:
        """The controllable daily number, when it lies within the plan's stages."""
        return next((t for t in self.stages if t.stage.focus), None)

    @property
    def weeks(self) -> float:
        return self.working_days / self.days_per_week

    @property
    def has_intervals(self) -> bool:
        return any(t.low is not None for t in self.stages)

    @property
    def reasoning(self) -> list[str]:
        """The chain in words, from the objective up to the top of the funnel."""
        lines = []
        o = self.objective
        if o.revenue is not None and o.deal_value is not None:
            lines.append(
                f"{o.revenue:,.0f} revenue ÷ {o.deal_value:,.0f} average deal value "
                f"= {o.target:,} {self.funnel.stage(o.stage).plural}"
            )
        lines.extend(step.text for step in self.steps)
        top = self.top
        lines.append(
            f"{_count(top.per_period)} {top.stage.plural} over {self.working_days} working days "
            f"= {top.per_working_day:g} a working day, {top.per_week:g} a week"
        )
        if (focus := self.focus) is not None and focus is not top:
            lines.append(
                f"your daily number: {focus.per_working_day:g} {focus.stage.plural} a working day "
                f"({_count(focus.per_period)} over the period)"
            )
        return lines


def plan_backwards(
    objective: Objective,
    funnel: Funnel,
    rates: Rates,
    calendar: Calendar,
    *,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> Plan:
    """Work ``objective`` backwards through ``funnel`` at ``rates``.

    Rates with intervals give every stage a range at ``level``; when a rate
    carries its posterior, the range is simulated (with ``seed``, so the same
    plan always shows the same range).

    >>> from backplan.defaults import funnel
    >>> from backplan.core.period import FixedWorkingDays, Period
    >>> f = funnel("outbound")
    >>> rates = {k: Rate.parse(v) for k, v in {"conversations/dials": "0.07",
    ...          "meetings/conversations": "1/7", "sqls/meetings": "1/3"}.items()}
    >>> p = plan_backwards(Objective("sqls", 4, Period.month(2026, 10)), f, rates,
    ...                    FixedWorkingDays(20))
    >>> [(t.key, t.per_period, t.per_working_day) for t in p.stages]
    [('dials', 1200, 60.0), ('conversations', 84, 4.2), ('meetings', 12, 0.6), ('sqls', 4, 0.2)]
    """
    conversions = funnel.conversions(down_to=objective.stage)
    needed = {objective.stage: objective.target}
    steps = []
    for conversion in reversed(conversions):
        rate = rate_for(conversion, rates)
        below = needed[conversion.target.key]
        exact = Fraction(below) / rate.value
        steps.append(Step(conversion, rate, below, exact, whole_units(exact)))
        needed[conversion.source.key] = steps[-1].result

    bounds = _intervals(objective, conversions, rates, level, seed)
    working_days = calendar.working_days_in(objective.period)
    weeks = working_days / calendar.days_per_week
    stages = tuple(
        _target(stage, needed[stage.key], working_days, weeks, bounds.get(stage.key))
        for stage in funnel.stages[: funnel.index(objective.stage) + 1]
    )
    return Plan(
        objective, funnel, stages, tuple(steps), working_days, calendar.days_per_week, level
    )


def _target(
    stage: Stage, units: int, working_days: int, weeks: float, bounds: tuple[int, int] | None
) -> StageTarget:
    low, high = (None, None) if bounds is None else (min(bounds[0], units), max(bounds[1], units))
    return StageTarget(
        stage=stage,
        per_period=units,
        per_week=round(units / weeks, 1),
        per_working_day=round(units / working_days, 1),
        low=low,
        high=high,
    )


def run_forward(
    volume: float, funnel: Funnel, rates: Rates, *, start: str | None = None
) -> dict[str, float]:
    """Expected units at each stage from ``volume`` at ``start`` (default: the top).

    Stops at the first conversion without a rate.

    >>> from backplan.defaults import funnel
    >>> run_forward(1200, funnel("outbound"), {"conversations/dials": Rate.parse("7%")})
    {'dials': 1200.0, 'conversations': 84.0}
    """
    first = funnel.index(start) if start is not None else 0
    counts = {funnel.stages[first].key: Fraction(volume)}
    for conversion in funnel.conversions()[first:]:
        if conversion.key not in rates:
            break
        rate = rate_for(conversion, rates)
        counts[conversion.target.key] = counts[conversion.source.key] * rate.value
    return {key: float(value) for key, value in counts.items()}


@dataclass(frozen=True)
class Gain:
    """What improving one conversion by ``improvement`` (relative) saves for the same objective."""

    conversion: Conversion
    rate: Rate
    improved: Rate
    saved: dict[str, int]
    minutes_saved: float
    saved_per_working_day: dict[str, float]

    @property
    def hours_saved(self) -> float:
        return self.minutes_saved / 60


def marginal_gains(
    objective: Objective,
    funnel: Funnel,
    rates: Rates,
    calendar: Calendar,
    *,
    improvement: float = DEFAULT_IMPROVEMENT,
) -> list[Gain]:
    """For each conversion on the way to the objective, the activity a relative
    ``improvement`` in it saves, most leverage first.

    A better conversion saves work at every stage above it, so leverage is
    measured in effort: units saved weighted by each stage's ``minutes``, then
    units saved at the top of the funnel.
    """
    if improvement <= 0:
        raise InvalidRate(f"an improvement must be above 0, e.g. 0.10 for +10%, not {improvement}")
    base = plan_backwards(objective, funnel, rates, calendar)
    gains = []
    for conversion in funnel.conversions(down_to=objective.stage):
        rate = rate_for(conversion, rates)
        improved = rate.improved(improvement, cap=1.0 if conversion.target.bounded else None)
        better = plan_backwards(objective, funnel, {**rates, conversion.key: improved}, calendar)
        saved = {t.key: t.per_period - better.stage(t.key).per_period for t in base.stages}
        minutes = sum(units * funnel.stage(key).minutes for key, units in saved.items())
        per_day = {key: round(units / base.working_days, 1) for key, units in saved.items()}
        gains.append(Gain(conversion, rate, improved, saved, minutes, per_day))
    top = base.top.key
    return sorted(gains, key=lambda g: (g.minutes_saved, g.saved[top]), reverse=True)


def rate_for(conversion: Conversion, rates: Rates) -> Rate:
    """The rate for ``conversion``, checked against the stage it converts into."""
    rate = rates.get(conversion.key)
    if rate is None:
        raise MissingRate(
            f"no rate for {conversion.key} ({conversion.label}); add e.g. "
            f"--rate {conversion.key}=0.25"
        )
    if conversion.target.bounded and rate.value > 1:
        raise InvalidRate(
            f"rate {conversion.key}={float(rate.value):g} is above 1, but each "
            f"{conversion.target.unit} comes from one {conversion.source.unit}; "
            f"give a rate between 0 and 1 (e.g. {float(1 / rate.value):.2g})"
        )
    return rate


def whole_units(exact: Fraction) -> int:
    """Round up to whole units, ignoring float dust from rates read off data.

    A rate of 1/3 stored as 0.3333333333333333 turns 4 SQLs into
    12.000000000000000012 meetings; a relative tolerance far below one unit
    keeps that at 12.
    """
    return math.ceil(exact * (1 - Fraction(1, 10**12)))


def _intervals(
    objective: Objective, conversions: list[Conversion], rates: Rates, level: float, seed: int
) -> dict[str, tuple[int, int]]:
    """Bounds on each stage's volume from the rates' uncertainty.

    Rates that carry a posterior are simulated; otherwise each rate's log is
    taken as normal with the spread its interval implies, and the logs add up
    the chain, so their variances do. See docs/planning.md and docs/rates.md.
    """
    chain = [rates[c.key] for c in conversions]
    if not any(rate.has_interval for rate in chain):
        return {}
    if any(rate.distribution is not None for rate in chain):
        return _simulated_intervals(objective, conversions, rates, level, seed)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    centre, variance = math.log(objective.target), 0.0
    bounds = {objective.stage: (objective.target, objective.target)}
    for conversion in reversed(conversions):
        rate = rates[conversion.key]
        if rate.low is not None and rate.high is not None:
            z_rate = NormalDist().inv_cdf(0.5 + rate.level / 2)
            centre -= (math.log(rate.low) + math.log(rate.high)) / 2
            variance += ((math.log(rate.high) - math.log(rate.low)) / (2 * z_rate)) ** 2
        else:
            centre -= math.log(rate.value)
        spread = z * math.sqrt(variance)
        bounds[conversion.source.key] = (
            whole_units(Fraction(math.exp(centre - spread))),
            whole_units(Fraction(math.exp(centre + spread))),
        )
    return bounds


def _simulated_intervals(
    objective: Objective, conversions: list[Conversion], rates: Rates, level: float, seed: int
) -> dict[str, tuple[int, int]]:
    """Monte Carlo: draw every rate from its posterior, work each draw backwards, take quantiles.

    A rate with an interval but no posterior is drawn log-normally to match
    its interval; a bare rate is taken as exact. Draws of a bounded
    conversion stop at 1.
    """
    import numpy as np  # only plans on rates with a posterior simulate

    rng = np.random.default_rng(seed)
    needed = np.full(DRAWS, float(objective.target))
    quantiles = [(1 - level) / 2, (1 + level) / 2]
    bounds = {objective.stage: (objective.target, objective.target)}
    for conversion in reversed(conversions):
        draws = _draws(rates[conversion.key], rng)
        if conversion.target.bounded:
            draws = np.minimum(draws, 1.0)
        needed = needed / np.maximum(draws, 1e-12)
        low, high = np.quantile(needed, quantiles)
        bounds[conversion.source.key] = (
            whole_units(Fraction(float(low))),
            whole_units(Fraction(float(high))),
        )
    return bounds


def _draws(rate: Rate, rng: np.random.Generator) -> NDArray[np.float64]:
    import numpy as np

    if rate.distribution is not None:
        return rate.distribution.sample(DRAWS, rng)
    if rate.low is not None and rate.high is not None:
        z_rate = NormalDist().inv_cdf(0.5 + rate.level / 2)
        centre = (math.log(rate.low) + math.log(rate.high)) / 2
        sigma = (math.log(rate.high) - math.log(rate.low)) / (2 * z_rate)
        return np.exp(rng.normal(centre, sigma, DRAWS))
    return np.full(DRAWS, float(rate.value))


def _count(x: int | Fraction) -> str:
    return f"{int(x):,}"


def _decimal(x: Fraction, places: int = 4) -> str:
    return f"{float(x):,.{places}f}".rstrip("0").rstrip(".")
