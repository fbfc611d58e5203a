"""Recognising an export's columns by what their values look like: dates and their format,
amounts, won/lost stages, call directions, done flags; and what kind of export a file is.

``events.suggest`` builds a mapping from these.

    >>> detect_date_format(["3 Mar, 2024 09:15:00"])
    (True, '%d %b, %Y %H:%M:%S')
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

ExportKind = Literal["calls", "meetings", "deals", "leads"]
EXPORT_KINDS: tuple[str, ...] = ("calls", "meetings", "deals", "leads")

DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y, %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y",
    "%d %b, %Y %H:%M:%S",
    "%d %b, %Y %H:%M",
    "%d %b, %Y",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
    "%b %d, %Y",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y",
)
"""Date formats tried on a date column's values (ISO 8601 needs none), most usual first."""

WON = re.compile(r"\b(won|closed ?won|gewonnen|gagn[ée])\b", re.I)
LOST = re.compile(r"\b(lost|closed ?lost|verloren|perdu)\b", re.I)
CONNECTED = re.compile(
    r"connected|answered|reached|spoke|conversation|completed|successful|\blive\b|interested|"
    r"info|meeting|call ?back|appointment|demo",
    re.I,
)
NOT_CONNECTED = re.compile(
    r"no answer|no response|not reached|unreach|unanswered|busy|voicemail|\bleft\b|wrong|"
    r"fail|missed|invalid|disconnected|bad number",
    re.I,
)
HELD = re.compile(r"\b(completed|held|attended|done|occurred|met)\b", re.I)
NO_SHOW = re.compile(r"no[ -]?show|did not show|didn't show|not attended", re.I)
QUALIFIED = re.compile(r"qualif|convert|sql|sales accepted", re.I)
UNQUALIFIED = re.compile(r"\b(un|not ?|dis)qualif|junk|lost", re.I)
INBOUND = re.compile(r"^(inbound|incoming|in|missed)$", re.I)
OUTBOUND = re.compile(r"^(outbound|outgoing|out)$", re.I)
DONE_TRUE = re.compile(r"^(done|true|yes|1|completed)$", re.I)
DONE_FALSE = re.compile(r"^(to do|todo|not done|undone|false|no|0|open|pending)$", re.I)
AMOUNT = re.compile(r"^[A-Za-z$€£¥₹\s]*[+-]?[0-9][0-9.,\s']*[A-Za-z$€£¥₹\s]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CRM_PREFIX = re.compile(r"^(activity|deal|person|organization|lead|call|meeting|task) - ", re.I)


@dataclass
class Column:
    """One column of the export and what its sampled values look like."""

    name: str
    values: list[str]

    @property
    def words(self) -> str:
        """The name in lower case, without a CRM's ``Deal - `` prefix, for matching."""
        return CRM_PREFIX.sub("", self.name.strip().lower())

    @property
    def filled(self) -> list[str]:
        return [v for v in self.values if v]

    @property
    def distinct(self) -> Counter[str]:
        return Counter(self.filled)

    def named(self, pattern: str) -> bool:
        return re.search(pattern, self.words) is not None

    def unique(self) -> bool:
        filled = self.filled
        return bool(filled) and len(set(filled)) == len(filled) == len(self.values)

    def amounts(self) -> bool:
        filled = self.filled
        return bool(filled) and all(AMOUNT.match(v) and re.search(r"\d", v) for v in filled)


@dataclass
class DateColumn:
    column: Column
    format: str | None
    """None: ISO 8601, which needs no format."""


def detect_date_format(values: Sequence[str]) -> tuple[bool, str | None]:
    """Whether every value is a date, and its format (None: ISO 8601, or not dates).

    >>> detect_date_format(["3 Mar, 2024 09:15:00", "12 Apr, 2024 16:40:00"])
    (True, '%d %b, %Y %H:%M:%S')
    >>> detect_date_format(["2024-03-05T09:15:00Z"])
    (True, None)
    """
    filled = [v.strip() for v in values if v and v.strip()]
    if not filled or not all(re.search(r"\d", v) for v in filled):
        return False, None
    if all(_iso(v) for v in filled) and all(re.match(r"^\d{4}-\d{2}-\d{2}", v) for v in filled):
        return True, None
    for fmt in DATE_FORMATS:
        if all(_parses(v, fmt) for v in filled):
            return True, fmt
    return False, None


def _iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _parses(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def guess_export_kind(columns: Sequence[Column]) -> tuple[str, str]:
    """calls, meetings, deals or leads, from a type column's values or the columns' names."""
    for c in columns:
        if c.named(r"type|subtype") and c.filled:
            values = {v.lower() for v in c.filled}
            for kind, word in (("calls", "call"), ("meetings", "meeting")):
                if values == {word}:
                    return kind, f"every {c.name!r} is {word!r} (use --kind to say otherwise)"
    names = " | ".join(c.words for c in columns)
    scores = {
        "deals": len(
            re.findall(r"deal|opportunit|stage|amount|close date|closing|won|pipeline", names)
        ),
        "meetings": 2
        * len(re.findall(r"meeting|start time|end time|location|attendee|host|participant", names)),
        "calls": 2 * len(re.findall(r"call|duration|direction|disposition|dial", names)),
        "leads": 2 * len(re.findall(r"\blead\b|lead status|lead id", names)),
    }
    kind = max(scores, key=lambda k: scores[k])
    if scores[kind] == 0:
        return "calls", "no column names a deal, meeting or lead: read as calls (use --kind)"
    return kind, f"column names speak of {kind} (use --kind to say otherwise)"


def connected(value: str) -> bool:
    """Whether a call outcome says the prospect was reached ("Connected", "Interested")."""
    return CONNECTED.search(value) is not None and NOT_CONNECTED.search(value) is None


def shown(column: Column, limit: int = 6) -> str:
    """A column's most frequent values, for a comment: "Won, Lost, Open and 3 more"."""
    values = [v for v, _ in column.distinct.most_common(limit)]
    more = len(column.distinct) - len(values)
    return ", ".join(values) + (f" and {more} more" if more > 0 else "")
