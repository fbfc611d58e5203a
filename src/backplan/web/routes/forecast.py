"""Forecast: where each team and the organisation will land this period (the leadership view).

Managers see the teams they manage; admins every team, the organisation as a
whole and its results by lead source. Reps get 403: their own standing is on
the OKRs page, and another rep's forecast is not theirs to see.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from backplan.accounts.access import Principal, Role
from backplan.core.errors import BackplanError
from backplan.services.definitions import funnel_names
from backplan.services.leadership import LeadershipRequest, leadership_to_dict, leadership_view
from backplan.web.context import WebContext
from backplan.web.permissions import MANAGERS
from backplan.web.render import page
from backplan.web.types import Day, PeriodText

router = APIRouter()

MAX_PERIOD = 20


def forecast_data(
    web: WebContext,
    principal: Principal,
    period: str | None,
    funnel: str | None,
    as_of: date | None,
) -> dict[str, Any]:
    """The leadership view, cut down to what ``principal`` may see."""
    names = funnel_names(web.settings)
    chosen = funnel if funnel in names else web.settings.funnel
    base: dict[str, Any] = {
        "scope": "organisation" if principal.role is Role.ADMIN else "teams",
        "funnels": names,
        "funnel": chosen,
        "period_query": (period or "month")[:MAX_PERIOD],
    }
    if not web.has_events():
        return {**base, "error": "No events yet: an admin imports them on the Imports page."}
    request = LeadershipRequest(period=base["period_query"], funnel=chosen)
    day = as_of or web.settings.clock.today()
    try:
        # Computed once per change of the data, shared by every manager: copied before cutting.
        view = dict(
            web.rates.kept(
                ("leadership", request.period, chosen, day),
                lambda: leadership_to_dict(leadership_view(web.settings, request, as_of)),
            )
        )
    except BackplanError as e:
        return {**base, "error": str(e)}
    if principal.role is not Role.ADMIN:
        mine = principal.teams
        view["teams"] = [t for t in view["teams"] if t["team"] in mine]
        view["trends"] = [t for t in view["trends"] if t["team"] in mine]
        view["organisation"] = None
        view["sources"] = None
    return {**base, **view}


@router.get("/forecast", include_in_schema=False)
async def forecast_page(
    request: Request,
    principal: Annotated[Principal, Depends(MANAGERS)],
    period: PeriodText | None = None,
    funnel: str | None = None,
    as_of: Day | None = None,
) -> Response:
    """Roll-ups with P(hit), the 80% range and coverage against the bar, trends and sources.

    ``?period=2026-10`` or ``2026-Q4`` (default: this month), ``as_of=YYYY-MM-DD``; JSON with
    ``Accept: application/json``."""
    web: WebContext = request.app.state.web
    data = await run_in_threadpool(forecast_data, web, principal, period, funnel, as_of)
    return page(request, "forecast.html", data)
