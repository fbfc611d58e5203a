"""Session and sign-in cookies.

Over https the session cookie is ``__Host-backplan_session``: Secure,
HttpOnly, SameSite=Lax, Path=/, no Domain, so no other host or path can set
or read it. Browsers only accept ``__Host-`` cookies that are Secure, which
needs https; on plain-http localhost (``backplan demo``, tests) the cookie
is ``backplan_session`` with the same attributes but not Secure.
"""

from __future__ import annotations

from fastapi import Request, Response

from backplan.config import Settings

SESSION_COOKIE = "backplan_session"
LOGIN_COOKIE = "backplan_login"


def is_https(request: Request, settings: Settings) -> bool:
    """Whether users reach this app over https: the setting, or the request's scheme."""
    if settings.https is not None:
        return settings.https
    return request.url.scheme == "https"


def cookie_name(request: Request, settings: Settings, base: str) -> str:
    return f"__Host-{base}" if is_https(request, settings) else base


def read_cookie(request: Request, settings: Settings, base: str) -> str | None:
    return request.cookies.get(cookie_name(request, settings, base))


def set_cookie(
    response: Response, request: Request, settings: Settings, base: str, value: str
) -> None:
    """A browser-session cookie (no expiry: the server decides how long a session lives)."""
    response.set_cookie(
        cookie_name(request, settings, base),
        value,
        path="/",
        secure=is_https(request, settings),
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, request: Request, settings: Settings, base: str) -> None:
    response.delete_cookie(
        cookie_name(request, settings, base),
        path="/",
        secure=is_https(request, settings),
        httponly=True,
        samesite="lax",
    )
