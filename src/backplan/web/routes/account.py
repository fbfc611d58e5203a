"""A user's own account: change the password (the current one is asked for), and whether
two-factor sign-in is on (``routes/two_factor.py`` sets it up)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from backplan.accounts.access import Principal
from backplan.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from backplan.core.errors import BackplanError
from backplan.services import digest
from backplan.services.accounts import ActiveSession
from backplan.web.context import WebContext
from backplan.web.permissions import OWN_ACCOUNT
from backplan.web.render import page
from backplan.web.routes.auth import user_dict
from backplan.web.sessions import SESSION_COOKIE, set_cookie

router = APIRouter()


def _account_page(
    request: Request, principal: Principal, *, message: str = "", error: str = "", status: int = 200
) -> Response:
    web: WebContext = request.app.state.web
    two_factor = web.accounts.two_factor.status(principal.user_id)
    data = {
        "user": user_dict(principal),
        "password_rules": {"min_length": MIN_LENGTH, "max_length": MAX_LENGTH},
        "two_factor": {
            "on": two_factor.on,
            "since": two_factor.since,
            "recovery_codes_left": two_factor.recovery_codes_left,
            "required": web.accounts.two_factor_required(principal.role),
        },
        "digest": {
            "on": not digest.opted_out(web.settings, principal.user_id),
            "schedule": f"every {web.settings.digest_day.capitalize()} at "
            f"{web.settings.digest_hour:02d}:00",
        },
        "message": message or None,
        "error": error or None,
    }
    return page(request, "account.html", data, status=status)


@router.get("/account", include_in_schema=False)
def account(
    request: Request,
    principal: Annotated[Principal, Depends(OWN_ACCOUNT)],
    changed: str = "",
    digest_saved: str = "",
) -> Response:
    message = "Your password is changed; other browsers were signed out." if changed else ""
    if digest_saved:
        message = "Your weekly digest choice is saved."
    return _account_page(request, principal, message=message)


def _change(request: Request, principal: Principal, current: str, new: str) -> ActiveSession:
    web: WebContext = request.app.state.web
    return web.accounts.change_password(principal, current, new)


@router.post("/account/password", include_in_schema=False)
async def change_password_form(
    request: Request,
    principal: Annotated[Principal, Depends(OWN_ACCOUNT)],
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        session = await run_in_threadpool(
            _change, request, principal, current_password, new_password
        )
    except BackplanError as e:
        problem = str(e)
    else:
        response = RedirectResponse("/account?changed=1", status_code=303)
        set_cookie(response, request, request.app.state.web.settings, SESSION_COOKIE, session.token)
        return response
    return await run_in_threadpool(_account_page, request, principal, error=problem, status=422)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


@router.post("/api/me/password", responses={422: {"description": "Refused, with the reason"}})
def api_change_password(
    body: PasswordChange,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(OWN_ACCOUNT)],
) -> dict[str, Any]:
    """Change your own password; every session ends and a new one starts (new cookie, new
    csrf_token)."""
    session = _change(request, principal, body.current_password, body.new_password)
    set_cookie(response, request, request.app.state.web.settings, SESSION_COOKIE, session.token)
    return {"user": user_dict(session.principal), "csrf_token": session.csrf_token}
