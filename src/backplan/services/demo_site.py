"""The demo organisation for the web app: its data, and one account per role with fresh passwords."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from backplan import appdb
from backplan.accounts.access import Role
from backplan.appdb.models import Rep, Team
from backplan.demo_data import DemoSummary, generate_demo
from backplan.services.accounts import Accounts
from backplan.settings import Settings

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

    def to_dict(self) -> dict[str, object]:
        return {
            "home": str(self.home),
            "organisation": self.organisation.to_dict(),
            "accounts": [
                {"email": a.email, "password": a.password, "role": a.role, "sees": a.sees}
                for a in self.accounts
            ],
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
    organisation = generate_demo(settings.home, events=events, progress=progress)
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
    return DemoSite(settings.home, organisation, made)
