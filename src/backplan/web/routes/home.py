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
from backplan.services.formatting import counted
from backplan.services.today import rep_today, today_to_dict
from backplan.web.context import WebContext
from backplan.web.navigation import links_for
from backplan.web.permissions import SIGNED_IN
from backplan.web.planning import named_funnel
from backplan.web.routes.auth import user_dict
from backplan.web.routes.forecast import forecast_data
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
            today = rep_today(web.settings, principal.rep, keep=web.rates.kept)
            data["today"] = today_to_dict(today)
        except BackplanError as e:
            data["today"] = {"error": str(e)}
    if principal.role is not Role.REP:
        teams = sorted(web.teams() if principal.role is Role.ADMIN else principal.teams)
        data["attention"] = [_attention(web, principal, team) for team in teams]
        data["landing"] = _landing(web, principal)
    return data


def _landing(web: WebContext, principal: Principal) -> dict[str, Any]:
    """Where this month will land for the teams ``principal`` sees (and, for admins, the
    organisation): the Forecast page's roll-ups, kept between requests."""
    view = forecast_data(web, principal, "month", None, None)
    if view.get("error"):
        return {"error": view["error"], "rows": []}
    rows = [*view.get("teams", []), *([view["organisation"]] if view.get("organisation") else [])]
    stage = view.get("stage")
    words = named_funnel(web.settings, view["funnel"]).stage(stage) if stage else None
    return {
        "error": None,
        "period": view.get("period", {}).get("label"),
        "stage": stage,
        "rows": [
            {
                "team": r["team"] or "Organisation",
                "target": r["target"],
                "target_text": counted(r["target"], words.unit, words.plural) if words else "",
                "actual": r["actual"].get(stage) if stage else None,
                "pace": r["pace"],
                "p_hit": r["forecast"]["p_hit"] if r["forecast"] else None,
            }
            for r in rows
            if r["target"]
        ],
    }


def _attention(web: WebContext, principal: Principal, team: str) -> dict[str, Any]:
    """The team's reps who need attention first (services/attention.py), from the team page's
    data, which the web keeps between requests."""
    try:
        details = team_details(web, principal, team, None, None, None, {})
    except BackplanError as e:
        return {"team": team, "reps": [], "error": str(e)}
    return attention_from(web.settings, team, details)
