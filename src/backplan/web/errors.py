"""Every failure becomes a 4xx with a reason (JSON or a friendly page), never a traceback."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from backplan.core.errors import BackplanError
from backplan.services.accounts import SignInFailed, TooManySignIns
from backplan.web.permissions import BadCsrfToken, Forbidden, NotSignedIn
from backplan.web.render import page, wants_json

log = logging.getLogger("backplan.web")

TITLES = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Too large",
    422: "Please check what you entered",
    429: "Too many attempts",
    500: "Something went wrong",
}


def error_page(request: Request, status: int, message: str, detail: object = None) -> Response:
    data: dict[str, object] = {"error": message, "status": status}
    if detail is not None:
        data["detail"] = detail
    return page(request, "error.html", data, status=status, extra={"title": TITLES.get(status)})


def safe_next(path: str) -> str:
    """Only a path on this site may follow sign-in (no open redirects)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def install(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if wants_json(request) or request.method != "GET":
            return error_page(request, 401, "Sign in first: POST /api/session or open /login.")
        target = safe_next(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return error_page(request, 403, "Your role does not allow this page or action.")

    @app.exception_handler(BadCsrfToken)
    async def bad_csrf(request: Request, exc: BadCsrfToken) -> Response:
        return error_page(
            request,
            403,
            "This form has expired or did not come from backplan; reload the page and try again "
            "(scripts: send the session's csrf_token from GET /api/me as X-CSRF-Token).",
        )

    @app.exception_handler(SignInFailed)
    async def sign_in_failed(request: Request, exc: SignInFailed) -> Response:
        return error_page(request, 401, str(exc))

    @app.exception_handler(TooManySignIns)
    async def too_many(request: Request, exc: TooManySignIns) -> Response:
        return error_page(request, 429, str(exc))

    @app.exception_handler(BackplanError)
    async def backplan_error(request: Request, exc: BackplanError) -> Response:
        return error_page(request, 422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {
                "where": ".".join(str(p) for p in e.get("loc", ())),
                "problem": e.get("msg", ""),
            }
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
