"""Finding a team or rep in the app database, with errors that list what exists."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from backplan.appdb.models import Rep, Team
from backplan.core.errors import UnknownRep, UnknownTeam


def team_record(db: Session, name: str) -> Team:
    """The team of that name (exactly, else whatever the case); ``UnknownTeam`` lists the teams."""
    # No stored name holds control characters; PostgreSQL would refuse a NUL in the query.
    team = None if has_control(name) else db.scalar(select(Team).where(Team.name == name))
    if team is None and not has_control(name):
        team = db.scalar(select(Team).where(func.lower(Team.name) == name.lower()))
    if team is None:
        known = sorted(db.scalars(select(Team.name)))
        raise UnknownTeam(
            f"team {name!r}: no such team in the roster"
            + (f"; teams are {', '.join(known)}" if known else "; add it first")
        )
    return team


def rep_record(db: Session, key: str) -> Rep:
    """The rep with that key, their team and time off loaded; ``UnknownRep`` otherwise."""
    rep = (
        None
        if has_control(key)
        else db.scalar(
            select(Rep)
            .where(Rep.key == key)
            .options(selectinload(Rep.team), selectinload(Rep.time_off))
        )
    )
    if rep is None:
        raise UnknownRep(f"rep {key!r}: no rep with that key in the roster")
    return rep


KEY_WITHOUT = "/"
"""A rep's key names their page (``/reps/KEY``); a ``/`` in it would make that page a
different path, one no link reaches, so a key cannot hold one."""


def reachable_key(key: str) -> bool:
    """Whether ``key`` can name a rep's page: ``east/ana`` cannot."""
    return KEY_WITHOUT not in key


def has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)
