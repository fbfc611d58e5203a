"""Roles and what each may see: decided here, on the server, and nowhere else.

- an **admin** sees everything and manages users, the roster and imports;
- a **manager** sees the reps of the teams they manage, and those teams;
- a **rep** sees their own details, and their own team only as aggregates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from backplan.accounts.errors import InvalidAccount


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    REP = "rep"

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise InvalidAccount(
                f"no role {text!r}; choose one of {', '.join(r.value for r in cls)}"
            ) from None


@dataclass(frozen=True)
class Principal:
    """The signed-in user, as every access decision sees them."""

    user_id: str
    email: str
    role: Role
    rep: str | None = None
    teams: frozenset[str] = field(default_factory=frozenset)

    def can_see_rep(self, rep: str, team_of_rep: str | None) -> bool:
        """Whether this user may see ``rep``'s own details (``team_of_rep`` from the roster)."""
        if self.role is Role.ADMIN:
            return True
        if self.role is Role.MANAGER:
            return team_of_rep is not None and team_of_rep in self.teams
        return self.rep is not None and rep == self.rep

    def can_see_team(self, team: str, own_team: str | None = None) -> bool:
        """Whether this user may see ``team``: a rep only their own, and only as aggregates."""
        if self.role is Role.ADMIN:
            return True
        if self.role is Role.MANAGER:
            return team in self.teams
        return own_team is not None and team == own_team
