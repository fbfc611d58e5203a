"""The average deal value a revenue objective is turned into deals with, from stored won deals.

When a plan for ``$120k`` is asked without ``--deal-value``, the value comes from the
amounts of the ``won`` events in the store: the rep's own over the last year when
they won at least ``MIN_OWN_DEALS`` deals, else everyone's. The plan says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from backplan.config import Settings
from backplan.core.errors import NoData

WINDOW_DAYS = 365
MIN_OWN_DEALS = 5
"""Fewer won deals than this and a rep's own average is too noisy: everyone's is used."""


@dataclass(frozen=True)
class StoredDealValue:
    """An average won amount, how many deals it rests on, whose and over which days."""

    value: float
    deals: int
    whose: str
    first: date
    last: date

    def note(self) -> str:
        return (
            f"average deal value {self.value:,.0f}: the mean of {self.deals:,} won deals' "
            f"amounts ({self.whose}, {self.first} to {self.last}) in the stored events; "
            "give --deal-value to plan with another"
        )


def stored_deal_value(
    settings: Settings, today: date, rep: str | None = None
) -> StoredDealValue | None:
    """The average amount of won deals over the last year (``rep``'s own when enough)."""
    from backplan.metrics.source import open_events  # loads Ibis: only when needed

    try:
        events = open_events(settings)
    except NoData:
        return None
    first = today - timedelta(days=WINDOW_DAYS)
    won = events.filter(
        (events.kind == "won")
        & events.amount.notnull()
        & (events.amount > 0)
        & (events["at"].date() >= first)
        & (events["at"].date() <= today)
    )
    candidates = [(won.filter(won.rep == rep), f"{rep}'s own")] if rep else []
    candidates.append((won, "every rep's"))
    for table, whose in candidates:
        row = table.aggregate(n=table.count(), mean=table.amount.mean()).execute().iloc[0]
        deals = int(row["n"])
        if deals >= (MIN_OWN_DEALS if table is not won else 1):
            return StoredDealValue(float(row["mean"]), deals, whose, first, today)
    return None
