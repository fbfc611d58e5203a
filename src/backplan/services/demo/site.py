"""The demo organisation for the web app: its data, and one account per role with fresh passwords."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from backplan import appdb
from backplan.accounts.access import Role
from backplan.appdb.models import Rep, Team
from backplan.config import Settings
from backplan.core.errors import BackplanError
from backplan.core.okr import least_target_for_all
from backplan.core.period import Period
from backplan.metrics import open_events, stage_counts
from backplan.services import okr
from backplan.services.accounts import Accounts
from backplan.services.demo.generator import DemoSummary, generate_demo
from backplan.services.planning import resolve_funnel
from backplan.services.rates import load_roster

DEMO_REPS_WITH_ACCOUNTS = 2


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str
    sees: str


@dataclass(frozen=True)
class DemoSite:
    home: Path
    organisation: DemoSummary
    accounts: list[DemoAccount]
    objectives: int = 0
    """Objectives the demo added this time (none when this month's were already there)."""

    def to_dict(self) -> dict[str, object]:
        return {
            "home": str(self.home),
            "organisation": self.organisation.to_dict(),
            "accounts": [
                {"email": a.email, "password": a.password, "role": a.role, "sees": a.sees}
                for a in self.accounts
            ],
            "objectives": self.objectives,
        }


def demo_password() -> str:
    """16 random URL-safe characters (96 bits): never a fixed password in the repository."""
    return secrets.token_urlsafe(12)


def _email(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".") + "@example.com"


def set_up_demo(
    settings: Settings, *, events: int = 200_000, progress: Callable[[int, int], None] | None = None
) -> DemoSite:
    """Generate the demo organisation in ``settings.home`` (again: nothing added twice) and
    create, or give new passwords to, an admin, the first team's manager and two of its reps."""
    organisation = generate_demo(settings, events=events, progress=progress)
    with appdb.session(settings) as s:
        team = s.scalars(select(Team).order_by(Team.name)).first()
        assert team is not None, "the demo organisation has teams"
        reps = s.execute(
            select(Rep.key, Rep.name, Rep.email).where(Rep.team_id == team.id).order_by(Rep.name)
        ).all()[:DEMO_REPS_WITH_ACCOUNTS]
        team_name, manager = team.name, team.manager or f"{team.name} manager"
    wanted = [
        ("admin@example.com", Role.ADMIN, None, (), "everything; manages users and imports"),
        (_email(manager), Role.MANAGER, None, (team_name,), f"team {team_name} ({manager})"),
        *(
            (email or _email(name), Role.REP, key, (), f"{name}'s own plan and page")
            for key, name, email in reps
        ),
    ]
    accounts = Accounts(settings)
    existing = {u.email: u for u in accounts.users()}
    made = []
    for email, role, rep, teams, sees in wanted:
        password = demo_password()
        if email in existing:
            accounts.set_password(existing[email].id, password)
        else:
            accounts.add_user(email, password, role, rep=rep, teams=teams)
        made.append(DemoAccount(email, password, role.value, sees))
    rep_keys = [key for key, _, _ in reps]
    objectives = add_demo_objectives(settings, organisation.last_day + timedelta(days=1), rep_keys)
    return DemoSite(settings.home, organisation, made, objectives)


def add_demo_objectives(settings: Settings, today: date, reps: Sequence[str]) -> int:
    """This month's objective for each team, 20% above last month's SQLs (at least one a rep)
    and split across its reps by capacity, so OKRs and Forecast have something to show. Of ``reps`` (the demo reps
    with accounts), the first has agreed a plan and the second has one proposed to agree.
    Nothing is added when this month already has objectives; returns how many were added.
    """
    month = Period.parse("month", today)
    if okr.list_objectives(settings, period=month):
        return 0
    last_month = Period.parse("month", month.start - timedelta(days=1))
    funnel = resolve_funnel(settings, settings.funnel)
    sqls = stage_counts(
        open_events(settings), funnel, last_month, level="team", roster=load_roster(settings)
    ).to_pandas()
    added = 0
    for team, done in zip(sqls["team"], sqls["sqls"], strict=True):
        # at least one for each rep, so every share can be planned, whatever the month's time off
        weights = okr.share_weights(settings, str(team), month, "sqls")
        target = max(math.ceil(int(done) * 1.2), least_target_for_all(weights))
        request = okr.ObjectiveRequest(
            str(team), "team", month.label, [f"{target} sqls"], split=True, created_by="demo"
        )
        created = okr.create_objective(settings, request, today)
        added += 1 + len(created.shares)
    for position, rep in enumerate(reps[:2]):
        _propose_demo_plan(settings, rep, month, today, agree=position == 0)
    return added


def _propose_demo_plan(
    settings: Settings, rep: str, month: Period, today: date, *, agree: bool
) -> None:
    objective = okr.find_objective(settings, "rep", rep, period=month, day=today)
    if objective is None:
        return
    try:
        okr.propose_plan(settings, objective.id, today, by=okr.Actor("demo"))
        if agree:
            okr.agree_plan(settings, objective.id, okr.Actor(rep, rep=rep))
    except BackplanError:
        return  # too little data to plan from: the rep's objective stays without a plan
