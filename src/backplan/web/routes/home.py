"""The home page: where each role starts.

A rep lands on their day (the daily number they control, done so far, pace, a plan waiting
for them); a manager on who needs attention first in each of their teams, and why.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from backplan.accounts.access import Principal, Role
from backplan.core.errors import BackplanError
from backplan.services.formatting import counted
from backplan.services.today import rep_today, today_to_dict
from backplan.web.context import WebContext
from backplan.web.navigation import links_for
from backplan.web.permissions import SIGNED_IN
from backplan.web.planning import named_funnel
from backplan.web.routes.auth import user_dict
from backplan.web.routes.teams import team_details
from backplan.web.twins import Api, twin

router = APIRouter()

ATTENTION = 3
"""Reps listed per team on the manager's home page: the most output at stake first."""


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
    """The team's reps who need attention first: on the diagnosis against the objective in
    force (most output at stake first), else on rates flagged on strong evidence."""
    try:
        details = team_details(web, principal, team, None, None, None, {})
    except BackplanError as e:
        return {"team": team, "reps": [], "error": str(e)}
    diagnosis = details.get("diagnosis")
    if diagnosis and not diagnosis.get("error"):
        members = [m for m in diagnosis.get("reps", []) if m.get("flagged")]
        members.sort(key=lambda m: -m["output_at_stake"])
        stage = named_funnel(web.settings, diagnosis["funnel"]).stage(
            diagnosis["objective"]["stage"]
        )
        return {
            "team": team,
            "objective": diagnosis["objective"]["text"],
            "reps": [_why(m, stage.unit, stage.plural) for m in members[:ATTENTION]],
            "error": None,
        }
    flags = details.get("flags", [])[:ATTENTION]
    reps = [
        {
            "rep": f["rep"],
            "name": f["name"] or f["rep"],
            "conversion": f["conversion"],
            "reason": (
                f"{f['conversion']} at {f['estimate']:.0%} against the team's {f['team_rate']:.0%}"
            ),
            "coaching": f["coaching"],
            "at_stake": None,
        }
        for f in flags
    ]
    return {"team": team, "objective": None, "reps": reps,
            "error": details.get("error")}  # fmt: skip


def _why(member: dict[str, Any], unit: str, plural: str) -> dict[str, Any]:
    """One rep's reason for attention: the bottleneck, its evidence, what it costs."""
    b = member["bottleneck"]
    return {
        "rep": member["rep"],
        "name": member["name"],
        "conversion": b["conversion"],
        "reason": (
            f"{b['from']} → {b['to']} at {b['estimate']:.0%} against {b['reference_rate']:.0%} "
            f"{'planned' if b['reference'] == 'plan' else 'for the team'}"
        ),
        "coaching": member["coaching"]["area"] if member.get("coaching") else None,
        "at_stake": counted(round(member["output_at_stake"], 1), unit, plural),
    }
