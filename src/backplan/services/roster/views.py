"""Reading the roster: the admin pages' view, the frames metrics read, and who is in which team.

Every function returns plain data (dataclasses, dicts, DataFrames): callers never
see a database session.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from backplan import appdb
from backplan.appdb.models import Rep, Team, TimeOff, User
from backplan.config import Settings
from backplan.events.schema import ROSTER_COLUMNS
from backplan.services.roster._records import rep_record, team_record


@dataclass(frozen=True)
class TimeOffView:
    id: int
    first_day: date
    last_day: date
    reason: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class TeamView:
    name: str
    manager: str | None
    region: str | None
    reps: int

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "manager": self.manager,
            "region": self.region,
            "reps": self.reps,
        }


@dataclass(frozen=True)
class RepView:
    key: str
    name: str
    email: str | None
    team: str | None
    region: str | None
    start_date: date | None
    origin: str
    time_off: tuple[TimeOffView, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "name": self.name,
            "email": self.email,
            "team": self.team,
            "region": self.region,
            "start_date": self.start_date.isoformat() if self.start_date else None,
            "origin": self.origin,
            "time_off": [t.to_dict() for t in self.time_off],
        }


@dataclass(frozen=True)
class RosterView:
    """The whole roster: teams (by name) and reps (by team, then name)."""

    teams: tuple[TeamView, ...]
    reps: tuple[RepView, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "teams": [t.to_dict() for t in self.teams],
            "reps": [r.to_dict() for r in self.reps],
        }


def roster(settings: Settings, *, team: str | None = None) -> RosterView:
    """Every team with its rep count, and every rep (only ``team``'s when given) with time off.

    ``team=""`` lists the reps without a team.
    """
    with appdb.session(settings) as db:
        teams = list(db.scalars(select(Team).options(selectinload(Team.reps)).order_by(Team.name)))
        query = select(Rep).options(selectinload(Rep.team), selectinload(Rep.time_off))
        if team == "":
            query = query.where(Rep.team_id.is_(None))
        elif team is not None:
            query = query.where(Rep.team_id == team_record(db, team).id)
        reps = sorted(db.scalars(query), key=lambda r: (r.team.name if r.team else "", r.name))
        return RosterView(tuple(team_view(t) for t in teams), tuple(rep_view(r) for r in reps))


def get_team(settings: Settings, name: str) -> TeamView:
    with appdb.session(settings) as db:
        return team_view(team_record(db, name))


def get_rep(settings: Settings, key: str) -> RepView:
    with appdb.session(settings) as db:
        return rep_view(rep_record(db, key))


def roster_frame(settings: Settings) -> pd.DataFrame:
    """One row per rep: ``rep`` (the key events carry), ``name``, ``team``, ``manager``.

    Empty, with those columns, when there is no roster.
    """
    with appdb.session(settings) as db:
        rows = db.execute(
            select(Rep.key, Rep.name, Team.name, Team.manager)
            .outerjoin(Team, Rep.team_id == Team.id)
            .order_by(Rep.key)
        ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(ROSTER_COLUMNS))
    return frame.astype(object).where(frame.notna(), None) if len(frame) else frame


def time_off_frame(settings: Settings) -> pd.DataFrame:
    """Every rep's time off: ``rep``, ``first_day``, ``last_day``, ``reason``."""
    with appdb.session(settings) as db:
        rows = db.execute(
            select(Rep.key, TimeOff.first_day, TimeOff.last_day, TimeOff.reason)
            .join(TimeOff, TimeOff.rep_id == Rep.id)
            .order_by(Rep.key, TimeOff.first_day)
        ).all()
    return pd.DataFrame(
        [tuple(r) for r in rows], columns=["rep", "first_day", "last_day", "reason"]
    )


def roster_size(settings: Settings) -> int:
    with appdb.session(settings) as db:
        return int(db.scalar(select(func.count(Rep.id))) or 0)


def rep_aliases(settings: Settings, by: str = "any") -> dict[str, str]:
    """Lower-cased key, email and name of every rep → the rep's key (keys win over names).

    ``by`` narrows what events may name a rep by: ``key``, ``email``, ``name`` (``any``: all
    three). A mapping says it with ``rep_match`` when a file's names could be mistaken.
    """
    with appdb.session(settings) as db:
        reps = db.execute(select(Rep.key, Rep.name, Rep.email)).all()
    aliases: dict[str, str] = {}
    names = Counter(name.lower() for _, name, _ in reps)
    for key, name, email in reps:
        if by in ("any", "name") and names[name.lower()] == 1:
            aliases.setdefault(name.lower(), key)
        if email and by in ("any", "email"):
            aliases[email.lower()] = key
    if by in ("any", "key"):
        for key, _, _ in reps:
            aliases[key.lower()] = key
    return aliases


@dataclass(frozen=True)
class Memberships:
    """Who is in which team, as access checks and team pages read it on every request."""

    teams: frozenset[str]
    team_of: Mapping[str, str | None]
    """Each rep's team (None: a rep without one)."""
    members: Mapping[str, tuple[tuple[str, str], ...]]
    """Each team's reps as (key, name), by name."""


def memberships(settings: Settings) -> Memberships:
    """The roster's teams, each rep's team, and each team's reps (by name)."""
    with appdb.session(settings) as db:
        teams = frozenset(db.scalars(select(Team.name)))
        rows = db.execute(
            select(Rep.key, Rep.name, Team.name)
            .outerjoin(Team, Rep.team_id == Team.id)
            .order_by(Team.name, Rep.name)
        ).all()
    members: dict[str, list[tuple[str, str]]] = {}
    for key, name, team in rows:
        if team is not None:
            members.setdefault(team, []).append((key, name))
    return Memberships(
        teams=teams,
        team_of={key: team for key, _, team in rows},
        members={team: tuple(reps) for team, reps in members.items()},
    )


def roster_entry(settings: Settings, rep: str) -> dict[str, object] | None:
    """The roster's record of a rep: name, email, team, manager, region, start date."""
    with appdb.session(settings) as db:
        row = db.execute(
            select(Rep.name, Rep.email, Team.name, Team.manager, Rep.region, Rep.start_date)
            .outerjoin(Team, Rep.team_id == Team.id)
            .where(Rep.key == rep)
        ).one_or_none()
    if row is None:
        return None
    name, email, team, manager, region, start = row
    return {
        "name": name,
        "email": email,
        "team": team,
        "manager": manager,
        "region": region,
        "start_date": start.isoformat() if start else None,
    }


def known_reps(settings: Settings) -> set[str]:
    """Reps the app knows of: the roster's (agreed plans add theirs), and those with an account."""
    with appdb.session(settings) as db:
        in_roster = db.scalars(select(Rep.key))
        with_accounts = db.scalars(select(User.rep).where(User.rep.is_not(None)))
        return set(in_roster) | {r for r in with_accounts if r}


def roster_rows(settings: Settings) -> list[tuple[str, str, str | None, str | None]]:
    """Every rep as (key, name, team, manager), by key: what a fingerprint of the roster hashes."""
    with appdb.session(settings) as db:
        rows = db.execute(
            select(Rep.key, Rep.name, Team.name, Team.manager)
            .outerjoin(Team, Rep.team_id == Team.id)
            .order_by(Rep.key)
        ).all()
    return [(key, name, team, manager) for key, name, team, manager in rows]


def roster_listing(settings: Settings) -> list[dict[str, str | None]]:
    """Every rep as ``{key, name, email, team, manager}``, by key (``backplan roster --list``)."""
    with appdb.session(settings) as db:
        rows = db.execute(
            select(Rep.key, Rep.name, Rep.email, Team.name, Team.manager)
            .outerjoin(Team, Rep.team_id == Team.id)
            .order_by(Rep.key)
        ).all()
    return [
        {"key": key, "name": name, "email": email, "team": team, "manager": manager}
        for key, name, email, team, manager in rows
    ]


def team_view(team: Team) -> TeamView:
    return TeamView(team.name, team.manager, team.region, len(team.reps))


def time_off_view(entry: TimeOff) -> TimeOffView:
    return TimeOffView(entry.id, entry.first_day, entry.last_day, entry.reason)


def rep_view(rep: Rep) -> RepView:
    return RepView(
        key=rep.key,
        name=rep.name,
        email=rep.email,
        team=rep.team.name if rep.team else None,
        region=rep.region,
        start_date=rep.start_date,
        origin=rep.origin,
        time_off=tuple(time_off_view(t) for t in rep.time_off),
    )
