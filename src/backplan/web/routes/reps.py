"""A rep's page: their own details, seen by themselves, their managers and admins only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from backplan.accounts.access import Principal
from backplan.web.context import WebContext
from backplan.web.permissions import SIGNED_IN
from backplan.web.render import page

router = APIRouter()


def rep_details(web: WebContext, principal: Principal, rep: str) -> dict[str, Any]:
    """The rep's details, or 404 alike for a rep who does not exist and one not visible."""
    rep = rep[:200]
    team = web.team_of(rep)
    if not principal.can_see_rep(rep, team) or rep not in web.known_reps():
        raise HTTPException(404, f"No rep named {rep!r} among the reps you can see.")
    return {
        "rep": rep,
        "team": team,
        "roster": web.roster_entry(rep),
        "agreements": [a.to_dict() for a in web.agreements.for_rep(rep)],
    }


@router.get("/reps/{rep}", include_in_schema=False)
def rep_page(
    request: Request, rep: str, principal: Annotated[Principal, Depends(SIGNED_IN)]
) -> Response:
    return page(request, "rep.html", rep_details(request.app.state.web, principal, rep))


@router.get("/api/reps/{rep}", responses={404: {"description": "No such rep visible to you"}})
def api_rep(
    rep: str, request: Request, principal: Annotated[Principal, Depends(SIGNED_IN)]
) -> dict[str, Any]:
    """A rep's details and agreed plans."""
    return rep_details(request.app.state.web, principal, rep)
