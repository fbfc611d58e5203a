"""What the OKR use cases take and give back: typed requests and read-only views.

The shells and the other services see objectives, plans and progress only
through these dataclasses, never through database rows; :func:`objective_view`
and :func:`plan_view` are the one place a stored row becomes a view. This
module imports nothing else of the package, so every other module can use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from backplan.appdb.models import Objective as ObjectiveRow
from backplan.appdb.models import ObjectivePlan
from backplan.core.period import Period

OwnerKind = Literal["rep", "team"]


@dataclass(frozen=True)
class Actor:
    """Who acts: a person's name and, when they are a rep, their rep key."""

    name: str
    rep: str | None = None


@dataclass
class ObjectiveRequest:
    """A new objective as a person states it.

    ``key_results`` are read like ``plan --objective`` ("4 sqls", "$120k",
    "1200 dials"); the first is the main result. A team objective with
    ``split`` is shared across the team's reps by capacity (working days ×
    their own pace at the main result's stage).
    """

    owner: str
    owner_kind: OwnerKind
    period: str
    key_results: list[str]
    text: str | None = None
    funnel: str | None = None
    deal_value: float | None = None
    split: bool = False
    created_by: str | None = None


@dataclass(frozen=True)
class KeyResultView:
    stage: str
    target: int
    revenue: float | None = None
    deal_value: float | None = None

    @property
    def text(self) -> str:
        if self.revenue is not None:
            return f"{self.revenue:,.0f} revenue ({self.target:,} {self.stage})"
        return f"{self.target:,} {self.stage}"


@dataclass(frozen=True)
class AgreementView:
    agreed_by: str
    agreed_at: datetime
    rates: list[dict[str, Any]]
    note: str | None = None


@dataclass(frozen=True)
class PlanView:
    """A stored plan: its figures and rates as proposed, and the agreement if there is one."""

    id: int
    objective_id: int
    status: str
    proposed_at: datetime
    proposed_by: str | None
    planned_pace: float
    figures: dict[str, Any]
    rates: list[dict[str, Any]]
    agreement: AgreementView | None = None


@dataclass(frozen=True)
class ObjectiveView:
    """An objective with its owner, key results, plans and (for a team) its reps' shares."""

    id: int
    text: str
    owner_kind: OwnerKind
    owner: str
    """The rep's key, or the team's name."""
    owner_name: str
    team: str | None
    period: Period
    funnel: str
    key_results: list[KeyResultView]
    plans: list[PlanView] = field(default_factory=list)
    parent_id: int | None = None
    children: list[ObjectiveView] = field(default_factory=list)
    created_at: datetime | None = None
    created_by: str | None = None

    @property
    def main(self) -> KeyResultView:
        return self.key_results[0]

    @property
    def agreed_plan(self) -> PlanView | None:
        return next((p for p in reversed(self.plans) if p.status == "agreed"), None)

    @property
    def current_plan(self) -> PlanView | None:
        """The agreed plan, else the newest proposal."""
        live = [p for p in self.plans if p.status in ("agreed", "proposed")]
        return self.agreed_plan or (live[-1] if live else None)


@dataclass(frozen=True)
class Share:
    """One rep's part of a team objective and what it was weighed by."""

    rep: str
    name: str
    working_days: int
    pace: float
    """Units per working day at the main result's stage over the reference window."""
    weight: float
    target: int
    objective_id: int | None = None
    """The rep's own objective for the share; none when the share rounds to nothing."""


@dataclass(frozen=True)
class Created:
    objective: ObjectiveView
    shares: list[Share] = field(default_factory=list)


@dataclass(frozen=True)
class KeyResultStatus:
    """One key result at a point of the period: actual, expected at the planned pace, pace."""

    stage: str
    target: int
    actual: int
    expected_to_date: float
    leading: bool
    pace: str
    from_plan: bool = False
    revenue: float | None = None
    revenue_to_date: float | None = None


@dataclass(frozen=True)
class ObjectiveProgress:
    objective: ObjectiveView
    as_of: date
    elapsed_days: float
    """Working days passed, part of today included (0 before office hours on day 1)."""
    working_days: int
    key_results: list[KeyResultStatus]
    notes: list[str] = field(default_factory=list)


def objective_text(kr: KeyResultView) -> str:
    """A key result as ``plan --objective`` reads it back ("4 sqls", "120000.00 revenue")."""
    if kr.revenue is not None:
        return f"{kr.revenue:.2f} revenue"
    return f"{kr.target} {kr.stage}"


def objective_view(row: ObjectiveRow, *, depth: int = 0) -> ObjectiveView:
    """A stored objective (loaded with :func:`objectives.objective_loads`) as a view; its
    children are read one level deep."""
    if row.rep is not None:
        kind: OwnerKind = "rep"
        owner, name = row.rep.key, row.rep.name
        team = row.rep.team.name if row.rep.team else None
    else:
        assert row.team is not None
        kind, owner, name, team = "team", row.team.name, row.team.name, row.team.name
    return ObjectiveView(
        id=row.id,
        text=row.text,
        owner_kind=kind,
        owner=owner,
        owner_name=name,
        team=team,
        period=Period(row.period_start, row.period_end, row.period),
        funnel=row.funnel,
        key_results=[
            KeyResultView(kr.stage, kr.target, kr.revenue, kr.deal_value) for kr in row.key_results
        ],
        plans=[plan_view(p) for p in row.plans],
        parent_id=row.parent_id,
        children=[objective_view(c, depth=depth + 1) for c in row.children] if depth == 0 else [],
        created_at=_utc(row.created_at),
        created_by=row.created_by,
    )


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def plan_view(plan: ObjectivePlan) -> PlanView:
    """A stored plan, with its agreement if there is one, as a view."""
    agreement = plan.agreement
    return PlanView(
        id=plan.id,
        objective_id=plan.objective_id,
        status=plan.status,
        proposed_at=_utc(plan.proposed_at),
        proposed_by=plan.proposed_by,
        planned_pace=plan.planned_pace,
        figures=plan.figures,
        rates=list(plan.rates),
        agreement=(
            AgreementView(
                agreement.agreed_by,
                _utc(agreement.agreed_at),
                list(agreement.rates),
                agreement.note,
            )
            if agreement is not None
            else None
        ),
    )
