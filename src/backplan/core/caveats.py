"""Statistical caveats, raised as warnings rather than kept silent.

An estimate that rests on little data is still returned (it is the best one
available), but callers are told. Filter them like any warning::

    import warnings
    from backplan.core.caveats import SmallSampleWarning
    warnings.simplefilter("ignore", SmallSampleWarning)
"""

from __future__ import annotations


class StatisticalWarning(UserWarning):
    """An estimate was computed, but a statistical assumption behind it is shaky."""


class SmallSampleWarning(StatisticalWarning):
    """An estimate (or the prior it is shrunk toward) rests on too little data to trust fully."""
