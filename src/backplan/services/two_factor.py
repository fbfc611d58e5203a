"""Two-factor sign-in as use cases: set it up, check a code at sign-in, recovery codes, off.

Setting up keeps a new key for the account (shown as a QR code and as text)
until a code from the app confirms it; then two-factor sign-in is on and ten
recovery codes are made, shown once and stored hashed.

At sign-in a code is checked after the password, and every try is counted
*before* it is checked, by the same throttle as passwords
(``services/sign_ins.py``), under the account's own key
``two-factor:<user id>``: past ``max_failed_sign_ins`` wrong codes each further
try waits longer, so six digits cannot be run through, and someone guessing
passwords does not make the owner wait for the code step too. An accepted
code's 30-second step is stored with a conditional UPDATE, and a code of that
step or an older one is refused, so no code works twice, even two at once.

Time comes from the settings' clock (``Settings.clock``), so tests pin it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update

from backplan import appdb
from backplan.accounts.errors import InvalidAccount
from backplan.accounts.two_factor import (
    cleaned,
    is_app_code,
    matching_step,
    new_key,
    new_recovery_codes,
    recovery_hash,
    setup_uri,
    spaced,
)
from backplan.appdb.models import RecoveryCode, User, WebSession
from backplan.config import Settings
from backplan.core.errors import InvalidInput, Unauthenticated
from backplan.services.sign_ins import SignInThrottles


class WrongCode(Unauthenticated):
    """A code at sign-in that is not the app's current one nor an unused recovery code."""

    def __init__(self) -> None:
        super().__init__(
            "That code is not right, or it was used already. Type the six digits your "
            "authenticator app shows now, or one of your recovery codes."
        )


class CodeNeeded(Unauthenticated):
    """The password was right, and the account signs in with a code too (``user_id``: whose)."""

    def __init__(self, user_id: str) -> None:
        super().__init__(
            "This account signs in with a code from its authenticator app as well: send it "
            "as code, with the email and password."
        )
        self.user_id = user_id


class CodeDoesNotMatch(InvalidInput):
    """The code typed to confirm a new key is not the one the app should show."""

    def __init__(self) -> None:
        super().__init__(
            "That code does not match. Check that the app shows backplan's code and that "
            "your phone's clock is right, then type the six digits it shows now."
        )


class NotSetUp(InvalidInput):
    """Two-factor sign-in is off for the account, so there is nothing to change."""

    def __init__(self) -> None:
        super().__init__("Two-factor sign-in is not set up for this account.")


class AlreadyOn(InvalidInput):
    """Two-factor sign-in is on already; turn it off first to move to a new phone."""

    def __init__(self) -> None:
        super().__init__(
            "Two-factor sign-in is on already; to move it to another phone, turn it off "
            "and set it up again."
        )


@dataclass(frozen=True)
class Enrolment:
    """A key waiting for its first code: what the set-up page shows."""

    key: str
    uri: str

    @property
    def spaced_key(self) -> str:
        return spaced(self.key)


@dataclass(frozen=True)
class TwoFactorStatus:
    on: bool
    since: datetime | None
    recovery_codes_left: int


def throttle_key(user_id: str) -> str:
    """Where the throttle counts an account's code tries (no email address looks like it)."""
    return f"two-factor:{user_id}"


class TwoFactor:
    """Each account's authenticator key and recovery codes, in the app database."""

    def __init__(self, settings: Settings, throttles: SignInThrottles) -> None:
        self.settings = settings
        self.throttles = throttles

    def now(self) -> datetime:
        return self.settings.clock.instant()

    def status(self, user_id: str) -> TwoFactorStatus:
        with appdb.session(self.settings) as s:
            since = s.scalar(select(User.totp_enabled_at).where(User.id == user_id))
            left = s.scalar(
                select(func.count())
                .select_from(RecoveryCode)
                .where(RecoveryCode.user_id == user_id)
            )
        return TwoFactorStatus(since is not None, since, left or 0)

    def enrolment(self, user_id: str, email: str) -> Enrolment:
        """The key waiting to be confirmed (made now if there is none): the same one until a
        code confirms it, so reloading the page does not undo a scan."""
        with appdb.session(self.settings) as s:
            user = s.get(User, user_id)
            if user is None:
                raise InvalidAccount("this account no longer exists")
            if user.totp_enabled_at is not None:
                raise AlreadyOn()
            if user.totp_secret is None:
                user.totp_secret = new_key()
            return Enrolment(user.totp_secret, setup_uri(user.totp_secret, email))

    def turn_on(self, user_id: str, typed: str) -> list[str]:
        """Confirm the waiting key with the app's code; returns the new recovery codes."""
        with appdb.session(self.settings) as s:
            user = s.get(User, user_id)
            if user is None:
                raise InvalidAccount("this account no longer exists")
            if user.totp_enabled_at is not None:
                raise AlreadyOn()
            step = matching_step(user.totp_secret, typed, self.now()) if user.totp_secret else None
            if step is None:
                raise CodeDoesNotMatch()
            user.totp_enabled_at, user.totp_last_step = self.now(), step
        return self.new_recovery_codes(user_id)

    def check(self, user_id: str, typed: str, *, recovery: bool = True) -> None:
        """Accept the app's current code (or, with ``recovery``, an unused recovery code)
        once, or raise WrongCode; throttled like passwords (TooManySignIns)."""
        key = throttle_key(user_id)
        self.throttles.count_try(key)  # a failure until the code is accepted
        if is_app_code(typed):
            accepted = self._use_app_code(user_id, typed)
        else:
            accepted = recovery and self._use_recovery_code(user_id, typed)
        if not accepted:
            raise WrongCode()
        self.throttles.succeeded(key)

    def new_recovery_codes(self, user_id: str) -> list[str]:
        """Ten new recovery codes in place of any left (returned once, stored hashed)."""
        codes = new_recovery_codes()
        with appdb.session(self.settings) as s:
            if s.scalar(select(User.totp_enabled_at).where(User.id == user_id)) is None:
                raise NotSetUp()
            s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
            now = self.now()
            s.add_all(
                RecoveryCode(user_id=user_id, code_hash=recovery_hash(c), created_at=now)
                for c in codes
            )
        return codes

    def turn_off(self, user_id: str, *, end_sessions: bool = False) -> None:
        """Forget the key and the recovery codes (and, if asked, end every session)."""
        with appdb.session(self.settings) as s:
            s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
            s.execute(
                update(User)
                .where(User.id == user_id)
                .values(totp_secret=None, totp_enabled_at=None, totp_last_step=None)
            )
            if end_sessions:
                s.execute(delete(WebSession).where(WebSession.user_id == user_id))
        self.throttles.forget(throttle_key(user_id))

    def _use_app_code(self, user_id: str, typed: str) -> bool:
        with appdb.session(self.settings) as s:
            key = s.scalar(
                select(User.totp_secret).where(
                    User.id == user_id, User.totp_enabled_at.is_not(None)
                )
            )
        step = matching_step(key, typed, self.now()) if key else None
        if step is None:
            return False
        with appdb.connection(self.settings) as conn:
            newer = or_(User.totp_last_step.is_(None), User.totp_last_step < step)
            used = conn.execute(
                update(User).where(User.id == user_id, newer).values(totp_last_step=step)
            )
            return bool(used.rowcount == 1)

    def _use_recovery_code(self, user_id: str, typed: str) -> bool:
        if len(cleaned(typed)) != 16:
            return False
        with appdb.connection(self.settings) as conn:
            used = conn.execute(
                delete(RecoveryCode).where(
                    RecoveryCode.user_id == user_id, RecoveryCode.code_hash == recovery_hash(typed)
                )
            )
            return bool(used.rowcount == 1)
