"""A rep's page: their funnel (rates with intervals, against the team's) and agreed plans.

Seen by the rep themselves (as "My funnel"), their managers and admins only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from backplan.accounts.access import Principal
from backplan.core.errors import BackplanError
from backplan.services.definitions import funnel_names
from backplan.services.okr import agreed_plan_to_dict, agreed_plans_of
from backplan.web.context import WebContext
from backplan.web.permissions import SIGNED_IN
from backplan.web.planning import named_funnel
from backplan.web.render import page

router = APIRouter()


def rep_funnel(
    web: WebContext, rep: str, funnel: str, since: date | None, until: date | None
) -> dict[str, Any]:
    """The rep's rates over the window, each with its interval and the team's rate."""
    if not web.has_events():
        return {"error": "No events yet: an admin imports them on the Imports page."}
    named_funnel(web.settings, funnel)
    try:
        return web.rates.view("rep", rep, funnel, since, until, date.today())
    except BackplanError as e:
        return {"error": str(e)}


def rep_details(
    web: WebContext,
    principal: Principal,
    rep: str,
    funnel: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """The rep's details, or 404 alike for a rep who does not exist and one not visible."""
    rep = rep[:200]
    team = web.team_of(rep)
    if not principal.can_see_rep(rep, team) or rep not in web.known_reps():
        raise HTTPException(404, f"No rep named {rep!r} among the reps you can see.")
    chosen = funnel or web.settings.funnel
    return {
        "rep": rep,
        "team": team,
        "roster": web.roster_entry(rep),
        "funnels": funnel_names(web.settings),
        "funnel": rep_funnel(web, rep, chosen, since, until),
        "agreements": [
            agreed_plan_to_dict(objective, plan)
            for objective, plan in agreed_plans_of(web.settings, rep)
        ],
    }


@router.get("/reps/{rep}", include_in_schema=False)
def rep_page(
    request: Request,
    rep: str,
    principal: Annotated[Principal, Depends(SIGNED_IN)],
    funnel: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Response:
    data = rep_details(request.app.state.web, principal, rep, funnel, since, until)
    return page(request, "rep.html", data)


@router.get("/api/reps/{rep}", responses={404: {"description": "No such rep visible to you"}})
def api_rep(
    rep: str,
    request: Request,
    principal: Annotated[Principal, Depends(SIGNED_IN)],
    funnel: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """A rep's details, their rates over a window (default: the last full quarter) with
    intervals and their team's, and their agreed plans."""
    return rep_details(request.app.state.web, principal, rep, funnel, since, until)
