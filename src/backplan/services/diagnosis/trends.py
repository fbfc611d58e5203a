"""Each rate's trend beside a diagnosis: the rate per month over recent months
(``context.TREND_MONTHS``) and whether it is really moving (``core.control.trend``)."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from backplan.core.control import trend
from backplan.core.errors import NoData
from backplan.core.warnings import StatisticalWarning
from backplan.services.diagnosis.context import Context


def rate_trends(context: Context, reps: list[str], stage: str) -> list[dict[str, Any]]:
    """Each conversion's rate per month over recent months, and whether it is really moving."""
    monthly = context.monthly[context.monthly["rep"].isin(reps)]
    months = pd.to_datetime(pd.Series(context.months))
    periods = (
        pd.to_datetime(monthly["period"]) if len(monthly) else pd.Series(dtype="datetime64[ns]")
    )
    totals = (
        monthly.assign(period=periods.values).groupby("period")[list(context.funnel.keys)].sum()
    )
    totals = totals.reindex(months, fill_value=0)
    out = []
    for conversion in context.funnel.conversions(down_to=stage):
        x = [int(v) for v in totals[conversion.target.key]]
        n = [int(v) for v in totals[conversion.source.key]]
        record: dict[str, Any] = {
            "conversion": conversion.key,
            "months": [m.date().isoformat() for m in months],
            "successes": x,
            "trials": n,
        }
        if any(a > b for a, b in zip(x, n, strict=True)):
            record.update(
                verdict=None, reason="more successes than trials in a month: not a proportion"
            )
        else:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", StatisticalWarning)
                    t = trend(x, n)
            except NoData as e:
                record.update(verdict=None, reason=str(e))
            else:
                record.update(
                    verdict=t.verdict,
                    direction=t.direction,
                    slope=round(t.slope, 6),
                    p_value=round(t.p_value, 6),
                    text=t.explanation,
                )
        out.append(record)
    return out
