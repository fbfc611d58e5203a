"""Saving the demo organisation's roster (teams, reps, time off) into the app database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from backplan import appdb
from backplan.appdb.models import Rep, Team, TimeOff
from backplan.config import Settings

if TYPE_CHECKING:
    from backplan.services.demo.generator import DemoRep


def save_demo_roster(settings: Settings, roster: list[DemoRep]) -> None:
    """Add or update the demo's teams and reps; their time off replaces what was recorded."""
    with appdb.session(settings) as db:
        teams = {t.name: t for t in db.scalars(select(Team))}
        reps = {r.key: r for r in db.scalars(select(Rep))}
        for demo in roster:
            team = teams.get(demo.team)
            if team is None:
                team = teams[demo.team] = Team(name=demo.team)
                db.add(team)
            team.manager = demo.manager
            team.region = demo.region
            rep = reps.get(demo.key)
            if rep is None:
                rep = reps[demo.key] = Rep(key=demo.key, name=demo.name, origin="demo")
                db.add(rep)
            rep.name = demo.name
            rep.email = demo.email
            rep.team = team
            rep.region = demo.region
            rep.start_date = demo.start_date
            if rep.time_off:
                rep.time_off.clear()
                db.flush()  # the old days go before the new ones arrive (unique per first day)
            rep.time_off.extend(
                TimeOff(first_day=a, last_day=b, reason="holiday") for a, b in demo.time_off
            )
