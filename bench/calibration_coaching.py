"""P(improved) against truth: the full table behind docs/coaching.md.

Simulates seeded teams in which the rep with the lowest before rate is coached,
with known true effects (a third zero, the rest around +3 points, some
negative) and a team drift between the windows (``tests/coaching_calibration_support.py``),
reviews each focus with backplan's model and with two broken ones (the control
ignored; the before rate not shrunk), and prints, per bin of P(improved), the
mean P against the share truly improved (± standard error), and the share of
``improved`` verdicts whose true effect is zero or below.

    python bench/calibration_coaching.py                  # 2,000 focuses a model (a few minutes)
    python bench/calibration_coaching.py --focuses 500    # quicker, noisier
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from backplan.core.coaching import CoachingEffect
from coaching_calibration_support import (
    BINS,
    World,
    calibration,
    false_improvements,
    simulate,
)

MODELS = {
    "backplan": CoachingEffect(),
    "control ignored": CoachingEffect(use_control=False),
    "before not shrunk": CoachingEffect(shrink_before=False),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--focuses", type=int, default=2000, help="simulated focuses a model")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    heads = [f"{low:.1f}–{min(high, 1):.1f}" for low, high in BINS]
    print(f"Mean P(improved) / share truly improved ± se (n), {args.focuses} focuses a model\n")
    print(f"| model | {' | '.join(heads)} | wrong `improved` | seconds |")
    print(f"| --- | {' | '.join('---:' for _ in heads)} | ---: | ---: |")
    for name, model in MODELS.items():
        start = time.perf_counter()
        outcomes = simulate(World(), args.focuses, args.seed, model)
        bins = {(b.low, b.high): b for b in calibration(outcomes)}
        cells = [
            f"{b.mean_p:.2f} / {b.share:.2f} ± {b.se:.2f} ({b.count})"
            if (b := bins.get(k))
            else "–"
            for k in BINS
        ]
        wrong, improved = false_improvements(outcomes)
        seconds = time.perf_counter() - start
        print(f"| {name} | {' | '.join(cells)} | {wrong:.1%} of {improved} | {seconds:.0f} |")


if __name__ == "__main__":
    main()
