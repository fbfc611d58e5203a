"""The sign-in half done: the password was right, the two-factor code is still to come.

Between the two steps the browser holds no session, only a short-lived
pending state in its own cookie (HttpOnly, like the session's): the user's id,
where to go afterwards and when it expires, signed with an HMAC under the
app's secret key, so it can be neither forged nor altered nor stretched. It
grants nothing but the right to type a code, and every wrong code counts
against the account (``services/two_factor.py``). The code form carries a
second HMAC of the pending state as its CSRF token, as the sign-in form does
with its nonce.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

PENDING_COOKIE = "backplan_two_factor"
LIFETIME = timedelta(minutes=10)
"""How long the code may take after the password: long enough to wait out a throttled try."""
LONGEST_NEXT = 1000
"""A longer page to go to after signing in is dropped for the start page (cookies are small)."""


@dataclass(frozen=True)
class Pending:
    user_id: str
    next_path: str


def _mac(secret: bytes, purpose: bytes, payload: str) -> str:
    return hmac.new(secret, purpose + payload.encode(), hashlib.sha256).hexdigest()


def pending_state(secret: bytes, pending: Pending, now: datetime) -> str:
    """The cookie's value: the signed state, valid for LIFETIME from ``now``."""
    fields = {
        "user": pending.user_id,
        "next": pending.next_path if len(pending.next_path) <= LONGEST_NEXT else "/",
        "until": int((now + LIFETIME).timestamp()),
        "nonce": secrets.token_urlsafe(16),
    }
    payload = base64.urlsafe_b64encode(json.dumps(fields).encode()).decode()
    return f"{payload}.{_mac(secret, b'two-factor-pending:', payload)}"


def read_pending(secret: bytes, state: str | None, now: datetime) -> Pending | None:
    """The pending sign-in behind a cookie, or None (absent, forged, altered or expired)."""
    if not state or len(state) > 4 * LONGEST_NEXT or "." not in state:
        return None
    payload, mac = state.rsplit(".", 1)
    if not hmac.compare_digest(
        mac.encode(), _mac(secret, b"two-factor-pending:", payload).encode()
    ):
        return None
    try:
        fields = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    if fields["until"] <= now.timestamp():
        return None
    return Pending(fields["user"], fields["next"])


def code_form_token(secret: bytes, state: str) -> str:
    """The code form's CSRF token: an HMAC of the pending state a cross-site page cannot read."""
    return _mac(secret, b"two-factor-form:", state)


def check_code_form_token(secret: bytes, state: str | None, token: str | None) -> bool:
    if not state or not token:
        return False
    return hmac.compare_digest(code_form_token(secret, state).encode(), token.encode())
