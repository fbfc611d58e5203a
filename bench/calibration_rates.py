"""Rates and flags against truth: the full table behind docs/rates.md.

For every scenario of ``tests/rates_calibration_support.py``, simulates seeded teams
with known true rates, fits backplan's rates model and prints the share of 80%
intervals holding the true rate per sample-size bucket (± standard error,
clustered by team), then the share of on-plan reps the diagnosis flags.

    python bench/calibration_rates.py                 # 200 teams a scenario (a few minutes)
    python bench/calibration_rates.py --teams 50      # quicker, noisier
    python bench/calibration_rates.py --teams 40 --scenario "near-identical reps" \
        --strength-prior log-uniform                    # the model with another hyperprior on κ

``--strength-prior`` swaps the hyperprior on κ (φ = 1/√(κ+1)) to measure the
alternatives docs/rates.md weighs: ``uniform`` φ (the model's), ``sqrt`` (density
∝ φ^(−1/2), more weight on alike reps) or ``log-uniform`` κ on [1, 10⁴].
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numpy as np

from backplan.core import hierarchy
from rates_calibration_support import (
    BUCKETS,
    SCENARIOS,
    OnPlanTeam,
    diagnosis_flag_share,
    rate_coverage,
)


def _sqrt_phi(phi: np.ndarray) -> np.ndarray:
    """Density ∝ φ^(−1/2) (a Beta(1/2, 1) on φ), on the grid's logit scale."""
    return np.asarray(0.5 * np.log(phi) + np.log1p(-phi))


def _log_uniform_kappa(phi: np.ndarray) -> np.ndarray:
    """log(κ + 1) uniform on [log 2, log 10⁴ + 1], on the grid's logit scale."""
    kappa = 1 / phi**2 - 1
    return np.where((kappa >= 1) & (kappa <= 1e4), np.log1p(-phi), -np.inf)


STRENGTH_PRIORS = {"uniform": None, "sqrt": _sqrt_phi, "log-uniform": _log_uniform_kappa}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=200, help="simulated teams per scenario")
    parser.add_argument("--periods", type=int, default=200, help="on-plan periods for flags")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--scenario", action="append", choices=list(SCENARIOS), help="only these (repeatable)"
    )
    parser.add_argument("--strength-prior", choices=list(STRENGTH_PRIORS), default="uniform")
    args = parser.parse_args()
    if (prior := STRENGTH_PRIORS[args.strength_prior]) is not None:
        hierarchy._log_strength_prior = prior  # a measurement of an alternative, not the model

    heads = [f"{low}–{high - 1}" if high < 10_000 else f"{low}+" for low, high in BUCKETS]
    print(f"80% interval coverage by trials per rep ({args.teams} teams a scenario)\n")
    print(f"| scenario | {' | '.join(heads)} | seconds |")
    print(f"| --- | {' | '.join('---:' for _ in heads)} | ---: |")
    for name, scenario in SCENARIOS.items():
        if args.scenario and name not in args.scenario:
            continue
        start = time.perf_counter()
        coverage = {c.bucket: c for c in rate_coverage(scenario, teams=args.teams, seed=args.seed)}
        cells = [f"{c.share:.1%} ± {c.se:.1%}" if (c := coverage.get(b)) else "–" for b in BUCKETS]
        print(f"| {name} | {' | '.join(cells)} | {time.perf_counter() - start:.1f} |")

    if args.scenario:
        return
    share, se, naive = diagnosis_flag_share(OnPlanTeam(), periods=args.periods, seed=args.seed)
    print(
        f"\nOn-plan reps flagged by the diagnosis per period: {share:.1%} ± {se:.1%} "
        f"(any P(below) > 0.9, the old rule: {naive:.1%})"
    )


if __name__ == "__main__":
    main()
