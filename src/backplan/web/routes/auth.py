"""Sign-in and sign-out: the ``/login`` form (and its second step, the two-factor code, at
``/login/two-factor``), and ``/api/session`` for scripts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from backplan.accounts.access import Principal
from backplan.services.accounts import ActiveSession, SignInFailed, TooManySignIns
from backplan.services.two_factor import CodeNeeded, WrongCode
from backplan.web.context import WebContext
from backplan.web.csrf import check_login_token, login_token, new_nonce
from backplan.web.errors import safe_next, with_retry_after
from backplan.web.pending import (
    PENDING_COOKIE,
    Pending,
    check_code_form_token,
    code_form_token,
    pending_state,
    read_pending,
)
from backplan.web.permissions import OWN_ACCOUNT, PUBLIC, current_session
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
    clear_cookie(response, request, web.settings, PENDING_COOKIE)


def _after_sign_in(request: Request, session: ActiveSession, target: str) -> Response:
    """Where a browser goes once signed in: ``target``, or setting up two-factor sign-in
    first for an admin who must."""
    if wants_json(request):
        return page(request, "home.html", {"user": user_dict(session.principal)})
    if session.must_set_up_two_factor:
        target = "/account/two-factor"
    return RedirectResponse(target, status_code=303)


def _to_code_step(request: Request, web: WebContext, pending: Pending) -> Response:
    """The password was right: on to the code, holding only a signed pending state."""
    response = RedirectResponse("/login/two-factor", status_code=303)
    state = pending_state(web.secret, pending, web.settings.clock.instant())
    set_cookie(response, request, web.settings, PENDING_COOKIE, state)
    return response


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
    except CodeNeeded as e:
        return _to_code_step(request, web, Pending(e.user_id, target))
    except (SignInFailed, TooManySignIns) as e:  # the form again, with the reason
        failed = _login_page(request, web, next_path=target, error=str(e), status=e.status)
        return with_retry_after(failed, e)
    response = _after_sign_in(request, session, target)
    _started(request, web, session, response)
    return response


def _pending(request: Request, web: WebContext) -> tuple[str, Pending] | None:
    state = read_cookie(request, web.settings, PENDING_COOKIE)
    found = read_pending(web.secret, state, web.settings.clock.instant())
    return (state, found) if state and found else None


def _code_page(
    request: Request, web: WebContext, state: str, *, error: str = "", status: int = 200
) -> Response:
    data = {
        "fields": ["code", "csrf_token"],
        "csrf_token": code_form_token(web.secret, state),
        "error": error or None,
    }
    return page(request, "login_two_factor.html", data, status=status)


def _start_again(request: Request, web: WebContext) -> Response:
    """No pending sign-in (none, or it expired): back to the password."""
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(response, request, web.settings, PENDING_COOKIE)
    return response


@router.get("/login/two-factor", include_in_schema=False)
def code_form(request: Request, _: Annotated[Principal | None, Depends(PUBLIC)]) -> Response:
    """The second step of signing in: the code form (field ``code``)."""
    web: WebContext = request.app.state.web
    found = _pending(request, web)
    return _code_page(request, web, found[0]) if found else _start_again(request, web)


@router.post("/login/two-factor", include_in_schema=False)
async def code_step(
    request: Request,
    _: Annotated[Principal | None, Depends(PUBLIC)],
    code: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    web: WebContext = request.app.state.web
    found = _pending(request, web)
    if found is None:
        return _start_again(request, web)
    state, pending = found
    if not check_code_form_token(web.secret, state, csrf_token):
        expired = "This form expired (or your browser blocks cookies); please try again."
        return _code_page(request, web, state, error=expired, status=403)
    old = read_cookie(request, web.settings, SESSION_COOKIE)
    try:
        session = await run_in_threadpool(
            web.accounts.finish_sign_in, pending.user_id, code, replacing=old
        )
    except (WrongCode, TooManySignIns) as e:  # the form again, with the reason
        failed = _code_page(request, web, state, error=str(e), status=e.status)
        return with_retry_after(failed, e)
    response = _after_sign_in(request, session, safe_next(pending.next_path))
    _started(request, web, session, response)
    return response


@router.post("/logout", include_in_schema=False)
async def logout(
    request: Request, principal: Annotated[Principal, Depends(OWN_ACCOUNT)]
) -> Response:
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
    code: str | None = Field(
        default=None,
        max_length=64,
        description="For an account with two-factor sign-in: the six digits its "
        "authenticator app shows now, or one of its recovery codes.",
    )


class SessionOut(BaseModel):
    user: dict[str, Any]
    csrf_token: str = Field(description="Send it as X-CSRF-Token with every POST/PUT/DELETE.")


@router.post(
    "/api/session",
    response_model=SessionOut,
    responses={
        401: {"description": "Wrong email, password or two-factor code, or the code missing"},
        429: {"description": "Limit"},
    },
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
        web.accounts.sign_in, body.email, body.password, code=body.code, replacing=old
    )
    _started(request, web, session, response)
    return {"user": user_dict(session.principal), "csrf_token": session.csrf_token}


@router.delete("/api/session", status_code=204)
async def api_sign_out(request: Request, _: Annotated[Principal, Depends(OWN_ACCOUNT)]) -> Response:
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
    request: Request, principal: Annotated[Principal, Depends(OWN_ACCOUNT)]
) -> dict[str, Any]:
    """Who is signed in, and the CSRF token their state-changing requests must carry."""
    session = await current_session(request)
    token = session.csrf_token if session else ""
    return {"user": user_dict(principal), "csrf_token": token}
