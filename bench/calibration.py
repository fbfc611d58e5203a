"""Calibration of the forecast on simulated organisations with known truth: the full tables.

The organisations (tests/calibration_support.py): teams of reps with true
paces and rates, overdispersed days (negative binomial), a shock each team
shares on the second half of every month, meeting → SQL lags (Gamma, in
calendar days) and open meetings of every age. Each rep-period is forecast
at the end of working day 10 of 20 and scored against what happened, for
the model, for the model before issue 13, for the deliberately broken
models the suite must catch (the test of the tests) and for the wrong priors
it does not catch (``UNCAUGHT``):

- reliability: forecasts binned by P(hit), mean P against the share that hit;
- mean P(hit) against the hit share, and the Brier score;
- how often the 80% range held the outcome, against the ranges' mass, for
  reps and for teams (where the shared shock shows).

    python bench/calibration.py                    # 150 teams × 8 reps, 3 seeds
    BENCH_TEAMS=60 BENCH_SEEDS=1 python bench/calibration.py
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from calibration_support import (
    BEFORE,
    BROKEN,
    MODEL,
    UNCAUGHT,
    Scores,
    Truth,
    forecasts,
    misses,
    simulate,
)

TEAMS = int(os.environ.get("BENCH_TEAMS", "150"))
SEEDS = int(os.environ.get("BENCH_SEEDS", "3"))
DRAWS = int(os.environ.get("BENCH_DRAWS", "4000"))


def main() -> None:
    warnings.simplefilter("ignore")
    truth = Truth(teams=TEAMS)
    print(f"{TEAMS} teams × {truth.reps_per_team} reps, seeds 1..{SEEDS}, {DRAWS:,} draws; {truth}")
    for seed in range(1, SEEDS + 1):
        org = simulate(truth, seed)
        print(
            f"\nseed {seed}: fitted daily dispersion k = {org.dispersion:.2f} "
            f"(true {truth.dispersion}), team shock σ = {org.shock_sd:.2f} (true {truth.shock_sd}), "
            f"lag: {org.lag.eventual:.2f} ever convert, G(8 days) = {float(org.lag.reached_by(8)):.2f}"
        )
        print(
            f"{'model':<58} {'mean P':>6} {'hit':>6} {'Brier':>6} {'rep 80%':>8} "
            f"{'(mass)':>7} {'rep 95%':>8} {'(mass)':>7} {'team 80%':>8} {'s':>5} caught"
        )
        for variant in (MODEL, BEFORE, *BROKEN, *UNCAUGHT):
            started = time.perf_counter()
            scores = forecasts(org, variant, draws=DRAWS)
            row(variant.name, scores, time.perf_counter() - started)
        reliability(forecasts(org, MODEL, draws=DRAWS))


def row(name: str, s: Scores, seconds: float) -> None:
    r, t = s.rep, s.team
    print(
        f"{name[:58]:<58} {r.mean_p:6.3f} {r.hit_share:6.3f} {r.brier:6.3f} "
        f"{r.range_coverage['observed']:8.1%} {r.range_coverage['mass']:7.1%} "
        f"{s.rep_wide['observed']:8.1%} {s.rep_wide['mass']:7.1%} "
        f"{t.range_coverage['observed']:8.1%} {seconds:5.1f} {'; '.join(misses(s)) or '-'}"
    )


def reliability(s: Scores) -> None:
    print(f"{'P(hit) bin':>12} {'forecasts':>9} {'mean P':>7} {'hit share':>9} {'ratio':>6}")
    for b in s.rep.reliability:
        ratio = b["observed"] / b["predicted"] if b["predicted"] else float("nan")
        print(f"{'':>12} {b['n']:>9} {b['predicted']:7.3f} {b['observed']:9.3f} {ratio:6.2f}")


if __name__ == "__main__":
    main()
