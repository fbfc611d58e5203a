"""Accounts as use cases: create users, sign in and out, look up the session behind a cookie.

Sessions live in the app database; the browser holds only a random id
(256 bits), of which the database keeps a SHA-256 hash. Every sign-in makes
a new session (a session id never survives a sign-in), sign-out deletes it.
An account with two-factor sign-in gets a session only once its code is
accepted too (``services/two_factor.py``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from backplan import appdb
from backplan.accounts.access import Principal, Role
from backplan.accounts.errors import InvalidAccount
from backplan.accounts.passwords import PasswordHasher, check_new_password
from backplan.accounts.two_factor import is_app_code
from backplan.appdb.models import Rep, Team, User, UserTeam, WebSession
from backplan.config import Settings
from backplan.core.errors import InvalidInput, Unauthenticated
from backplan.services.audit import Actor, changes, record
from backplan.services.sign_ins import SignInThrottles
from backplan.services.sign_ins import TooManySignIns as TooManySignIns  # shells name it here
from backplan.services.two_factor import CodeNeeded, NotSetUp, TwoFactor, WrongCode

Clock = Callable[[], datetime]
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
# How stale last_seen_at may get before a request refreshes it (saves a write per request).
TOUCH_EVERY = timedelta(minutes=1)


class SignInFailed(Unauthenticated):
    """Wrong email or password: one message for both, so accounts cannot be discovered."""

    def __init__(self) -> None:
        super().__init__("That email and password do not match an account. Check both and retry.")


class WrongPassword(InvalidInput):
    """The current password, typed to change it, is not right."""


class NotConfirmed(InvalidInput):
    """Neither the password nor the app's current code, typed to confirm a change."""

    def __init__(self) -> None:
        super().__init__(
            "That is neither your password nor the code your authenticator app shows now; "
            "type one of them again."
        )


def open_app_database(settings: Settings) -> None:
    """Open the app database and migrate it to the newest schema (a server does this at start,
    so no request waits for it)."""
    appdb.engine(settings)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _roster_rep(s: Session, wanted: str) -> str:
    """The roster's key for a rep given by key or name; any name while no roster is loaded."""
    reps = s.execute(select(Rep.key, Rep.name)).all()
    if not reps:
        return wanted
    folded = wanted.casefold()
    for column in (0, 1):
        hits = {r[0] for r in reps if str(r[column]).casefold() == folded}
        if len(hits) == 1:
            return hits.pop()
    raise InvalidAccount(
        f"no rep {wanted!r} in the roster; give a rep's key or name as the roster has it "
        "(backplan rates lists them)"
    )


def _roster_team(s: Session, wanted: str) -> str:
    """The roster's name for a team (any case); any name while the roster has no teams."""
    teams = list(s.scalars(select(Team.name)))
    if not teams:
        return wanted
    for team in teams:
        if team.casefold() == wanted.casefold():
            return team
    raise InvalidAccount(f"no team {wanted!r} in the roster; teams are {', '.join(sorted(teams))}")


def _links(
    role: Role | str, rep: str | None, teams: Iterable[str]
) -> tuple[Role, str | None, list[str]]:
    """The role with what it links to: a rep for a rep's account, teams for a manager's."""
    role = role if isinstance(role, Role) else Role.parse(role)
    team_names = sorted({t.strip() for t in teams if t.strip()})
    rep = rep.strip() if rep else None
    if role is Role.REP and not rep:
        raise InvalidAccount("a rep's account needs the rep it belongs to: add --rep NAME")
    if role is Role.MANAGER and not team_names:
        raise InvalidAccount("a manager's account needs a team they manage: add --team NAME")
    if role is not Role.REP and rep:
        raise InvalidAccount(f"--rep is for reps' accounts only, not for the role {role}")
    if role is not Role.MANAGER and team_names:
        raise InvalidAccount(f"--team is for managers' accounts only, not for the role {role}")
    return role, rep, team_names


def _roster_links(s: Session, rep: str | None, teams: list[str]) -> tuple[str | None, list[str]]:
    """The rep and teams as the roster names them."""
    return (_roster_rep(s, rep) if rep else None), [_roster_team(s, t) for t in teams]


def normalise_email(email: str) -> str:
    address = email.strip().lower()
    if len(address) > 320 or not EMAIL.fullmatch(address):
        raise InvalidAccount(f"{email!r} is not an email address; write it as name@example.com")
    return address


@dataclass(frozen=True)
class UserView:
    """A user as lists and pages show them (never the password hash)."""

    id: str
    email: str
    role: Role
    rep: str | None
    teams: tuple[str, ...]
    created_at: datetime

    @property
    def principal(self) -> Principal:
        return Principal(self.id, self.email, self.role, self.rep, frozenset(self.teams))


def user_to_dict(user: UserView) -> dict[str, Any]:
    """A user as ``backplan user list --json`` and ``GET /api/users`` show it (no password)."""
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role.value,
        "rep": user.rep,
        "teams": list(user.teams),
        "created_at": user.created_at.isoformat(),
    }


@dataclass(frozen=True)
class ActiveSession:
    """What a valid session cookie stands for."""

    token: str
    principal: Principal
    csrf_token: str
    must_set_up_two_factor: bool = False
    """An admin without two-factor sign-in where it is required: only their own account
    (where they set it up) is open to them."""


def _end_sessions(s: Session, user_id: str) -> int:
    """End every session of the user; how many there were."""
    ended = s.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return cast(CursorResult[Any], ended).rowcount


def _access(user: User) -> dict[str, Any]:
    """What an account may see, as the audit log records it."""
    return {"role": user.role, "rep": user.rep, "teams": sorted(t.team for t in user.teams)}


def _view(user: User) -> UserView:
    return UserView(
        id=user.id,
        email=user.email,
        role=Role(user.role),
        rep=user.rep,
        teams=tuple(sorted(t.team for t in user.teams)),
        created_at=_utc(user.created_at),
    )


class Accounts:
    """Users and their sessions in the app database."""

    def __init__(
        self,
        settings: Settings,
        hasher: PasswordHasher | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.settings = settings
        self.hasher = hasher or PasswordHasher(
            settings.argon2_time_cost, settings.argon2_memory_kib
        )
        self.clock = clock
        self.throttles = SignInThrottles(settings, clock)
        self.two_factor = TwoFactor(settings, self.throttles)

    # -- users -------------------------------------------------------------

    def add_user(
        self,
        email: str,
        password: str,
        role: Role | str,
        *,
        rep: str | None = None,
        teams: Iterable[str] = (),
        by: Actor | None = None,
    ) -> UserView:
        """Create a user; a rep is linked to a rep of the roster, a manager to their teams.

        ``by`` (who creates it) is recorded in the audit log, as every change here is.
        """
        address = normalise_email(email)
        role, rep, team_names = _links(role, rep, teams)
        stored = self.hasher.hash(check_new_password(password, address))
        with appdb.session(self.settings) as s:
            rep, team_names = _roster_links(s, rep, team_names)
            if s.scalar(select(User.id).where(User.email == address)):
                raise InvalidAccount(f"there is already an account for {address}")
            if rep and s.scalar(select(User.id).where(User.rep == rep)):
                raise InvalidAccount(f"rep {rep!r} already has an account")
            user = User(
                id=secrets.token_hex(16),
                email=address,
                password_hash=stored,
                role=role.value,
                rep=rep,
                created_at=self.clock(),
                teams=[UserTeam(team=t) for t in team_names],
            )
            s.add(user)
            s.flush()
            record(s, self.settings, by, "user.created", address, _access(user))
            return _view(user)

    def update_user(
        self,
        user_id: str,
        role: Role | str,
        *,
        rep: str | None = None,
        teams: Iterable[str] = (),
        by: Actor | None = None,
    ) -> UserView | None:
        """Change what an account may see: its role, its rep or a manager's teams (None: no
        such user). The change holds from the user's next request.

        ``by`` (the admin) may not take away their own admin role, so an organisation
        always keeps an admin who can undo a mistake. A change is recorded in the audit
        log (``user.role_changed`` when the role changes); saving no change records nothing.
        """
        role, rep, team_names = _links(role, rep, teams)
        with appdb.session(self.settings) as s:
            user = s.get(User, user_id)
            if user is None:
                return None
            if by is not None and user_id == by.user_id and role is not Role.ADMIN:
                raise InvalidAccount("you cannot take away your own admin role; ask another admin")
            rep, team_names = _roster_links(s, rep, team_names)
            taken = select(User.id).where(User.rep == rep, User.id != user_id)
            if rep and s.scalar(taken):
                raise InvalidAccount(f"rep {rep!r} already has an account")
            before = _access(user)
            user.role, user.rep = role.value, rep
            user.teams = [UserTeam(team=t) for t in team_names]
            s.flush()
            changed = changes(before, _access(user))
            if changed:
                action = "user.role_changed" if "role" in changed else "user.access_changed"
                record(s, self.settings, by, action, user.email, changed)
            return _view(user)

    def users(self) -> list[UserView]:
        with appdb.session(self.settings) as s:
            return [_view(u) for u in s.scalars(select(User).order_by(User.email))]

    def user(self, user_id: str) -> UserView | None:
        with appdb.session(self.settings) as s:
            user = s.get(User, user_id)
            return _view(user) if user else None

    def remove_user(self, user_id: str, *, by: Actor | None = None) -> bool:
        """Delete a user and end their sessions; False when there is no such user."""
        with appdb.session(self.settings) as s:
            user = s.get(User, user_id)
            if user is None:
                return False
            ended = _end_sessions(s, user_id)
            record(
                s, self.settings, by, "user.deleted", user.email,
                _access(user) | {"sessions_ended": ended},
            )  # fmt: skip
            s.delete(user)
            return True

    def set_password(self, user_id: str, password: str, *, by: Actor | None = None) -> None:
        """A new password (an admin's reset); every session of the user ends, and the failed
        sign-ins of the account are forgotten, so its owner can sign in at once. The audit
        log records who set it, never the password."""
        with appdb.session(self.settings) as s:
            user = s.get(User, user_id)
            if user is None:
                raise InvalidAccount("no such user")
            user.password_hash = self.hasher.hash(check_new_password(password, user.email))
            ended = _end_sessions(s, user_id)
            email = user.email
            detail = {"sessions_ended": ended}
            record(s, self.settings, by, "user.password_set", email, detail)
        self.throttles.forget(email)

    # -- sessions ----------------------------------------------------------

    def sign_in(
        self,
        email: str,
        password: str,
        *,
        code: str | None = None,
        replacing: str | None = None,
    ) -> ActiveSession:
        """A new session for a right email and password; ``replacing`` (an old cookie) ends.

        Unknown addresses and wrong passwords fail alike, after the same
        hashing work, and both count as failures of the address: past the
        limit, each further try waits longer (``services/sign_ins.py``). An
        account with two-factor sign-in needs ``code`` too: without it,
        ``CodeNeeded`` says whose password was right (the web's second step).
        """
        user = self._verify(email, password)
        if self.hasher.needs_rehash(user.password_hash):
            with appdb.session(self.settings) as s:
                fresh = s.get(User, user.id)
                if fresh is not None:
                    fresh.password_hash = self.hasher.hash(password)
        if user.totp_enabled_at is None:
            return self._replace_session(user.id, replacing)
        if code is None:
            raise CodeNeeded(user.id)
        return self.finish_sign_in(user.id, code, replacing=replacing)

    def finish_sign_in(
        self, user_id: str, code: str, *, replacing: str | None = None
    ) -> ActiveSession:
        """The second step: a new session once the app's code (or a recovery code) for an
        account whose password was right is accepted (WrongCode, TooManySignIns if not)."""
        self.two_factor.check(user_id, code)
        return self._replace_session(user_id, replacing)

    def _replace_session(self, user_id: str, replacing: str | None) -> ActiveSession:
        with appdb.session(self.settings) as s:
            if replacing:
                s.execute(delete(WebSession).where(WebSession.id_hash == _hash_token(replacing)))
            user = s.get(User, user_id)
            if user is None:
                raise SignInFailed()
            return self._start_session(s, user)

    # -- two-factor sign-in --------------------------------------------------

    def turn_on_two_factor(self, principal: Principal, password: str, code: str) -> list[str]:
        """Confirm the waiting key with the password and the app's first code; returns the
        recovery codes, to be shown once."""
        self._confirm_password(principal, password)
        return self.two_factor.turn_on(principal.user_id, code)

    def new_recovery_codes(self, principal: Principal, confirm: str) -> list[str]:
        """Ten new recovery codes (the old ones stop working), given the password or a code."""
        self._confirm(principal, confirm)
        return self.two_factor.new_recovery_codes(principal.user_id)

    def turn_off_two_factor(self, principal: Principal, confirm: str) -> None:
        """Turn two-factor sign-in off, given the password or the app's current code."""
        self._confirm(principal, confirm)
        self.two_factor.turn_off(principal.user_id)

    def reset_two_factor(self, user_id: str) -> None:
        """An operator's reset for an owner who lost their phone: the key and the recovery
        codes are forgotten and every session of the account ends."""
        self.two_factor.turn_off(user_id, end_sessions=True)

    def _confirm(self, principal: Principal, typed: str) -> None:
        """The password or the app's current code (each try counted like a sign-in)."""
        if not self.two_factor.status(principal.user_id).on:
            raise NotSetUp()
        try:
            if is_app_code(typed):
                self.two_factor.check(principal.user_id, typed, recovery=False)
            else:
                self._verify(principal.email, typed)
        except (SignInFailed, WrongCode):
            raise NotConfirmed() from None

    def _confirm_password(self, principal: Principal, password: str) -> None:
        try:
            self._verify(principal.email, password)
        except SignInFailed:
            raise WrongPassword("Your password is not right; type it again.") from None

    def change_password(self, principal: Principal, current: str, new: str) -> ActiveSession:
        """The user's own password change: the current one is checked (and counts towards
        the failed sign-ins), every session of the user ends, and a new one starts."""
        stored = self.hasher.hash(check_new_password(new, principal.email))
        try:
            user = self._verify(principal.email, current)
        except SignInFailed:
            raise WrongPassword("The current password is not right; type it again.") from None
        with appdb.session(self.settings) as s:
            row = s.get(User, user.id)
            if row is None:
                raise InvalidAccount("this account no longer exists")
            row.password_hash = stored
            ended = _end_sessions(s, user.id)
            by = Actor.of(principal)
            detail = {"sessions_ended": ended}
            record(s, self.settings, by, "user.password_changed", row.email, detail)
            return self._start_session(s, row)

    def _verify(self, email: str, password: str) -> User:
        address = email.strip().lower()[:320]
        self.throttles.count_try(address)  # counted as a failure until the password is right
        with appdb.session(self.settings) as s:
            user = s.scalar(select(User).where(User.email == address))
        if not self.hasher.verify(user.password_hash if user else None, password) or user is None:
            raise SignInFailed()
        self.throttles.succeeded(address)
        return user

    def _start_session(self, s: Session, user: User) -> ActiveSession:
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock()
        s.add(
            WebSession(
                id_hash=_hash_token(token),
                user_id=user.id,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
            )
        )
        must = self._must_set_up_two_factor(user.role, user.totp_enabled_at)
        return ActiveSession(token, _view(user).principal, csrf, must)

    def two_factor_required(self, role: Role | str) -> bool:
        """Whether accounts of ``role`` must sign in with two factors (admins, by default)."""
        return role == Role.ADMIN and self.settings.admin_two_factor == "required"

    def _must_set_up_two_factor(self, role: str, on_since: datetime | None) -> bool:
        return on_since is None and self.two_factor_required(role)

    def session(self, token: str) -> ActiveSession | None:
        """The live session behind a cookie, or None (unknown, idle too long, too old).

        Every request asks this, so it is one joined query (plus one for a
        manager's teams), and writes only when ``last_seen_at`` is stale.
        """
        if not token or len(token) > 100:
            return None
        now = self.clock()
        idle = timedelta(minutes=self.settings.session_idle_minutes)
        oldest = timedelta(hours=self.settings.session_max_hours)
        id_hash = _hash_token(token)
        with appdb.session(self.settings) as s:
            row = s.execute(
                select(
                    WebSession.csrf_token,
                    WebSession.created_at,
                    WebSession.last_seen_at,
                    User.id,
                    User.email,
                    User.role,
                    User.rep,
                    User.totp_enabled_at,
                )
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.id_hash == id_hash)
            ).one_or_none()
            if row is None:
                return None
            last_seen = _utc(row.last_seen_at)
            if now - last_seen > idle or now - _utc(row.created_at) > oldest:
                s.execute(delete(WebSession).where(WebSession.id_hash == id_hash))
                return None
            if now - last_seen > TOUCH_EVERY:
                s.execute(
                    update(WebSession).where(WebSession.id_hash == id_hash).values(last_seen_at=now)
                )
            role = Role(row.role)
            teams: frozenset[str] = frozenset()
            if role is Role.MANAGER:
                teams = frozenset(
                    s.scalars(select(UserTeam.team).where(UserTeam.user_id == row.id))
                )
            principal = Principal(row.id, row.email, role, row.rep, teams)
            must = self._must_set_up_two_factor(row.role, row.totp_enabled_at)
            return ActiveSession(token, principal, row.csrf_token, must)

    def sign_out(self, token: str) -> None:
        """End the session behind a cookie (nothing happens for an unknown one)."""
        with appdb.session(self.settings) as s:
            s.execute(delete(WebSession).where(WebSession.id_hash == _hash_token(token)))
