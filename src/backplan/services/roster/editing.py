"""Editing the roster by hand (the admin pages): teams, reps, moves and time off.

A rep's key never changes once created, because events are joined to the rep by
it; anything that would leave events, objectives or accounts without their team
or rep is refused with a ``RosterConflict`` that says what to do instead.

Every change is recorded in the audit log, in its own transaction, as done ``by``
the actor given (the command line's OS user when none is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from backplan import appdb
from backplan.appdb.models import Objective, Rep, Team, TimeOff, User, UserTeam
from backplan.config import Settings
from backplan.core.bounds import check_day
from backplan.core.errors import InvalidRosterEntry, NoData, RosterConflict, UnknownRep, UnknownTeam
from backplan.events.errors import InvalidRow
from backplan.services.audit import Actor, changes, record
from backplan.services.roster._records import has_control, reachable_key, rep_record, team_record
from backplan.services.roster.views import (
    RepView,
    TeamView,
    TimeOffView,
    rep_aliases,
    rep_view,
    team_view,
    time_off_view,
)

EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
TEXT_LIMIT = 200
EMAIL_LIMIT = 320
ADMIN_ORIGIN = "admin"


@dataclass(frozen=True)
class TeamFields:
    """A team as an admin types it: its name, its manager's name, its region."""

    name: str
    manager: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class RepFields:
    """A rep as an admin types it. ``key`` is what events carry in their ``rep`` column."""

    key: str
    name: str
    email: str | None = None
    team: str | None = None
    region: str | None = None
    start_date: date | None = None


def add_time_off(
    settings: Settings,
    rep: str,
    first_day: date,
    last_day: date,
    reason: str | None = None,
    *,
    by: Actor | None = None,
) -> TimeOffView:
    """Record days a rep does not work (inclusive); the rep is found by key, email or name.

    Refused when the last day comes before the first, or when the rep already has time
    off starting on that first day (remove that one first).
    """
    aliases = rep_aliases(settings)
    key = aliases.get(rep.lower())
    if key is None:
        raise InvalidRow(
            file="time off", row=0, column="rep", value=rep, expected="a rep of the roster"
        )
    check_day(first_day, "first_day")
    check_day(last_day, "last_day")
    if last_day < first_day:
        raise InvalidRosterEntry(
            f"last_day {last_day.isoformat()} comes before first_day {first_day.isoformat()}; "
            "give a last day on or after the first"
        )
    reason = _optional_text("reason", reason)
    with appdb.session(settings) as db:
        found = db.scalars(select(Rep).where(Rep.key == key)).one()
        if any(t.first_day == first_day for t in found.time_off):
            raise RosterConflict(
                f"first_day {first_day.isoformat()}: rep {key!r} already has time off starting "
                "that day; remove it first or pick another day"
            )
        entry = TimeOff(first_day=first_day, last_day=last_day, reason=reason)
        found.time_off.append(entry)
        db.flush()
        detail = {"first_day": first_day, "last_day": last_day, "reason": reason}
        record(db, settings, by, "roster.time_off_added", key, detail)
        return time_off_view(entry)


def add_team(settings: Settings, fields: TeamFields, *, by: Actor | None = None) -> TeamView:
    """A new team; its name must differ from every other team's, whatever the case."""
    name, manager, region = _team_fields(fields)
    with appdb.session(settings) as db:
        _check_team_name_free(db, name)
        team = Team(name=name, manager=manager, region=region)
        db.add(team)
        db.flush()
        record(db, settings, by, "roster.team_added", name, _team_fields_dict(team))
        return TeamView(name, manager, region, 0)


def edit_team(
    settings: Settings, current: str, fields: TeamFields, *, by: Actor | None = None
) -> TeamView:
    """Change a team's name, manager or region.

    A new name is written wherever a team is stored by name: the teams a manager's
    account manages (``user_teams``) follow, so managers keep their team. Objectives
    refer to teams by id and need nothing.
    """
    name, manager, region = _team_fields(fields)
    with appdb.session(settings) as db:
        team = team_record(db, current)
        old, before = team.name, _team_fields_dict(team)
        if name != old:
            _check_team_name_free(db, name, besides=team.id)
            # A manager listed under both names keeps one row (user_teams' key is user + team).
            both = select(UserTeam.user_id).where(UserTeam.team == name)
            db.execute(delete(UserTeam).where(UserTeam.team == old, UserTeam.user_id.in_(both)))
            db.execute(update(UserTeam).where(UserTeam.team == old).values(team=name))
            team.name = name
        team.manager, team.region = manager, region
        db.flush()
        changed = changes(before, _team_fields_dict(team))
        if changed:
            record(db, settings, by, "roster.team_changed", old, changed)
        return team_view(team)


def remove_team(settings: Settings, name: str, *, by: Actor | None = None) -> None:
    """Remove a team without reps or objectives; managers' accounts stop listing it."""
    with appdb.session(settings) as db:
        team = team_record(db, name)
        members = sorted(r.name for r in team.reps)
        if members:
            shown = ", ".join(members[:5]) + (" ..." if len(members) > 5 else "")
            raise RosterConflict(
                f"team {team.name!r} has {len(members)} rep{'s' if len(members) != 1 else ''} "
                f"({shown}); move its reps first (to another team or to no team)"
            )
        objectives = db.scalar(select(func.count(Objective.id)).where(Objective.team_id == team.id))
        if objectives:
            raise RosterConflict(
                f"team {team.name!r} owns {objectives} objective(s); removing the team would "
                "delete them with it, so it is kept (rename it instead)"
            )
        # Left in place, a later team of the same name would hand these managers its reps.
        db.execute(delete(UserTeam).where(UserTeam.team == team.name))
        record(db, settings, by, "roster.team_removed", team.name, _team_fields_dict(team))
        db.delete(team)


def add_rep(settings: Settings, fields: RepFields, *, by: Actor | None = None) -> RepView:
    """A new rep; the key must be new (whatever the case) and is fixed from then on."""
    key = _required_text("key", fields.key)
    if not reachable_key(key):
        raise InvalidRosterEntry(
            f"key {key!r} contains '/'; the rep's page is /reps/KEY, and no URL reaches a key "
            f"with '/': choose a key without it, e.g. {key.replace('/', '-').strip('-')!r}"
        )
    with appdb.session(settings) as db:
        clash = db.scalar(select(Rep.key).where(func.lower(Rep.key) == key.lower()))
        if clash is not None:
            raise RosterConflict(f"key {key!r}: the roster already has a rep {clash!r}")
        rep = Rep(key=key, origin=ADMIN_ORIGIN)
        _apply_rep_fields(db, rep, fields)
        db.add(rep)
        db.flush()
        record(db, settings, by, "roster.rep_added", key, _rep_fields_dict(rep))
        return rep_view(rep)


def edit_rep(
    settings: Settings, key: str, fields: RepFields, *, by: Actor | None = None
) -> RepView:
    """Change a rep's name, email, team, region or start date. The key cannot change:
    events are joined to the rep by it."""
    with appdb.session(settings) as db:
        rep = rep_record(db, key)
        wanted = fields.key.strip()
        if wanted and wanted != rep.key:
            raise RosterConflict(
                f"key {wanted!r}: a rep's key cannot change once created (it is {rep.key!r}); "
                "events are joined to the rep by it. Change the name instead"
            )
        before = _rep_fields_dict(rep)
        _apply_rep_fields(db, rep, fields)
        db.flush()
        _record_rep_change(db, settings, by, rep, before)
        return rep_view(rep)


def move_rep(settings: Settings, key: str, team: str | None, *, by: Actor | None = None) -> RepView:
    """Move a rep to another team, or to no team (``None``)."""
    with appdb.session(settings) as db:
        rep = rep_record(db, key)
        before = _rep_fields_dict(rep)
        rep.team = _team_named(db, team) if team else None
        db.flush()
        _record_rep_change(db, settings, by, rep, before)
        return rep_view(rep)


def remove_rep(settings: Settings, key: str, *, by: Actor | None = None) -> None:
    """Remove a rep with nothing attached: no events, objectives, agreed plans or account."""
    with appdb.session(settings) as db:
        rep = rep_record(db, key)
        held = _attached(db, rep)
    events = rep_event_count(settings, rep.key)
    if events:
        held.insert(0, f"{events} event{'s' if events != 1 else ''}")
    if held:
        raise RosterConflict(
            f"rep {rep.key!r} has {', '.join(held)}; removing the rep would leave them "
            "without a name. Move the rep to no team instead"
        )
    with appdb.session(settings) as db:
        gone = rep_record(db, key)
        record(db, settings, by, "roster.rep_removed", gone.key, _rep_fields_dict(gone))
        db.delete(gone)


def remove_time_off(
    settings: Settings, key: str, time_off_id: int, *, by: Actor | None = None
) -> None:
    """Remove one of the rep's absences (by its id, as the roster lists it)."""
    with appdb.session(settings) as db:
        rep = rep_record(db, key)
        entry = next((t for t in rep.time_off if t.id == time_off_id), None)
        if entry is None:
            raise UnknownRep(f"rep {rep.key!r} has no time off with id {time_off_id}")
        detail = {"first_day": entry.first_day, "last_day": entry.last_day}
        record(db, settings, by, "roster.time_off_removed", rep.key, detail)
        rep.time_off.remove(entry)


def rep_event_count(settings: Settings, key: str) -> int:
    """How many events carry ``key`` in their ``rep`` column (0 with no events at all)."""
    from backplan.metrics.source import open_events

    try:
        events = open_events(settings)
    except NoData:
        return 0
    return int(events.filter(events.rep == key).count().execute())


def _attached(db: Session, rep: Rep) -> list[str]:
    """What in the app database refers to the rep, in words."""
    held: list[str] = []
    objectives = db.scalar(select(func.count(Objective.id)).where(Objective.rep_id == rep.id))
    if objectives:
        held.append(f"{objectives} objective{'s' if objectives != 1 else ''} (with its plans)")
    account = db.scalar(select(User.email).where(User.rep == rep.key))
    if account:
        held.append(f"an account ({account})")
    return held


def _team_fields_dict(team: Team) -> dict[str, str | None]:
    return {"name": team.name, "manager": team.manager, "region": team.region}


def _rep_fields_dict(rep: Rep) -> dict[str, object]:
    return {
        "name": rep.name,
        "email": rep.email,
        "team": rep.team.name if rep.team else None,
        "region": rep.region,
        "start_date": rep.start_date,
    }


def _record_rep_change(
    db: Session, settings: Settings, by: Actor | None, rep: Rep, before: dict[str, object]
) -> None:
    """Record what changed of the rep (nothing, when nothing did)."""
    changed = changes(before, _rep_fields_dict(rep))
    if changed:
        record(db, settings, by, "roster.rep_changed", rep.key, changed)


def _check_team_name_free(db: Session, name: str, *, besides: int | None = None) -> None:
    clash = db.scalar(
        select(Team.name).where(func.lower(Team.name) == name.lower(), Team.id != (besides or -1))
    )
    if clash is not None:
        raise RosterConflict(f"name {name!r}: there is already a team {clash!r}")


def _team_fields(fields: TeamFields) -> tuple[str, str | None, str | None]:
    return (
        _required_text("name", fields.name),
        _optional_text("manager", fields.manager),
        _optional_text("region", fields.region),
    )


def _apply_rep_fields(db: Session, rep: Rep, fields: RepFields) -> None:
    name = _required_text("name", fields.name)
    email = _optional_text("email", fields.email, limit=EMAIL_LIMIT)
    if email is not None:
        if not EMAIL.fullmatch(email):
            raise InvalidRosterEntry(f"email {email!r} is not an email address (name@example.com)")
        other = db.scalar(
            select(Rep.key).where(func.lower(Rep.email) == email.lower(), Rep.id != (rep.id or -1))
        )
        if other is not None:
            raise RosterConflict(f"email {email!r}: rep {other!r} already has it")
    rep.name = name
    rep.email = email
    rep.team = _team_named(db, fields.team) if fields.team and fields.team.strip() else None
    rep.region = _optional_text("region", fields.region)
    rep.start_date = check_day(fields.start_date, "start_date") if fields.start_date else None


def _required_text(field: str, value: str) -> str:
    text = _optional_text(field, value)
    if text is None:
        raise InvalidRosterEntry(f"{field} is empty; type the {field.replace('_', ' ')}")
    return text


def _optional_text(field: str, value: str | None, *, limit: int = TEXT_LIMIT) -> str | None:
    """Trimmed text, None when blank; control characters and overlong text are refused."""
    if value is None:
        return None
    text = value.strip()
    if has_control(text):
        raise InvalidRosterEntry(f"{field} {text!r} contains control characters; retype it")
    if len(text) > limit:
        raise InvalidRosterEntry(f"{field} is {len(text)} characters long; at most {limit}")
    return text or None


def _team_named(db: Session, name: str) -> Team:
    """The team a rep's fields name: one that does not exist is a mistake in what was sent
    (422, like any other field), not a missing page (404)."""
    try:
        return team_record(db, name)
    except UnknownTeam as e:
        raise InvalidRosterEntry(str(e)) from None
