"""What every route needs, built once per app: settings, app database, services, templates."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from backplan.config import Settings
from backplan.config.private import private_folder
from backplan.config.secret_key import secret_key
from backplan.services import roster
from backplan.services.accounts import Accounts, open_app_database
from backplan.services.importing import UPLOADS_DIR
from backplan.services.kept import Kept
from backplan.services.roster import Memberships
from backplan.web.jobs import Jobs
from backplan.web.rates_cache import RatesCache

HERE = Path(__file__).parent
STATIC = HERE / "static"
ROSTER_FRESH_SECONDS = 2.0
"""How long the roster's teams and memberships are trusted before they are read again: an
edit made here shows at once, one by another process (a second worker, ``backplan roster``)
at most this late."""


"""The folder of ``BACKPLAN_HOME`` where uploaded files are kept (created 0700)."""


@cache
def static_version(name: str) -> str:
    """A short content hash, so a changed file gets a new URL and old ones cache forever."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


@dataclass
class WebContext:
    settings: Settings
    accounts: Accounts
    secret: bytes
    jobs: Jobs
    rates: RatesCache
    _roster: Kept[Memberships] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._roster = Kept(self._read_roster, ROSTER_FRESH_SECONDS)

    @classmethod
    def build(cls, settings: Settings, accounts: Accounts | None = None) -> WebContext:
        open_app_database(settings)  # migrated to the newest schema before the first request
        private_folder(settings.home / UPLOADS_DIR)  # raw files people upload: the owner's only
        return cls(
            settings=settings,
            accounts=accounts or Accounts(settings),
            secret=secret_key(settings),
            jobs=Jobs(settings),
            rates=RatesCache(settings),
        )

    def has_events(self) -> bool:
        """Whether the event store holds any event (then rates can come from data)."""
        return self.rates.has_events()

    def known_reps(self) -> set[str]:
        """Reps the app knows of: the roster's (agreed plans add theirs), and those with an account."""
        return roster.known_reps(self.settings)

    def roster_changed(self) -> None:
        """Call after editing the roster: the next request sees the edit, not a cached view."""
        self._roster.forget()
        self.rates.invalidate()

    def roster_view(self) -> Memberships:
        """The roster's teams and memberships, read again every ROSTER_FRESH_SECONDS."""
        return self._roster.get()

    def _read_roster(self) -> Memberships:
        return roster.memberships(self.settings)

    def team_of(self, rep: str) -> str | None:
        """The rep's team in the roster (None for a rep without one)."""
        return self.roster_view().team_of.get(rep)

    def teams(self) -> set[str]:
        """The roster's teams."""
        return set(self.roster_view().teams)

    def reps_of(self, teams: frozenset[str]) -> list[dict[str, str | None]]:
        """The roster's reps in these teams: key, name and team."""
        members = self.roster_view().members
        return [
            {"rep": key, "name": name, "team": team}
            for team in sorted(teams)
            for key, name in members.get(team, ())
        ]

    def roster_entry(self, rep: str) -> dict[str, object] | None:
        """The roster's record of a rep: name, email, team, manager, region, start date."""
        return roster.roster_entry(self.settings, rep)
