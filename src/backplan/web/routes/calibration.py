"""How good are our forecasts? The forecasts backtested on the organisation's own history.

Managers see the teams they manage, admins every team. Reps get 403, as on the
Forecast page. The page draws a reliability diagram (P said against the share
that hit) and the ranges' coverage; ``Accept: application/json`` gives the
same figures as ``backplan calibration --json``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from backplan.accounts.access import Principal, Role
from backplan.core.errors import BackplanError
from backplan.services.calibration import (
    DEFAULT_MONTHS,
    CalibrationRequest,
    calibration,
    calibration_to_dict,
)
from backplan.web.context import WebContext
from backplan.web.permissions import MANAGERS
from backplan.web.render import page

router = APIRouter()

MAX_MONTHS = 12


def calibration_data(
    web: WebContext, principal: Principal, months: int, as_of: date | None
) -> dict[str, Any]:
    """The backtest of the teams ``principal`` may see."""
    base: dict[str, Any] = {"months": months}
    if not web.has_events():
        return {**base, "error": "No events yet: an admin imports them on the Imports page."}
    teams = None if principal.role is Role.ADMIN else sorted(principal.teams)
    if teams == []:
        return {**base, "error": "You manage no team yet: an admin sets it on the Roster page."}
    try:
        report = calibration(web.settings, CalibrationRequest(teams=teams, months=months), as_of)
    except BackplanError as e:
        return {**base, "error": str(e)}
    return {**base, **calibration_to_dict(report)}


@router.get("/calibration", include_in_schema=False)
async def calibration_page(
    request: Request,
    principal: Annotated[Principal, Depends(MANAGERS)],
    months: int = DEFAULT_MONTHS,
    as_of: date | None = None,
) -> Response:
    """Reliability, range coverage and Brier score of the forecasts of the last ``months``
    full months, each made on its 10th working day; JSON with ``Accept: application/json``."""
    web: WebContext = request.app.state.web
    chosen = min(max(months, 1), MAX_MONTHS)
    data = await run_in_threadpool(calibration_data, web, principal, chosen, as_of)
    return page(request, "calibration.html", data)
