"""CSRF tokens.

Signed-in forms carry the session's own random token (a synchronizer token
stored with the session); ``permissions.Allow`` checks it on every request
that is not GET/HEAD/OPTIONS, from the ``csrf_token`` field or the
``X-CSRF-Token`` header. The sign-in form, which has no session yet, gets a
random nonce in a cookie and its HMAC under the app's secret key in the
form; a cross-site page can neither read the cookie nor forge the HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def login_token(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, b"sign-in:" + nonce.encode(), hashlib.sha256).hexdigest()


def check_login_token(secret: bytes, nonce: str | None, token: str | None) -> bool:
    if not nonce or not token:
        return False
    return hmac.compare_digest(login_token(secret, nonce).encode(), token.encode())
