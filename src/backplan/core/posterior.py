"""What we believe about one rate after seeing the data: a Beta or a Gamma distribution.

A conversion counted per cohort (of 40 meetings, 2 became SQLs) is a
probability, so it gets a Beta distribution. A ratio counted per period (SQLs
this month over meetings this month) can exceed 1, so it gets a Gamma
distribution over the rate of a Poisson count. Both are written with two
positive parameters, ``alpha`` and ``beta``:

- ``Posterior("beta", alpha, beta)``: density ∝ p^(alpha−1) (1−p)^(beta−1);
- ``Posterior("gamma", alpha, beta)``: shape ``alpha``, rate ``beta``
  (density ∝ λ^(alpha−1) e^(−beta·λ)).

>>> p = Posterior("beta", 3.0, 7.0)
>>> p.mean
0.3
>>> low, high = p.interval(0.8)
>>> round(low, 3), round(high, 3)
(0.129, 0.49)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Family = Literal["beta", "gamma"]


@dataclass(frozen=True)
class Posterior:
    """A Beta (``family="beta"``) or Gamma (``family="gamma"``) distribution over one rate."""

    family: Family
    alpha: float
    beta: float

    def __post_init__(self) -> None:
        if self.family not in ("beta", "gamma"):
            raise ValueError(f"family must be 'beta' or 'gamma', not {self.family!r}")
        if not (self.alpha > 0 and self.beta > 0):
            raise ValueError(f"parameters must be above 0, not {self.alpha}, {self.beta}")

    @property
    def distribution(self) -> Any:
        """The frozen SciPy distribution."""
        from scipy import stats  # SciPy takes a second to load: only when a rate is sampled

        if self.family == "beta":
            return stats.beta(self.alpha, self.beta)
        return stats.gamma(self.alpha, scale=1 / self.beta)

    @classmethod
    def matching(cls, family: Family, mean: float, variance: float) -> Posterior:
        """The distribution of ``family`` with this mean and variance (moment matching)."""
        if family == "beta":
            total = mean * (1 - mean) / variance - 1
            return cls("beta", mean * total, (1 - mean) * total)
        return cls("gamma", mean**2 / variance, mean / variance)

    @property
    def mean(self) -> float:
        if self.family == "beta":
            return self.alpha / (self.alpha + self.beta)
        return self.alpha / self.beta

    @property
    def variance(self) -> float:
        if self.family == "beta":
            total = self.alpha + self.beta
            return self.alpha * self.beta / (total**2 * (total + 1))
        return self.alpha / self.beta**2

    def interval(self, level: float) -> tuple[float, float]:
        """The equal-tailed credible interval holding ``level`` of the probability."""
        low, high = self.distribution.ppf([(1 - level) / 2, (1 + level) / 2])
        return float(low), float(high)

    def cdf(self, x: float) -> float:
        """P(rate < x)."""
        return float(self.distribution.cdf(x))

    def sample(self, size: int, rng: np.random.Generator) -> NDArray[np.float64]:
        """``size`` draws of the rate."""
        if self.family == "beta":
            return rng.beta(self.alpha, self.beta, size)
        return rng.gamma(self.alpha, 1 / self.beta, size)
