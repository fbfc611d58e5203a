"""The organisation's funnels and playbook: the shipped TOML, as admins edited it in the web app.

Every version an admin saves is a row of the app database's ``definitions``
table; the newest row per funnel (or for the playbook) is the one in force,
and a row with empty text means "back to the shipped definition". So history
is never lost, and reverting is one more row.

Which definition is in force, in order (later wins):

- funnels: the shipped TOML (``backplan/defaults/funnels``) ← the organisation's saved version;
- the playbook: the shipped one ← the file at ``BACKPLAN_PLAYBOOK`` ← the organisation's saved
  playbook, each overriding and extending the one before entry by entry (unless it says
  ``include_defaults = false``), as ``backplan.defaults.playbook`` does with a file.

Looking a definition up never creates the app database: when it is an absent
SQLite file (``backplan plan --rate ...`` on a fresh machine), only the shipped
definitions (and the playbook file) exist.

Every save, revert and removal is recorded in the audit log, in the same transaction.

    >>> save_funnel(settings, "inbound", text, by=Actor.user("admin@example.com"))
    >>> organisation_funnel(settings, "inbound").stages
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from weakref import WeakKeyDictionary

from backplan import defaults
from backplan.config import Settings
from backplan.core.errors import FunnelInUse, InvalidFunnelName, NotShipped, UnknownFunnel
from backplan.core.funnel import Funnel
from backplan.core.playbook import Playbook
from backplan.defaults.definitions import funnel_from_text, playbook_from_text, read_text
from backplan.services.kept import Kept

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from backplan.appdb.models import DefinitionVersion
    from backplan.services.audit import Actor

# SQLAlchemy and the app database are imported where they are read: ``backplan plan
# --rate ...`` on a machine without an app database needs neither (docs/performance.md).

FRESH_SECONDS = 2.0
"""How long the definitions in force are trusted before the database is asked again."""
_kept: WeakKeyDictionary[Engine, dict[str, Kept[dict[str, Version]]]] = WeakKeyDictionary()
_lock = threading.Lock()

Kind = Literal["funnel", "playbook"]
PLAYBOOK = "playbook"
"""The name the playbook's versions are kept under (there is one playbook)."""

NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RESERVED = frozenset({"new"})
"""Names a funnel cannot take: ``/admin/funnels/new`` is the page that creates one."""


@dataclass(frozen=True)
class Version:
    """One saved version: who saved what, when. Empty ``text``: back to shipped (or removed)."""

    id: int
    kind: str
    name: str
    text: str
    created_at: datetime
    created_by: str | None

    @property
    def reverted(self) -> bool:
        return not self.text

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "reverted": self.reverted,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "text": self.text,
        }


@dataclass(frozen=True)
class FunnelEntry:
    """A funnel as the admin pages list it: where it comes from, and its last edit."""

    name: str
    shipped: bool
    edited: Version | None
    """The organisation's version in force (None: the shipped file is)."""

    @property
    def source(self) -> str:
        return "organisation" if self.edited else "shipped"


# -- reading --------------------------------------------------------------------


def funnel_names(settings: Settings) -> list[str]:
    """The funnels a plan can use: the shipped ones and the organisation's own, sorted."""
    return sorted(set(defaults.funnel_names()) | set(_current(settings, "funnel")))


def funnel_entries(settings: Settings) -> list[FunnelEntry]:
    """Every funnel in force, with its source and the organisation's version if edited."""
    current = _current(settings, "funnel")
    shipped = set(defaults.funnel_names())
    return [FunnelEntry(n, n in shipped, current.get(n)) for n in sorted(shipped | set(current))]


def organisation_funnel(settings: Settings, name: str) -> Funnel:
    """The funnel ``name`` as the organisation has it: its saved version, else the shipped one.

    Only names, never a path: an unknown name raises ``UnknownFunnel`` listing the known ones.
    """
    edited = _current(settings, "funnel").get(name)
    if edited is not None:
        return _funnel(edited.text, _source("funnel", name), name)
    if name in defaults.funnel_names():
        return defaults.funnel(name)
    raise UnknownFunnel(
        f"no funnel named {name[:100]!r}; choose one of {', '.join(funnel_names(settings))}"
    )


def funnel_text(settings: Settings, name: str) -> str:
    """The TOML of the funnel in force (the shipped file's text for a shipped funnel)."""
    edited = _current(settings, "funnel").get(name)
    if edited is not None:
        return edited.text
    if name in defaults.funnel_names():
        return defaults.funnel_path(name).read_text(encoding="utf-8")
    raise UnknownFunnel(f"no funnel named {name[:100]!r}")


def organisation_playbook(settings: Settings) -> Playbook:
    """The playbook in force: shipped ← ``BACKPLAN_PLAYBOOK`` file ← the organisation's saved one."""
    edited = _current(settings, "playbook").get(PLAYBOOK)
    file = settings.playbook
    return _playbook(
        edited.text if edited else "",
        read_text(Path(file)) if file else "",
        str(file) if file else "",
    )


def playbook_text(settings: Settings) -> str:
    """The TOML an admin edits: the organisation's saved playbook, or else the shipped one's text.

    With a ``BACKPLAN_PLAYBOOK`` file, the text starts as that file commented out: the file
    is applied already, and applying it twice would append its ``more_suggestions`` twice.
    """
    edited = _current(settings, "playbook").get(PLAYBOOK)
    if edited is not None:
        return edited.text
    if settings.playbook:
        lines = read_text(Path(settings.playbook)).splitlines()
        return (
            f"# Entries here override and extend the shipped playbook and {settings.playbook},\n"
            "# which says (uncomment and change what you need):\n#\n"
            + "".join(f"# {line}\n" if line else "#\n" for line in lines)
        )
    return read_text(defaults.playbook_path())


def playbook_source(settings: Settings) -> str:
    """Where the playbook in force comes from, in words."""
    edited = _current(settings, "playbook").get(PLAYBOOK)
    layers = ["shipped default"]
    if settings.playbook:
        layers.append(str(settings.playbook))
    if edited is not None:
        layers.append(
            f"edited by {edited.created_by or 'an admin'} on {edited.created_at:%Y-%m-%d}"
        )
    return " ← ".join(layers)


def playbook_version(settings: Settings) -> Version | None:
    """The organisation's saved playbook in force (None: the shipped one and the file are)."""
    return _current(settings, "playbook").get(PLAYBOOK)


def history(settings: Settings, kind: Kind, name: str = PLAYBOOK) -> list[Version]:
    """Every saved version of a funnel (or the playbook), newest first."""
    if not _database_exists(settings):
        return []
    from sqlalchemy import select

    from backplan import appdb
    from backplan.appdb.models import DefinitionVersion

    with appdb.session(settings) as s:
        rows = s.scalars(
            select(DefinitionVersion)
            .where(DefinitionVersion.kind == kind, DefinitionVersion.name == name)
            .order_by(DefinitionVersion.id.desc())
        ).all()
        return [_version(r) for r in rows]


# -- checking and saving --------------------------------------------------------


def check_funnel(name: str, text: str, *, source: str | None = None) -> Funnel:
    """The funnel ``text`` describes, validated as saving would, without saving anything.

    Errors name ``source`` (default ``funnel 'NAME' (edited)``), the line and the field.
    """
    check_name(name)
    return _funnel(text, source or _source("funnel", name), name)


def check_playbook(settings: Settings, text: str) -> Playbook:
    """The playbook that saving ``text`` would put in force, without saving anything."""
    file = settings.playbook
    return _playbook(text, read_text(Path(file)) if file else "", str(file) if file else "")


def save_funnel(
    settings: Settings, name: str, text: str, by: Actor | None, *, source: str | None = None
) -> Version:
    """Save a new version of funnel ``name`` (new or shipped); invalid text stores nothing.

    The text's ``key`` must be ``name`` (it is taken from the name when the text has none).
    Errors name ``source`` (e.g. the file it came from), the line and the field.
    """
    check_funnel(name, text, source=source)
    return _add(settings, "funnel", name, text, by, "funnel.saved")


def save_playbook(settings: Settings, text: str, by: Actor | None) -> Version:
    """Save a new version of the organisation's playbook; invalid text stores nothing."""
    check_playbook(settings, text)
    return _add(settings, "playbook", PLAYBOOK, text, by, "playbook.saved")


def revert_funnel(settings: Settings, name: str, by: Actor | None) -> Version:
    """Put the shipped funnel ``name`` back in force; the edited versions stay in the history."""
    if name not in defaults.funnel_names():
        raise NotShipped(f"backplan ships no funnel {name[:100]!r}; remove it instead")
    return _add(settings, "funnel", name, "", by, "funnel.reverted")


def revert_playbook(settings: Settings, by: Actor | None) -> Version:
    """Put the shipped playbook (with the ``BACKPLAN_PLAYBOOK`` file, if set) back in force."""
    return _add(settings, "playbook", PLAYBOOK, "", by, "playbook.reverted")


def remove_funnel(settings: Settings, name: str, by: Actor | None) -> Version:
    """Remove the organisation's own funnel ``name`` (not a shipped one: revert that).

    Refused while objectives use it; its versions stay in the history.
    """
    if name in defaults.funnel_names():
        raise NotShipped(
            f"{name!r} is shipped with backplan and cannot be removed; revert it to the shipped one"
        )
    if name not in _current(settings, "funnel"):
        raise UnknownFunnel(f"the organisation has no funnel named {name[:100]!r}")
    users = objectives_using(settings, name)
    if users:
        listed = "; ".join(f"#{i} {text!r}" for i, text in users[:10])
        raise FunnelInUse(
            f"funnel {name!r} is used by {len(users)} objective(s): {listed}; "
            "delete them or move them to another funnel first"
        )
    return _add(settings, "funnel", name, "", by, "funnel.removed")


def objectives_using(settings: Settings, name: str) -> list[tuple[int, str]]:
    """The objectives (id, text) planned through funnel ``name``."""
    if not _database_exists(settings):
        return []
    from sqlalchemy import select

    from backplan import appdb
    from backplan.appdb.models import Objective

    with appdb.session(settings) as s:
        rows = s.execute(
            select(Objective.id, Objective.text)
            .where(Objective.funnel == name)
            .order_by(Objective.id)
        ).all()
    return [(i, text) for i, text in rows]


# -- internals ------------------------------------------------------------------


def _source(kind: Kind, name: str) -> str:
    """How errors name an edited definition (in place of a file): ``funnel 'outbound' (edited)``."""
    return f"funnel {name!r} (edited)" if kind == "funnel" else "playbook (edited)"


def check_name(name: str) -> None:
    """Refuse a funnel name that is not a safe slug (or is reserved)."""
    if not NAME.match(name) or name in RESERVED:
        raise InvalidFunnelName(
            f"cannot name a funnel {name[:100]!r}: use lowercase letters, digits and '-' "
            "(up to 64, starting and ending with a letter or digit), e.g. inbound-2027"
            + (f"; {name!r} is reserved" if name in RESERVED else "")
        )


@lru_cache(maxsize=128)
def _funnel(text: str, source: str, name: str) -> Funnel:
    return funnel_from_text(text, source, key=name)


@lru_cache(maxsize=32)
def _playbook(edited: str, file_text: str, file: str) -> Playbook:
    book = defaults.default_playbook()
    if file_text:
        book = playbook_from_text(file_text, file, base=book)
    if edited:
        book = playbook_from_text(edited, _source("playbook", PLAYBOOK), base=book)
    return book


def _database_exists(settings: Settings) -> bool:
    """False when the app database is a SQLite file not created yet (opening would create it)."""
    if settings.database_url is None:
        return (settings.home / "backplan.db").exists()
    from sqlalchemy.engine.url import make_url

    url = make_url(settings.app_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return True
    return Path(url.database).exists()


def _current(settings: Settings, kind: Kind) -> dict[str, Version]:
    """The versions in force: the newest per name, leaving out the reverted (empty) ones.

    A page asks several times per request, so the answer is kept for FRESH_SECONDS per
    database (keyed by its engine, which a reset database replaces): a save in this
    process shows at once, one made by another process (a second server worker, the
    command line) at most FRESH_SECONDS later.
    """
    if not _database_exists(settings):
        return {}
    from backplan import appdb

    with _lock:
        by_kind = _kept.setdefault(appdb.engine(settings), {})
        if kind not in by_kind:
            by_kind[kind] = Kept(lambda: _read_current(settings, kind), FRESH_SECONDS)
        kept = by_kind[kind]
    return kept.get()


def _read_current(settings: Settings, kind: Kind) -> dict[str, Version]:
    from sqlalchemy import func, select

    from backplan import appdb
    from backplan.appdb.models import DefinitionVersion

    newest = (
        select(func.max(DefinitionVersion.id))
        .where(DefinitionVersion.kind == kind)
        .group_by(DefinitionVersion.name)
    )
    with appdb.session(settings) as s:
        rows = s.scalars(select(DefinitionVersion).where(DefinitionVersion.id.in_(newest))).all()
        return {r.name: _version(r) for r in rows if r.text}


def _add(
    settings: Settings, kind: Kind, name: str, text: str, by: Actor | None, action: str
) -> Version:
    """A new version row, and its audit event (``action``) in the same transaction."""
    from backplan import appdb
    from backplan.appdb.models import DefinitionVersion
    from backplan.services.audit import acting, record

    actor = acting(by)
    with _lock:
        _kept.pop(appdb.engine(settings), None)
    with appdb.session(settings) as s:
        row = DefinitionVersion(
            kind=kind, name=name, text=text, created_at=datetime.now(UTC), created_by=actor.label
        )
        s.add(row)
        s.flush()
        record(s, settings, actor, action, name, {"version": row.id})
        return _version(row)


def _version(row: DefinitionVersion) -> Version:
    created = row.created_at
    if created.tzinfo is None:  # SQLite hands back naive datetimes
        created = created.replace(tzinfo=UTC)
    return Version(row.id, row.kind, row.name, row.text, created, row.created_by)
