"""How long the cadence estimator takes, per prospect and per rep.

Simulates prospects called until they respond (a hazard that rises to the
fifth and sixth attempt, then falls) or until the rep moves on, and fits a
Cadence (a) on one row per prospect, (b) on rows aggregated to (attempts,
responded, count) as a query would hand them over, and (c) once per rep.
The baseline is the bare counting it cannot avoid: two NumPy bincounts and
a cumulative sum giving prospects still in the cadence and responses per
attempt, without intervals, curves or the recommendation.

    python bench/cadence.py --prospects 1000000 --reps 2000
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings
from collections.abc import Callable

import numpy as np

from backplan.core.cadence import Cadence
from backplan.core.warnings import SmallSampleWarning

HAZARD = np.array([0.03, 0.02, 0.02, 0.03, 0.12, 0.10, 0.03, 0.02, 0.01, 0.01, 0.01, 0.01])


def simulate(prospects: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    budget = rng.integers(1, len(HAZARD) + 1, prospects)  # attempts the rep will make
    responds = rng.random((prospects, len(HAZARD))) < HAZARD
    first = np.where(responds.any(axis=1), responds.argmax(axis=1) + 1, len(HAZARD) + 1)
    responded = first <= budget
    return np.where(responded, first, budget), responded


def best_of(run: Callable[[], object], repeat: int = 3) -> float:
    """The fastest of a few runs: the least disturbed by other work on the machine."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prospects", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=2000)
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    attempts, responded = simulate(args.prospects, rng)
    rep = rng.integers(0, args.reps, args.prospects)

    def count() -> None:
        stopped = np.bincount(attempts)
        np.bincount(attempts[responded], minlength=len(stopped))
        np.cumsum(stopped[::-1])

    def group() -> Cadence:
        keys, counts = np.unique(attempts * 2 + responded, return_counts=True)
        return Cadence().fit(keys // 2, keys % 2, counts)

    baseline = best_of(count)
    rows = best_of(lambda: Cadence().fit(attempts, responded))
    aggregated = best_of(group)
    tracemalloc.start()
    cadence = Cadence().fit(attempts, responded)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert group().by_attempt_ == cadence.by_attempt_

    order = np.argsort(rep, kind="stable")
    bounds = np.searchsorted(rep[order], np.arange(args.reps + 1))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        for i in range(args.reps):
            part = order[bounds[i] : bounds[i + 1]]
            Cadence().fit(attempts[part], responded[part])
    per_rep = time.perf_counter() - start

    print(f"prospects: {args.prospects:,}, reps: {args.reps:,} (times: best of 3)")
    print(f"recommended attempts (team): {cadence.recommended_attempts_}")
    print(f"bare counting (baseline):    {baseline * 1e3:8.1f} ms")
    print(f"fit, one row per prospect:   {rows * 1e3:8.1f} ms  ({rows / baseline:.1f}× baseline)")
    print(f"fit, aggregated rows:        {aggregated * 1e3:8.1f} ms  (grouping included)")
    print(
        f"fit per rep:                 {per_rep * 1e3:8.1f} ms  "
        f"({per_rep / args.reps * 1e3:.2f} ms a rep)"
    )
    print(f"peak traced memory, one fit:    {peak / 2**20:8.1f} MiB")


if __name__ == "__main__":
    main()
