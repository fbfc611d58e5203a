"""What the app database keeps of syncs: each object's cursor, and the log of runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from backplan import appdb
from backplan.appdb.models import SyncCursor, SyncRun
from backplan.config import Settings


def cursors(settings: Settings, source: str) -> dict[str, str | None]:
    """Each object's cursor for ``source`` (objects never synced are absent)."""
    with appdb.session(settings) as db:
        rows = db.scalars(select(SyncCursor).where(SyncCursor.source == source)).all()
        return {r.object: r.cursor for r in rows}


def save_cursors(db: Any, source: str, found: dict[str, str | None]) -> None:
    """Keep each object's new cursor, in ``db``'s transaction (with the rest of the run)."""
    now = datetime.now(UTC)
    for name, cursor in found.items():
        row = db.get(SyncCursor, (source, name))
        if row is None:
            db.add(SyncCursor(source=source, object=name, cursor=cursor, updated_at=now))
        elif cursor is not None:
            row.cursor, row.updated_at = cursor, now


def start_run(settings: Settings, source: str) -> int:
    with appdb.session(settings) as db:
        run = SyncRun(
            source=source,
            status="running",
            started_at=datetime.now(UTC),
            objects={},
            reps_added=[],
        )
        db.add(run)
        db.flush()
        return run.id


def fail_run(settings: Settings, run_id: int, message: str) -> None:
    with appdb.session(settings) as db:
        run = db.get(SyncRun, run_id)
        if run is not None:
            run.status, run.message, run.finished_at = "failed", message[:2000], datetime.now(UTC)


def finish_run(
    db: Any, run_id: int, objects: dict[str, dict[str, int]], reps_added: list[str]
) -> None:
    run = db.get(SyncRun, run_id)
    if run is not None:
        run.status, run.finished_at = "done", datetime.now(UTC)
        run.objects, run.reps_added = objects, reps_added


def mark_interrupted(settings: Settings, source: str) -> None:
    """Runs of ``source`` left running (a crash): failed, as nothing of them was added."""
    with appdb.session(settings) as db:
        for run in db.scalars(
            select(SyncRun).where(SyncRun.source == source, SyncRun.status == "running")
        ):
            run.status, run.finished_at = "failed", datetime.now(UTC)
            run.message = "interrupted: the sync stopped before it finished; nothing was added"


def sync_log(settings: Settings, sources: tuple[str, ...], limit: int = 10) -> list[dict[str, Any]]:
    """Per source: its last success, its last error, and its latest runs (newest first)."""
    out = []
    with appdb.session(settings) as db:
        for source in sources:
            runs = db.scalars(
                select(SyncRun)
                .where(SyncRun.source == source)
                .order_by(SyncRun.id.desc())
                .limit(limit)
            ).all()
            success = db.scalar(
                select(SyncRun)
                .where(SyncRun.source == source, SyncRun.status == "done")
                .order_by(SyncRun.id.desc())
                .limit(1)
            )
            failure = db.scalar(
                select(SyncRun)
                .where(SyncRun.source == source, SyncRun.status == "failed")
                .order_by(SyncRun.id.desc())
                .limit(1)
            )
            out.append(
                {
                    "source": source,
                    "last_success": _when(success.finished_at) if success else None,
                    "last_error": (
                        {"at": _when(failure.finished_at), "message": failure.message}
                        if failure
                        else None
                    ),
                    "runs": [_run(r) for r in runs],
                }
            )
    return out


def _run(r: SyncRun) -> dict[str, Any]:
    return {
        "id": r.id,
        "status": r.status,
        "started_at": _when(r.started_at),
        "finished_at": _when(r.finished_at),
        "objects": r.objects,
        "reps_added": r.reps_added,
        "message": r.message,
    }


def _when(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
