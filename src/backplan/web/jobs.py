"""The server's runner of background jobs (imports, CRM syncs): one worker thread, jobs one
at a time. Every minute it also queues the CRM syncs that are due (``sync_interval``).

The queue itself lives in the app database (``services/jobs.py``), so it
outlives the process: when the runner starts, jobs left running by a process
that is gone are marked interrupted, and queued ones run. A job's id is
random, and only admins can see import jobs.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from backplan.config import Settings
from backplan.services import jobs
from backplan.services.jobs import JobView
from backplan.services.sync.schedule import queue_due_syncs
from backplan.services.uploads import forget_stale_uploads

log = logging.getLogger("backplan.web")
SCHEDULE_EVERY = 60.0
"""Seconds between looks at the sync schedule (when ``sync_interval`` is set)."""


class Jobs:
    """Runs the app database's queued jobs in a thread of this server process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.worker = jobs.this_worker()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.interrupted = jobs.recover(settings, self.worker)
        forget_stale_uploads(settings)  # those that waited a day for their admin
        self._thread = threading.Thread(target=self._loop, name="backplan-jobs", daemon=True)
        self._wake.set()  # queued jobs from before a restart run first
        self._thread.start()

    def start(self, owner: str, kind: str, params: dict[str, Any]) -> JobView:
        """Queue a job and wake the runner."""
        job = jobs.enqueue(self.settings, owner, kind, params)
        self._wake.set()
        return job

    def start_queued(self) -> None:
        """Wake the runner for a job queued by a service (a sync asked for on a page)."""
        self._wake.set()

    def get(self, job_id: str) -> JobView | None:
        return jobs.job(self.settings, job_id)

    def _loop(self) -> None:
        while not self._stop.is_set():
            scheduled = self.settings.sync_interval > 0
            self._wake.wait(SCHEDULE_EVERY if scheduled else None)
            self._wake.clear()
            try:
                if scheduled and not self._stop.is_set():
                    queue_due_syncs(self.settings)
                while not self._stop.is_set():
                    claimed = jobs.claim_next(self.settings, self.worker)
                    if claimed is None:
                        break
                    jobs.run(self.settings, *claimed)
            except Exception:  # the database failed us: keep the thread for the next job
                log.exception("the job runner could not reach the app database")

    def shutdown(self) -> None:
        """Stop after the job running now (queued ones wait for the next start)."""
        self._stop.set()
        self._wake.set()
