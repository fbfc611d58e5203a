"""Scheduled syncs: the web app's worker queues a ``sync`` job for each CRM with a token
every ``sync_interval`` minutes (0: never; cron can run ``backplan sync`` instead)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from backplan import appdb
from backplan.appdb.models import Job, SyncRun
from backplan.config import Settings
from backplan.services import jobs
from backplan.services.sync import SOURCES, has_token

SCHEDULER = "scheduler"
"""The owner of the jobs the schedule queues."""


def due_sources(settings: Settings, now: datetime | None = None) -> list[str]:
    """The CRMs with a token whose last sync began ``sync_interval`` minutes ago or more, and
    with no sync job waiting or running."""
    if settings.sync_interval <= 0:
        return []
    moment = now or datetime.now(UTC)
    every = timedelta(minutes=settings.sync_interval)
    due = []
    with appdb.session(settings) as db:
        pending = [
            params.get("source")
            for params in db.scalars(
                select(Job.params).where(Job.kind == "sync", Job.status.in_(("queued", "running")))
            )
        ]
        for source in SOURCES:
            if source in pending or not has_token(settings, source):
                continue
            last = db.scalar(
                select(SyncRun.started_at)
                .where(SyncRun.source == source)
                .order_by(SyncRun.id.desc())
                .limit(1)
            )
            if last is not None and last.tzinfo is None:
                last = last.replace(tzinfo=UTC)
            if last is None or moment - last >= every:
                due.append(source)
    return due


def queue_due_syncs(settings: Settings) -> list[jobs.JobView]:
    """Queue a ``sync`` job for each CRM that is due (see ``due_sources``)."""
    return [
        jobs.enqueue(settings, SCHEDULER, "sync", {"source": source})
        for source in due_sources(settings)
    ]


def start_sync(settings: Settings, owner: str, source: str, by: dict[str, Any]) -> jobs.JobView:
    """Queue a sync of ``source`` now (the admin page's button)."""
    if source not in SOURCES:
        raise ValueError(f"no CRM named {source!r}")
    return jobs.enqueue(settings, owner, "sync", {"source": source, "by": by})
