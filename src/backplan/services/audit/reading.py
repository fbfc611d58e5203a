"""Reading the audit log: filtered, newest first, a page at a time, or whole as CSV.

Times are stored in UTC and shown in the organisation's time zone
(``Settings.timezone``); a filter's days are the organisation's days too.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Select, func, select

from backplan import appdb
from backplan.appdb.models import AuditEvent
from backplan.config import Settings
from backplan.core.errors import InvalidInput
from backplan.events.csv_cells import neutralise
from backplan.services.audit.recording import ACTIONS, COMMAND_LINE

PER_PAGE = 50
MAX_PER_PAGE = 500
CSV_COLUMNS = ("id", "at", "actor", "actor_kind", "actor_id", "action", "what", "subject", "detail")


class InvalidAuditFilter(InvalidInput):
    """A filter of the audit log that cannot be applied (an unknown action, a bad date)."""


@dataclass(frozen=True)
class AuditFilter:
    """Which events to show: an action, who (part of an email or OS user), a range of days."""

    action: str | None = None
    who: str | None = None
    since: date | None = None
    until: date | None = None
    """Inclusive: the whole of that day, in the organisation's time zone."""

    @classmethod
    def parse(
        cls,
        *,
        action: str | None = None,
        who: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> AuditFilter:
        """A filter from what a person typed; empty text means no filter."""
        action = (action or "").strip() or None
        if action is not None and action not in ACTIONS:
            raise InvalidAuditFilter(
                f"no action {action[:60]!r}; choose one of {', '.join(ACTIONS)}"
            )
        first, last = _day("since", since), _day("until", until)
        if first and last and last < first:
            raise InvalidAuditFilter(
                f"until {last} comes before since {first}; give an until on or after since"
            )
        return cls(action, (who or "").strip()[:320] or None, first, last)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "action": self.action,
            "who": self.who,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action."""

    id: int
    at: datetime
    """UTC."""
    actor_kind: str
    actor_id: str | None
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]

    @property
    def who(self) -> str:
        return self.actor if self.actor_kind == "user" else f"{self.actor} ({COMMAND_LINE})"

    @property
    def what(self) -> str:
        """The action in words: ``changed the role of``."""
        return ACTIONS.get(self.action, self.action)

    def to_dict(self, zone: tzinfo) -> dict[str, Any]:
        """The event as the page and the API show it: its time in ``zone``, with the offset."""
        local = self.at.astimezone(zone)
        return {
            "id": self.id,
            "at": local.isoformat(),
            "when": f"{local:%Y-%m-%d %H:%M}",
            "actor": self.actor,
            "actor_kind": self.actor_kind,
            "actor_id": self.actor_id,
            "who": self.who,
            "action": self.action,
            "what": self.what,
            "subject": self.subject,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class AuditPage:
    """One page of the log, newest first, with what paging needs."""

    entries: list[AuditEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def audit_log(
    settings: Settings, wanted: AuditFilter, *, page: int = 1, per_page: int = PER_PAGE
) -> AuditPage:
    """The events ``wanted``, newest first, page ``page`` (from 1) of ``per_page``."""
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    page = max(page, 1)
    query = _filtered(select(AuditEvent), wanted, settings.clock.zone)
    counted = _filtered(select(func.count(AuditEvent.id)), wanted, settings.clock.zone)
    with appdb.session(settings) as db:
        total = db.scalar(counted) or 0
        rows = db.scalars(
            query.order_by(AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)
        ).all()
        return AuditPage([_entry(r) for r in rows], total, page, per_page)


def audit_events(settings: Settings, wanted: AuditFilter) -> Iterator[AuditEntry]:
    """Every event ``wanted``, newest first (for an export), read in batches."""
    query = _filtered(select(AuditEvent), wanted, settings.clock.zone)
    with appdb.session(settings) as db:
        result = db.execute(query.order_by(AuditEvent.id.desc()).execution_options(yield_per=500))
        for row in result.scalars():
            yield _entry(row)


def audit_csv(entries: Iterable[AuditEntry], zone: tzinfo) -> Iterator[str]:
    """The events as CSV lines with a header, every cell safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[Any]) -> str:
        writer.writerow(neutralise("" if c is None else str(c)) for c in cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(CSV_COLUMNS)
    for entry in entries:
        shown = entry.to_dict(zone)
        shown["detail"] = json.dumps(entry.detail, ensure_ascii=False, sort_keys=True)
        yield line(shown[c] for c in CSV_COLUMNS)


def action_choices() -> list[dict[str, str]]:
    """Every action the log records: its code and its words (the filter's choices)."""
    return [{"code": code, "words": words} for code, words in ACTIONS.items()]


def _filtered(query: Select[Any], wanted: AuditFilter, zone: tzinfo) -> Select[Any]:
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.who:
        escaped = wanted.who.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(AuditEvent.actor).like(f"%{escaped}%", escape="\\"))
    if wanted.since:
        query = query.where(AuditEvent.at >= _start_of(wanted.since, zone))
    if wanted.until:
        query = query.where(AuditEvent.at < _start_of(wanted.until + timedelta(days=1), zone))
    return query


def _start_of(day: date, zone: tzinfo) -> datetime:
    """Midnight starting ``day`` in the organisation's zone, in UTC."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _day(name: str, text: str | None) -> date | None:
    value = (text or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidAuditFilter(f"{name} {value[:40]!r} is not a date like 2026-11-30") from None


def _entry(row: AuditEvent) -> AuditEntry:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)  # SQLite hands back naive
    return AuditEntry(
        row.id, at, row.actor_kind, row.actor_id, row.actor, row.action, row.subject,
        dict(row.detail or {}),
    )  # fmt: skip
