"""What a CRM gives a sync: its owners, and each object's records as export rows.

A vendor module (``hubspot``, ``pipedrive``) reads its API page by page and
returns, per object, rows shaped like the vendor's export of that object,
so the shipped export mapping turns them into events. Each row names its
owner by the CRM's own id in the mapping's rep column; the sync replaces it
with the rep's roster key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

Row = dict[str, str | None]


@dataclass(frozen=True)
class Owner:
    """A CRM user who owns records: the CRM's id, their email and name."""

    id: str
    email: str | None
    name: str


@dataclass
class Batch:
    """One object's records read in a sync, as rows of the export ``mapping`` reads."""

    object: str
    mapping: str
    columns: list[str]
    rep_column: str
    rows: list[Row] = field(default_factory=list)
    cursor: str | None = None
    """The newest last-modified time among the records read (the next run starts there)."""


class Crm(Protocol):
    """A CRM's API as a sync reads it."""

    source: str
    owners_object: str
    objects: Sequence[str]

    def owners(self) -> list[Owner]: ...

    def read(self, name: str, since: str | None) -> Batch: ...


def event_id(source: str, name: str, record_id: object) -> str:
    """A record's id qualified by its CRM and object: ``hubspot:calls:51234001``.

    The mapping appends the event's kind (``hubspot:deals:71234001:won``), so two CRMs, or
    a CRM and an exported file (whose ids are bare: ``71234001:won``), never collide.
    """
    return f"{source}:{name}:{record_id}"


def utc_text(value: object) -> str | None:
    """A vendor's timestamp as ``YYYY-MM-DD HH:MM:SS`` in UTC, which every mapping reads.

    ISO 8601 with or without zone (``2024-03-15T14:30:00.000Z``; without one: UTC, as
    Pipedrive's API gives times), milliseconds since 1970, or a bare date.

    >>> utc_text("2024-03-15T14:30:00.000Z")
    '2024-03-15 14:30:00'
    >>> utc_text("1710513000000")
    '2024-03-15 14:30:00'
    >>> utc_text("2024-03-15 16:30:00+02:00")
    '2024-03-15 14:30:00'
    >>> utc_text("") is None
    True
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if text.isdigit():
        moment = datetime.fromtimestamp(int(text) / 1000, UTC)
    else:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text  # left as it is: the import rejects it with the reason bad_date
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def newest(current: str | None, candidate: object) -> str | None:
    """The later of two last-modified times (compared in UTC)."""
    text = utc_text(candidate)
    if text is None:
        return current
    return text if current is None or text > current else current
