"""A small organisation for the OKR tests: a roster in the app database and simulated events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from backplan import appdb
from backplan.appdb.models import Rep, Team, TimeOff
from backplan.config import Settings
from backplan.events.schema import EVENT_SCHEMA
from backplan.events.store import EventStore

NORTH = {"ana": "Ana Silva", "ben": "Ben Novak"}
SOUTH = {"cy": "Cy Okafor"}
SOURCES = ("Outbound list", "Inbound")
# True daily dials and rates of each rep: Ana qualifies well, Ben dials more.
PACE = {"ana": 50.0, "ben": 70.0, "cy": 60.0}
RATES = {
    "ana": (0.08, 1 / 6, 0.5),
    "ben": (0.07, 1 / 7, 0.25),
    "cy": (0.06, 1 / 7, 1 / 3),
}


def add_roster(settings: Settings, *, time_off: dict[str, tuple[date, date]] | None = None) -> None:
    """Teams North (ana, ben; managed by Maya) and South (cy; managed by Sol)."""
    with appdb.session(settings) as db:
        for team_name, manager, members in (("North", "Maya", NORTH), ("South", "Sol", SOUTH)):
            team = Team(name=team_name, manager=manager)
            db.add(team)
            for key, name in members.items():
                rep = Rep(key=key, name=name, team=team, origin="roster")
                if time_off and key in time_off:
                    first, last = time_off[key]
                    rep.time_off = [TimeOff(first_day=first, last_day=last, reason="holiday")]
                db.add(rep)


def simulate(first: date, last: date, *, seed: int = 1) -> pa.Table:
    """Working-day events of each rep from ``first`` to ``last``, with prospects and sources.

    Each dial is its own prospect; a connect, meeting and SQL follow on the
    same prospect the same day, so counts per period and cohorts agree.
    """
    rng = np.random.default_rng(seed)
    rows: dict[str, list[object]] = {name: [] for name in EVENT_SCHEMA.names}
    n = 0
    day = first
    while day <= last:
        if day.weekday() < 5:
            for rep, pace in PACE.items():
                connect, meeting, sql = RATES[rep]
                for _ in range(int(rng.poisson(pace))):
                    prospect = f"p{n}"
                    source = SOURCES[int(rng.random() < 0.3)]
                    at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
                    kinds = ["dial"]
                    if rng.random() < connect:
                        kinds.append("connect")
                        if rng.random() < meeting:
                            kinds.append("meeting_booked")
                            if rng.random() < sql:
                                kinds.append("sql")
                    for i, kind in enumerate(kinds):
                        rows["event_id"].append(f"e{n}-{i}")
                        rows["rep"].append(rep)
                        rows["at"].append(at + timedelta(minutes=i))
                        rows["kind"].append(kind)
                        rows["prospect"].append(prospect)
                        rows["amount"].append(None)
                        rows["source"].append(source)
                    n += 1
        day += timedelta(days=1)
    return pa.table({f.name: pa.array(rows[f.name], type=f.type) for f in EVENT_SCHEMA})


def store_events(home: Path, events: pa.Table) -> None:
    EventStore(home).append(events)


def north_south_october(settings: Settings) -> None:
    """North (ana, ben) and South (cy), simulated events from May to mid-October 2026, and
    October objectives for ana (6 SQLs), ben (5) and South (4)."""
    from backplan.services import okr

    add_roster(settings)
    store_events(settings.home, simulate(date(2026, 5, 1), date(2026, 10, 15)))
    for owner, kind, result in (("ana", "rep", "6 sqls"), ("ben", "rep", "5 sqls"),
                                ("South", "team", "4 sqls")):  # fmt: skip
        request = okr.ObjectiveRequest(owner, kind, "2026-10", [result])  # type: ignore[arg-type]
        okr.create_objective(settings, request, date(2026, 10, 1))
