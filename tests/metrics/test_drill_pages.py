"""The events behind a figure, a page at a time, in the same order on every engine."""

from __future__ import annotations

from backplan import Period, funnel
from backplan.metrics.drill import page_of, stage_events

DIALS = [("ann", f"2026-01-{day:02d} 09:00", "dial", f"p{day}") for day in range(5, 12)]


def test_a_page_is_the_next_rows_newest_first(load_events):
    found = stage_events(
        load_events(DIALS), funnel("outbound"), "dials", Period.month(2026, 1), ["ann"]
    )
    second = page_of(found, 3, 3).to_pandas()
    assert list(second["prospect"]) == ["p8", "p7", "p6"]  # 11, 10, 9 were the first page
    last = page_of(found, 6, 3).to_pandas()
    assert list(last["prospect"]) == ["p5"]
    assert list(second.columns) == ["event_id", "rep", "at", "kind", "prospect", "source", "amount"]
