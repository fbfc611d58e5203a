"""The app database's tables: the roster (teams, reps, time off), the import log, OKRs
with their plans and agreements (also those agreed on My plan), and web accounts
(users, sessions, failed sign-ins, two-factor recovery codes), background jobs and the
audit log of admin actions.

Coaching focuses live here too. Later features add their models here and a migration in
``backplan/appdb/migrations/versions``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Team(Base):
    """A sales team, led by one manager."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    manager: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))

    reps: Mapped[list[Rep]] = relationship(back_populates="team")


class Rep(Base):
    """A rep of the roster. ``key`` is the value events carry in their ``rep`` column."""

    __tablename__ = "reps"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    region: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date | None] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(20), default="roster")
    """How the rep got here: ``roster`` (a roster file), ``import`` (seen in events), ``demo``,
    ``admin`` (added on the admin pages)."""

    team: Mapped[Team | None] = relationship(back_populates="reps")
    time_off: Mapped[list[TimeOff]] = relationship(
        back_populates="rep", cascade="all, delete-orphan", order_by="TimeOff.first_day"
    )


class TimeOff(Base):
    """Days a rep does not work (holiday, sick leave, training), first to last day inclusive."""

    __tablename__ = "rep_time_off"
    __table_args__ = (UniqueConstraint("rep_id", "first_day", name="uq_time_off_rep_first_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))

    rep: Mapped[Rep] = relationship(back_populates="time_off")


class ImportRun(Base):
    """One ``backplan import``: what was read, what it added, and where its rejects are."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    file: Mapped[str] = mapped_column(Text)
    mapping: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="running")
    """``running``, ``done``, ``rejected`` (rows rejected, nothing added), ``failed``, ``interrupted``."""
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    reps_added: Mapped[int] = mapped_column(Integer, default=0)
    rejects_path: Mapped[str | None] = mapped_column(Text)
    batch: Mapped[str | None] = mapped_column(String(200))
    encoding: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)


class Objective(Base):
    """An objective in words, owned by one rep or one team, for one period.

    A rep's objective split from a team's keeps the team's in ``parent_id``.
    """

    __tablename__ = "objectives"
    __table_args__ = (
        CheckConstraint("(rep_id IS NULL) <> (team_id IS NULL)", name="ck_objectives_one_owner"),
        Index("ix_objectives_period", "period_start", "period_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(40))
    """The period's label (``2026-10``, ``2026-Q4``, or ``start..end``)."""
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    funnel: Mapped[str] = mapped_column(String(500))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("objectives.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(200))

    rep: Mapped[Rep | None] = relationship()
    team: Mapped[Team | None] = relationship()
    key_results: Mapped[list[KeyResult]] = relationship(
        back_populates="objective", cascade="all, delete-orphan", order_by="KeyResult.position"
    )
    plans: Mapped[list[ObjectivePlan]] = relationship(
        back_populates="objective", cascade="all, delete-orphan", order_by="ObjectivePlan.id"
    )
    children: Mapped[list[Objective]] = relationship(
        cascade="all, delete-orphan", order_by="Objective.id"
    )


class KeyResult(Base):
    """A count at a funnel stage (``4 sqls``), or revenue turned into deals, with its target."""

    __tablename__ = "key_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objectives.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    """0 is the objective's main result, the one its plan is worked back from."""
    stage: Mapped[str] = mapped_column(String(200))
    target: Mapped[int] = mapped_column(Integer)
    revenue: Mapped[float | None] = mapped_column(Float)
    deal_value: Mapped[float | None] = mapped_column(Float)

    objective: Mapped[Objective] = relationship(back_populates="key_results")


class ObjectivePlan(Base):
    """An objective worked backwards: the stored figures and the rates used, with evidence.

    ``status`` is ``proposed`` until the owner agrees it (then ``agreed``);
    a newer proposal marks older ones ``superseded``.
    """

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objectives.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    proposed_by: Mapped[str | None] = mapped_column(String(200))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The plan as ``plan_to_dict`` gives it: stages, steps, reasoning."""
    rates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """Each conversion's rate with its evidence (counts, interval, posterior, window)."""
    planned_pace: Mapped[float] = mapped_column(Float)
    """Top-of-funnel units per working day the plan asks for (the forecast's prior pace)."""

    objective: Mapped[Objective] = relationship(back_populates="plans")
    agreement: Mapped[Agreement | None] = relationship(
        back_populates="plan", cascade="all, delete-orphan", uselist=False
    )


class Agreement(Base):
    """The owner agreed a plan: who, when, and the rates they agreed to (case S9)."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), unique=True)
    agreed_by: Mapped[str] = mapped_column(String(200))
    agreed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[ObjectivePlan] = relationship(back_populates="agreement")


# -- web accounts ---------------------------------------------------------------


class User(Base):
    """A person who signs in. ``id`` is random, so no user can be reached by guessing it."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    rep: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    """The authenticator app's key (base32), kept from the start of enrolment; two-factor
    sign-in is on once ``totp_enabled_at`` is set (services/two_factor.py)."""
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)
    """The 30-second step of the last code accepted: a code of that step or an older one
    is refused, so no code works twice."""
    digest_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The user asked for no weekly digest email (their account page)."""
    teams: Mapped[list[UserTeam]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class UserTeam(Base):
    """A team a manager manages (a manager may manage several)."""

    __tablename__ = "user_teams"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    team: Mapped[str] = mapped_column(String(200), primary_key=True)
    user: Mapped[User] = relationship(back_populates="teams")


class WebSession(Base):
    """A signed-in browser. Only a hash of the cookie's random id is stored."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RecoveryCode(Base):
    """A single-use code that stands in for the authenticator app; only its SHA-256 is kept
    (the codes are random, 80 bits, so a hash cannot be reversed by guessing). Using one
    deletes it."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SignInThrottle(Base):
    """Failed sign-ins for one address typed (known account or not), counted until an hour
    passes without one: past the limit, each further try waits longer (services/sign_ins.py).

    ``version`` changes with every write, so a try is counted with one conditional UPDATE
    (compare and swap) that concurrent tries cannot both win.
    """

    __tablename__ = "sign_in_throttles"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    version: Mapped[int] = mapped_column(Integer)


class Job(Base):
    """Long work started from a page (an import), kept across restarts (services/jobs.py).

    ``worker`` names the process running it (``host:pid:token``): a job left
    "running" by a process that is gone is marked "interrupted" when a server starts.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_created_at", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(200))
    fraction: Mapped[float | None] = mapped_column(Float)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker: Mapped[str | None] = mapped_column(String(200))


# -- the organisation's definitions ---------------------------------------------


class DefinitionVersion(Base):
    """One saved version of a funnel's or the playbook's TOML, edited by an admin.

    The newest row per (kind, name) is the one in force; a row with empty
    ``text`` means "back to the shipped definition" (or, for a funnel that
    backplan does not ship, that the funnel was removed). Older rows are the history.
    """

    __tablename__ = "definitions"
    __table_args__ = (
        CheckConstraint("kind IN ('funnel', 'playbook')", name="ck_definitions_kind"),
        Index("ix_definitions_kind_name_id", "kind", "name", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    """``funnel`` or ``playbook``."""
    name: Mapped[str] = mapped_column(String(100))
    """The funnel's name (its key); ``playbook`` for the playbook."""
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(320))


# -- coaching ---------------------------------------------------------------------


class CoachingFocus(Base):
    """What a rep is coached on: one conversion, from ``since``, with the playbook items
    chosen, a note and the rep's own commitments. Starting a new focus on the same
    conversion ends this one (``ended_at``); every focus is kept."""

    __tablename__ = "coaching_focuses"
    __table_args__ = (Index("ix_coaching_focuses_rep_conversion", "rep_id", "conversion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"))
    funnel: Mapped[str] = mapped_column(String(500))
    conversion: Mapped[str] = mapped_column(String(200))
    """Keyed like the rates, ``to/from``: ``sqls/meetings`` is meeting → SQL."""
    playbook: Mapped[list[str]] = mapped_column(JSON)
    """The playbook's suggestions chosen for this focus."""
    note: Mapped[str | None] = mapped_column(Text)
    commitments: Mapped[list[str]] = mapped_column(JSON)
    since: Mapped[date] = mapped_column(Date)
    started_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str | None] = mapped_column(String(320))

    rep: Mapped[Rep] = relationship()


# -- the audit log ----------------------------------------------------------------


class AuditEvent(Base):
    """One admin action, recorded in the transaction that made the change (services/audit).

    Append-only: the migration adds triggers that refuse to update or delete a row, so
    not even a bug in backplan can rewrite what happened. ``actor_id`` is no foreign
    key: an event outlives the account that acted, and keeps its email as it was then.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_action", "action"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """When, in UTC, from the organisation's clock (``Settings.clock``)."""
    actor_kind: Mapped[str] = mapped_column(String(16))
    """``user`` (an account, on the web) or ``command line`` (an OS user)."""
    actor_id: Mapped[str | None] = mapped_column(String(32))
    """The account's id (None for the command line)."""
    actor: Mapped[str] = mapped_column(String(320))
    """The account's email at the time, or the OS user's name."""
    action: Mapped[str] = mapped_column(String(40))
    """A stable code: ``user.role_changed``, ``funnel.saved`` ... (``services/audit``)."""
    subject: Mapped[str] = mapped_column(String(500))
    """What was changed: a user's email, a rep's key, a funnel's name ..."""
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    """A small record of the change (before → after); never a password or its hash."""


class DigestSent(Base):
    """A weekly digest sent to a user: one row per user and week, so a rerun sends nothing
    twice. ``week`` is the day that week's digest was due (services/digest)."""

    __tablename__ = "digests_sent"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# -- live sync from a CRM ---------------------------------------------------------


class SyncCursor(Base):
    """How far a CRM's object has been synced: the newest last-modified time read
    (services/sync). The next run asks only for records modified since."""

    __tablename__ = "sync_state"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    object: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SyncRun(Base):
    """One sync from a CRM: per object what was read, added, already stored and rejected."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_source_id", "source", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    """``running``, ``done`` or ``failed``."""
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    objects: Mapped[dict[str, Any]] = mapped_column(JSON)
    reps_added: Mapped[list[str]] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)


class SyncToken(Base):
    """A CRM's API token set on the admin page, encrypted with the app's secret key; never
    shown back."""

    __tablename__ = "sync_tokens"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    encrypted: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
