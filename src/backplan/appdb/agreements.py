"""Plans a rep has agreed: the objective, the rates it rests on, and the plan as they saw it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from backplan.appdb.base import Base


class PlanAgreement(Base):
    """A rep's agreement to a plan (case S9): who agreed, when, with which rates."""

    __tablename__ = "plan_agreements"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    rep: Mapped[str] = mapped_column(String(200), index=True)
    agreed_by: Mapped[str] = mapped_column(String(320))
    agreed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    objective: Mapped[str] = mapped_column(String(200))
    funnel: Mapped[str] = mapped_column(String(100))
    period_label: Mapped[str] = mapped_column(String(50))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    rates: Mapped[dict[str, Any]] = mapped_column(JSON)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
