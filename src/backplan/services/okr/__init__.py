"""Objectives and key results: create, split, plan, agree, and follow them from events.

Every action the CLI and the web app offer is a function here with typed
inputs and outputs. An objective belongs to a rep or a team for a period;
its first key result is the main one, which its plan is worked back from.
A plan is proposed (from the rep's own rates), then agreed by the rep
(case S9): the agreement records who, when and the rates agreed to. Only the
rep who owns an objective may agree its plan.

The package's public names are all here; the modules say what they hold:

- ``views``: the typed requests and views (and how a stored row becomes one);
- ``objectives``: creating (and splitting) objectives, listing and finding them;
- ``agreements``: proposing and agreeing plans, reading agreed plans back;
- ``tracking``: progress from events, the owner's counts and calendar;
- ``serialise``: all of the above as JSON-ready data.
"""

from backplan.services.okr.agreements import (
    agree_built_plan,
    agree_plan,
    agreed_plan_for,
    agreed_plans_of,
    find_plan,
    objective_in_force,
    propose_plan,
    rates_evidence,
    rates_from_evidence,
)
from backplan.services.okr.objectives import (
    create_objective,
    find_objective,
    get_objective,
    list_objectives,
    share_weights,
)
from backplan.services.okr.rollup import rolled_up
from backplan.services.okr.serialise import (
    agreed_plan_to_dict,
    daily_number,
    objective_to_dict,
    period_to_dict,
    plan_form_fields,
    plan_view_to_dict,
    progress_to_dict,
    share_to_dict,
)
from backplan.services.okr.tracking import owner_calendar, owner_counts, progress
from backplan.services.okr.views import (
    Actor,
    AgreementView,
    Created,
    KeyResultStatus,
    KeyResultView,
    ObjectiveProgress,
    ObjectiveRequest,
    ObjectiveView,
    OwnerKind,
    PlanView,
    Share,
)

__all__ = [
    "Actor",
    "AgreementView",
    "Created",
    "KeyResultStatus",
    "KeyResultView",
    "ObjectiveProgress",
    "ObjectiveRequest",
    "ObjectiveView",
    "OwnerKind",
    "PlanView",
    "Share",
    "agree_built_plan",
    "agree_plan",
    "agreed_plan_for",
    "agreed_plan_to_dict",
    "agreed_plans_of",
    "create_objective",
    "daily_number",
    "find_objective",
    "find_plan",
    "get_objective",
    "list_objectives",
    "objective_in_force",
    "objective_to_dict",
    "owner_calendar",
    "owner_counts",
    "period_to_dict",
    "plan_form_fields",
    "plan_view_to_dict",
    "progress",
    "progress_to_dict",
    "propose_plan",
    "rates_evidence",
    "rates_from_evidence",
    "rolled_up",
    "share_to_dict",
    "share_weights",
]
