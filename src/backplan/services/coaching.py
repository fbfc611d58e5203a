"""Coaching focuses: what each rep is coached on, and whether it worked.

A focus is one conversion of a rep's funnel (``sqls/meetings``), from a start
day, with the playbook's suggestions chosen for it, a note and the rep's own
commitments. Starting a focus on a conversion the rep is already coached on
ends the old one; nothing is deleted.

A review counts the conversion per rep the way ``backplan rates`` does (per
period: the window's SQLs over its meetings) over two windows:

- **after**: from the focus's start to the day reviewed (or the day it ended);
- **before**: as many days, at least :data:`MIN_BEFORE_DAYS` and at most
  :data:`MAX_BEFORE_DAYS`, ending the day before the start.

The control is the rep's team, less every rep coached on the same conversion
in either window. ``core.coaching`` turns the counts into the verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import ibis.expr.types as ir
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backplan import appdb
from backplan.appdb.models import CoachingFocus, Rep, Team
from backplan.config import Settings
from backplan.core.coaching import CoachingEffect, Counts
from backplan.core.errors import UnknownCoaching, UnknownFocus
from backplan.core.funnel import Funnel
from backplan.core.period import Period
from backplan.metrics import open_events
from backplan.services.definitions import organisation_playbook
from backplan.services.okr.objectives import find_owner
from backplan.services.planning import resolve_funnel
from backplan.services.rates import conversion_counts, load_roster

MIN_BEFORE_DAYS = 28
"""The before window is never shorter than four weeks: a rate needs trials."""

MAX_BEFORE_DAYS = 91
"""Nor longer than a quarter: older habits say little about the rep who was coached."""


@dataclass(frozen=True)
class FocusRequest:
    """A focus to start: ``focus`` is a conversion keyed ``to/from`` (``sqls/meetings``);
    ``playbook`` items are suggestions of the playbook's entry for it, by text or number."""

    rep: str
    focus: str
    since: date
    note: str | None = None
    playbook: Sequence[str] = ()
    commitments: Sequence[str] = ()
    by: str | None = None
    funnel: str | None = None


@dataclass(frozen=True)
class Focus:
    """A stored focus, with the rep's name and team."""

    id: int
    rep: str
    name: str
    team: str | None
    funnel: str
    conversion: str
    playbook: tuple[str, ...]
    note: str | None
    commitments: tuple[str, ...]
    since: date
    started_by: str | None
    created_at: datetime
    ended_at: datetime | None
    ended_by: str | None

    @property
    def current(self) -> bool:
        return self.ended_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rep": self.rep,
            "name": self.name,
            "team": self.team,
            "funnel": self.funnel,
            "focus": self.conversion,
            "playbook": list(self.playbook),
            "note": self.note,
            "commitments": list(self.commitments),
            "since": self.since.isoformat(),
            "started_by": self.started_by,
            "created_at": self.created_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "ended_by": self.ended_by,
        }


@dataclass(frozen=True)
class FocusReview:
    """A focus and its evidence: the two windows, the control's size and the fitted effect."""

    focus: Focus
    before: Period
    after: Period | None
    control_reps: int
    effect: CoachingEffect

    def to_dict(self) -> dict[str, Any]:
        fitted = self.effect.to_dict()
        return {
            "rep": self.focus.rep,
            "name": self.focus.name,
            "team": self.focus.team,
            "focus": self.focus.conversion,
            "since": self.focus.since.isoformat(),
            "current": self.focus.current,
            "before": fitted["before"] | {"window": _window(self.before)},
            "after": fitted["after"] | {"window": _window(self.after)},
            "control": fitted["control"] | {"reps": self.control_reps},
            "effect": fitted["effect"],
            "p_improved": fitted["p_improved"],
            "verdict": fitted["verdict"],
            "thin": fitted["thin"],
            "caveats": fitted["caveats"],
            "playbook": list(self.focus.playbook),
            "note": self.focus.note,
            "commitments": list(self.focus.commitments),
            "id": self.focus.id,
        }


def start_focus(settings: Settings, request: FocusRequest) -> Focus:
    """Store a new focus; a current focus of the rep on the same conversion ends now."""
    funnel = resolve_funnel(settings, request.funnel)
    conversion = funnel.conversion(request.focus.strip()).key
    items = chosen_items(settings, conversion, request.playbook)
    now = _now(settings)
    with appdb.session(settings) as db:
        rep = _rep(db, request.rep)
        for old in _current(db, rep, conversion):
            old.ended_at, old.ended_by = now, request.by
        row = CoachingFocus(
            rep=rep,
            funnel=request.funnel or settings.funnel,
            conversion=conversion,
            playbook=items,
            note=(request.note or "").strip() or None,
            commitments=[c.strip() for c in request.commitments if c.strip()],
            since=request.since,
            started_by=request.by,
            created_at=now,
        )
        db.add(row)
        db.flush()
        return _focus(row)


def end_focus(settings: Settings, rep: str, focus: str, *, by: str | None = None) -> Focus:
    """End the rep's current focus on the conversion ``focus``."""
    with appdb.session(settings) as db:
        found = _rep(db, rep)
        rows = _current(db, found, focus.strip())
        if not rows:
            raise UnknownFocus(f"{found.name} has no current coaching focus on {focus!r}")
        now = _now(settings)
        for row in rows:
            row.ended_at, row.ended_by = now, by
        return _focus(rows[-1])


def list_focuses(
    settings: Settings, *, rep: str | None = None, team: str | None = None
) -> list[Focus]:
    """Every focus of a rep, or of a team's reps (all when neither), newest start first."""
    with appdb.session(settings) as db:
        query = (
            select(CoachingFocus)
            .join(CoachingFocus.rep)
            .options(selectinload(CoachingFocus.rep).selectinload(Rep.team))
            .order_by(CoachingFocus.since.desc(), CoachingFocus.id.desc())
        )
        if rep:
            query = query.where(CoachingFocus.rep_id == _rep(db, rep).id)
        if team:
            _, found = find_owner(db, "team", team)
            assert found is not None
            query = query.where(Rep.team_id == found.id)
        return [_focus(row) for row in db.scalars(query)]


def chosen_items(settings: Settings, conversion: str, wanted: Sequence[str]) -> list[str]:
    """The playbook suggestions ``wanted`` names, each by its text (any case) or its number
    (1 is the first suggestion of the playbook's entry for ``conversion``)."""
    wanted = [w.strip() for w in wanted if w.strip()]
    if not wanted:
        return []
    suggestions = list(organisation_playbook(settings).coaching_for(conversion).suggestions)
    by_text = {s.casefold(): s for s in suggestions}
    items = []
    for item in wanted:
        if item.isdigit() and 1 <= int(item) <= len(suggestions):
            items.append(suggestions[int(item) - 1])
        elif item.casefold() in by_text:
            items.append(by_text[item.casefold()])
        else:
            listed = "; ".join(f"{i}. {s}" for i, s in enumerate(suggestions, 1))
            raise UnknownCoaching(
                f"{item!r} is not one of the playbook's suggestions for {conversion}; give "
                f"its number or text: {listed}"
            )
    return list(dict.fromkeys(items))


# -- reviews ---------------------------------------------------------------------------


def review_focuses(
    settings: Settings,
    *,
    rep: str | None = None,
    team: str | None = None,
    as_of: date,
    events: ir.Table | None = None,
) -> list[FocusReview]:
    """Each focus of a rep or team with its evidence as at the end of ``as_of``."""
    focuses = list_focuses(settings, rep=rep, team=team)
    if not focuses:
        return []
    everyone = list_focuses(settings)
    table = open_events(settings) if events is None else events
    counter = _Counter(settings, table)
    return [_review(focus, everyone, counter, as_of) for focus in focuses]


def review_windows(
    since: date, as_of: date, ended: date | None = None
) -> tuple[Period, Period | None]:
    """The before and after windows of a focus started on ``since`` (after: None when
    ``as_of`` is before the start).

    >>> before, after = review_windows(date(2026, 10, 1), date(2026, 11, 30))
    >>> before.start, before.end, after.end
    (datetime.date(2026, 8, 1), datetime.date(2026, 9, 30), datetime.date(2026, 11, 30))
    """
    last = min(as_of, ended) if ended else as_of
    after = Period(since, last) if last >= since else None
    days = (last - since).days + 1 if after else 0
    days = min(max(days, MIN_BEFORE_DAYS), MAX_BEFORE_DAYS)
    end = since - timedelta(days=1)
    return Period(end - timedelta(days=days - 1), end), after


def _review(focus: Focus, everyone: list[Focus], counter: _Counter, as_of: date) -> FocusReview:
    ended = focus.ended_at.date() if focus.ended_at else None
    before, after = review_windows(focus.since, as_of, ended)
    funnel = resolve_funnel(counter.settings, focus.funnel)
    windows = [before] if after is None else [before, after]
    coached = {
        f.rep
        for f in everyone
        if f.conversion == focus.conversion and f.rep != focus.rep and _overlaps(f, windows)
    }
    by_window = [counter.counts(funnel, w, focus.conversion) for w in windows]
    first = by_window[0]
    team = first.loc[first["rep"] == focus.rep, "team"]
    same_team = (
        first["team"].isna()
        if team.empty or pd.isna(team.iloc[0])
        else first["team"] == team.iloc[0]
    )
    control = sorted(set(first.loc[same_team, "rep"].astype(str)) - coached - {focus.rep})
    counts = [_counts_by_rep(frame) for frame in by_window]
    if after is None:
        counts.append({})
    empty = Counts(0, 0)
    effect = CoachingEffect().fit(
        counts[0].get(focus.rep, empty),
        counts[1].get(focus.rep, empty),
        [counts[0].get(r, empty) for r in control],
        [counts[1].get(r, empty) for r in control],
    )
    return FocusReview(focus, before, after, len(control), effect)


def _overlaps(focus: Focus, windows: list[Period]) -> bool:
    """Whether ``focus`` was running on some day of the windows."""
    end = focus.ended_at.date() if focus.ended_at else date.max
    return any(focus.since <= w.end and end >= w.start for w in windows)


class _Counter:
    """Per-rep counts of a conversion per window, each window counted once."""

    def __init__(self, settings: Settings, events: ir.Table) -> None:
        self.settings = settings
        self.events = events
        self.roster = load_roster(settings)
        self._seen: dict[tuple[str, date, date], pd.DataFrame] = {}

    def counts(self, funnel: Funnel, window: Period, conversion: str) -> pd.DataFrame:
        key = (funnel.key, window.start, window.end)
        if key not in self._seen:
            self._seen[key] = conversion_counts(self.events, funnel, window, roster=self.roster)
        frame = self._seen[key]
        return frame[frame["conversion"] == conversion].reset_index(drop=True)


def _counts_by_rep(frame: pd.DataFrame) -> dict[str, Counts]:
    """Each rep's counts; per-period counts may show more successes than trials (an SQL
    from a meeting booked before the window), which are capped at the trials."""
    return {
        str(rep): Counts(min(int(s), int(n)), int(n))
        for rep, s, n in zip(frame["rep"], frame["successes"], frame["trials"], strict=True)
    }


def _window(period: Period | None) -> dict[str, str] | None:
    if period is None:
        return None
    return {"since": period.start.isoformat(), "until": period.end.isoformat()}


# -- the database side ---------------------------------------------------------------------


def _rep(db: Session, wanted: str) -> Rep:
    found, _ = find_owner(db, "rep", wanted)
    assert found is not None
    return found


def _current(db: Session, rep: Rep, conversion: str) -> list[CoachingFocus]:
    return list(
        db.scalars(
            select(CoachingFocus)
            .where(
                CoachingFocus.rep_id == rep.id,
                CoachingFocus.conversion == conversion,
                CoachingFocus.ended_at.is_(None),
            )
            .order_by(CoachingFocus.id)
        )
    )


def _now(settings: Settings) -> datetime:
    return settings.clock.now().replace(tzinfo=settings.clock.zone)


def _focus(row: CoachingFocus) -> Focus:
    team: Team | None = row.rep.team
    return Focus(
        id=row.id,
        rep=row.rep.key,
        name=row.rep.name,
        team=team.name if team else None,
        funnel=row.funnel,
        conversion=row.conversion,
        playbook=tuple(row.playbook),
        note=row.note,
        commitments=tuple(row.commitments),
        since=row.since,
        started_by=row.started_by,
        created_at=row.created_at,
        ended_at=row.ended_at,
        ended_by=row.ended_by,
    )


__all__ = [
    "Focus",
    "FocusRequest",
    "FocusReview",
    "UnknownFocus",
    "chosen_items",
    "end_focus",
    "list_focuses",
    "review_focuses",
    "review_windows",
    "start_focus",
]
