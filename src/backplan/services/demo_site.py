"""The demo organisation's web accounts: one per role, each with a fresh random password."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from backplan.accounts.access import Role
from backplan.services.accounts import Accounts
from backplan.settings import Settings

DEMO_TEAM = "East"
DEMO_REPS = ("Ana Silva", "Ben Okafor")


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str
    sees: str


@dataclass(frozen=True)
class DemoSite:
    home: Path
    accounts: list[DemoAccount]

    def to_dict(self) -> dict[str, object]:
        return {
            "home": str(self.home),
            "accounts": [
                {"email": a.email, "password": a.password, "role": a.role, "sees": a.sees}
                for a in self.accounts
            ],
        }


def demo_password() -> str:
    """16 random URL-safe characters (96 bits): never a fixed password in the repository."""
    return secrets.token_urlsafe(12)


def set_up_demo(settings: Settings) -> DemoSite:
    """Create (or reset the passwords of) the demo accounts in ``settings.home``."""
    accounts = Accounts(settings)
    wanted = [
        ("admin@example.com", Role.ADMIN, None, (), "everything; manages users"),
        ("manager@example.com", Role.MANAGER, None, (DEMO_TEAM,), f"team {DEMO_TEAM}"),
        *(
            (
                f"{rep.split()[0].lower()}@example.com",
                Role.REP,
                rep,
                (),
                f"{rep}'s own plan and page",
            )
            for rep in DEMO_REPS
        ),
    ]
    existing = {u.email: u for u in accounts.users()}
    made = []
    for email, role, rep, teams, sees in wanted:
        password = demo_password()
        if email in existing:
            accounts.set_password(existing[email].id, password)
        else:
            accounts.add_user(email, password, role, rep=rep, teams=teams)
        made.append(DemoAccount(email, password, role.value, sees))
    return DemoSite(settings.home, made)
