"""How long working objectives backwards takes, for a whole organisation at once.

Builds one plan with its marginal-gains ranking per rep (each rep with their
own rates), and compares with a bare float loop computing the same chain
without reasoning, exact fractions or intervals: the price of honesty.

    python bench/plan.py --reps 2000
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc

import numpy as np

from backplan import Objective, Period, Rate, funnel, marginal_gains, plan_backwards
from backplan.core.period import FixedWorkingDays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    args = parser.parse_args()
    outbound = funnel("outbound")
    rng = np.random.default_rng(7)
    sheets = [
        {c.key: float(rng.beta(a, b)) for c, (a, b) in
         zip(outbound.conversions(down_to="sqls"), [(7, 93), (14, 86), (33, 67)], strict=True)}
        for _ in range(args.reps)
    ]  # fmt: skip
    objective = Objective("sqls", 4, Period.month(2026, 12))
    calendar = FixedWorkingDays(21)

    start = time.perf_counter()
    for sheet in sheets:
        total = 4
        for key in ("sqls/meetings", "meetings/conversations", "conversations/dials"):
            total = math.ceil(total / sheet[key])
    baseline = time.perf_counter() - start

    def plan_all() -> None:
        for sheet in sheets:
            plan_backwards(objective, outbound, {k: Rate(v) for k, v in sheet.items()}, calendar)

    def rank_all() -> None:
        for sheet in sheets:
            marginal_gains(objective, outbound, {k: Rate(v) for k, v in sheet.items()}, calendar)

    start = time.perf_counter()
    plan_all()
    plans = time.perf_counter() - start
    start = time.perf_counter()
    rank_all()
    gains = time.perf_counter() - start
    # Memory is traced in a separate pass: tracing slows Python down several times.
    tracemalloc.start()
    rank_all()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"reps: {args.reps}")
    print(f"bare float chain:        {baseline * 1e3:8.1f} ms")
    print(
        f"plans (with reasoning):  {plans * 1e3:8.1f} ms  ({plans / args.reps * 1e6:.0f} µs a rep, "
        f"{plans / baseline:.0f}× the bare loop)"
    )
    print(
        f"marginal-gains rankings: {gains * 1e3:8.1f} ms  ({gains / args.reps * 1e6:.0f} µs a rep)"
    )
    print(f"peak traced memory:      {peak / 2**20:8.1f} MiB")


if __name__ == "__main__":
    main()
