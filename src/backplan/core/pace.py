"""How steady activity is: day-to-day overdispersion and the shocks a team shares.

Two facts a forecast needs besides the pace, both fitted from the
organisation's own history by the method of moments:

- **Daily dispersion k.** A rep's units per day vary more than Poisson:
  Var = m + m²/k (negative binomial). Pooled over reps,
  1/k = Σᵣ (vᵣ − mᵣ) / Σᵣ mᵣ², with mᵣ, vᵣ the mean and variance of rep r's days.
- **Team shock σ.** Reps are not independent: a product outage, a campaign
  or a holiday week moves a whole team. For each past team-period the ratio
  r of the second part's pace to the first part's is 1 + shock + noise;
  σ² = mean((r − 1)²) − mean(noise variance), the noise variance being
  r²·(φ/u₁ + φ/u₂) for u units and φ = 1 + (units per rep-day)/k.

>>> days = [[3, 9, 0, 6, 12, 1, 4, 8, 2, 5], [10, 2, 7, 0, 6, 9, 3, 11, 1, 6]]
>>> round(fit_daily_dispersion(days), 2)
2.92
>>> fit_team_shock([(1000, 10, 1000, 10, 5), (1000, 10, 1010, 10, 5)], None)
0.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike


def fit_daily_dispersion(days_by_rep: Sequence[ArrayLike]) -> float | None:
    """k of the negative binomial of units per day, pooled over reps (None: no more than Poisson).

    Reps with fewer than two days are left out.
    """
    excess, squares = 0.0, 0.0
    for days in days_by_rep:
        x = np.asarray(days, dtype=float)
        if len(x) < 2:
            continue
        m = float(x.mean())
        excess += float(x.var(ddof=1)) - m
        squares += m * m
    if squares <= 0 or excess <= 0:
        return None
    return squares / excess


def fit_team_shock(
    team_periods: Sequence[tuple[float, float, float, float, int]], dispersion: float | None
) -> float:
    """σ of the multiplier a team shares on the rest of a period, from past team-periods.

    Each team-period is ``(units_first, days_first, units_second, days_second, reps)``:
    the team's units and working days before and after the cut. Periods with
    no units in either part are left out; 0 when the ratios vary no more than noise.
    """
    squared, noise = [], []
    for first, days_first, second, days_second, reps in team_periods:
        if first <= 0 or second <= 0 or days_first <= 0 or days_second <= 0:
            continue
        ratio = (second / days_second) / (first / days_first)
        per_rep_day = first / days_first / max(reps, 1)
        phi = 1 + per_rep_day / dispersion if dispersion else 1.0
        squared.append((ratio - 1) ** 2)
        noise.append(ratio**2 * phi * (1 / first + 1 / second))
    if not squared:
        return 0.0
    return float(np.sqrt(max(0.0, float(np.mean(squared)) - float(np.mean(noise)))))
