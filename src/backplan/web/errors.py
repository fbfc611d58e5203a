"""Every failure becomes a 4xx with a reason (JSON or a friendly page), never a traceback.

A ``BackplanError`` knows its answer: one handler sends its class's ``status``
(see ``core/errors.py``) with its message. Routes do not catch errors to pick
a status; they only catch one to show it as part of a page (a form shown
again with what was typed, a section of a page that could not be computed).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from backplan.core.errors import BackplanError, TooManyTries
from backplan.web.permissions import NotSignedIn, SetUpTwoFactorFirst
from backplan.web.render import page, wants_json

log = logging.getLogger("backplan.web")

TITLES = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "That clashes with what is stored",
    413: "Too large",
    422: "Please check what you entered",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Busy, please try again shortly",
}


def error_page(
    request: Request,
    status: int,
    message: str,
    detail: object = None,
    next_step: dict[str, str] | None = None,
) -> Response:
    """The error as a page (or JSON); ``next_step`` (href, label) is the way forward."""
    data: dict[str, object] = {"error": message, "status": status}
    if detail is not None:
        data["detail"] = detail
    if next_step is not None:
        data["next_step"] = next_step
    return page(request, "error.html", data, status=status, extra={"title": TITLES.get(status)})


def with_retry_after(response: Response, exc: BackplanError) -> Response:
    """The response, telling the client when to try again if the error knows (RFC 9110)."""
    if isinstance(exc, TooManyTries) and exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def safe_next(path: str) -> str:
    """Only a path on this site may follow sign-in (no open redirects)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def install(app: FastAPI) -> None:
    @app.exception_handler(BackplanError)
    async def backplan_error(request: Request, exc: BackplanError) -> Response:
        return with_retry_after(error_page(request, exc.status, str(exc)), exc)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        """A browser asking for a page is sent to sign in, and back here afterwards."""
        if wants_json(request) or request.method != "GET":
            return error_page(request, exc.status, str(exc))
        target = safe_next(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(SetUpTwoFactorFirst)
    async def set_up_two_factor_first(request: Request, exc: SetUpTwoFactorFirst) -> Response:
        step = {"href": "/account/two-factor", "label": "Set up two-factor sign-in"}
        return error_page(request, exc.status, str(exc), next_step=step)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"where": _where(e.get("loc", ())), "problem": _problem(e.get("msg", ""))}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{p['where']}: {p['problem']}" for p in problems[:5])
        return error_page(request, 422, f"Please check the request: {summary}", problems)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        response = error_page(request, exc.status_code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_page(
            request, 500, "An unexpected error; it has been logged. Please try again later."
        )


def _where(loc: Any) -> str:
    """The field a problem is in ("period"), without the request part it came from."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("query", "path", "body", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "the request"


def _problem(message: str) -> str:
    """Pydantic's message without its class-of-error prefix ("Value error, ...")."""
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message
