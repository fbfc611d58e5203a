"""Named warnings for statistical caveats.

An estimate that rests on little data is still returned, with its interval,
but never silently: it comes with a :class:`SmallSampleWarning`, which
callers can filter, log or turn into an error like any other warning.
"""

from __future__ import annotations


class BackplanWarning(UserWarning):
    """Base class of backplan's warnings."""


class StatisticalWarning(BackplanWarning):
    """An estimate was computed, but a statistical assumption behind it is shaky."""


class SmallSampleWarning(StatisticalWarning):
    """An estimate rests on few prospects or trials; read it with its interval."""


class UnlinkedStages(StatisticalWarning):
    """More successes than trials at a stage that cannot exceed its trials.

    The two stages' events do not follow the same prospects (e.g. deals from a
    file owned by another team), so their ratio is not a conversion rate.
    """

    @classmethod
    def about(cls, successes: str, trials: str, reps: list[str]) -> UnlinkedStages:
        """The warning for ``reps`` whose ``successes`` outnumber their ``trials``."""
        shown = ", ".join(reps[:5]) + (f" and {len(reps) - 5} more" if len(reps) > 5 else "")
        return cls(
            f"{shown}: more {successes} than {trials}, so the stages are not linked "
            f"(each of the {successes} should come from one of the {trials}); no rate is "
            "given for them — import linked data or count per cohort (--count cohort)"
        )
