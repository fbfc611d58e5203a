"""An upload stopped by bad rows waits for its admin: import its good rows, or discard it.

The import job that found bad rows (and was not told to allow them) added nothing and kept
the upload; ``good_rows_job`` gives the parameters of a second job that imports the same
file with the bad rows left out and reported, and ``discard`` deletes it. Nothing waits
for long: an upload older than ``KEPT_FOR`` is deleted when the job runner starts.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from backplan.config import Settings
from backplan.core.errors import NotFound
from backplan.services.importing import UPLOADS_DIR, forget_upload
from backplan.services.jobs import job, job_params

KEPT_FOR = timedelta(days=1)

REASONS = {
    "missing_value": "a value is missing",
    "value_too_long": "the value is too long",
    "unknown_kind": "not a kind of event the mapping knows",
    "bad_date": "not a date the mapping can read",
    "future_date": "a date in the future",
    "early_date": "a date too far in the past",
    "bad_number": "not a number",
    "non_finite_amount": "not a finite amount",
    "negative_amount": "a negative amount",
    "unknown_rep": "a rep who is not in the roster",
    "unreachable_rep": "a new rep whose name holds '/', which no page can reach",
}
"""Each reason code of a rejected row, in words (the rejects file keeps the codes)."""


def reason_in_words(code: str) -> str:
    """>>> reason_in_words("bad_date"), reason_in_words("something_new")
    ('not a date the mapping can read', 'something new')
    """
    return REASONS.get(code, code.replace("_", " "))


def waiting_upload(settings: Settings, job_id: str) -> dict[str, Any]:
    """The parameters of an import job whose upload waits for its admin, or ``NotFound``."""
    found = job(settings, job_id)
    params = job_params(settings, job_id)
    result = found.result if found else None
    if (
        found is None
        or params is None
        or found.kind != "import"
        or not result
        or not result.get("good_rows_waiting")
        or not Path(params["file"]).is_file()
    ):
        raise NotFound("No upload waits on that import: upload the file again.")
    return params


def good_rows_job(settings: Settings, job_id: str, by: dict[str, Any]) -> dict[str, Any]:
    """The parameters of a job that imports the waiting upload's good rows."""
    params = waiting_upload(settings, job_id)
    return {**params, "allow_rejects": True, "by": by}


def discard(settings: Settings, job_id: str) -> None:
    """Delete the waiting upload of an import job."""
    forget_upload(settings, waiting_upload(settings, job_id))


def forget_stale_uploads(settings: Settings, now: float | None = None) -> int:
    """Delete uploads older than ``KEPT_FOR``; how many were deleted."""
    folder = settings.home / UPLOADS_DIR
    if not folder.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - KEPT_FOR.total_seconds()
    gone = 0
    for upload in folder.iterdir():
        if upload.is_file() and upload.stat().st_mtime < cutoff:
            upload.unlink(missing_ok=True)
            gone += 1
    return gone


def rejects_path(settings: Settings, job_id: str) -> Path:
    """The rejects file of an import job (inside the organisation's home), or ``NotFound``."""
    found = job(settings, job_id)
    relative = (found.result or {}).get("rejects_file") if found else None
    path = (settings.home / str(relative)).resolve() if relative else None
    if path is None or not path.is_file() or settings.home.resolve() not in path.parents:
        raise NotFound("That import rejected no rows, or its rejects file is gone.")
    return path
