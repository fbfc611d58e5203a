"""OKRs: the objectives a user may see, each with its progress, and the forms to act on them.

A rep sees their own objectives and their team's; a manager their teams'
and their reps'; an admin all. Managers and admins create team objectives
split across reps; a rep proposes a plan for their own objective and agrees
it. An objective the user may not see answers exactly as a missing one (404).
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from backplan.accounts.access import Principal, Role
from backplan.core.errors import BackplanError, InvalidObjective, UnknownObjective, UnknownTeam
from backplan.services import okr
from backplan.services.audit import Actor
from backplan.web.context import WebContext
from backplan.web.permissions import MANAGERS, REP, SIGNED_IN
from backplan.web.planning import conversions_of
from backplan.web.render import page, wants_json
from backplan.web.types import Day, RowId

router = APIRouter()

NOT_FOUND = "No objective with that id among the objectives you can see."
MAX_FIELD = 100


def can_see(principal: Principal, objective: okr.ObjectiveView, own_team: str | None) -> bool:
    """Whether ``principal`` may see ``objective``: decided here, on the server."""
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.MANAGER:
        return objective.team is not None and objective.team in principal.teams
    if objective.owner_kind == "rep":
        return principal.rep is not None and objective.owner == principal.rep
    return own_team is not None and objective.owner == own_team


def visible_objectives(web: WebContext, principal: Principal) -> list[okr.ObjectiveView]:
    own = web.team_of(principal.rep) if principal.rep else None
    return [o for o in okr.list_objectives(web.settings) if can_see(principal, o, own)]


def visible_objective(
    web: WebContext, principal: Principal, objective_id: int
) -> okr.ObjectiveView:
    try:
        objective = okr.get_objective(web.settings, objective_id)
    except UnknownObjective:  # reworded only: a missing and an unseen objective read the same
        raise UnknownObjective(NOT_FOUND) from None
    own = web.team_of(principal.rep) if principal.rep else None
    if not can_see(principal, objective, own):
        raise UnknownObjective(NOT_FOUND)
    return objective


def progress_of(
    web: WebContext, objective: okr.ObjectiveView, as_of: date | None
) -> dict[str, Any]:
    """Actual against expected at the planned pace, or why it cannot be measured yet."""
    if not web.has_events():
        return {"error": "No events yet: progress shows once an admin imports them."}
    try:
        return web.rates.kept(
            ("okr-progress", objective.id, as_of),
            lambda: okr.progress_to_dict(okr.progress(web.settings, objective.id, as_of)),
        )
    except BackplanError as e:
        return {"error": str(e)}


def summary(
    web: WebContext, principal: Principal, o: okr.ObjectiveView, as_of: date | None
) -> dict[str, Any]:
    data = okr.objective_to_dict(o)
    data["progress"] = progress_of(web, o, as_of)
    data["can_plan"] = (
        principal.rep is not None and o.owner_kind == "rep" and o.owner == principal.rep
    )
    data["agreed"] = o.agreed_plan is not None
    return data


def okrs_data(web: WebContext, principal: Principal, as_of: date | None) -> dict[str, Any]:
    objectives = visible_objectives(web, principal)
    teams = sorted(web.teams() if principal.role is Role.ADMIN else principal.teams)
    return {
        "as_of": (as_of or web.settings.clock.today()).isoformat(),
        "objectives": [summary(web, principal, o, as_of) for o in objectives],
        "can_create": principal.role in (Role.ADMIN, Role.MANAGER),
        "teams": teams if principal.role is not Role.REP else [],
    }


@router.get("/okrs", include_in_schema=False)
def okrs_page(
    request: Request,
    principal: Annotated[Principal, Depends(SIGNED_IN)],
    as_of: Day | None = None,
) -> Response:
    """The objectives you can see, each with its progress (JSON with ``Accept: application/json``)."""
    data = okrs_data(request.app.state.web, principal, as_of)
    return page(request, "okrs.html", data)


@router.get("/okrs/{objective_id}", include_in_schema=False)
def okr_page(
    request: Request,
    objective_id: RowId,
    principal: Annotated[Principal, Depends(SIGNED_IN)],
    as_of: Day | None = None,
) -> Response:
    """One objective: key results, progress, plans and agreement; its reps' shares for a team."""
    web: WebContext = request.app.state.web
    objective = visible_objective(web, principal, objective_id)
    data = summary(web, principal, objective, as_of)
    own = web.team_of(principal.rep) if principal.rep else None
    data["children"] = [
        okr.objective_to_dict(c) for c in objective.children if can_see(principal, c, own)
    ]
    return page(
        request,
        "okr.html",
        data,
        extra={"conversions": conversions_of(web.settings, objective.funnel)},
    )


def _field(form: dict[str, str], name: str) -> str:
    return form.get(name, "").strip()[:MAX_FIELD]


@router.post("/okrs", include_in_schema=False)
async def create_okr(
    request: Request, principal: Annotated[Principal, Depends(MANAGERS)]
) -> Response:
    """A team objective split across its reps (fields ``team``, ``period``, ``key_results``)."""
    web: WebContext = request.app.state.web
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    team = _field(form, "team")
    if team not in web.teams() or not principal.can_see_team(team):
        raise UnknownTeam(f"No team named {team!r} among the teams you can see.")
    results = [r.strip() for r in _field(form, "key_results").split(",") if r.strip()]
    if not results:
        raise InvalidObjective("give at least one key result, e.g. '12 sqls'")
    req = okr.ObjectiveRequest(
        owner=team,
        owner_kind="team",
        period=_field(form, "period") or "month",
        key_results=results,
        text=_field(form, "text") or None,
        split=True,
        created_by=principal.email,
    )
    created = await run_in_threadpool(
        partial(okr.create_objective, by=Actor.of(principal)),
        web.settings,
        req,
        web.settings.clock.today(),
    )
    if wants_json(request):
        body = okr.objective_to_dict(created.objective)
        body["shares"] = [okr.share_to_dict(s) for s in created.shares]
        return page(request, "okr.html", body, status=201)
    return RedirectResponse(f"/okrs/{created.objective.id}", status_code=303)


def _actor(principal: Principal) -> okr.Actor:
    return okr.Actor(name=principal.email, rep=principal.rep)


@router.post("/okrs/{objective_id}/propose", include_in_schema=False)
async def propose(
    request: Request, objective_id: RowId, principal: Annotated[Principal, Depends(REP)]
) -> Response:
    """The rep works their own objective back through their rates (form fields override them)."""
    web: WebContext = request.app.state.web
    objective = visible_objective(web, principal, objective_id)
    if objective.owner_kind != "rep" or objective.owner != principal.rep:
        raise UnknownObjective(NOT_FOUND)
    form = await request.form()
    rates = {
        k[:40]: v.strip()[:40]
        for k, v in form.items()
        if "/" in k and isinstance(v, str) and v.strip()
    }
    plan = await run_in_threadpool(
        lambda: okr.propose_plan(
            web.settings,
            objective_id,
            web.settings.clock.today(),
            by=_actor(principal),
            rates=rates,
        )
    )
    if wants_json(request):
        return page(request, "okr.html", okr.plan_view_to_dict(plan), status=201)
    return RedirectResponse(f"/okrs/{objective_id}", status_code=303)


@router.post("/okrs/{objective_id}/agree", include_in_schema=False)
async def agree(
    request: Request, objective_id: RowId, principal: Annotated[Principal, Depends(REP)]
) -> Response:
    """The rep who owns the objective agrees its newest proposed plan."""
    web: WebContext = request.app.state.web
    visible_objective(web, principal, objective_id)
    plan = await run_in_threadpool(okr.agree_plan, web.settings, objective_id, _actor(principal))
    if wants_json(request):
        return page(request, "okr.html", okr.plan_view_to_dict(plan))
    return RedirectResponse(f"/okrs/{objective_id}", status_code=303)
