"""A rep's page: their funnel (rates with intervals, against the team's), each rate's trend
month by month, their cadence (response by attempt, when to move on) and agreed plans.

Seen by the rep themselves (as "My funnel"), their managers and admins only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from backplan.accounts.access import Principal
from backplan.core.errors import BackplanError, UnknownRep
from backplan.services.definitions import funnel_names
from backplan.services.diagnosis import CadenceRequest, cadence_report
from backplan.services.leadership import rep_conversion_trends, trend_to_dict
from backplan.services.okr import agreed_plan_to_dict, agreed_plans_of
from backplan.web.context import WebContext
from backplan.web.permissions import SIGNED_IN
from backplan.web.planning import named_funnel
from backplan.web.twins import Api, twin
from backplan.web.types import Day

router = APIRouter()


def rep_funnel(
    web: WebContext, rep: str, funnel: str, since: date | None, until: date | None
) -> dict[str, Any]:
    """The rep's rates over the window, each with its interval and the team's rate."""
    if not web.has_events():
        return {"error": "No events yet: an admin imports them on the Imports page."}
    named_funnel(web.settings, funnel)
    try:
        return web.rates.view("rep", rep, funnel, since, until, web.settings.clock.today())
    except BackplanError as e:
        return {"error": str(e)}


def rep_trends(web: WebContext, rep: str, funnel: str, last: date) -> dict[str, Any]:
    """Each conversion over the six months up to ``last``'s, and whether it is really moving."""
    if not web.has_events():
        return {"error": "No events yet.", "trends": []}
    chosen = named_funnel(web.settings, funnel)
    try:
        found = web.rates.kept(
            ("trends", rep, chosen, last),
            lambda: rep_conversion_trends(web.settings, chosen, rep, last),
        )
    except BackplanError as e:
        return {"error": str(e), "trends": []}
    return {"error": None, "trends": [trend_to_dict(t) for t in found]}


def rep_cadence(
    web: WebContext, rep: str, since: date | None, until: date | None
) -> dict[str, Any]:
    """Response by attempt number over the window, and how many attempts pay (case S6)."""
    if not web.has_events():
        return {"error": "No events yet."}
    request = CadenceRequest(rep=rep, since=since, until=until)
    try:
        parts = ("cadence", rep, since, until)
        return web.rates.kept(parts, lambda: cadence_report(web.settings, request))
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
        raise UnknownRep(f"No rep named {rep!r} among the reps you can see.")
    chosen = funnel or web.settings.funnel
    today = web.settings.clock.today()
    return {
        "rep": rep,
        "team": team,
        "roster": web.roster_entry(rep),
        "funnels": funnel_names(web.settings),
        "funnel": rep_funnel(web, rep, chosen, since, until),
        "trend": rep_trends(web, rep, chosen, min(until or today, today)),
        "cadence": rep_cadence(web, rep, since, until),
        "agreements": [
            agreed_plan_to_dict(objective, plan)
            for objective, plan in agreed_plans_of(web.settings, rep)
        ],
    }


@twin(
    router,
    "GET",
    "/reps/{rep}",
    template="rep.html",
    api=Api("/api/reps/{rep}", responses={404: {"description": "No such rep visible to you"}}),
)
def rep(
    request: Request,
    rep: str,
    principal: Annotated[Principal, Depends(SIGNED_IN)],
    funnel: str | None = None,
    since: Day | None = None,
    until: Day | None = None,
) -> dict[str, Any]:
    """A rep's details, their rates over a window (default: the last full quarter) with
    intervals and their team's, and their agreed plans."""
    return rep_details(request.app.state.web, principal, rep, funnel, since, until)
