"""backplan: objectives worked backwards, through each rep's own funnel, to daily numbers."""

from backplan.core.errors import BackplanError
from backplan.core.funnel import Channel, Conversion, Funnel, Stage
from backplan.core.objective import Objective
from backplan.core.period import FixedWorkingDays, Period, WorkingCalendar
from backplan.core.plan import Gain, Plan, marginal_gains, plan_backwards, run_forward
from backplan.core.rate import Rate
from backplan.defaults import funnel

__version__ = "0.1.0"

__all__ = [
    "BackplanError",
    "Channel",
    "Conversion",
    "FixedWorkingDays",
    "Funnel",
    "Gain",
    "Objective",
    "Period",
    "Plan",
    "Rate",
    "Stage",
    "WorkingCalendar",
    "funnel",
    "marginal_gains",
    "plan_backwards",
    "run_forward",
]
