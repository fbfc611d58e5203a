"""The roster: who the reps are, their teams and managers, and their time off.

Loaded from a file (``backplan roster sales_teams.csv``), filled from event
data when no roster exists yet, read by the metrics layer as a DataFrame.

The rule for reps an import does not know: while the roster is empty, every
rep found in imported events is added to it (key = the value in the file).
Once a roster exists, events of reps not in it are rejected as
``unknown_rep`` unless the import says ``--add-reps``. Events may name a rep
by key, name or email (any case); they are stored under the rep's key.

Admins also edit the roster by hand (``roster``, ``add_team``, ``edit_team``,
``add_rep``, ``edit_rep``, ``move_rep``, ``remove_*``): a rep's key never
changes once created, because events are joined to the rep by it.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from backplan import appdb
from backplan.appdb.models import Objective, Rep, Team, TimeOff, User, UserTeam
from backplan.config import Settings
from backplan.core.errors import InvalidRosterEntry, NoData, RosterConflict, UnknownRep, UnknownTeam
from backplan.defaults.definitions import StrictSpec, read_toml, validate
from backplan.events.errors import InvalidRow, MissingColumns
from backplan.events.mapping import mappings_dir
from backplan.events.readers import REJECTS_TABLE, open_source, quote
from backplan.events.schema import ROSTER_COLUMNS
from backplan.events.store import duckdb_connection

EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
ROSTER_FIELDS = ("rep", "name", "email", "team", "manager", "region", "start_date")


class RosterColumns(StrictSpec):
    rep: list[str] = []
    name: list[str] = []
    email: list[str] = []
    team: list[str] = []
    manager: list[str] = []
    region: list[str] = []
    start_date: list[str] = []


class TimeOffColumns(StrictSpec):
    rep: list[str] = []
    first_day: list[str] = []
    last_day: list[str] = []
    reason: list[str] = []


class RosterMappingSpec(StrictSpec):
    label: str = ""
    columns: RosterColumns
    time_off: TimeOffColumns = TimeOffColumns()


@dataclass(frozen=True)
class RosterSummary:
    """What a roster file held and what loading it changed."""

    file: str
    reps: int
    teams: int
    managers: int
    added: int
    updated: int

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "reps": self.reps,
            "teams": self.teams,
            "managers": self.managers,
            "added": self.added,
            "updated": self.updated,
        }


@dataclass(frozen=True)
class RosterRow:
    row: int
    key: str
    name: str
    email: str | None
    team: str | None
    manager: str | None
    region: str | None
    start_date: date | None


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


def rep_aliases(settings: Settings) -> dict[str, str]:
    """Lower-cased key, email and name of every rep → the rep's key (keys win over names)."""
    with appdb.session(settings) as db:
        reps = db.execute(select(Rep.key, Rep.name, Rep.email)).all()
    aliases: dict[str, str] = {}
    names = Counter(name.lower() for _, name, _ in reps)
    for key, name, email in reps:
        if names[name.lower()] == 1:
            aliases.setdefault(name.lower(), key)
        if email:
            aliases[email.lower()] = key
    for key, _, _ in reps:
        aliases[key.lower()] = key
    return aliases


def add_reps(db: Session, keys: list[str], *, origin: str = "import") -> int:
    """Add reps known only by their key (seen in events); returns how many were new."""
    existing = set(db.scalars(select(Rep.key)))
    new = [k for k in dict.fromkeys(keys) if k not in existing]
    db.add_all(Rep(key=k, name=k, origin=origin) for k in new)
    return len(new)


def import_roster(settings: Settings, path: Path, *, sheet: str | None = None) -> RosterSummary:
    """Load a roster file; reps already known (by key, email or name) are updated, others added."""
    rows = read_roster(path, sheet=sheet)
    with appdb.session(settings) as db:
        added, updated = _upsert(db, rows)
    managers = {r.manager for r in rows if r.manager}
    teams = {_team_name(r) for r in rows if _team_name(r)}
    return RosterSummary(str(path), len(rows), len(teams), len(managers), added, updated)


def read_roster(path: Path, *, sheet: str | None = None) -> list[RosterRow]:
    """The rows of a roster file (CSV, .xlsx or Parquet), checked."""
    spec = _roster_spec()
    file = str(path)
    header, found, records = _read_columns(path, sheet, ROSTER_FIELDS, spec.columns)
    if not {"rep", "name", "email"} & set(found):
        raise MissingColumns(
            "a roster needs a column naming each rep: rep, name or email "
            f"(or sales_agent); the file's columns are: {', '.join(header)}",
            file=file,
            missing=["rep"],
            found=header,
        )
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    for row, values in records:
        key = values["rep"] or values["email"] or values["name"]
        if not key:
            if not any(values.values()):
                continue
            column = found.get("rep") or found.get("email") or found.get("name", "rep")
            raise InvalidRow(
                file=file,
                row=row,
                column=column,
                value="",
                expected="the rep's key, email or name in every row",
            )
        if key.lower() in seen:
            raise InvalidRow(
                file=file,
                row=row,
                column=found.get("rep") or found.get("email") or found["name"],
                value=key,
                expected=f"each rep once (row {seen[key.lower()]} has the same rep)",
            )
        seen[key.lower()] = row
        start = _date(values["start_date"], file, row, found.get("start_date", "start_date"))
        rows.append(
            RosterRow(
                row,
                key,
                values["name"] or key,
                values["email"],
                values["team"],
                values["manager"],
                values["region"],
                start,
            )
        )
    return rows


def import_time_off(settings: Settings, path: Path, *, sheet: str | None = None) -> int:
    """Load time off (rep, first day, last day, reason) from a file; returns the rows loaded.

    An absence with the same rep and first day as a recorded one replaces it.
    """
    spec = _roster_spec()
    file = str(path)
    fields = ("rep", "first_day", "last_day", "reason")
    header, found, records = _read_columns(path, sheet, fields, spec.time_off)
    missing = [f for f in ("rep", "first_day", "last_day") if f not in found]
    if missing:
        raise MissingColumns(
            f"time off needs columns for {', '.join(missing)} (e.g. rep, start, end); "
            f"the file's columns are: {', '.join(header)}",
            file=file,
            missing=missing,
            found=header,
        )
    aliases = rep_aliases(settings)
    entries: list[tuple[str, date, date, str | None]] = []
    for row, values in records:
        if not any(values.values()):
            continue
        key = aliases.get((values["rep"] or "").lower())
        if key is None:
            raise InvalidRow(
                file=file,
                row=row,
                column=found["rep"],
                value=values["rep"] or "",
                expected="a rep of the roster (key, name or email)",
            )
        first = _date(values["first_day"], file, row, found["first_day"])
        last = _date(values["last_day"], file, row, found["last_day"]) or first
        if first is None or last is None or last < first:
            raise InvalidRow(
                file=file,
                row=row,
                column=found["last_day"],
                value=values["last_day"],
                expected="a last day on or after the first day",
            )
        entries.append((key, first, last, values["reason"]))
    with appdb.session(settings) as db:
        reps = {r.key: r for r in db.scalars(select(Rep).options(selectinload(Rep.time_off)))}
        for key, first, last, reason in entries:
            rep = reps[key]
            for old in [t for t in rep.time_off if t.first_day == first]:
                rep.time_off.remove(old)
            db.flush()
            rep.time_off.append(TimeOff(first_day=first, last_day=last, reason=reason))
    return len(entries)


def _roster_spec() -> RosterMappingSpec:
    data, text = read_toml(mappings_dir() / "roster.toml")
    return validate(RosterMappingSpec, data, text, "roster.toml")


def _read_columns(
    path: Path, sheet: str | None, fields: tuple[str, ...], aliases: StrictSpec
) -> tuple[list[str], dict[str, str], list[tuple[int, dict[str, str | None]]]]:
    """The file's header, its column for each field found, and its rows (row number, values)."""
    file = str(path)
    with tempfile.TemporaryDirectory() as staging:
        source = open_source(path, Path(staging), sheet=sheet)
        by_lower = {h.lower(): h for h in source.header}
        found: dict[str, str] = {}
        for name in fields:
            for alt in getattr(aliases, name):
                if alt.lower() in by_lower:
                    found[name] = by_lower[alt.lower()]
                    break
        if not found:
            return source.header, found, []
        con = duckdb_connection(Path(staging))
        try:
            source.register(con)
            cols = ", ".join(quote(found[f]) if f in found else "NULL" for f in fields)
            if source.numbers_rows:
                records = con.execute(
                    f"SELECT {source.row_of('__seq')}, {cols} FROM ({source.raw_sql()}) ORDER BY 1"
                ).fetchall()
            else:  # CSV rows come in file order: number them as they come
                values = con.execute(f"SELECT {cols} FROM ({source.raw_sql()})").fetchall()
                records = [(source.header_row + i, *v) for i, v in enumerate(values, start=1)]
            if source.format == "csv":
                bad = con.execute(
                    f"SELECT line, error_message FROM {REJECTS_TABLE} ORDER BY line LIMIT 1"
                ).fetchone()
                if bad:
                    raise InvalidRow(
                        file=file,
                        row=int(bad[0]) + source.header_row - 1,
                        column="",
                        value="",
                        expected=f"one field per column ({bad[1]})",
                    )
        finally:
            con.close()
    rows = [
        (int(r[0]), dict(zip(fields, (_clean(v) for v in r[1:]), strict=True))) for r in records
    ]
    return source.header, found, rows


def _date(text: str | None, file: str, row: int, column: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InvalidRow(
            file=file, row=row, column=column, value=text, expected="a date like 2024-03-15"
        ) from None


def add_time_off(
    settings: Settings, rep: str, first_day: date, last_day: date, reason: str | None = None
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
        return _time_off_view(entry)


def _upsert(db: Session, rows: list[RosterRow]) -> tuple[int, int]:
    teams: dict[str, Team] = {t.name: t for t in db.scalars(select(Team))}
    members: dict[str, list[RosterRow]] = {}
    for r in rows:
        name = _team_name(r)
        if name:
            members.setdefault(name, []).append(r)
    for name, rs in members.items():
        team = teams.get(name)
        if team is None:
            team = teams[name] = Team(name=name)
            db.add(team)
        manager = Counter(r.manager for r in rs if r.manager).most_common(1)
        region = Counter(r.region for r in rs if r.region).most_common(1)
        if manager:
            team.manager = manager[0][0]
        if region:
            team.region = region[0][0]
    reps = list(db.scalars(select(Rep).options(selectinload(Rep.team))))
    by_key = {r.key.lower(): r for r in reps}
    by_email = {r.email.lower(): r for r in reps if r.email}
    by_name = {r.name.lower(): r for r in reps}
    added = updated = 0
    for r in rows:
        rep = (
            by_key.get(r.key.lower())
            or (by_email.get(r.email.lower()) if r.email else None)
            or by_name.get(r.name.lower())
        )
        if rep is None:
            rep = Rep(key=r.key, name=r.name, origin="roster")
            db.add(rep)
            by_key[r.key.lower()] = rep
            added += 1
        else:
            updated += 1
            rep.name = r.name
            rep.origin = "roster"
        if r.email:
            rep.email = r.email
        team_name = _team_name(r)
        if team_name:
            rep.team = teams[team_name]
        if r.region:
            rep.region = r.region
        if r.start_date:
            rep.start_date = r.start_date
    return added, updated


def _team_name(r: RosterRow) -> str | None:
    if r.team:
        return r.team
    if r.manager:
        return f"{r.manager}'s team"
    return None


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


# -- editing the roster (the admin pages) ------------------------------------------

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
            query = query.where(Rep.team_id == _team(db, team).id)
        reps = sorted(db.scalars(query), key=lambda r: (r.team.name if r.team else "", r.name))
        return RosterView(tuple(_team_view(t) for t in teams), tuple(_rep_view(r) for r in reps))


def get_team(settings: Settings, name: str) -> TeamView:
    with appdb.session(settings) as db:
        return _team_view(_team(db, name))


def get_rep(settings: Settings, key: str) -> RepView:
    with appdb.session(settings) as db:
        return _rep_view(_rep(db, key))


def add_team(settings: Settings, fields: TeamFields) -> TeamView:
    """A new team; its name must differ from every other team's, whatever the case."""
    name, manager, region = _team_fields(fields)
    with appdb.session(settings) as db:
        _check_team_name_free(db, name)
        team = Team(name=name, manager=manager, region=region)
        db.add(team)
        db.flush()
        return TeamView(name, manager, region, 0)


def edit_team(settings: Settings, current: str, fields: TeamFields) -> TeamView:
    """Change a team's name, manager or region.

    A new name is written wherever a team is stored by name: the teams a manager's
    account manages (``user_teams``) follow, so managers keep their team. Objectives
    refer to teams by id and need nothing.
    """
    name, manager, region = _team_fields(fields)
    with appdb.session(settings) as db:
        team = _team(db, current)
        old = team.name
        if name != old:
            _check_team_name_free(db, name, besides=team.id)
            # A manager listed under both names keeps one row (user_teams' key is user + team).
            both = select(UserTeam.user_id).where(UserTeam.team == name)
            db.execute(delete(UserTeam).where(UserTeam.team == old, UserTeam.user_id.in_(both)))
            db.execute(update(UserTeam).where(UserTeam.team == old).values(team=name))
            team.name = name
        team.manager, team.region = manager, region
        db.flush()
        return _team_view(team)


def remove_team(settings: Settings, name: str) -> None:
    """Remove a team without reps or objectives; managers' accounts stop listing it."""
    with appdb.session(settings) as db:
        team = _team(db, name)
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
        db.delete(team)


def add_rep(settings: Settings, fields: RepFields) -> RepView:
    """A new rep; the key must be new (whatever the case) and is fixed from then on."""
    key = _required_text("key", fields.key)
    with appdb.session(settings) as db:
        clash = db.scalar(select(Rep.key).where(func.lower(Rep.key) == key.lower()))
        if clash is not None:
            raise RosterConflict(f"key {key!r}: the roster already has a rep {clash!r}")
        rep = Rep(key=key, origin=ADMIN_ORIGIN)
        _apply_rep_fields(db, rep, fields)
        db.add(rep)
        db.flush()
        return _rep_view(rep)


def edit_rep(settings: Settings, key: str, fields: RepFields) -> RepView:
    """Change a rep's name, email, team, region or start date. The key cannot change:
    events are joined to the rep by it."""
    with appdb.session(settings) as db:
        rep = _rep(db, key)
        wanted = fields.key.strip()
        if wanted and wanted != rep.key:
            raise RosterConflict(
                f"key {wanted!r}: a rep's key cannot change once created (it is {rep.key!r}); "
                "events are joined to the rep by it. Change the name instead"
            )
        _apply_rep_fields(db, rep, fields)
        db.flush()
        return _rep_view(rep)


def move_rep(settings: Settings, key: str, team: str | None) -> RepView:
    """Move a rep to another team, or to no team (``None``)."""
    with appdb.session(settings) as db:
        rep = _rep(db, key)
        rep.team = _team(db, team) if team else None
        db.flush()
        return _rep_view(rep)


def remove_rep(settings: Settings, key: str) -> None:
    """Remove a rep with nothing attached: no events, objectives, agreed plans or account."""
    with appdb.session(settings) as db:
        rep = _rep(db, key)
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
        db.delete(_rep(db, key))


def remove_time_off(settings: Settings, key: str, time_off_id: int) -> None:
    """Remove one of the rep's absences (by its id, as the roster lists it)."""
    with appdb.session(settings) as db:
        rep = _rep(db, key)
        entry = next((t for t in rep.time_off if t.id == time_off_id), None)
        if entry is None:
            raise UnknownRep(f"rep {rep.key!r} has no time off with id {time_off_id}")
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


def _team(db: Session, name: str) -> Team:
    # No stored name holds control characters; PostgreSQL would refuse a NUL in the query.
    team = None if _has_control(name) else db.scalar(select(Team).where(Team.name == name))
    if team is None and not _has_control(name):
        team = db.scalar(select(Team).where(func.lower(Team.name) == name.lower()))
    if team is None:
        known = sorted(db.scalars(select(Team.name)))
        raise UnknownTeam(
            f"team {name!r}: no such team in the roster"
            + (f"; teams are {', '.join(known)}" if known else "; add it first")
        )
    return team


def _rep(db: Session, key: str) -> Rep:
    rep = (
        None
        if _has_control(key)
        else db.scalar(
            select(Rep)
            .where(Rep.key == key)
            .options(selectinload(Rep.team), selectinload(Rep.time_off))
        )
    )
    if rep is None:
        raise UnknownRep(f"rep {key!r}: no rep with that key in the roster")
    return rep


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
    rep.team = _team(db, fields.team) if fields.team and fields.team.strip() else None
    rep.region = _optional_text("region", fields.region)
    rep.start_date = fields.start_date


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
    if _has_control(text):
        raise InvalidRosterEntry(f"{field} {text!r} contains control characters; retype it")
    if len(text) > limit:
        raise InvalidRosterEntry(f"{field} is {len(text)} characters long; at most {limit}")
    return text or None


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _team_view(team: Team) -> TeamView:
    return TeamView(team.name, team.manager, team.region, len(team.reps))


def _time_off_view(entry: TimeOff) -> TimeOffView:
    return TimeOffView(entry.id, entry.first_day, entry.last_day, entry.reason)


def _rep_view(rep: Rep) -> RepView:
    return RepView(
        key=rep.key,
        name=rep.name,
        email=rep.email,
        team=rep.team.name if rep.team else None,
        region=rep.region,
        start_date=rep.start_date,
        origin=rep.origin,
        time_off=tuple(_time_off_view(t) for t in rep.time_off),
    )
