"""The web app: ``create_app(settings)`` builds it; ``backplan serve`` runs it with Uvicorn."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import backplan
from backplan.accounts.access import Principal
from backplan.config import Settings
from backplan.services.accounts import Accounts
from backplan.web import errors
from backplan.web.assets import CachedStaticFiles
from backplan.web.assets import router as static_router
from backplan.web.context import STATIC, WebContext
from backplan.web.limits import BodyLimit
from backplan.web.permissions import PUBLIC, check_routes
from backplan.web.rates_cache import figures_as_of, noting_figures_as_of
from backplan.web.routes import (
    account,
    admin,
    audit,
    auth,
    calibration,
    coaching,
    definitions_admin,
    digest,
    events,
    forecast,
    funnels,
    home,
    imports,
    okrs,
    one_to_one,
    plan,
    reps,
    roster,
    teams,
    two_factor,
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Headers every response gets; pages with user data are never cached."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = (
            self.settings.https if self.settings.https is not None else scope["scheme"] == "https"
        )

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                names = {k.lower() for k, _ in headers}
                extra = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"same-origin",
                    b"x-frame-options": b"DENY",
                    b"cross-origin-opener-policy": b"same-origin",
                    b"cache-control": b"no-store",
                }
                if https:
                    extra[b"strict-transport-security"] = b"max-age=31536000"
                headers.extend((k, v) for k, v in extra.items() if k not in names)
            await send(message)

        await self.app(scope, receive, with_headers)


class HeadAsGet:
    """HEAD answered as GET without its body (RFC 9110, 9.3.2): routes are declared for GET
    only, and without this every page answered HEAD with 405. The same checks run, so a
    page that needs a sign-in answers HEAD with what GET would."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


class WritesShowAtOnce:
    """After a request that may change data (anything but GET, HEAD and OPTIONS), the pages
    this process keeps (``web/rates_cache.py``) take the data's fingerprint afresh, so the
    person who saved an objective, agreed a plan or ended a focus sees it on the next page."""

    def __init__(self, app: ASGIApp, web: WebContext) -> None:
        self.app = app
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
                self.web.rates.invalidate()


class FiguresAsOf:
    """Notes which answers kept from before the latest import a request is given while the
    new ones are computed (``web/rates_cache.py``), and says from when in the header
    ``X-Backplan-Figures-As-Of`` (ISO 8601, the organisation's time zone)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_as_of(message: Message) -> None:
            as_of = figures_as_of()
            if message["type"] == "http.response.start" and as_of is not None:
                stamp = as_of.isoformat(timespec="seconds").encode()
                message.setdefault("headers", []).append((b"x-backplan-figures-as-of", stamp))
            await send(message)

        with noting_figures_as_of():
            await self.app(scope, receive, with_as_of)


def app_from_environment() -> FastAPI:
    """The app for the settings the environment gives (each server worker builds its own)."""
    from backplan.config import get_settings
    from backplan.config.private import private_umask

    private_umask()  # this process is the server: what it writes is the owner's only
    return create_app(get_settings())


def create_app(settings: Settings, *, accounts: Accounts | None = None) -> FastAPI:
    """The app for ``settings``; ``accounts`` lets tests use a cheaper password hasher."""
    app = FastAPI(
        title="backplan",
        version=backplan.__version__,
        description="Work backwards from an objective to the daily numbers a rep controls. "
        "Sign in with POST /api/session; send the returned csrf_token as X-CSRF-Token "
        "with every state-changing request.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.web = WebContext.build(settings, accounts)
    # Routes are added flat rather than with include_router, so that app.routes
    # lists every route itself: check_routes and the permission tests walk it.
    pages = (home, plan, events, one_to_one, reps, teams, okrs, coaching, forecast, calibration,
             funnels, account, digest, two_factor, admin, roster, imports, audit)  # fmt: skip
    editors = (definitions_admin.router,)  # admins edit the funnels and the playbook
    for router in (static_router, auth.router, *(module.router for module in pages), *editors):
        app.router.routes.extend(router.routes)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(_: Annotated[Principal | None, Depends(PUBLIC)]) -> dict[str, Any]:
        return app.openapi()

    @app.get("/healthz", include_in_schema=False)
    def healthz(
        request: Request, _: Annotated[Principal | None, Depends(PUBLIC)]
    ) -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/static", CachedStaticFiles(directory=STATIC), name="static")
    errors.install(app)
    check_routes(app.routes)
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(SecurityHeaders, settings=settings)
    app.add_middleware(HeadAsGet)
    app.add_middleware(WritesShowAtOnce, web=app.state.web)
    app.add_middleware(FiguresAsOf)
    return app
