"""Two-factor sign-in on one's own account: set it up (a QR code, the key as text, a first
code), new recovery codes, turn it off. Each change asks for the password or, once two-factor
sign-in is on, the app's current code."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from backplan.accounts.access import Principal
from backplan.core.errors import BackplanError
from backplan.web.context import WebContext
from backplan.web.errors import with_retry_after
from backplan.web.permissions import OWN_ACCOUNT
from backplan.web.qr import qr_svg
from backplan.web.render import page
from backplan.web.routes.auth import user_dict

router = APIRouter()
Typed = Annotated[str, Form(max_length=1024)]


def _page(
    request: Request,
    principal: Principal,
    *,
    recovery_codes: list[str] | None = None,
    message: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    """The two-factor page: set-up while it is off, the state and its forms once on; new
    recovery codes are in it only on the answer that made them."""
    web: WebContext = request.app.state.web
    found = web.accounts.two_factor.status(principal.user_id)
    data: dict[str, Any] = {
        "user": user_dict(principal),
        "enrolled": found.on,
        "since": found.since,
        "recovery_codes_left": found.recovery_codes_left,
        "required": web.accounts.two_factor_required(principal.role),
        "message": message or None,
        "error": error or None,
    }
    extra: dict[str, Any] = {}
    if recovery_codes:
        data["recovery_codes"] = recovery_codes
    if not found.on:
        enrolment = web.accounts.two_factor.enrolment(principal.user_id, principal.email)
        data |= {"secret": enrolment.spaced_key, "setup_uri": enrolment.uri}
        extra["qr"] = qr_svg(enrolment.uri)
    return page(request, "two_factor.html", data, status=status, extra=extra)


def _refused(request: Request, principal: Principal, problem: BackplanError) -> Response:
    """The page again, with what went wrong (a wrong password or code, a try too soon)."""
    shown = _page(request, principal, error=str(problem), status=problem.status)
    return with_retry_after(shown, problem)


@router.get("/account/two-factor", include_in_schema=False)
def two_factor(
    request: Request, principal: Annotated[Principal, Depends(OWN_ACCOUNT)], off: str = ""
) -> Response:
    return _page(request, principal, message="Two-factor sign-in is off." if off else "")


@router.post("/account/two-factor", include_in_schema=False)
def turn_on(
    request: Request,
    principal: Annotated[Principal, Depends(OWN_ACCOUNT)],
    password: Typed = "",
    code: Typed = "",
) -> Response:
    web: WebContext = request.app.state.web
    try:
        codes = web.accounts.turn_on_two_factor(principal, password, code)
    except BackplanError as e:
        return _refused(request, principal, e)
    message = "Two-factor sign-in is on. Keep these recovery codes somewhere safe."
    return _page(request, principal, recovery_codes=codes, message=message)


@router.post("/account/two-factor/recovery-codes", include_in_schema=False)
def new_recovery_codes(
    request: Request, principal: Annotated[Principal, Depends(OWN_ACCOUNT)], confirm: Typed = ""
) -> Response:
    web: WebContext = request.app.state.web
    try:
        codes = web.accounts.new_recovery_codes(principal, confirm)
    except BackplanError as e:
        return _refused(request, principal, e)
    message = "New recovery codes: the old ones no longer work."
    return _page(request, principal, recovery_codes=codes, message=message)


@router.post("/account/two-factor/disable", include_in_schema=False)
def turn_off(
    request: Request, principal: Annotated[Principal, Depends(OWN_ACCOUNT)], confirm: Typed = ""
) -> Response:
    web: WebContext = request.app.state.web
    try:
        web.accounts.turn_off_two_factor(principal, confirm)
    except BackplanError as e:
        return _refused(request, principal, e)
    return RedirectResponse("/account/two-factor?off=1", status_code=303)
