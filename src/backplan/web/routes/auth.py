"""Sign-in and sign-out: the ``/login`` form, and ``/api/session`` for scripts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from backplan.accounts.access import Principal
from backplan.services.accounts import ActiveSession, SignInFailed, TooManySignIns
from backplan.web.context import WebContext
from backplan.web.csrf import check_login_token, login_token, new_nonce
from backplan.web.errors import safe_next, with_retry_after
from backplan.web.permissions import PUBLIC, SIGNED_IN, current_session
from backplan.web.render import page, wants_json
from backplan.web.sessions import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    read_cookie,
    set_cookie,
)

router = APIRouter()


def user_dict(principal: Principal) -> dict[str, Any]:
    return {
        "id": principal.user_id,
        "email": principal.email,
        "role": principal.role.value,
        "rep": principal.rep,
        "teams": sorted(principal.teams),
    }


def _login_page(
    request: Request, web: WebContext, *, next_path: str, error: str = "", status: int = 200
) -> Response:
    nonce = read_cookie(request, web.settings, LOGIN_COOKIE) or new_nonce()
    data = {
        "fields": ["email", "password", "csrf_token"],
        "csrf_token": login_token(web.secret, nonce),
        "next": next_path,
        "error": error or None,
    }
    response = page(request, "login.html", data, status=status)
    set_cookie(response, request, web.settings, LOGIN_COOKIE, nonce)
    return response


@router.get("/login", include_in_schema=False)
def login_form(
    request: Request, _: Annotated[Principal | None, Depends(PUBLIC)], next: str = "/"
) -> Response:
    """The sign-in form (fields ``email`` and ``password``)."""
    return _login_page(request, request.app.state.web, next_path=safe_next(next[:2000]))


def _started(request: Request, web: WebContext, session: ActiveSession, response: Response) -> None:
    set_cookie(response, request, web.settings, SESSION_COOKIE, session.token)
    clear_cookie(response, request, web.settings, LOGIN_COOKIE)


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    _: Annotated[Principal | None, Depends(PUBLIC)],
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    web: WebContext = request.app.state.web
    target = safe_next(next)
    nonce = read_cookie(request, web.settings, LOGIN_COOKIE)
    if not check_login_token(web.secret, nonce, csrf_token):
        return _login_page(
            request,
            web,
            next_path=target,
            error="The sign-in form expired (or your browser blocks cookies); please try again.",
            status=403,
        )
    old = read_cookie(request, web.settings, SESSION_COOKIE)
    try:
        session = await run_in_threadpool(web.accounts.sign_in, email, password, replacing=old)
    except (SignInFailed, TooManySignIns) as e:  # the form again, with the reason
        failed = _login_page(request, web, next_path=target, error=str(e), status=e.status)
        return with_retry_after(failed, e)
    response: Response
    if wants_json(request):
        response = page(request, "home.html", {"user": user_dict(session.principal)})
    else:
        response = RedirectResponse(target, status_code=303)
    _started(request, web, session, response)
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, principal: Annotated[Principal, Depends(SIGNED_IN)]) -> Response:
    web: WebContext = request.app.state.web
    session = await current_session(request)
    if session:
        await run_in_threadpool(web.accounts.sign_out, session.token)
    response: Response = (
        page(request, "login.html", {"signed_out": True})
        if wants_json(request)
        else RedirectResponse("/login", status_code=303)
    )
    clear_cookie(response, request, web.settings, SESSION_COOKIE)
    return response


class Credentials(BaseModel):
    email: str = Field(min_length=1, max_length=320, examples=["rep@example.com"])
    password: str = Field(min_length=1, max_length=1024)


class SessionOut(BaseModel):
    user: dict[str, Any]
    csrf_token: str = Field(description="Send it as X-CSRF-Token with every POST/PUT/DELETE.")


@router.post(
    "/api/session",
    response_model=SessionOut,
    responses={401: {"description": "Wrong email or password"}, 429: {"description": "Limit"}},
)
async def api_sign_in(
    request: Request,
    response: Response,
    body: Credentials,
    _: Annotated[Principal | None, Depends(PUBLIC)],
) -> dict[str, Any]:
    """Sign in with a JSON body; the session cookie comes back in ``Set-Cookie``."""
    web: WebContext = request.app.state.web
    old = read_cookie(request, web.settings, SESSION_COOKIE)
    session = await run_in_threadpool(
        web.accounts.sign_in, body.email, body.password, replacing=old
    )
    _started(request, web, session, response)
    return {"user": user_dict(session.principal), "csrf_token": session.csrf_token}


@router.delete("/api/session", status_code=204)
async def api_sign_out(request: Request, _: Annotated[Principal, Depends(SIGNED_IN)]) -> Response:
    """Sign out: the session ends on the server and its cookie is cleared."""
    web: WebContext = request.app.state.web
    session = await current_session(request)
    if session:
        await run_in_threadpool(web.accounts.sign_out, session.token)
    response = Response(status_code=204)
    clear_cookie(response, request, web.settings, SESSION_COOKIE)
    return response


@router.get("/api/me", response_model=SessionOut)
async def me(
    request: Request, principal: Annotated[Principal, Depends(SIGNED_IN)]
) -> dict[str, Any]:
    """Who is signed in, and the CSRF token their state-changing requests must carry."""
    session = await current_session(request)
    token = session.csrf_token if session else ""
    return {"user": user_dict(principal), "csrf_token": token}
