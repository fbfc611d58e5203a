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


class StagesNotLinked(StatisticalWarning):
    """A stage that counts true conversions has more successes than trials (e.g. deals owned by
    another team, or stages from unlinked files): it is read as a per-period ratio instead."""
