"""The planner as the web asks for it: input validated once at the boundary, funnels by name only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from backplan.config import Settings
from backplan.core.errors import InvalidPeriod, InvalidRate, MissingRate
from backplan.core.funnel import Funnel
from backplan.core.plan import DEFAULT_IMPROVEMENT
from backplan.services.definitions import organisation_funnel
from backplan.services.planning import PlannedObjective, PlanRequest, build_plan
from backplan.web.types import Day

MAX_PERIOD_DAYS = 2 * 366


class PlanInput(BaseModel):
    """An objective to work backwards, as a form or a JSON body gives it."""

    model_config = ConfigDict(extra="forbid")

    objective: str = Field(
        min_length=1, max_length=100, description="What to reach", examples=["4 sqls"]
    )
    funnel: str = Field(default="outbound", max_length=100, examples=["outbound"])
    period: str | None = Field(
        default=None, max_length=40, description="month, quarter, 2026-10, 2026-Q4"
    )
    since: Day | None = None
    until: Day | None = None
    working_days: int | None = Field(default=None, ge=1, le=366)
    deal_value: float | None = Field(default=None, gt=0, le=1e12)
    rates: dict[str, str] = Field(
        default_factory=dict,
        max_length=30,
        description="Conversion rates TO/FROM → value (0.07, 7%, 1/7)",
        examples=[
            {"conversations/dials": "0.07", "meetings/conversations": "1/7", "sqls/meetings": "1/3"}
        ],
    )
    improvement: float = Field(default=DEFAULT_IMPROVEMENT, gt=0, le=10)
    as_of: Day | None = Field(default=None, description="Plan as if today were this date.")
    use_my_data: bool = Field(
        default=False,
        description="Estimate the rates the request does not give from the signed-in rep's "
        "own events (with ranges); reps only.",
    )
    rates_since: Day | None = Field(default=None, description="Window of those rates")
    rates_until: Day | None = Field(
        default=None, description="(both, or neither for the last full quarter)"
    )

    @field_validator("rates")
    @classmethod
    def _short_rates(cls, rates: dict[str, str]) -> dict[str, str]:
        for key, value in rates.items():
            if len(key) > 100 or len(value) > 40:
                raise ValueError(f"rate {key[:100]!r} is too long; write TO/FROM: 0.07")
        return rates

    def to_request(self, rep: str | None = None) -> PlanRequest:
        """The planner's request; ``rep`` (decided by the server, never by the input) is
        whose data the missing rates come from."""
        return PlanRequest(
            rep=rep if self.use_my_data else None,
            rates_since=self.rates_since,
            rates_until=self.rates_until,
            objective=self.objective,
            rates={k: v for k, v in self.rates.items() if v.strip()},
            funnel=self.funnel,
            period=self.period,
            since=self.since,
            until=self.until,
            working_days=self.working_days,
            deal_value=self.deal_value,
            improvement=self.improvement,
        )

    def form_fields(self) -> dict[str, str]:
        """The input as the plan form's fields (rates under their own TO/FROM names)."""
        fields = {
            "objective": self.objective,
            "funnel": self.funnel,
            "period": self.period or "",
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "working_days": str(self.working_days or ""),
            "deal_value": f"{self.deal_value:g}" if self.deal_value else "",
            "as_of": self.as_of.isoformat() if self.as_of else "",
            "use_my_data": "on" if self.use_my_data else "",
            "rates_since": self.rates_since.isoformat() if self.rates_since else "",
            "rates_until": self.rates_until.isoformat() if self.rates_until else "",
        }
        fields.update(self.rates)
        return fields


FIELDS = (
    "objective",
    "funnel",
    "period",
    "since",
    "until",
    "working_days",
    "deal_value",
    "as_of",
    "rates_since",
    "rates_until",
)


def input_from_fields(fields: Mapping[str, Any]) -> PlanInput | None:
    """A plan form's fields (rates named ``to/from``) as input; None when no objective is set."""
    values: dict[str, Any] = {
        k: v for k in FIELDS if isinstance(v := fields.get(k), str) and v.strip()
    }
    if "objective" not in values:
        return None
    values["use_my_data"] = fields.get("use_my_data") in ("on", "true", "1")
    values["rates"] = {
        k: v.strip() for k, v in fields.items() if "/" in k and isinstance(v, str) and v.strip()
    }
    try:
        return PlanInput.model_validate(values)
    except ValidationError as e:
        raise RequestValidationError(e.errors(include_url=False, include_context=False)) from None


def named_funnel(settings: Settings, name: str) -> Funnel:
    """The organisation's funnel (edited or shipped) by name: a web request never names a file."""
    return organisation_funnel(settings, name)


def plan_for(plan_input: PlanInput, settings: Settings, rep: str | None = None) -> PlannedObjective:
    """Build the plan, turning every arithmetic dead end into a message a person can act on.

    ``rep`` is the signed-in rep: with ``use_my_data``, their events give the rates."""
    if plan_input.use_my_data and not rep:
        raise MissingRate("only a rep's own account can plan from its data; give the rates")
    named_funnel(settings, plan_input.funnel)
    since, until = plan_input.since, plan_input.until
    if since and until and (until - since).days > MAX_PERIOD_DAYS:
        raise InvalidPeriod("plan at most two years at a time; shorten since/until")
    today = plan_input.as_of or settings.clock.today()
    try:
        return build_plan(plan_input.to_request(rep), settings, today)
    except (OverflowError, ZeroDivisionError):
        raise InvalidRate(
            "these rates and this objective give volumes too large to plan; check the rates"
        ) from None


def conversions_of(settings: Settings, name: str) -> list[dict[str, str]]:
    """The rates a funnel's plan needs, for the form: key, label and short label."""
    return [
        {"key": c.key, "label": c.label, "short": c.short}
        for c in named_funnel(settings, name).conversions()
    ]
