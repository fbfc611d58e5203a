"""Backtest the period forecast on generated rep-periods with known truth.

Each rep-period draws a true pace (dials per working day) and true rates,
a past quarter of counts from those rates (what the rep's history tells the
forecast, as posteriors), then a 20-working-day month. The forecast is made
after 5, 10 and 15 days and scored against what really happened:

- a calibration table: forecasts binned by P(hit), mean P against the share that hit;
- the Brier score, against two baselines scored on the same periods:
  the base rate (always say the overall hit share) and the run rate
  (say 1 if today's pace projected to the period's end reaches the target, else 0);
- the time per forecast, against the same forecast with a tenth of the draws.

    python bench/forecast.py            # 600 rep-periods
    BENCH_PERIODS=3000 python bench/forecast.py
"""

from __future__ import annotations

import itertools
import os
import time

import numpy as np

from backplan import Rate, funnel
from backplan.core.forecast import DEFAULT_DRAWS, forecast
from backplan.core.posterior import Posterior

PERIODS = int(os.environ.get("BENCH_PERIODS", "600"))
DRAWS = int(os.environ.get("BENCH_DRAWS", str(DEFAULT_DRAWS)))
SEED = int(os.environ.get("BENCH_SEED", "2026"))
DAYS = 20
CHECKPOINTS = (5, 10, 15)
TARGET = 4
OUTBOUND = funnel("outbound")
TRUTH = {  # Beta(a, b) the true rates are drawn from, and a quarter's trials to learn them
    "conversations/dials": ((14, 186), 3600),
    "meetings/conversations": ((10, 60), 250),
    "sqls/meetings": ((10, 20), 36),
}


def main() -> None:
    rng = np.random.default_rng(SEED)
    rows: list[tuple[int, float, float, bool]] = []  # day, p_hit, run-rate call, hit
    seconds = 0.0
    for _ in range(PERIODS):
        pace = rng.gamma(30, 2)
        true, beliefs = {}, {}
        for key, ((a, b), trials) in TRUTH.items():
            true[key] = rng.beta(a, b)
            s = int(rng.binomial(trials, true[key]))
            posterior = Posterior("beta", s + 0.5, trials - s + 0.5)
            beliefs[key] = Rate(posterior.mean, distribution=posterior)
        daily = [_day(rng, pace, true) for _ in range(DAYS)]
        total = sum(d[-1] for d in daily)
        for day in CHECKPOINTS:
            dials = sum(d[0] for d in daily[:day])
            sqls = sum(d[-1] for d in daily[:day])
            started = time.perf_counter()
            f = forecast(
                "sqls", TARGET, OUTBOUND, beliefs, {"dials": dials, "sqls": sqls},
                elapsed_days=day, remaining_days=DAYS - day, draws=DRAWS,
                seed=int(rng.integers(1 << 30)),
            )  # fmt: skip
            seconds += time.perf_counter() - started
            run_rate = float(sqls * DAYS / day >= TARGET)
            rows.append((day, f.p_hit, run_rate, total >= TARGET))
    report(rows, seconds / len(rows))


def _day(rng: np.random.Generator, pace: float, true: dict[str, float]) -> list[int]:
    n = [int(rng.poisson(pace))]
    for key in TRUTH:
        n.append(int(rng.binomial(n[-1], true[key])))
    return n


def report(rows: list[tuple[int, float, float, bool]], per_forecast: float) -> None:
    days = np.array([r[0] for r in rows])
    p = np.array([r[1] for r in rows])
    run_rate = np.array([r[2] for r in rows])
    hit = np.array([r[3] for r in rows], dtype=float)
    print(f"{PERIODS} rep-periods × {len(CHECKPOINTS)} checkpoints, {DRAWS:,} draws, seed {SEED}")
    print("\nCalibration (all checkpoints)")
    print(f"{'P(hit) bin':>12} {'forecasts':>9} {'mean P':>7} {'hit share':>9}")
    edges = np.linspace(0, 1, 11)
    for lo, hi in itertools.pairwise(edges):
        inside = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if inside.any():
            print(
                f"{lo:5.1f}–{hi:<5.1f} {inside.sum():>9} {p[inside].mean():7.3f} "
                f"{hit[inside].mean():9.3f}"
            )
    print(f"\n{'day':>5} {'Brier':>7} {'base rate':>9} {'run rate':>9} {'skill vs base':>13}")
    for day in (*CHECKPOINTS, None):
        chosen = days == day if day is not None else np.ones_like(hit, dtype=bool)
        brier = float(np.mean((p[chosen] - hit[chosen]) ** 2))
        base = float(np.mean((hit[chosen].mean() - hit[chosen]) ** 2))
        naive = float(np.mean((run_rate[chosen] - hit[chosen]) ** 2))
        label = str(day) if day is not None else "all"
        print(f"{label:>5} {brier:7.4f} {base:9.4f} {naive:9.4f} {1 - brier / base:13.2f}")
    print(f"\nmean P(hit) {p.mean():.3f}, observed hit share {hit.mean():.3f}")
    rates = {"conversations/dials": Rate.parse("0.07"), "meetings/conversations": Rate.parse("1/7"),
             "sqls/meetings": Rate(Posterior("beta", 12, 24).mean, distribution=Posterior("beta", 12, 24))}  # fmt: skip
    small = _time(rates, DRAWS // 10)
    print(
        f"time per forecast: {per_forecast * 1000:.1f} ms at {DRAWS:,} draws; "
        f"{small * 1000:.1f} ms at {DRAWS // 10:,} draws (ratio {per_forecast / small:.1f}×)"
    )


def _time(rates: dict[str, Rate], draws: int, repeats: int = 50) -> float:
    started = time.perf_counter()
    for seed in range(repeats):
        forecast("sqls", TARGET, OUTBOUND, rates, {"dials": 600, "sqls": 2},
                 elapsed_days=10, remaining_days=10, draws=draws, seed=seed)  # fmt: skip
    return (time.perf_counter() - started) / repeats


if __name__ == "__main__":
    main()
