"""Access rules: every route declares exactly one, and nothing is reachable without one.

A rule is a FastAPI dependency. It finds the session behind the cookie,
checks the CSRF token on every state-changing request, and lets the request
through only for the roles it names. ``check_routes`` runs when the app is
built and refuses to build an app with a route that declares no rule, so
access is denied by default rather than by remembering.

Where two-factor sign-in is required of admins (``BACKPLAN_ADMIN_TWO_FACTOR``),
an admin who has yet to set it up passes only the rules that say
``before_two_factor`` (their own account and session, ``OWN_ACCOUNT``); every
other route answers 403 with the way forward.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Mount

from backplan.accounts.access import Principal, Role
from backplan.core.errors import Forbidden, Unauthenticated
from backplan.services.accounts import ActiveSession
from backplan.web.sessions import SESSION_COOKIE, read_cookie

if TYPE_CHECKING:
    from backplan.web.context import WebContext

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_UNSET = object()
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class NotSignedIn(Unauthenticated):
    """No valid session: a JSON client gets 401, a browser the sign-in page."""

    def __init__(self) -> None:
        super().__init__("Sign in first: POST /api/session or open /login.")


class WrongRole(Forbidden):
    """Signed in, but the role may not do this."""

    def __init__(self) -> None:
        super().__init__("Your role does not allow this page or action.")


class SetUpTwoFactorFirst(Forbidden):
    """An admin without two-factor sign-in, where it is required, asking for anything but
    their own account."""

    def __init__(self) -> None:
        super().__init__(
            "Set up two-factor sign-in first: admins sign in with a code from an "
            "authenticator app as well as their password. It takes a minute, on your account."
        )


class BadCsrfToken(Forbidden):
    """A state-changing request without the session's CSRF token."""

    def __init__(self) -> None:
        super().__init__(
            "This form has expired or did not come from backplan; reload the page and try again "
            "(scripts: send the session's csrf_token from GET /api/me as X-CSRF-Token)."
        )


async def current_session(request: Request) -> ActiveSession | None:
    """The session behind the request's cookie (looked up once per request)."""
    found = getattr(request.state, "session", _UNSET)
    if found is not _UNSET:
        return cast(ActiveSession | None, found)
    web: WebContext = request.app.state.web
    token = read_cookie(request, web.settings, SESSION_COOKIE)
    session = await run_in_threadpool(web.accounts.session, token) if token else None
    request.state.session = session
    return session


async def submitted_csrf_token(request: Request) -> str:
    """The token a request carries: the ``X-CSRF-Token`` header or the form's ``csrf_token``."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(FORM_TYPES):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


class Rule:
    """Who may call a route. Subclasses: ``Public`` and ``Allow``."""

    name: str = "rule"

    def describe(self) -> str:
        return self.name


class Public(Rule):
    """Anyone, signed in or not (the sign-in page, the API schema)."""

    name = "public"

    async def __call__(self, request: Request) -> Principal | None:
        session = await current_session(request)
        return session.principal if session else None


class Allow(Rule):
    """Signed-in users with one of ``roles``; state changes need the session's CSRF token.

    ``before_two_factor`` lets in an admin who must still set up two-factor sign-in.
    """

    def __init__(self, *roles: Role, before_two_factor: bool = False) -> None:
        self.roles = frozenset(roles or tuple(Role))
        self.name = "+".join(sorted(r.value for r in self.roles))
        self.before_two_factor = before_two_factor

    async def __call__(self, request: Request) -> Principal:
        session = await current_session(request)
        if session is None:
            raise NotSignedIn()
        if request.method not in SAFE_METHODS:
            token = await submitted_csrf_token(request)
            if not hmac.compare_digest(token.encode(), session.csrf_token.encode()):
                raise BadCsrfToken()
        if session.principal.role not in self.roles:
            raise WrongRole()
        if session.must_set_up_two_factor and not self.before_two_factor:
            raise SetUpTwoFactorFirst()
        return session.principal


PUBLIC = Public()
SIGNED_IN = Allow(Role.ADMIN, Role.MANAGER, Role.REP)
OWN_ACCOUNT = Allow(Role.ADMIN, Role.MANAGER, Role.REP, before_two_factor=True)
"""Signed-in users' own account and session: open to an admin who must still set up
two-factor sign-in, so they can (and can sign out)."""
ADMIN = Allow(Role.ADMIN)
REP = Allow(Role.REP)
MANAGERS = Allow(Role.ADMIN, Role.MANAGER)


def rules_of(route: APIRoute) -> list[Rule]:
    """The access rules a route declares among its dependencies (at any depth)."""
    found: list[Rule] = []
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Rule):
            found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return found


class PublicFiles:
    """Marker for mounted static files: public by declaration (see ``web.static``)."""


def route_rule(route: BaseRoute) -> Rule | None:
    """The one rule of a route, or None when it declares none (or several)."""
    if isinstance(route, APIRoute):
        rules = rules_of(route)
        return rules[0] if len(rules) == 1 else None
    if isinstance(route, Mount) and isinstance(route.app, PublicFiles):
        return PUBLIC
    return None


def check_routes(routes: Iterable[BaseRoute]) -> None:
    """Refuse to serve any route that does not declare exactly one access rule."""
    missing = [getattr(r, "path", repr(r)) for r in routes if route_rule(r) is None]
    if missing:
        raise RuntimeError(
            "routes without exactly one access rule (declare Depends(PUBLIC), "
            f"Depends(SIGNED_IN), Depends(ADMIN), ...): {', '.join(missing)}"
        )


def assert_app_routes(app: FastAPI) -> None:
    check_routes(app.routes)
