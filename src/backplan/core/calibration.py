"""Scoring forecasts against what happened: reliability, range coverage and the Brier score.

A forecast that says "70%" is calibrated when, of all the times it said
70%, about 70% came true. Given forecasts (P(hit), the range and its mass)
and outcomes, these functions say how often that held.

>>> s = score([0.1, 0.9, 0.8, 0.2], [False, True, True, True], [True, True, False, True], [0.8] * 4)
>>> s.brier, s.range_coverage["observed"], s.reliability[0]
(0.175, 0.75, {'predicted': 0.1, 'observed': 0.0, 'n': 1})
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

RELIABILITY_BINS = 5


@dataclass(frozen=True)
class CalibrationScore:
    """How forecasts fared: ``reliability`` bins of {predicted, observed, n}, ``brier``,
    ``range_coverage`` {level, mass, observed, n, standard_error} and ``mean_p``/``hit_share``."""

    n: int
    mean_p: float
    hit_share: float
    brier: float
    reliability: list[dict[str, Any]]
    range_coverage: dict[str, float]


def score(
    p_hit: Sequence[float],
    hit: Sequence[bool],
    inside: Sequence[bool],
    range_mass: Sequence[float],
    *,
    level: float = 0.8,
    bins: int = RELIABILITY_BINS,
) -> CalibrationScore:
    """Score forecasts ``p_hit`` of outcomes ``hit``, and ranges of mass ``range_mass`` that held
    the outcome or not (``inside``). Reliability bins are equal-width in P; empty bins are left out.
    """
    p = np.asarray(p_hit, dtype=float)
    h = np.asarray(hit, dtype=float)
    held = np.asarray(inside, dtype=float)
    mass = np.asarray(range_mass, dtype=float)
    if not len(p):
        return CalibrationScore(0, 0.0, 0.0, 0.0, [], {"level": level, "n": 0})
    which = np.minimum((p * bins).astype(int), bins - 1)
    table = [
        {
            "predicted": round(float(p[which == b].mean()), 4),
            "observed": round(float(h[which == b].mean()), 4),
            "n": int((which == b).sum()),
        }
        for b in range(bins)
        if (which == b).any()
    ]
    expected = float(mass.mean())
    coverage = {
        "level": level,
        "mass": round(expected, 4),
        "observed": round(float(held.mean()), 4),
        "n": len(held),
        "standard_error": round(float(np.sqrt(expected * (1 - expected) / len(held))), 4),
    }
    return CalibrationScore(
        n=len(p),
        mean_p=round(float(p.mean()), 4),
        hit_share=round(float(h.mean()), 4),
        brier=round(float(np.mean((p - h) ** 2)), 4),
        reliability=table,
        range_coverage=coverage,
    )
