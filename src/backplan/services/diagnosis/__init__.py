"""Diagnose a rep or a team: where the funnel leaks, how sure we are, what to coach.

A diagnosis puts together what the rest of backplan already knows how to do:

1. the window (default: the current month to date at ``as_of``) and the plan
   for it: the objective and planned rates exactly as ``backplan plan`` takes
   them; a conversion without a planned rate is planned at the team's rate,
   and the output says so. The plan *to date* is the plan for the window
   times the share of its working days elapsed at ``as_of`` (the whole plan
   for a window that is over);
2. each stage's count to date (metrics layer) and, per conversion, the
   evidence: the rep's shrunk estimate (``services.rates``) with the
   probability it is below the team's rate and below the planned rate (the
   posterior's CDF at that rate);
3. the onion walk and bottleneck (``core.diagnose``), the playbook's coaching
   for it, the channel mix (``core.channels`` on meetings attributed to the
   last touch, ``metrics.channels``), marginal gains on the rep's own rates
   (``core.plan``) and each rate's trend over recent months (``core.control``).

A team is diagnosed on its pooled counts, compared with the organisation and
with the sum of its reps' plans, and each of its reps on their own; the
exception list orders reps by output at stake and flags only strong evidence.

The modules, in the order a diagnosis runs:

- ``window``: the period diagnosed and the share of it elapsed;
- ``context``: the request and what is read once for every rep and team;
- ``plan``: planned rates, the units they need, the counts so far;
- ``result``: ``Result`` and the onion walk that makes one;
- ``rep`` and ``team``: a rep's and a team's diagnosis;
- ``channels`` and ``trends``: the channel mix and rate trends shown beside it;
- ``serialise``: a result as JSON-ready data;
- ``cadence``: response by attempt number (case S6), on the same window.
"""

from backplan.services.diagnosis.cadence import CadenceRequest, cadence_report
from backplan.services.diagnosis.context import (
    TREND_MONTHS,
    Context,
    DiagnosisRequest,
    build_context,
)
from backplan.services.diagnosis.plan import PlannedRate, planned_for
from backplan.services.diagnosis.rep import diagnose_rep
from backplan.services.diagnosis.result import Result
from backplan.services.diagnosis.serialise import result_to_dict
from backplan.services.diagnosis.team import diagnose_team
from backplan.services.diagnosis.window import Window, diagnosis_window

__all__ = [
    "TREND_MONTHS",
    "CadenceRequest",
    "Context",
    "DiagnosisRequest",
    "PlannedRate",
    "Result",
    "Window",
    "build_context",
    "cadence_report",
    "diagnose_rep",
    "diagnose_team",
    "diagnosis_window",
    "planned_for",
    "result_to_dict",
]
