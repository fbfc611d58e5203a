"""Simulated coaching with known true effects, to measure P(improved) against truth.

Each simulated team has reps whose true rates are drawn from a team Beta; over
the before window every rep converts at their rate; the manager coaches the rep
whose before ratio was lowest (the way coaching is picked, and the way
regression to the mean gets in); over the after window every rep's rate moves
by the team's drift, and the coached rep's by a true effect on top. The effect
is drawn from a mixture that is not the model's prior: a third exactly zero,
the rest normal around a small gain, some negative. ``calibration`` bins the
reviews' P(improved) and compares each bin's mean P with the share whose true
effect is above zero; ``false_improvements`` is the share of ``improved``
verdicts whose true effect is not. The suite runs a small seeded run;
``bench/calibration_coaching.py`` the full table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from backplan.core.coaching import CoachingEffect, Counts

BINS: tuple[tuple[float, float], ...] = (
    (0.0, 0.1),
    (0.1, 0.3),
    (0.3, 0.5),
    (0.5, 0.7),
    (0.7, 0.9),
    (0.9, 1.0001),
)
"""P(improved) bins: [low, high)."""


@dataclass(frozen=True)
class World:
    """How simulated teams and coaching effects are drawn."""

    reps: tuple[int, int] = (5, 12)
    means: tuple[float, float] = (0.1, 0.4)
    strengths: tuple[float, float] = (10.0, 100.0)
    trials: tuple[int, int] = (15, 150)
    drift: tuple[float, float] = (0.02, 0.04)
    """Mean and sd of the team's drift between the windows (a rising season)."""
    no_effect: float = 1 / 3
    effect: tuple[float, float] = (0.03, 0.08)
    """Mean and sd of a non-zero true effect."""


@dataclass(frozen=True)
class Outcome:
    """One simulated focus: the model's P(improved), its verdict and the true effect."""

    p_improved: float
    verdict: str
    true_effect: float


def simulate(
    world: World, focuses: int, seed: int, model: CoachingEffect | None = None
) -> list[Outcome]:
    """``focuses`` simulated teams, one coached rep each, reviewed by ``model``."""
    rng = np.random.default_rng(seed)
    model = model or CoachingEffect()
    return [_one(world, rng, model) for _ in range(focuses)]


def _one(world: World, rng: np.random.Generator, model: CoachingEffect) -> Outcome:
    reps = int(rng.integers(world.reps[0], world.reps[1] + 1))
    mean = rng.uniform(*world.means)
    strength = math.exp(rng.uniform(*np.log(world.strengths)))
    before = rng.beta(mean * strength, (1 - mean) * strength, reps)
    low, high = np.log(world.trials[0]), np.log(world.trials[1] + 1)
    n_before = np.floor(np.exp(rng.uniform(low, high, reps))).astype(int)
    n_after = np.floor(np.exp(rng.uniform(low, high, reps))).astype(int)
    y_before = rng.binomial(n_before, before)
    coached = int(np.argmin(y_before / n_before))
    drift = rng.normal(*world.drift)
    effect = 0.0 if rng.random() < world.no_effect else rng.normal(*world.effect)
    after = np.clip(before + drift, 0.005, 0.995)
    after[coached] = np.clip(before[coached] + drift + effect, 0.005, 0.995)
    y_after = rng.binomial(n_after, after)
    others = np.arange(reps) != coached
    # The truth the model is asked about: the coached rep's change beyond the control's
    # (the control's pooled rate, as its reps' trials weigh it).
    control_change = float(
        (after[others] - before[others]) @ n_after[others] / n_after[others].sum()
    )
    true_effect = float(after[coached] - before[coached]) - control_change
    review = model.fit(
        Counts(int(y_before[coached]), int(n_before[coached])),
        Counts(int(y_after[coached]), int(n_after[coached])),
        [Counts(int(y), int(n)) for y, n in zip(y_before[others], n_before[others], strict=True)],
        [Counts(int(y), int(n)) for y, n in zip(y_after[others], n_after[others], strict=True)],
    )
    return Outcome(review.p_improved_, review.verdict_, true_effect)


@dataclass(frozen=True)
class Bin:
    """Focuses whose P(improved) fell in [low, high): their mean P and the share improved."""

    low: float
    high: float
    count: int
    mean_p: float
    share: float

    @property
    def se(self) -> float:
        """The standard error of the share, were the mean P right."""
        return math.sqrt(max(self.mean_p * (1 - self.mean_p), 0.0025) / max(self.count, 1))

    @property
    def off_by(self) -> float:
        """How many standard errors the share is from the mean P."""
        return abs(self.share - self.mean_p) / self.se


def calibration(outcomes: list[Outcome]) -> list[Bin]:
    """Mean P(improved) against the share with a true effect above zero, per bin."""
    p = np.array([o.p_improved for o in outcomes])
    truth = np.array([o.true_effect > 0 for o in outcomes])
    bins = []
    for low, high in BINS:
        inside = (p >= low) & (p < high)
        if inside.any():
            bins.append(
                Bin(
                    low,
                    high,
                    int(inside.sum()),
                    float(p[inside].mean()),
                    float(truth[inside].mean()),
                )
            )
    return bins


def false_improvements(outcomes: list[Outcome]) -> tuple[float, int]:
    """The share of ``improved`` verdicts whose true effect is zero or below, and how many
    ``improved`` verdicts there were."""
    improved = [o for o in outcomes if o.verdict == "improved"]
    if not improved:
        return 0.0, 0
    return sum(o.true_effect <= 0 for o in improved) / len(improved), len(improved)


def calibrated(bins: list[Bin], *, tolerance: float = 2.0, min_count: int = 20) -> bool:
    """Every bin with at least ``min_count`` focuses within ``tolerance`` standard errors."""
    return all(b.off_by <= tolerance for b in bins if b.count >= min_count)
