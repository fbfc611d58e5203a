"""The events behind a figure: a rep's (seen by themselves, their managers and admins) or a
team's (its managers and admins) events at one stage, with the CRM's ids."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from backplan.accounts.access import Principal
from backplan.core.errors import UnknownRep, UnknownTeam
from backplan.services.drill import events_behind, events_to_dict
from backplan.web.context import WebContext
from backplan.web.permissions import MANAGERS, SIGNED_IN
from backplan.web.twins import Api, Responses, twin
from backplan.web.types import Day

router = APIRouter()

NOT_VISIBLE: Responses = {404: {"description": "Nothing by that name visible to you"}}
Stage = Annotated[str, Query(max_length=100)]
Funnel = Annotated[str | None, Query(max_length=200)]
Page = Annotated[int, Query(ge=1, le=1_000_000)]


@twin(router, "GET", "/reps/{rep}/events", template="events.html",
      api=Api("/api/reps/{rep}/events", responses=NOT_VISIBLE))  # fmt: skip
def rep_events(
    request: Request,
    rep: str,
    principal: Annotated[Principal, Depends(SIGNED_IN)],
    stage: Stage,
    funnel: Funnel = None,
    since: Day | None = None,
    until: Day | None = None,
    page: Page = 1,
) -> dict[str, Any]:
    """The rep's events that count at ``stage`` in the window (default: this month to date),
    newest first, 50 a page, each with the CRM's id."""
    web: WebContext = request.app.state.web
    rep = rep[:200]
    if not principal.can_see_rep(rep, web.team_of(rep)) or rep not in web.known_reps():
        raise UnknownRep(f"No rep named {rep!r} among the reps you can see.")
    return _page(web, "rep", rep, stage, funnel, since, until, page)


@twin(router, "GET", "/teams/{team}/events", template="events.html",
      api=Api("/api/teams/{team}/events", responses=NOT_VISIBLE))  # fmt: skip
def team_events(
    request: Request,
    team: str,
    principal: Annotated[Principal, Depends(MANAGERS)],
    stage: Stage,
    funnel: Funnel = None,
    since: Day | None = None,
    until: Day | None = None,
    page: Page = 1,
) -> dict[str, Any]:
    """The team's events that count at ``stage`` in the window, as for a rep."""
    web: WebContext = request.app.state.web
    team = team[:200]
    if not principal.can_see_team(team) or team not in web.teams():
        raise UnknownTeam(f"No team named {team!r} among the teams you can see.")
    return _page(web, "team", team, stage, funnel, since, until, page)


def _page(
    web: WebContext, kind: str, owner: str, stage: str, funnel: str | None,
    since: date | None, until: date | None, page: int,
) -> dict[str, Any]:  # fmt: skip
    found = events_behind(
        web.settings, kind, owner, stage, funnel=funnel, since=since, until=until, page=page
    )
    return events_to_dict(found)
