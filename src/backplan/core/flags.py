"""Who needs attention: flags whose error is controlled across every comparison made.

A rep is compared with their team and with their plan at every conversion of
their funnel: six comparisons for a three-step funnel. Flagging each one whose
probability of being lower exceeds 0.9 flags about one on-plan rep in ten
every period, by chance alone. :class:`FlagRule` holds the family of one
rep's comparisons to an error ``alpha`` (Bonferroni): a comparison is strong
evidence only when

    P(rate below reference | data) > 1 − alpha / comparisons,

so with one comparison the bar is 1 − alpha (0.9, DESIGN.md), and with six it
is 0.983. The diagnosis makes comparisons only in the span of the funnel the
onion walk has found behind plan (a gatekeeping procedure: a rep on track
makes none), so its bar rises with that span, not with the whole funnel.

>>> rule = FlagRule()
>>> round(rule.threshold(1), 3), round(rule.threshold(6), 4)
(0.9, 0.9833)
>>> rule.flags([0.95, 0.5, 0.7]), rule.flags([0.99, 0.5])
(False, True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from backplan.core.errors import InvalidRate

DEFAULT_ALPHA = 0.1
"""The family-wise chance of a false flag among one rep's comparisons."""


@dataclass(frozen=True)
class FlagRule:
    """Flag a rep only when the evidence holds after counting the comparisons made.

    ``alpha`` bounds the chance that a rep who is on plan everywhere has any of
    their comparisons flagged (0.1 by default: 0.9 for a single comparison).
    """

    alpha: float = DEFAULT_ALPHA

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 0.5:
            raise InvalidRate(f"alpha {self.alpha} must be between 0 and 0.5, e.g. 0.02")

    def threshold(self, comparisons: int) -> float:
        """The probability a comparison must exceed, among ``comparisons`` made for one rep."""
        return 1 - self.alpha / max(int(comparisons), 1)

    def strong(self, probability: float | None, comparisons: int) -> bool:
        """Whether P(below) = ``probability`` is strong evidence among ``comparisons``."""
        if probability is None or math.isnan(probability):
            return False
        return probability > self.threshold(comparisons)

    def flags(self, probabilities: Iterable[float | None]) -> bool:
        """Whether a rep with these P(below)'s (one per comparison) needs attention."""
        given = [p for p in probabilities if p is not None and not math.isnan(p)]
        return any(self.strong(p, len(given)) for p in given)


FLAG_RULE = FlagRule()
"""The rule every shell and the diagnosis flag with."""
