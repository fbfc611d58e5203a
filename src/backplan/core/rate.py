"""Conversion rates as estimates: a point value and, when known, an interval.

Rates are kept as exact fractions so that a plan built on "1 in 7" or "7%"
comes out in whole units without floating-point dust (1,200 dials, not 1,201).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from backplan.core.errors import InvalidRate
from backplan.core.posterior import Posterior


@dataclass(frozen=True)
class Rate:
    """How many units of a stage one unit of the stage above yields.

    ``low`` and ``high`` bound the rate at credibility ``level`` when the rate
    is an estimate from data; ``successes`` and ``trials`` are the counts it
    came from, kept so a plan can show its evidence. ``distribution`` is the
    posterior the estimate came from, when there is one; plans draw from it
    to carry the uncertainty down the funnel.

    >>> Rate.parse("1/7").value
    Fraction(1, 7)
    >>> Rate.parse("7%").value
    Fraction(7, 100)
    """

    value: Fraction
    low: float | None = None
    high: float | None = None
    level: float = 0.8
    successes: float | None = None
    trials: float | None = None
    distribution: Posterior | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.value, Fraction):
            object.__setattr__(self, "value", _fraction(self.value))
        if self.value <= 0:
            raise InvalidRate(
                f"a rate of {float(self.value):g} converts nothing; give a rate above 0 "
                "(e.g. 0.07 or 1/14)"
            )
        if (self.low is None) != (self.high is None):
            raise InvalidRate("give both ends of a rate's interval, or neither")
        if (
            self.low is not None
            and self.high is not None
            and not 0 < self.low <= float(self.value) <= self.high
        ):
            raise InvalidRate(
                f"interval {self.low:g}–{self.high:g} must be above 0 and contain "
                f"the rate {float(self.value):g}"
            )
        if not 0 < self.level < 1:
            raise InvalidRate(f"interval level {self.level} must be between 0 and 1, e.g. 0.8")

    @classmethod
    def parse(cls, text: str) -> Rate:
        """Read ``0.07``, ``7%`` or ``1/7``."""
        raw = text.strip().replace(",", ".")
        try:
            if raw.endswith("%"):
                return cls(Fraction(raw[:-1].strip()) / 100)
            return cls(Fraction(raw))
        except (ValueError, ZeroDivisionError):
            raise InvalidRate(
                f"cannot read rate {text!r}; write it as a decimal (0.07), a percentage (7%) "
                "or a ratio (1/7)"
            ) from None

    @property
    def has_interval(self) -> bool:
        return self.low is not None

    def improved(self, relative: float, *, cap: float | None) -> Rate:
        """This rate made ``relative`` better (0.10 = +10%), capped at ``cap``; drops the interval."""
        better = self.value * _fraction(1 + relative)
        if cap is not None:
            better = min(better, _fraction(cap))
        return Rate(better)

    def __float__(self) -> float:
        return float(self.value)


def _fraction(x: float | int | str | Fraction) -> Fraction:
    if isinstance(x, float):
        if not math.isfinite(x):
            raise InvalidRate(f"a rate must be a finite number, not {x}")
        # Floats from data or arithmetic: keep them short so ratios like 0.07 stay exact.
        return Fraction(repr(x))
    return Fraction(x)


def as_fraction(x: float | int | str | Fraction) -> Fraction:
    """A number as an exact fraction, reading floats by their shortest decimal form."""
    return _fraction(x)
