"""Objectives: a count at a funnel stage, or revenue turned into deals, for a period."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from backplan.core.errors import InvalidObjective
from backplan.core.funnel import Funnel, Stage
from backplan.core.period import Period

_AMOUNT = r"([0-9][0-9,_]*(?:\.[0-9]+)?)\s*([km]?)"
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000}
_REVENUE = rf"[$€£]\s*{_AMOUNT}(?:\s+revenue)?|{_AMOUNT}\s+revenue"


@dataclass(frozen=True)
class Objective:
    """``target`` whole units at ``stage`` over ``period``.

    A revenue objective keeps the amount and the average deal value it was
    turned into deals with, so the plan can show that step too.
    """

    stage: str
    target: int
    period: Period
    revenue: float | None = None
    deal_value: float | None = None

    def __post_init__(self) -> None:
        if self.target < 1:
            raise InvalidObjective(f"an objective needs at least 1 {self.stage}, not {self.target}")

    @classmethod
    def from_revenue(
        cls, amount: float, deal_value: float, stage: str, period: Period
    ) -> Objective:
        """Revenue through average deal value: $120,000 at $10,000 a deal is 12 deals."""
        if amount <= 0:
            raise InvalidObjective(f"a revenue objective must be above 0, not {amount:g}")
        if deal_value <= 0:
            raise InvalidObjective(
                f"average deal value must be above 0, not {deal_value:g}; give --deal-value"
            )
        deals = math.ceil(amount / deal_value - 1e-9)
        return cls(stage, deals, period, revenue=amount, deal_value=deal_value)

    @staticmethod
    def is_revenue(text: str) -> bool:
        """Whether ``text`` asks for revenue (``$120k``, ``120000 revenue``), not a count."""
        return re.fullmatch(_REVENUE, text.strip().lower()) is not None

    @classmethod
    def parse(
        cls, text: str, funnel: Funnel, period: Period, deal_value: float | None = None
    ) -> Objective:
        """Read ``4 sqls``, ``6 deals``, ``$120k`` or ``120000 revenue``."""
        t = text.strip().lower()
        if m := re.fullmatch(_REVENUE, t):
            number, scale = (m[1], m[2]) if m[1] else (m[3], m[4])
            amount = float(number.replace(",", "").replace("_", "")) * _SCALE[scale]
            return cls._revenue(amount, funnel, period, deal_value, text)
        if m := re.fullmatch(r"([0-9]+)\s+([a-z_][a-z0-9_-]*)", t):
            stage = funnel.stage(m[2]).key
            return cls(stage, int(m[1]), period)
        raise InvalidObjective(
            f"cannot read objective {text!r}; write a count and a stage "
            f"(e.g. '4 {funnel.stages[-2].key}') or revenue (e.g. '$120k' or '120000 revenue')"
        )

    @classmethod
    def _revenue(
        cls, amount: float, funnel: Funnel, period: Period, deal_value: float | None, text: str
    ) -> Objective:
        stage = funnel.value_stage
        if stage is None:
            raise InvalidObjective(
                f"funnel {funnel.key!r} has no stage that carries deal value, so {text!r} "
                "cannot be planned; set carries_value = true on its deals stage"
            )
        if deal_value is None:
            raise InvalidObjective(
                f"a revenue objective needs the average deal value: add --deal-value, e.g. "
                f"--deal-value 10000 (then {text!r} is {amount:,.0f} ÷ 10,000 deals)"
            )
        return cls.from_revenue(amount, deal_value, stage.key, period)

    def describe(self, stage: Stage | None = None, currency: str = "") -> str:
        """The objective in words; with its ``stage``, in its unit ("1 SQL", "4 SQLs").

        >>> from backplan.core.funnel import Stage
        >>> sql = Stage("sqls", "SQLs", ("sql",), unit="SQL", plural="SQLs")
        >>> month = Period.month(2026, 11)
        >>> Objective("sqls", 1, month).describe(sql), Objective("sqls", 4, month).describe()
        ('1 SQL', '4 sqls')
        >>> Objective("deals", 2, month, revenue=24000).describe(currency="$")
        '$24,000 revenue (2 deals)'
        """
        units = self.stage if stage is None else (stage.unit if self.target == 1 else stage.plural)
        counted = f"{self.target:,} {units}"
        if self.revenue is not None:
            return f"{currency}{self.revenue:,.0f} revenue ({counted})"
        return counted
