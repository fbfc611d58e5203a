"""Recording admin actions: who did what to what, written in the change's own transaction.

A service that changes something an admin answers for calls :func:`record` with the
session it changes it in, before the block ends: the event is committed with the
change or rolled back with it, so a refused change leaves no event and no change
happens unrecorded.

    >>> with appdb.session(settings) as db:
    ...     user.role = "admin"
    ...     record(db, settings, by, "user.role_changed", user.email,
    ...            changes({"role": "rep"}, {"role": "admin"}))
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from backplan.accounts.access import Principal
from backplan.appdb.models import AuditEvent
from backplan.config import Settings

ActorKind = Literal["user", "command line"]
COMMAND_LINE: ActorKind = "command line"

ACTIONS: dict[str, str] = {
    "user.created": "created the account of",
    "user.role_changed": "changed the role of",
    "user.access_changed": "changed the rep or teams of",
    "user.password_set": "set a new password for",
    "user.password_changed": "changed their own password",
    "user.deleted": "removed the account of",
    "roster.team_added": "added the team",
    "roster.team_changed": "changed the team",
    "roster.team_removed": "removed the team",
    "roster.rep_added": "added the rep",
    "roster.rep_changed": "changed the rep",
    "roster.rep_removed": "removed the rep",
    "roster.time_off_added": "recorded time off for",
    "roster.time_off_removed": "removed time off of",
    "roster.imported": "loaded the roster file",
    "roster.time_off_imported": "loaded the time-off file",
    "funnel.saved": "saved the funnel",
    "funnel.reverted": "put back the shipped funnel",
    "funnel.removed": "removed the funnel",
    "playbook.saved": "saved the playbook",
    "playbook.reverted": "put back the shipped playbook",
    "okr.created": "created an objective for",
    "import.events": "imported events from",
    "sync.events": "synced events from",
    "sync.token_set": "set the API token of",
    "sync.token_removed": "removed the API token of",
}
"""Every action the log records, by its stable code, in the words a page shows."""

SECRET_WORDS = ("password", "hash", "token", "secret")
"""A detail's key may not contain these: the log never holds a credential."""


@dataclass(frozen=True)
class Actor:
    """Who changes something: an account on the web, or an OS user on the command line.

    Services take it as ``by``; a call that names nobody (a script, the command line)
    is recorded as this process's OS user.

        >>> Actor.of(principal).label
        'admin@example.com'
        >>> Actor.command_line("ana").label
        'ana (command line)'
    """

    kind: ActorKind
    name: str
    """The account's email, or the OS user."""
    user_id: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        """The signed-in user behind a web request."""
        return cls("user", principal.email, principal.user_id)

    @classmethod
    def user(cls, email: str, user_id: str | None = None) -> Actor:
        return cls("user", email, user_id)

    @classmethod
    def command_line(cls, os_user: str | None = None) -> Actor:
        """The person running ``backplan`` (or a script): the OS user, as the system has it."""
        return cls(COMMAND_LINE, os_user or _os_user())

    @property
    def label(self) -> str:
        """How pages and versions name the actor: the email, or ``ana (command line)``."""
        return self.name if self.kind == "user" else f"{self.name} ({COMMAND_LINE})"

    def to_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "name": self.name, "user_id": self.user_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Actor:
        kind: ActorKind = "user" if data.get("kind") == "user" else COMMAND_LINE
        user_id = data.get("user_id")
        return cls(kind, str(data.get("name") or "unknown"), str(user_id) if user_id else None)


def acting(by: Actor | None) -> Actor:
    """``by``, or the command line's OS user when a caller names nobody."""
    return by if by is not None else Actor.command_line()


def record(
    db: Session,
    settings: Settings,
    by: Actor | None,
    action: str,
    subject: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Add one event to the log in ``db``'s transaction (committed with the change, or not)."""
    if action not in ACTIONS:
        raise ValueError(f"no audit action {action!r}; add it to ACTIONS with its words")
    actor = acting(by)
    db.add(
        AuditEvent(
            at=now(settings),
            actor_kind=actor.kind,
            actor_id=actor.user_id,
            actor=actor.name[:320],
            action=action,
            subject=subject[:500],
            detail=_plain(dict(detail or {})),
        )
    )


def now(settings: Settings) -> datetime:
    """The organisation's clock's now, in UTC (the clock is pinned in tests and demos)."""
    return settings.clock.moment().astimezone(UTC)


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each field whose value differs, as ``{"from": old, "to": new}``.

    >>> changes({"role": "rep", "rep": "Ana"}, {"role": "admin", "rep": "Ana"})
    {'role': {'from': 'rep', 'to': 'admin'}}
    """
    return {
        key: {"from": before.get(key), "to": value}
        for key, value in after.items()
        if before.get(key) != value
    }


def _plain(detail: dict[str, Any]) -> dict[str, Any]:
    """The detail as JSON holds it (dates as ISO text); a credential's key is refused."""
    out: dict[str, Any] = {}
    for key, value in detail.items():
        if any(word in key.lower() for word in SECRET_WORDS):
            raise ValueError(f"an audit detail may not hold {key!r}: the log never keeps secrets")
        out[key] = _plain_value(value)
    return out


def _plain_value(value: Any) -> Any:
    if isinstance(value, dict):
        return _plain(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [_plain_value(v) for v in items]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return "unknown"
