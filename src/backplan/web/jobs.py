"""Long work started from a page (an import), run in the background, watched through its id.

Jobs run one at a time, in order (an import holds the event store's write
lock anyway), in a worker thread of the server process. A job's id is
random, and only the user who started it (or an admin) can see it.
"""

from __future__ import annotations

import secrets
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backplan.core.errors import BackplanError

Report = Callable[[str, float | None], None]
Work = Callable[[Report], dict[str, Any]]
KEEP = 50  # finished jobs remembered per server


@dataclass
class Job:
    id: str
    owner: str
    kind: str
    started_at: datetime
    status: str = "queued"
    stage: str = "waiting for the previous job"
    fraction: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    finished_at: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def to_dict(self) -> dict[str, Any]:
        with self.lock:
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


class Jobs:
    """The server's background jobs."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backplan-job")

    def start(self, owner: str, kind: str, work: Work) -> Job:
        job = Job(secrets.token_hex(16), owner, kind, datetime.now(UTC))
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _run(self, job: Job, work: Work) -> None:
        def report(stage: str, fraction: float | None) -> None:
            with job.lock:
                job.stage, job.fraction = stage, fraction

        with job.lock:
            job.status, job.stage = "running", "starting"
        try:
            result = work(report)
        except BackplanError as e:
            outcome: dict[str, Any] = {"status": "failed", "error": str(e)}
        except Exception:  # a bug: logged, and the page says so without internals
            traceback.print_exc()
            outcome = {"status": "failed", "error": "the job failed unexpectedly; see the log"}
        else:
            outcome = {"status": "done", "result": result}
        with job.lock:
            job.status = outcome["status"]
            job.result = outcome.get("result")
            job.error = outcome.get("error")
            job.stage, job.finished_at = "finished", datetime.now(UTC)
            if job.status == "done":
                job.fraction = 1.0

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished_at is not None]
        for job in sorted(finished, key=lambda j: j.started_at)[: max(0, len(finished) - KEEP)]:
            del self._jobs[job.id]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
