"""Rates with honest uncertainty: each rep's rate shrunk toward their team's.

A rep with 3 meetings and 0 SQLs has not shown a 0% qualification rate; a rep
with 40 meetings and 2 SQLs very likely has a low one. Empirical Bayes says
how much each rep's own counts should count: every rep's true rate is drawn
from a team-wide prior whose centre is the team's pooled rate and whose
spread is fitted to how much the team's reps really differ. Each rep's
estimate is then the posterior mean,

    estimate = (κ·μ + successes) / (κ + trials)

a weighted average of the team's rate μ and the rep's raw rate, where the
prior strength κ acts as κ pseudo-trials at the team's rate. The fewer a rep's
trials, the closer the estimate stays to the team's.

Two models, one per way of counting (see docs/rates.md for the formulas):

- :class:`BetaBinomialShrinkage` for cohort conversions (of the prospects that
  entered a stage, how many reached the next): successes ≤ trials.
- :class:`GammaPoissonShrinkage` for per-period ratios (SQLs this month over
  meetings this month), which may exceed 1.

>>> import warnings
>>> model = BetaBinomialShrinkage(level=0.8).fit(
...     successes=[0, 2, 10, 12, 9], trials=[3, 40, 30, 36, 25])
>>> model.estimate_.round(3).tolist()
[0.174, 0.087, 0.317, 0.319, 0.335]
>>> bool(model.p_below_team_[1] > 0.9)
True
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from scipy.optimize import minimize_scalar
from scipy.special import betaln, gammaln

from backplan.core.errors import InvalidCounts, InvalidLevel, NoData
from backplan.core.hierarchy import HyperPosterior
from backplan.core.posterior import Family, Posterior
from backplan.core.rate import Rate, as_fraction
from backplan.core.warnings import SmallSampleWarning

DEFAULT_LEVEL = 0.8
DEFAULT_MIN_REPS = 3

Basis = Literal["team", "organisation", "default"]
Team = Hashable | None


@dataclass(frozen=True)
class Prior:
    """The distribution reps' true rates are drawn from: centre ``mean``, worth ``strength`` trials.

    ``basis`` says what it was fitted on: the rep's ``team``, the whole
    ``organisation`` (when the team has too few reps with data, or the rep has
    no team), or a weak ``default`` (when even the organisation is too small).
    ``mean_variance`` is the variance of ``mean`` itself. With ``hyper`` (the
    beta-binomial hierarchy) the team's mean and strength are uncertain and every
    posterior is the mixture over their joint posterior; without it (a fixed
    strength, or the gamma-Poisson model) the conjugate posterior is widened by
    the share of it that rests on the team's rate.
    """

    family: Family
    mean: float
    strength: float
    reps: int
    basis: Basis
    mean_variance: float = 0.0
    hyper: HyperPosterior | None = None

    @property
    def alpha(self) -> float:
        return self.mean * self.strength

    @property
    def beta(self) -> float:
        return (1 - self.mean) * self.strength if self.family == "beta" else self.strength

    def posterior(self, successes: float, trials: float) -> Posterior:
        """The rep's posterior after ``successes`` in ``trials``.

        The conjugate update, widened by w²·Var(mean) where w = κ/(κ+trials) is
        the weight of the team's rate in the estimate: the team's rate is itself
        estimated. The widening keeps the mean and both shape parameters ≥ 1.
        With a hyperposterior, the mixture over it, matched by mean and variance.
        """
        if self.hyper is not None:
            means, variances = self.hyper.rep_moments([successes], [trials])
            return Posterior.matching("beta", float(means[0]), float(variances[0]))
        if self.family == "beta":
            exact = Posterior("beta", self.alpha + successes, self.beta + trials - successes)
        else:
            exact = Posterior("gamma", self.alpha + successes, self.beta + trials)
        if self.mean_variance <= 0:
            return exact
        weight = self.strength / (self.strength + trials)
        mean = exact.mean
        if self.family == "beta":
            most = mean * (1 - mean) / (max(1 / mean, 1 / (1 - mean)) + 1)
        else:
            most = mean**2
        variance = min(exact.variance + weight**2 * self.mean_variance, most)
        if variance <= exact.variance:
            return exact
        return Posterior.matching(self.family, mean, variance)


class _EmpiricalBayes:
    """What both models share: validation, the prior fit per team, posteriors and rates."""

    family: ClassVar[Family]

    def __init__(
        self,
        *,
        level: float = DEFAULT_LEVEL,
        min_reps: int = DEFAULT_MIN_REPS,
        strength: float | None = None,
    ) -> None:
        if not 0.5 <= level < 1:
            raise InvalidLevel(
                f"credibility level {level} must be at least 0.5 and below 1, e.g. 0.8 for 80%"
            )
        if min_reps < 2:
            raise ValueError(f"min_reps must be at least 2 to fit a spread, not {min_reps}")
        if strength is not None and not strength > 0:
            raise ValueError(f"a fixed prior strength must be above 0, not {strength}")
        self.level = level
        self.min_reps = min_reps
        self.strength = strength

    # -- fitting -----------------------------------------------------------------------------

    def fit(
        self,
        successes: ArrayLike,
        trials: ArrayLike,
        teams: Sequence[Team] | None = None,
    ) -> Self:
        """Fit each team's prior and every rep's posterior; returns the estimator.

        ``successes[i]`` and ``trials[i]`` are rep *i*'s counts; ``teams[i]`` is
        their team (``None``: no team, shrunk toward the organisation). Without
        ``teams`` the whole organisation is one team.
        """
        y, n = self._validate(successes, trials)
        team_of: list[Team] = list(teams) if teams is not None else [None] * len(y)
        if len(team_of) != len(y):
            raise ValueError(f"got {len(team_of)} teams for {len(y)} reps")

        organisation = self._fit_prior(y, n, "organisation")
        priors: dict[Team, Prior] = {}
        small: list[str] = []
        for team in dict.fromkeys(t for t in team_of if t is not None):
            members = np.array([t == team for t in team_of])
            with_data = int((n[members] > 0).sum())
            if with_data >= self.min_reps:
                priors[team] = self._fit_prior(y[members], n[members], "team")
            else:
                priors[team] = organisation
                small.append(f"{team} ({with_data})")
        if small and organisation.basis != "default":
            warnings.warn(
                f"teams with fewer than {self.min_reps} reps with data ({', '.join(small)}) "
                "are shrunk toward the organisation's rate instead of their own",
                SmallSampleWarning,
                stacklevel=2,
            )

        self.successes_ = y
        self.trials_ = n
        self.teams_ = team_of
        self.priors_ = priors
        self.organisation_prior_ = organisation
        self.rep_priors_ = [organisation if t is None else priors[t] for t in team_of]
        self.posteriors_ = [
            p.posterior(s, t) for p, s, t in zip(self.rep_priors_, y, n, strict=True)
        ]
        self.team_rate_ = np.array([p.mean for p in self.rep_priors_])
        self.strength_ = np.array([p.strength for p in self.rep_priors_])
        self.has_data_ = n > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            self.raw_ = np.where(n > 0, y / np.where(n > 0, n, 1), np.nan)
        self.estimate_ = self._no_data_as_nan(np.array([p.mean for p in self.posteriors_]))
        self.weight_ = self.strength_ / (self.strength_ + n)
        self.low_, self.high_ = self.interval(self.level)
        self.p_below_team_ = self._no_data_as_nan(self._p_below_team())
        return self

    def _no_data_as_nan(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """No trials, no estimate: a rep without data is 'no data', not the team's rate."""
        return np.where(self.has_data_, values, np.nan)

    def _hyper_groups(self) -> list[tuple[HyperPosterior, NDArray[np.bool_]]]:
        """Each hyperposterior in use and which reps are shrunk by it."""
        groups = []
        for prior in {id(p): p for p in self.rep_priors_}.values():
            if prior.hyper is not None:
                groups.append((prior.hyper, np.array([p is prior for p in self.rep_priors_])))
        return groups

    def _p_below_team(self) -> NDArray[np.float64]:
        """P(rep's rate < team's rate): over the hyperposterior where there is one."""
        out = np.asarray(self._distribution().cdf(self.team_rate_), dtype=np.float64)
        for hyper, members in self._hyper_groups():
            out[members] = hyper.p_below_mean(self.successes_[members], self.trials_[members])
        return out

    def interval(self, level: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Every rep's equal-tailed credible interval at ``level`` (NaN for reps without data)."""
        low, high = self._interval(level)
        return self._no_data_as_nan(low), self._no_data_as_nan(high)

    def _interval(self, level: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Every rep's interval, reps without data included (their team's prior's): the
        quantiles of the mixture over the hyperposterior where there is one."""
        distribution = self._distribution()
        low = np.asarray(distribution.ppf((1 - level) / 2), dtype=np.float64)
        high = np.asarray(distribution.ppf((1 + level) / 2), dtype=np.float64)
        tails = [(1 - level) / 2, (1 + level) / 2]
        for hyper, members in self._hyper_groups():
            y, n = self.successes_[members], self.trials_[members]
            low[members], high[members] = hyper.rep_quantiles(y, n, tails)
        return np.maximum(low, np.finfo(float).tiny), high

    def _distribution(self) -> Any:
        """All reps' posteriors as one vectorised SciPy distribution."""
        alpha = np.array([p.alpha for p in self.posteriors_])
        beta = np.array([p.beta for p in self.posteriors_])
        if self.family == "beta":
            return stats.beta(alpha, beta)
        return stats.gamma(alpha, scale=1 / beta)

    def prior_rates(self) -> list[Rate | None]:
        """For a rep without trials, the rate their team's prior says (``None`` for the others):
        no estimate to show, but what a forecast must draw from when it has nothing better."""
        out: list[Rate | None] = []
        lows, highs = self._interval(self.level)
        for t, post, low, high in zip(self.trials_, self.posteriors_, lows, highs, strict=True):
            if t > 0:
                out.append(None)
                continue
            out.append(
                Rate(as_fraction(float(post.mean)), low=float(low), high=float(high),
                     level=self.level, successes=0.0, trials=0.0, distribution=post)
            )  # fmt: skip
        return out

    def rates(self) -> list[Rate | None]:
        """Every rep's estimate as a :class:`Rate` carrying its interval, counts and posterior;
        ``None`` for a rep without trials (no data, no rate)."""
        return [
            None
            if not t > 0
            else Rate(
                as_fraction(float(est)),
                low=float(low),
                high=float(high),
                level=self.level,
                successes=float(s),
                trials=float(t),
                distribution=post,
            )
            for est, low, high, s, t, post in zip(
                self.estimate_,
                self.low_,
                self.high_,
                self.successes_,
                self.trials_,
                self.posteriors_,
                strict=True,
            )
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per rep: counts, raw rate, estimate, interval, team rate and P(below team)."""
        return pd.DataFrame(
            {
                "team": self.teams_,
                "successes": self.successes_,
                "trials": self.trials_,
                "raw": self.raw_,
                "estimate": self.estimate_,
                "low": self.low_,
                "high": self.high_,
                "team_rate": self.team_rate_,
                "p_below_team": self.p_below_team_,
                "prior_strength": self.strength_,
                "prior": [p.basis for p in self.rep_priors_],
            }
        )

    def _fit_prior(self, y: NDArray[np.float64], n: NDArray[np.float64], basis: Basis) -> Prior:
        mean = self._pooled_mean(y, n)
        floor = self._min_strength(mean)
        used = n > 0
        ys, ns = y[used], n[used]
        reps = len(ns)
        if self.strength is not None:
            strength = max(self.strength, floor)
        elif self.family == "beta":
            if reps < self.min_reps and basis == "organisation":
                warnings.warn(
                    f"only {reps} rep(s) with data: too few to learn how much reps differ, "
                    "so each rep's interval carries that uncertainty too",
                    SmallSampleWarning,
                    stacklevel=3,
                )
            hyper = self._hyper_posterior(ys, ns)
            return Prior(
                self.family, mean, hyper.strength, reps,
                "default" if reps < self.min_reps else basis, hyper.mean_variance, hyper,
            )  # fmt: skip
        elif reps < self.min_reps:
            if basis == "organisation":
                warnings.warn(
                    f"only {reps} rep(s) with data: too few to learn how much reps differ, "
                    f"so each rep's rate is shrunk only weakly (a prior worth {floor:.3g} trials)",
                    SmallSampleWarning,
                    stacklevel=3,
                )
            strength, basis = floor, "default"
        else:
            # Never worth more than an average rep's own trials: where reps look alike the
            # likelihood is flat in κ, and a larger κ would claim a precision the data lack.
            ceiling = max(floor, float(ns.mean()))
            strength = floor
            if ceiling > floor * (1 + 1e-9):
                result = minimize_scalar(
                    lambda t: -self._log_likelihood(mean, math.exp(t), ys, ns),
                    bounds=(math.log(floor), math.log(ceiling)),
                    method="bounded",
                    options={"xatol": 1e-4},
                )
                strength = float(math.exp(result.x))
        variance = self._mean_variance(mean, strength, ns) if reps else 0.0
        return Prior(self.family, mean, strength, reps, basis, variance)

    def _pooled_mean(self, y: NDArray[np.float64], n: NDArray[np.float64]) -> float:
        total_y, total_n = float(y.sum()), float(n.sum())
        if total_n <= 0:
            raise NoData(
                "no trials at all to estimate a rate from; widen the window or import data"
            )
        mean = total_y / total_n
        if total_y == 0 or (self.family == "beta" and total_y >= total_n):
            # A team that never (or always) converted: half a pseudo-success keeps the
            # prior proper without pretending to know more.
            mean = (total_y + 0.5) / (total_n + 1)
        return mean

    # -- what each model supplies --------------------------------------------------------------

    def _validate(
        self, successes: ArrayLike, trials: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        y = np.asarray(successes, dtype=float).reshape(-1)
        n = np.asarray(trials, dtype=float).reshape(-1)
        if y.shape != n.shape:
            raise ValueError(f"got {len(y)} success counts for {len(n)} trial counts")
        if len(y) == 0:
            raise NoData("no reps to estimate rates for; widen the window or import data")
        bad = ~np.isfinite(y) | ~np.isfinite(n) | (y < 0) | (n < 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidCounts(
                f"rep {i} has counts {y[i]:g} of {n[i]:g}; counts must be finite and not negative"
            )
        return y, n

    def _min_strength(self, mean: float) -> float:
        raise NotImplementedError

    def _hyper_posterior(self, y: NDArray[np.float64], n: NDArray[np.float64]) -> HyperPosterior:
        """The joint posterior of the team's mean rate and prior strength (beta-binomial)."""
        return HyperPosterior.fit(y, n)

    def _mean_variance(self, mean: float, strength: float, n: NDArray[np.float64]) -> float:
        """Sampling variance of the pooled rate Σy/Σn under the fitted prior."""
        raise NotImplementedError

    def _log_likelihood(
        self, mean: float, strength: float, y: NDArray[np.float64], n: NDArray[np.float64]
    ) -> float:
        raise NotImplementedError


class BetaBinomialShrinkage(_EmpiricalBayes):
    """Empirical-Bayes conversion rates for cohort counts (successes ≤ trials).

    Model: rep *i*'s rate pᵢ ~ Beta(μκ, (1−μ)κ) and successesᵢ ~ Binomial(trialsᵢ,
    pᵢ), with the team's mean μ ~ Uniform(0, 1) and 1/√(κ+1) ~ Uniform(0, 1)
    (:mod:`backplan.core.hierarchy`). Each rep's posterior is the mixture of
    Beta(μκ + yᵢ, (1−μ)κ + nᵢ − yᵢ) over the joint posterior of (μ, κ): the interval
    is the mixture's own quantiles, ``posteriors_`` the Beta with its mean and variance
    (what plans and forecasts draw from); P(below team) is P(pᵢ < μ) over the same
    mixture. ``team_rate_`` is the team's pooled rate Σy/Σn, as users count it
    (the posterior mean of μ is ``priors_[team].hyper.mean``); ``strength_`` a
    typical κ (its posterior geometric mean). With ``strength=`` κ is fixed instead.

    Options: ``level`` of the credible intervals (default 0.8), ``min_reps``
    with data a team needs for its own prior (else the organisation's, with a
    :class:`SmallSampleWarning`), ``strength`` to fix κ instead of fitting it.

    Fitted attributes (one entry per rep): ``raw_``, ``estimate_``, ``low_``,
    ``high_``, ``team_rate_``, ``p_below_team_``, ``strength_``, ``weight_``
    (the share of the estimate that is the team's rate), ``posteriors_``;
    and ``priors_`` per team.

    >>> m = BetaBinomialShrinkage().fit([0, 2, 8, 9], [3, 40, 24, 27], teams=["a"] * 4)
    >>> round(float(m.team_rate_[0]), 4), round(float(m.estimate_[0]), 3)
    (0.2021, 0.147)
    """

    family = "beta"

    def _validate(
        self, successes: ArrayLike, trials: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        y, n = super()._validate(successes, trials)
        over = y > n
        if over.any():
            i = int(np.argmax(over))
            raise InvalidCounts(
                f"rep {i} has {y[i]:g} successes in {n[i]:g} trials; a cohort conversion cannot "
                "exceed its trials (count per period with GammaPoissonShrinkage instead)"
            )
        return y, n

    def _min_strength(self, mean: float) -> float:
        return max(1 / mean, 1 / (1 - mean))

    def _mean_variance(self, mean: float, strength: float, n: NDArray[np.float64]) -> float:
        per_rep = n * mean * (1 - mean) * (1 + (n - 1) / (strength + 1))
        return float(per_rep.sum() / n.sum() ** 2)

    def _log_likelihood(
        self, mean: float, strength: float, y: NDArray[np.float64], n: NDArray[np.float64]
    ) -> float:
        a, b = mean * strength, (1 - mean) * strength
        return float(np.sum(betaln(y + a, n - y + b)) - len(y) * betaln(a, b))


class GammaPoissonShrinkage(_EmpiricalBayes):
    """Empirical-Bayes ratios for per-period counts, which may exceed 1.

    Model: rep *i*'s ratio λᵢ ~ Gamma(shape μκ, rate κ) with μ the team's pooled
    ratio, and successesᵢ ~ Poisson(λᵢ · trialsᵢ) — the trials are the exposure.
    κ maximises the negative-binomial marginal likelihood within [1/μ, mean
    trials per rep] (shape ≥ 1: the prior has no pole at zero). The posterior
    is Gamma(μκ + yᵢ, κ + nᵢ), whose mean is again (κμ + yᵢ)/(κ + nᵢ), widened
    for the uncertainty in μ.

    Options and fitted attributes are those of :class:`BetaBinomialShrinkage`.

    >>> m = GammaPoissonShrinkage().fit([5, 3, 12, 30], [4, 10, 11, 25])
    >>> m.estimate_.round(2).tolist()
    [1.07, 0.66, 1.05, 1.14]
    """

    family = "gamma"

    def _min_strength(self, mean: float) -> float:
        return 1 / mean

    def _mean_variance(self, mean: float, strength: float, n: NDArray[np.float64]) -> float:
        per_rep = n * mean + n**2 * mean / strength
        return float(per_rep.sum() / n.sum() ** 2)

    def _log_likelihood(
        self, mean: float, strength: float, y: NDArray[np.float64], n: NDArray[np.float64]
    ) -> float:
        a = mean * strength
        terms = gammaln(y + a) - gammaln(a) + a * np.log(strength) - (y + a) * np.log(strength + n)
        return float(np.sum(terms))
