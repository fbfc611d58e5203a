"""The home page: where each role starts.

A rep lands on their day (the daily number they control, done so far, pace, a plan waiting
for them); a manager on who needs attention first in each of their teams, and why.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from backplan.accounts.access import Principal, Role
from backplan.core.errors import BackplanError
from backplan.services.attention import attention_from
from backplan.services.today import rep_today, today_to_dict
from backplan.web.context import WebContext
from backplan.web.navigation import links_for
from backplan.web.permissions import SIGNED_IN
from backplan.web.routes.auth import user_dict
from backplan.web.routes.teams import team_details
from backplan.web.twins import Api, twin

router = APIRouter()


@twin(router, "GET", "/", template="home.html", api=Api("/api/home"))
def home(request: Request, principal: Annotated[Principal, Depends(SIGNED_IN)]) -> dict[str, Any]:
    """Where each role starts: a rep's day (``today``), and for managers and admins the reps
    who need attention first in each team they see (``attention``), with the reason."""
    web: WebContext = request.app.state.web
    data: dict[str, Any] = {"user": user_dict(principal), "links": links_for(principal)}
    entry = web.roster_entry(principal.rep) if principal.rep else None
    data["name"] = (entry or {}).get("name") or principal.rep
    if principal.rep:
        try:
            data["today"] = today_to_dict(rep_today(web.settings, principal.rep))
        except BackplanError as e:
            data["today"] = {"error": str(e)}
    if principal.role is not Role.REP:
        teams = sorted(web.teams() if principal.role is Role.ADMIN else principal.teams)
        data["attention"] = [_attention(web, principal, team) for team in teams]
    return data


def _attention(web: WebContext, principal: Principal, team: str) -> dict[str, Any]:
    """The team's reps who need attention first (services/attention.py), from the team page's
    data, which the web keeps between requests."""
    try:
        details = team_details(web, principal, team, None, None, None, {})
    except BackplanError as e:
        return {"team": team, "reps": [], "error": str(e)}
    return attention_from(web.settings, team, details)
