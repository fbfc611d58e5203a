"""Rates and flags against truth: the full table behind docs/rates.md.

For every scenario of ``tests/rates_calibration_support.py``, simulates seeded teams
with known true rates, fits backplan's rates model and prints the share of 80%
intervals holding the true rate per sample-size bucket (± standard error,
clustered by team), then the share of on-plan reps the diagnosis flags.

    python bench/calibration_rates.py                 # 200 teams a scenario (a few minutes)
    python bench/calibration_rates.py --teams 50      # quicker, noisier
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from rates_calibration_support import (
    BUCKETS,
    SCENARIOS,
    OnPlanTeam,
    diagnosis_flag_share,
    rate_coverage,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=200, help="simulated teams per scenario")
    parser.add_argument("--periods", type=int, default=200, help="on-plan periods for flags")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    heads = [f"{low}–{high - 1}" if high < 10_000 else f"{low}+" for low, high in BUCKETS]
    print(f"80% interval coverage by trials per rep ({args.teams} teams a scenario)\n")
    print(f"| scenario | {' | '.join(heads)} | seconds |")
    print(f"| --- | {' | '.join('---:' for _ in heads)} | ---: |")
    for name, scenario in SCENARIOS.items():
        start = time.perf_counter()
        coverage = {c.bucket: c for c in rate_coverage(scenario, teams=args.teams, seed=args.seed)}
        cells = [f"{c.share:.1%} ± {c.se:.1%}" if (c := coverage.get(b)) else "–" for b in BUCKETS]
        print(f"| {name} | {' | '.join(cells)} | {time.perf_counter() - start:.1f} |")

    share, se, naive = diagnosis_flag_share(OnPlanTeam(), periods=args.periods, seed=args.seed)
    print(
        f"\nOn-plan reps flagged by the diagnosis per period: {share:.1%} ± {se:.1%} "
        f"(any P(below) > 0.9, the old rule: {naive:.1%})"
    )


if __name__ == "__main__":
    main()
