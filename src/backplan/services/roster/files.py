"""Roster files: reading a roster or time off from CSV, .xlsx or Parquet, and loading it.

A file is checked whole before anything is stored: a row without a rep, a rep twice,
a date that is not one, each stops the load with the file, row and column named.
Reps seen only in imported events are added by key (``add_reps``).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backplan import appdb
from backplan.appdb.models import Rep, Team, TimeOff
from backplan.config import Settings
from backplan.core.bounds import EARLIEST, LATEST, check_day
from backplan.core.errors import InvalidPeriod
from backplan.defaults.definitions import StrictSpec, read_toml, validate
from backplan.events.errors import InvalidRow, MissingColumns
from backplan.events.mapping import mappings_dir
from backplan.events.readers import REJECTS_TABLE, open_source, quote
from backplan.events.store import duckdb_connection
from backplan.services.audit import Actor, record
from backplan.services.roster._records import reachable_key
from backplan.services.roster.views import rep_aliases

ROSTER_FIELDS = ("rep", "name", "email", "team", "manager", "region", "start_date")
USERS_EXPORT_FIELDS = ("first_name", "last_name", "role")
"""Columns of a CRM's users export read besides the roster's own: a name in two parts, a role."""
READ_FIELDS = ROSTER_FIELDS + USERS_EXPORT_FIELDS


class RosterColumns(StrictSpec):
    rep: list[str] = []
    name: list[str] = []
    email: list[str] = []
    team: list[str] = []
    manager: list[str] = []
    region: list[str] = []
    start_date: list[str] = []
    first_name: list[str] = []
    last_name: list[str] = []
    role: list[str] = []


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
    columns: dict[str, str] = field(default_factory=dict)
    """What each recognised column of the file became: ``{"name": "First Name + Last Name"}``."""
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "reps": self.reps,
            "teams": self.teams,
            "managers": self.managers,
            "added": self.added,
            "updated": self.updated,
            "columns": self.columns,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class RosterFile:
    """A roster file read and checked: its rows, which column became what, and warnings."""

    rows: list[RosterRow]
    columns: dict[str, str]
    warnings: tuple[str, ...] = ()


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


def add_reps(db: Session, keys: list[str], *, origin: str = "import") -> int:
    """Add reps known only by their key (seen in events); returns how many were new."""
    existing = set(db.scalars(select(Rep.key)))
    new = [k for k in dict.fromkeys(keys) if k not in existing]
    db.add_all(Rep(key=k, name=k, origin=origin) for k in new)
    return len(new)


def add_named_reps(
    db: Session, reps: Sequence[tuple[str, str, str | None]], *, origin: str
) -> list[str]:
    """Add reps known by key, name and email (a CRM's owners); returns the keys added."""
    existing = set(db.scalars(select(Rep.key)))
    new = {key: (name, email) for key, name, email in reps if key not in existing}
    db.add_all(Rep(key=k, name=n, email=e, origin=origin) for k, (n, e) in new.items())
    return list(new)


def import_roster(
    settings: Settings,
    path: Path,
    *,
    sheet: str | None = None,
    by: Actor | None = None,
    name: str | None = None,
) -> RosterSummary:
    """Load a roster file; reps already known (by key, email or name) are updated, others added.

    ``name`` is the file's name as its user knows it (an upload's own name), for the audit log.
    """
    read = read_roster_file(path, sheet=sheet)
    rows = read.rows
    managers = {r.manager for r in rows if r.manager}
    teams = {_team_name(r) for r in rows if _team_name(r)}
    with appdb.session(settings) as db:
        added, updated = _upsert(db, rows)
        summary = RosterSummary(
            str(path),
            len(rows),
            len(teams),
            len(managers),
            added,
            updated,
            columns=read.columns,
            warnings=read.warnings,
        )
        detail = summary.to_dict() | {"file": name or path.name}
        record(db, settings, by, "roster.imported", name or path.name, detail)
    return summary


def read_roster(path: Path, *, sheet: str | None = None) -> list[RosterRow]:
    """The rows of a roster file (CSV, .xlsx or Parquet), checked."""
    return read_roster_file(path, sheet=sheet).rows


def read_roster_file(path: Path, *, sheet: str | None = None) -> RosterFile:
    """A roster file or a CRM's users export, checked: rows, the columns used, warnings.

    A users export names a rep in two columns (``First Name``, ``Last Name``): the name
    is the two joined. A manager given by a user id or email of the same file becomes
    that user's name.
    """
    spec = _roster_spec()
    file = str(path)
    header, found, records = _read_columns(path, sheet, READ_FIELDS, spec.columns)
    two_part = "first_name" in found or "last_name" in found
    if not {"rep", "name", "email"} & set(found) and not two_part:
        raise MissingColumns(
            "a roster needs a column naming each rep: rep (a user id), name (or first and "
            f"last name) or email; the file's columns are: {', '.join(header)}",
            file=file,
            missing=["rep"],
            found=header,
        )
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    key_column = found.get("rep") or found.get("email") or found.get("name")
    for row, values in records:
        full = " ".join(v for v in (values["first_name"], values["last_name"]) if v)
        name = values["name"] or full or None
        key = values["rep"] or values["email"] or name
        if not key:
            if not any(values.values()):
                continue
            column = key_column or found.get("first_name") or "rep"
            raise InvalidRow(
                file=file,
                row=row,
                column=column,
                value="",
                expected="the rep's key, email or name in every row",
            )
        if not reachable_key(key):
            raise InvalidRow(
                file=file,
                row=row,
                column=key_column or "name",
                value=key,
                expected="a rep key without '/' (the key names the rep's page: /reps/KEY); "
                "add a rep column with such a key",
            )
        if key.lower() in seen:
            raise InvalidRow(
                file=file,
                row=row,
                column=key_column or "name",
                value=key,
                expected=f"each rep once (row {seen[key.lower()]} has the same rep)",
            )
        seen[key.lower()] = row
        start = _date(values["start_date"], file, row, found.get("start_date", "start_date"))
        rows.append(
            RosterRow(
                row,
                key,
                name or key,
                values["email"],
                values["team"],
                values["manager"],
                values["region"],
                start,
            )
        )
    rows = _managers_by_name(rows)
    return RosterFile(rows, _columns_used(found), _warnings(rows, found))


def _managers_by_name(rows: list[RosterRow]) -> list[RosterRow]:
    """Managers given by a user id or email of the file (a users export's ``Manager ID``)
    named as that user is, so that a team is called by its manager's name."""
    names: dict[str, str] = {}
    for r in rows:
        names[r.key.lower()] = r.name
        if r.email:
            names[r.email.lower()] = r.name
    return [
        replace(r, manager=names.get(r.manager.lower(), r.manager)) if r.manager else r
        for r in rows
    ]


def _columns_used(found: dict[str, str]) -> dict[str, str]:
    """Which column of the file became what, for the summary (``key``, ``name``, ...)."""
    columns: dict[str, str] = {}
    key = found.get("rep") or found.get("email")
    parts = " + ".join(found[p] for p in ("first_name", "last_name") if p in found)
    name = found.get("name") or parts
    columns["key"] = key or name
    if name:
        columns["name"] = name
    for field_name in ("email", "team", "manager", "region", "start_date", "role"):
        if field_name in found:
            columns[field_name] = found[field_name]
    if "role" in found:
        columns["role"] += " (read, not stored: teams come from the team or manager column)"
    return columns


def _warnings(rows: list[RosterRow], found: dict[str, str]) -> tuple[str, ...]:
    """What a person should check: reps named by an email, or by a key (no name column)."""
    fix = (
        "Add a name column (Name, Full Name, or First Name and Last Name) to the file and "
        "load it again; the reps are kept and renamed."
    )
    emails = [r for r in rows if "@" in r.name]
    if emails:
        return (
            f"{len(emails)} of {len(rows)} reps have an email as their name "
            f"(e.g. {emails[0].name}): pages will show the email. {fix}",
        )
    named = {"name", "first_name", "last_name"} & set(found)
    if rows and not named:
        return (f"the file has no name column: reps are named by their key ({rows[0].key}). {fix}",)
    return ()


def import_time_off(
    settings: Settings, path: Path, *, sheet: str | None = None, by: Actor | None = None
) -> int:
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
        detail = {"rows": len(entries), "reps": len({e[0] for e in entries})}
        record(db, settings, by, "roster.time_off_imported", path.name, detail)
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
        return check_day(date.fromisoformat(text[:10]))
    except (ValueError, InvalidPeriod):
        raise InvalidRow(
            file=file,
            row=row,
            column=column,
            value=text,
            expected=f"a date like 2024-03-15, between {EARLIEST} and {LATEST}",
        ) from None


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
