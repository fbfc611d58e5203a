"""What the app database holds that pages' figures rest on, as one short text.

Forecasts, diagnoses and OKR progress read objectives, agreed plans, coaching
focuses, time off and the funnels besides the events and the roster. Those
tables only grow (a new plan supersedes the old one, a new focus ends the
old one, a revert is one more definition row), so each one's row count and
newest id change exactly when what they say changes. Ending a coaching focus is the one change made in place, so the
number of ended focuses counts too. The web keeps computed
pages under this text (``web/rates_cache.py``): one small query every few
seconds instead of recomputing every page on every request.
"""

from __future__ import annotations

from sqlalchemy import func, select

from backplan import appdb
from backplan.appdb.models import (
    Agreement,
    CoachingFocus,
    DefinitionVersion,
    KeyResult,
    Objective,
    ObjectivePlan,
    TimeOff,
)
from backplan.config import Settings

TABLES = (Objective, KeyResult, ObjectivePlan, Agreement, CoachingFocus, TimeOff, DefinitionVersion)


def app_state(settings: Settings) -> str:
    """Each table's row count and newest id, e.g. ``objectives 3/7 key_results 3/7 ...``."""
    columns = [
        part
        for table in TABLES
        for part in (
            select(func.count()).select_from(table).scalar_subquery(),
            select(func.max(table.id)).scalar_subquery(),
        )
    ]
    ended = select(func.count(CoachingFocus.ended_at)).scalar_subquery()
    with appdb.session(settings) as s:
        row = s.execute(select(*columns, ended)).one()
    counts = " ".join(
        f"{table.__tablename__} {row[2 * i]}/{row[2 * i + 1]}" for i, table in enumerate(TABLES)
    )
    return f"{counts} ended_focuses {row[-1]}"
