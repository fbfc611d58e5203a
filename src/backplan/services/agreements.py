"""A rep agrees their plan (case S9): who agreed, when, with which rates, and the plan itself.

The plan is always rebuilt on the server from the request before it is
stored, so what is agreed is what the planner computes, never what a
browser sent. Storage sits behind the small ``PlanAgreements`` interface.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import select

from backplan import appdb
from backplan.appdb.models import PlanAgreement
from backplan.services.planning import PlannedObjective, PlanRequest, plan_to_dict
from backplan.settings import Settings


@dataclass(frozen=True)
class Agreement:
    """An agreed plan, as it was when the rep agreed it."""

    id: str
    rep: str
    agreed_by: str
    agreed_at: datetime
    objective: str
    funnel: str
    period_label: str
    period_start: date
    period_end: date
    rates: dict[str, str]
    plan: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rep": self.rep,
            "agreed_by": self.agreed_by,
            "agreed_at": self.agreed_at.isoformat(),
            "objective": self.objective,
            "funnel": self.funnel,
            "period": {
                "label": self.period_label,
                "start": self.period_start.isoformat(),
                "end": self.period_end.isoformat(),
            },
            "rates": self.rates,
            "plan": self.plan,
        }


class PlanAgreements(Protocol):
    """Where agreed plans are kept."""

    def agree(
        self, rep: str, agreed_by: str, request: PlanRequest, planned: PlannedObjective
    ) -> Agreement: ...

    def get(self, agreement_id: str) -> Agreement | None: ...

    def for_rep(self, rep: str) -> list[Agreement]: ...


def _agreement(row: PlanAgreement) -> Agreement:
    at = row.agreed_at if row.agreed_at.tzinfo else row.agreed_at.replace(tzinfo=UTC)
    return Agreement(
        id=row.id,
        rep=row.rep,
        agreed_by=row.agreed_by,
        agreed_at=at,
        objective=row.objective,
        funnel=row.funnel,
        period_label=row.period_label,
        period_start=row.period_start,
        period_end=row.period_end,
        rates=dict(row.rates),
        plan=dict(row.plan),
    )


class SqlPlanAgreements:
    """Agreed plans in the app database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def agree(
        self, rep: str, agreed_by: str, request: PlanRequest, planned: PlannedObjective
    ) -> Agreement:
        period = planned.plan.objective.period
        row = PlanAgreement(
            id=secrets.token_hex(16),
            rep=rep,
            agreed_by=agreed_by,
            agreed_at=datetime.now(UTC),
            objective=request.objective,
            funnel=planned.plan.funnel.key,
            period_label=period.label,
            period_start=period.start,
            period_end=period.end,
            rates={s.conversion.key: str(s.rate.value) for s in planned.plan.steps},
            plan=plan_to_dict(planned),
        )
        with appdb.session(self.settings) as s:
            s.add(row)
        return _agreement(row)

    def get(self, agreement_id: str) -> Agreement | None:
        with appdb.session(self.settings) as s:
            row = s.get(PlanAgreement, agreement_id)
            return _agreement(row) if row else None

    def for_rep(self, rep: str) -> list[Agreement]:
        with appdb.session(self.settings) as s:
            rows = s.scalars(
                select(PlanAgreement)
                .where(PlanAgreement.rep == rep)
                .order_by(PlanAgreement.agreed_at.desc())
            )
            return [_agreement(r) for r in rows]
