"""Long work started from a page (an import) or by the schedule (a CRM sync), kept in the app database so it outlives the server.

A job is *queued* with the parameters its kind needs, *claimed* by one
server process (a conditional UPDATE: two processes never run the same job),
*running* while it reports its stage and progress, then *done* or *failed*.
When a server starts it marks the jobs left running by a process of its host
that is gone as *interrupted*, with the reason, and runs the queued ones.

Kinds are functions of ``(settings, params, report)`` returning the result
shown to the user; ``KINDS`` names them. Parameters stay on the server: what
a user sees (``JobView.to_dict``) never includes them.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from backplan import appdb
from backplan.appdb.models import Job
from backplan.config import Settings
from backplan.core.errors import BackplanError
from backplan.services.importing import forget_upload, run_upload
from backplan.services.sync import run_sync_job

log = logging.getLogger("backplan.jobs")

Report = Callable[[str, float | None], None]
Kind = Callable[[Settings, dict[str, Any], Report], dict[str, Any]]
KINDS: dict[str, Kind] = {"import": run_upload, "sync": run_sync_job}
"""What each kind of job runs."""
CLEANUP: dict[str, Callable[[Settings, dict[str, Any]], None]] = {"import": forget_upload}
"""What each kind leaves behind when it will never run (its upload)."""
KEEP_FINISHED = timedelta(days=90)
"""How long a finished job stays viewable."""
REPORT_EVERY = 0.5
"""Seconds between progress writes of a running job (a new stage is written at once)."""
INTERRUPTED = (
    "the server stopped while this job was running; nothing of it was added. "
    "Please upload the file again."
)


@dataclass(frozen=True)
class Worker:
    """A server process: its host, its pid and a random token (a restarted container may
    reuse the pid; the token tells the new process from the old one)."""

    host: str
    pid: int
    token: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"

    @classmethod
    def parse(cls, text: str) -> Worker | None:
        parts = text.rsplit(":", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2])

    def is_gone(self, me: Worker) -> bool:
        """Whether this worker has surely stopped, as ``me`` (on the same host) can tell."""
        if self.host != me.host:
            return False  # another machine's process: not ours to judge
        if self.pid == me.pid:
            return self.token != me.token
        return not _alive(self.pid)


_me = Worker(socket.gethostname()[:100], os.getpid(), secrets.token_hex(8))


def this_worker() -> Worker:
    """The current process as a worker (a forked process gets its own)."""
    global _me
    if _me.pid != os.getpid():
        _me = Worker(_me.host, os.getpid(), secrets.token_hex(8))
    return _me


@dataclass(frozen=True)
class JobView:
    """A job as its pages show it (never its parameters)."""

    id: str
    owner: str
    kind: str
    status: str
    stage: str
    fraction: float | None
    started_at: datetime
    finished_at: datetime | None
    result: dict[str, Any] | None
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "stage": self.stage,
            "fraction": self.fraction,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "result": self.result,
            "error": self.error,
        }


def _view(row: Job) -> JobView:
    return JobView(
        id=row.id,
        owner=row.owner,
        kind=row.kind,
        status=row.status,
        stage=row.stage,
        fraction=row.fraction,
        started_at=_utc(row.created_at),
        finished_at=_utc(row.finished_at) if row.finished_at else None,
        result=row.result,
        error=row.error,
    )


def enqueue(settings: Settings, owner: str, kind: str, params: dict[str, Any]) -> JobView:
    """Queue a job of ``kind`` (one of ``KINDS``) for ``owner`` (a user id)."""
    if kind not in KINDS:
        raise ValueError(f"no job kind {kind!r}")
    row = Job(
        id=secrets.token_hex(16),
        owner=owner,
        kind=kind,
        params=params,
        status="queued",
        stage="waiting for the previous job",
        created_at=datetime.now(UTC),
    )
    with appdb.session(settings) as s:
        s.add(row)
        s.flush()
        return _view(row)


def job(settings: Settings, job_id: str) -> JobView | None:
    with appdb.session(settings) as s:
        row = s.get(Job, job_id[:64])
        return _view(row) if row else None


def job_params(settings: Settings, job_id: str) -> dict[str, Any] | None:
    """A job's parameters (never shown on a page: they name files on the server)."""
    with appdb.session(settings) as s:
        row = s.get(Job, job_id[:64])
        return dict(row.params) if row else None


def claim_next(settings: Settings, worker: Worker) -> tuple[JobView, dict[str, Any]] | None:
    """The oldest queued job, now running in ``worker``, with its parameters; None when no
    job waits. Two processes claiming at once never get the same job."""
    while True:
        with appdb.session(settings) as s:
            found = s.scalar(
                select(Job.id).where(Job.status == "queued").order_by(Job.created_at).limit(1)
            )
        if found is None:
            return None
        with appdb.connection(settings) as conn:
            claimed = conn.execute(
                update(Job)
                .where(Job.id == found, Job.status == "queued")
                .values(status="running", stage="starting", worker=str(worker))
            ).rowcount
        if claimed != 1:
            continue  # another process took it first
        with appdb.session(settings) as s:
            row = s.get(Job, found)
            assert row is not None
            return _view(row), dict(row.params)


def recover(settings: Settings, me: Worker) -> list[str]:
    """Mark the jobs left running by gone processes of this host as interrupted (their
    uploads are deleted), and forget finished jobs older than ``KEEP_FINISHED``; returns
    the ids of the interrupted jobs."""
    with appdb.session(settings) as s:
        s.execute(
            delete(Job).where(
                Job.finished_at.is_not(None),
                Job.finished_at < datetime.now(UTC) - KEEP_FINISHED,
            )
        )
        rows = s.scalars(select(Job).where(Job.status == "running")).all()
        gone = [r for r in rows if (w := Worker.parse(r.worker or "")) is None or w.is_gone(me)]
        for row in gone:
            row.status, row.stage, row.error = "interrupted", "interrupted", INTERRUPTED
            row.finished_at = datetime.now(UTC)
        left = [(r.kind, dict(r.params)) for r in gone]
        ids = [r.id for r in gone]
    for kind, params in left:
        CLEANUP.get(kind, _nothing)(settings, params)
    return ids


def run(settings: Settings, claimed: JobView, params: dict[str, Any]) -> JobView:
    """Run a claimed job to its end, reporting its progress; it never raises."""
    written_at, written_stage = 0.0, ""

    def report(stage: str, fraction: float | None) -> None:
        nonlocal written_at, written_stage
        now = time.monotonic()
        if stage == written_stage and now - written_at < REPORT_EVERY:
            return
        written_at, written_stage = now, stage
        _update(settings, claimed.id, stage=stage[:200], fraction=fraction)

    try:
        result = KINDS[claimed.kind](settings, params, report)
    except BackplanError as e:
        outcome: dict[str, Any] = {"status": "failed", "error": str(e)}
    except Exception:  # a bug: logged, and the page says so without internals
        log.exception("job %s (%s) failed", claimed.id, claimed.kind)
        outcome = {"status": "failed", "error": "the job failed unexpectedly; see the log"}
    else:
        outcome = {"status": "done", "result": result, "fraction": 1.0}
    _update(settings, claimed.id, stage="finished", finished_at=datetime.now(UTC), **outcome)
    found = job(settings, claimed.id)
    assert found is not None
    return found


def _update(settings: Settings, job_id: str, **values: Any) -> None:
    with appdb.session(settings) as s:
        s.execute(update(Job).where(Job.id == job_id).values(**values))


def _nothing(settings: Settings, params: dict[str, Any]) -> None:
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
