"""What works across focuses: the coaching effects of several focuses pooled into one.

Each reviewed focus has an effect (``core.coaching``: the difference in differences, in
rate units) with an 80% interval. To say whether a playbook item tends to work, the
focuses that used it are pooled by inverse variance, with a DerSimonian–Laird random
effect so that focuses which disagree widen the interval rather than cancel out:

    sᵢ   = (highᵢ − lowᵢ) / (2 · z)              z = Φ⁻¹(0.9): each interval read as normal
    wᵢ   = 1 / sᵢ²
    Q    = Σ wᵢ (eᵢ − ē)²,  ē = Σ wᵢ eᵢ / Σ wᵢ
    τ²   = max(0, (Q − (k − 1)) / (Σ wᵢ − Σ wᵢ² / Σ wᵢ))   the spread of true effects
    wᵢ*  = 1 / (sᵢ² + τ²)
    pooled = Σ wᵢ* eᵢ / Σ wᵢ*,  se = √(1 / Σ wᵢ*)

Honest about what it is: each focus's effect is a posterior already shrunk toward zero by
its prior, so the pooled effect is conservative (it leans to zero); focuses of one team
share their control reps, which this treats as independent (the interval is somewhat too
narrow for many focuses in one small team). See docs/coaching.md.

>>> pooled = pool_effects([(0.10, 0.05, 0.15), (0.06, 0.00, 0.12)])
>>> round(pooled.estimate, 3), pooled.low > 0, pooled.focuses
(0.084, True, 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scipy.special import ndtr, ndtri

from backplan.core.errors import InvalidLevel
from backplan.core.shrinkage import DEFAULT_LEVEL

MIN_SPREAD = 1e-6
"""The narrowest an effect's standard deviation is taken to be (an interval of width 0
would take every weight)."""


@dataclass(frozen=True)
class PooledEffect:
    """The pooled effect (rate units) with its interval, P(above zero), the focuses pooled
    and τ, the standard deviation of the true effects between focuses."""

    estimate: float
    low: float
    high: float
    p_improved: float
    focuses: int
    tau: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": round(self.estimate, 6),
            "low": round(self.low, 6),
            "high": round(self.high, 6),
            "p_improved": round(self.p_improved, 6),
            "focuses": self.focuses,
            "tau": round(self.tau, 6),
        }


def pool_effects(
    effects: Sequence[tuple[float, float, float]],
    *,
    level: float = DEFAULT_LEVEL,
    interval_level: float = DEFAULT_LEVEL,
) -> PooledEffect | None:
    """Pool ``(estimate, low, high)`` effects whose intervals are at ``interval_level``;
    the pooled interval is at ``level``. None when there is nothing to pool."""
    for value in (level, interval_level):
        if not 0.5 <= value < 1:
            raise InvalidLevel(f"credibility level {value} must be at least 0.5 and below 1")
    if not effects:
        return None
    z_in = float(ndtri(0.5 + interval_level / 2))
    estimates = [e for e, _, _ in effects]
    variances = [max((high - low) / (2 * z_in), MIN_SPREAD) ** 2 for _, low, high in effects]
    weights = [1 / v for v in variances]
    total = sum(weights)
    fixed = sum(w * e for w, e in zip(weights, estimates, strict=True)) / total
    q = sum(w * (e - fixed) ** 2 for w, e in zip(weights, estimates, strict=True))
    scale = total - sum(w * w for w in weights) / total
    tau2 = max(0.0, (q - (len(effects) - 1)) / scale) if scale > 0 else 0.0
    random = [1 / (v + tau2) for v in variances]
    estimate = sum(w * e for w, e in zip(random, estimates, strict=True)) / sum(random)
    se = math.sqrt(1 / sum(random))
    z = float(ndtri(0.5 + level / 2))
    return PooledEffect(
        estimate=estimate,
        low=estimate - z * se,
        high=estimate + z * se,
        p_improved=float(ndtr(estimate / se)),
        focuses=len(effects),
        tau=math.sqrt(tau2),
    )


__all__ = ["PooledEffect", "pool_effects"]
