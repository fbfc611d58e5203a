"""What needs the embedded event store, when the events live in a warehouse.

With ``BACKPLAN_EVENTS_URL`` set, every read (rates, diagnosis, forecasts,
leadership, the web app) runs as Ibis expressions in that engine. Writing
events does not: imports, CRM syncs, compaction and the demo's events go to
the Parquet store below ``BACKPLAN_HOME``, which the service would then no
longer read. Those commands stop with :class:`EmbeddedStoreOnly` instead of
writing events nobody sees.
"""

from __future__ import annotations

from backplan.config import Settings
from backplan.config.errors import InvalidSetting
from backplan.events.schema import EVENT_COLUMNS


class EmbeddedStoreOnly(InvalidSetting):
    """A feature that writes the embedded event store, asked for while events are read from a
    warehouse (``BACKPLAN_EVENTS_URL``)."""


def require_embedded_store(settings: Settings, feature: str) -> None:
    """Raise :class:`EmbeddedStoreOnly` when ``settings`` read events from a warehouse."""
    if not settings.events_url:
        return
    scheme = settings.events_url.partition("://")[0]
    raise EmbeddedStoreOnly(
        f"{feature} writes the embedded event store, but events are read from "
        f"{scheme}:// (BACKPLAN_EVENTS_URL), table {settings.events_table!r}. Load events "
        f"into that table with your own pipeline (columns: {', '.join(EVENT_COLUMNS)}; "
        "see docs/warehouse.md), or unset BACKPLAN_EVENTS_URL to use the embedded store."
    )


def warehouse_state(settings: Settings) -> tuple[str, bool]:
    """What shows that a warehouse's events changed, and whether it holds any.

    One aggregate run in the engine: the number of events and the first and last
    event time. Loads that append events change it; a correction that rewrites
    events in place without changing these shows once the day turns (the kept
    pages are per day) or after a restart.
    """
    from backplan.metrics.source import open_events

    events = open_events(settings)
    row = events.aggregate(
        n=events.count(), first=events["at"].min(), last=events["at"].max()
    ).execute()
    n, first, last = (row[c].iloc[0] for c in ("n", "first", "last"))
    return f"{n}|{first}|{last}", int(n) > 0
