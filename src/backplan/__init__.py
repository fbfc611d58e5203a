"""backplan: objectives worked backwards, through each rep's own funnel, to daily numbers."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from backplan.api.organisation import Organisation
    from backplan.core.errors import BackplanError
    from backplan.core.funnel import Channel, Conversion, Funnel, Stage
    from backplan.core.objective import Objective
    from backplan.core.period import FixedWorkingDays, Period, WorkingCalendar
    from backplan.core.plan import Gain, Plan, marginal_gains, plan_backwards, run_forward
    from backplan.core.rate import Rate
    from backplan.defaults import funnel

_HOMES = {
    "BackplanError": "backplan.core.errors",
    "Channel": "backplan.core.funnel",
    "Conversion": "backplan.core.funnel",
    "Funnel": "backplan.core.funnel",
    "Stage": "backplan.core.funnel",
    "Objective": "backplan.core.objective",
    "FixedWorkingDays": "backplan.core.period",
    "Period": "backplan.core.period",
    "WorkingCalendar": "backplan.core.period",
    "Gain": "backplan.core.plan",
    "Plan": "backplan.core.plan",
    "marginal_gains": "backplan.core.plan",
    "plan_backwards": "backplan.core.plan",
    "run_forward": "backplan.core.plan",
    "Rate": "backplan.core.rate",
    "funnel": "backplan.defaults",
    "Organisation": "backplan.api.organisation",
}
"""Where each name of the public API lives; imported on first use."""


def open(
    home: str | Path | None = None,
    *,
    events_url: str | None = None,
    events_table: str | None = None,
) -> Organisation:
    """An organisation's events and roster, for counts and rates as DataFrames.

    ``org = backplan.open()`` reads BACKPLAN_HOME (or BACKPLAN_EVENTS_URL);
    then ``org.counts(...)`` and ``org.rates(...)``. See docs/rates.md.
    """
    from backplan.api.organisation import open as open_organisation

    return open_organisation(home, events_url=events_url, events_table=events_table)


def __getattr__(name: str) -> Any:
    # Every command imports this package: importing the API on first use keeps
    # ``backplan --help`` from loading pydantic, NumPy, and (for the analysts'
    # ``Organisation``) Ibis and pandas.
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'backplan' has no attribute {name!r}")


__all__ = [
    "BackplanError",
    "Channel",
    "Conversion",
    "FixedWorkingDays",
    "Funnel",
    "Gain",
    "Objective",
    "Organisation",
    "Period",
    "Plan",
    "Rate",
    "Stage",
    "WorkingCalendar",
    "funnel",
    "marginal_gains",
    "open",
    "plan_backwards",
    "run_forward",
]
