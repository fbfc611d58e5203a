"""Objectives, plans, shares and progress as JSON-ready data.

One shape per view, shared by the CLI's ``--json``, the web pages' JSON twins
and the API, so a key means the same thing wherever it is read.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from backplan.core.period import Period
from backplan.services.formatting import percent
from backplan.services.okr.views import (
    ObjectiveProgress,
    ObjectiveView,
    PlanView,
    Share,
    objective_text,
)


def objective_to_dict(view: ObjectiveView) -> dict[str, Any]:
    """An objective as JSON-ready data (plans with their figures, rates and agreement)."""
    return {
        "id": view.id,
        "text": view.text,
        "owner": {"kind": view.owner_kind, "key": view.owner, "name": view.owner_name},
        "team": view.team,
        "period": period_to_dict(view.period),
        "funnel": view.funnel,
        "key_results": [
            {
                "stage": kr.stage,
                "target": kr.target,
                "revenue": kr.revenue,
                "deal_value": kr.deal_value,
                "text": kr.text,
            }
            for kr in view.key_results
        ],
        "parent_id": view.parent_id,
        "children": [objective_to_dict(c) for c in view.children],
        "plans": [plan_view_to_dict(p) for p in view.plans],
        "created_at": view.created_at.isoformat() if view.created_at else None,
        "created_by": view.created_by,
    }


def plan_view_to_dict(plan: PlanView) -> dict[str, Any]:
    agreement = plan.agreement
    return {
        "id": plan.id,
        "objective_id": plan.objective_id,
        "status": plan.status,
        "proposed_at": plan.proposed_at.isoformat(),
        "proposed_by": plan.proposed_by,
        "planned_pace": plan.planned_pace,
        "rates": plan.rates,
        "agreement": (
            {
                "agreed_by": agreement.agreed_by,
                "agreed_at": agreement.agreed_at.isoformat(),
                "rates": agreement.rates,
                "note": agreement.note,
            }
            if agreement
            else None
        ),
        "figures": plan.figures,
        "daily_number": daily_number(plan.figures),
    }


def daily_number(figures: dict[str, Any]) -> dict[str, Any] | None:
    """The plan summed up as the rep's controllable number (its focus stage a working day),
    with the raw volume at the top of the funnel second."""
    stages = figures.get("stages") or []
    if not stages:
        return None
    focus = next((s for s in stages if s.get("focus")), stages[-1])
    top = stages[0]
    return {
        "stage": focus["key"],
        "label": focus["label"],
        "per_working_day": focus["per_working_day"],
        "per_period": focus["per_period"],
        "volume": {
            "stage": top["key"],
            "label": top["label"],
            "per_working_day": top["per_working_day"],
            "per_period": top["per_period"],
        },
    }


def agreed_plan_to_dict(objective: ObjectiveView, plan: PlanView) -> dict[str, Any]:
    """An agreed plan as the rep agreed it: who, when, the objective, the rates, the figures."""
    agreement = plan.agreement
    evidence = agreement.rates if agreement else plan.rates
    return {
        "id": plan.id,
        "objective_id": objective.id,
        "status": plan.status,
        "rep": objective.owner,
        "agreed_by": agreement.agreed_by if agreement else None,
        "agreed_at": agreement.agreed_at.isoformat() if agreement else None,
        "objective": objective.main.text,
        "funnel": objective.funnel,
        "period": period_to_dict(objective.period),
        "rates": {str(r["conversion"]): str(r["value"]) for r in evidence},
        "rates_shown": {
            str(r["conversion"]): percent(float(Fraction(str(r["value"])))) for r in evidence
        },
        "evidence": evidence,
        "plan": plan.figures,
    }


def plan_form_fields(objective: ObjectiveView, plan: PlanView) -> dict[str, str]:
    """The planner's fields that rebuild ``plan`` (to start a new plan from an agreed one)."""
    fields = {
        "objective": objective_text(objective.main),
        "funnel": objective.funnel,
        **{str(r["conversion"]): _rate_text(r) for r in plan.rates},
    }
    if objective.main.deal_value:
        fields["deal_value"] = f"{objective.main.deal_value:g}"
    working_days = plan.figures.get("period", {}).get("working_days")
    if working_days:
        fields["working_days"] = str(working_days)
    return fields


def _rate_text(evidence: dict[str, Any]) -> str:
    """A stored rate as a person would type it: ``1/3`` as given, an estimate from data to
    four significant figures (its exact fraction has a denominator in the trillions)."""
    value = Fraction(str(evidence["value"]))
    return str(value) if value.denominator <= 1000 else f"{float(value):.4g}"


def share_to_dict(share: Share) -> dict[str, Any]:
    return {
        "rep": share.rep,
        "name": share.name,
        "working_days": share.working_days,
        "pace": share.pace,
        "weight": share.weight,
        "target": share.target,
        "objective_id": share.objective_id,
    }


def progress_to_dict(p: ObjectiveProgress) -> dict[str, Any]:
    return {
        "objective": objective_to_dict(p.objective),
        "as_of": p.as_of.isoformat(),
        "elapsed_days": round(p.elapsed_days, 2),
        "working_days": p.working_days,
        "key_results": [
            {
                "stage": k.stage,
                "target": k.target,
                "actual": k.actual,
                "expected_to_date": k.expected_to_date,
                "leading": k.leading,
                "pace": k.pace,
                "from_plan": k.from_plan,
                "revenue": k.revenue,
                "revenue_to_date": k.revenue_to_date,
            }
            for k in p.key_results
        ],
        "notes": p.notes,
    }


def period_to_dict(period: Period) -> dict[str, Any]:
    return {
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }
