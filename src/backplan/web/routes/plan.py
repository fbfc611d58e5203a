"""My plan: an objective worked backwards through the rep's own rates, what-ifs, agreement."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from backplan.accounts.access import Principal, Role
from backplan.core.errors import BackplanError, InvalidObjective, UnknownObjective
from backplan.services.definitions import funnel_names, organisation_playbook
from backplan.services.okr import (
    Actor,
    ObjectiveView,
    PlanView,
    agree_built_plan,
    agreed_plan_to_dict,
    agreed_plans_of,
    find_plan,
    plan_form_fields,
)
from backplan.services.planning import plan_to_dict
from backplan.web.context import WebContext
from backplan.web.permissions import REP, SIGNED_IN
from backplan.web.planning import PlanInput, conversions_of, input_from_fields, plan_for
from backplan.web.render import page
from backplan.web.twins import Api, twin

router = APIRouter()

PlanId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A stored plan's id")]

NOT_FOUND = "No agreed plan with that id among the plans you can see."


def _starting_fields(web: WebContext, principal: Principal) -> dict[str, str]:
    """An empty form starts from the rep's last agreed plan (their own rates), if any."""
    fields = {"funnel": web.settings.funnel}
    if principal.rep and web.has_events():
        fields["use_my_data"] = "on"
    if principal.rep:
        rep = principal.rep  # kept: read from the app database once per change, not per visit
        agreed = web.rates.kept(("agreed plans", rep), lambda: agreed_plans_of(web.settings, rep))
        if agreed:
            fields.update(plan_form_fields(*agreed[0]))
    return fields


def coaching_areas(web: WebContext, conversions: list[dict[str, str]]) -> dict[str, str]:
    """The playbook's coaching area for each conversion of the funnel (S4 → S8)."""
    book = organisation_playbook(web.settings)
    return {c["key"]: found.area for c in conversions if (found := book.get(c["key"])) is not None}


@router.get("/plan", include_in_schema=False)
def my_plan(request: Request, principal: Annotated[Principal, Depends(SIGNED_IN)]) -> Response:
    """The plan page: ``?objective=4 sqls&period=month&conversations/dials=0.07&...``."""
    web: WebContext = request.app.state.web
    fields = dict(request.query_params) or _starting_fields(web, principal)
    fields.setdefault("funnel", web.settings.funnel)
    conversions = conversions_of(web.settings, fields["funnel"])
    plan_input = input_from_fields(fields)
    plan, error, status = None, None, 200
    if plan_input is not None:
        try:
            plan = plan_to_dict(plan_for(plan_input, web.settings, principal.rep))
        except BackplanError as e:
            error, status = str(e), 422
    compare = request.query_params.getlist("compare")[:MAX_COMPARED]
    data = {
        "input": plan_input.model_dump(mode="json") if plan_input else None,
        "plan": plan,
        "compare": _side_by_side(web, principal, plan_input, compare) if plan_input else [],
        "team_reps": _comparable_reps(web, principal),
        "error": error,
        "funnels": funnel_names(web.settings),
        "conversions": conversions,
        "can_agree": principal.role is Role.REP,
        "coaching": coaching_areas(web, conversions),
    }
    return page(request, "plan.html", data, status=status, extra={"fields": fields})


MAX_COMPARED = 4
"""Reps a manager may set side by side on one plan (case S2)."""


def _comparable_reps(web: WebContext, principal: Principal) -> list[dict[str, str | None]]:
    """The reps a manager (or admin) may compare: those of the teams they see."""
    if principal.role is Role.REP:
        return []
    teams = frozenset(web.teams()) if principal.role is Role.ADMIN else principal.teams
    return web.reps_of(teams)


def _side_by_side(
    web: WebContext, principal: Principal, plan_input: PlanInput, reps: list[str]
) -> list[dict[str, Any]]:
    """The same objective worked back through each chosen rep's own rates (case S2): what
    each needs a working day. Reps the user may not see are refused like unknown ones."""
    out: list[dict[str, Any]] = []
    for rep in dict.fromkeys(r[:200] for r in reps):
        if principal.role is Role.REP or not principal.can_see_rep(rep, web.team_of(rep)):
            out.append({"rep": rep, "error": f"No rep named {rep!r} among the reps you can see."})
            continue
        try:
            own = plan_input.model_copy(update={"use_my_data": True})
            planned = plan_to_dict(plan_for(own, web.settings, rep))
        except BackplanError as e:
            out.append({"rep": rep, "error": str(e)})
            continue
        stages = planned["stages"]
        focus = next((st for st in stages if st["focus"]), stages[-1])
        out.append({
            "rep": rep,
            "name": (web.roster_entry(rep) or {}).get("name") or rep,
            "error": None,
            "daily": {"label": focus["label"], "per_working_day": focus["per_working_day"]},
            "top": {"label": stages[0]["label"], "per_working_day": stages[0]["per_working_day"]},
            "rates": [{"conversion": st["conversion"], "rate": st["rate"]} for st in planned["steps"]],
        })  # fmt: skip
    return out


def agreement_form(fields: dict[str, str]) -> PlanInput:
    """The plan form's fields as the plan to agree (an objective is needed)."""
    plan_input = input_from_fields(fields)
    if plan_input is None:
        raise InvalidObjective("give an objective to agree, e.g. 4 sqls")
    return plan_input


@twin(
    router,
    "POST",
    "/plan/agree",
    template="agreement.html",
    redirect=lambda agreed: f"/plans/{agreed['id']}",
    form=agreement_form,
    api=Api("/api/plans", status=201, responses={422: {"description": "Cannot plan"}}),
)
def agree(
    request: Request, principal: Annotated[Principal, Depends(REP)], body: PlanInput
) -> dict[str, Any]:
    """The signed-in rep agrees this plan; it is rebuilt on the server and stored."""
    web: WebContext = request.app.state.web
    if not principal.rep:
        raise InvalidObjective("only a rep's own account can agree a plan")
    planned = plan_for(body, web.settings, principal.rep)
    actor = Actor(principal.email, principal.rep)
    plan_request = body.to_request(principal.rep)
    return agreed_plan_to_dict(*agree_built_plan(web.settings, actor, plan_request, planned))


def visible_plan(web: WebContext, principal: Principal, plan_id: int) -> dict[str, Any]:
    """A rep's stored plan, if the principal may see that rep (else the same 404 as none)."""
    found: tuple[ObjectiveView, PlanView] | None = find_plan(web.settings, plan_id)
    if found is None:
        raise UnknownObjective(NOT_FOUND)
    objective, plan = found
    rep_owned = objective.owner_kind == "rep"
    if not rep_owned or not principal.can_see_rep(objective.owner, objective.team):
        raise UnknownObjective(NOT_FOUND)
    return agreed_plan_to_dict(objective, plan)


@twin(
    router,
    "GET",
    "/plans/{plan_id}",
    template="agreement.html",
    api=Api("/api/plans/{plan_id}", responses={404: {"description": "No such plan"}}),
)
def agreed_plan(
    request: Request, plan_id: PlanId, principal: Annotated[Principal, Depends(SIGNED_IN)]
) -> dict[str, Any]:
    """An agreed plan (only the rep's own, their managers' and admins')."""
    return visible_plan(request.app.state.web, principal, plan_id)


# -- JSON API ----------------------------------------------------------------


@router.post("/api/plan", responses={422: {"description": "The objective cannot be planned"}})
def api_plan(
    body: PlanInput, request: Request, principal: Annotated[Principal, Depends(SIGNED_IN)]
) -> dict[str, Any]:
    """Work an objective backwards: the same figures as ``backplan plan --json``."""
    web: WebContext = request.app.state.web
    return plan_to_dict(plan_for(body, web.settings, principal.rep))


@router.get("/api/funnels")
def api_funnels(
    request: Request, _: Annotated[Principal, Depends(SIGNED_IN)]
) -> list[dict[str, Any]]:
    """The organisation's funnels (shipped or edited) and the conversion rates each one's plans
    need."""
    settings = request.app.state.web.settings
    return [
        {"key": name, "conversions": conversions_of(settings, name)}
        for name in funnel_names(settings)
    ]
