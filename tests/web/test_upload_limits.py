"""Uploads are bounded, deleted when done, and their jobs outlive the server (issue 14, item 3).

A request body over ``max_upload_mb`` (BACKPLAN_MAX_UPLOAD_MB) is answered 413
with the reason before anything is stored; an upload is deleted once its
import is done, whatever the outcome; the job queue lives in the app database,
so a queued import resumes when the server starts again, and one left
"running" by a process that died is marked "interrupted" with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backplan.services import jobs
from backplan.web import create_app

from .conftest import ADMIN, add_people, fast_settings, form_token, sign_in
from .test_imports import BAD_EXPORT, finished, upload


def uploads(home: Path) -> list[Path]:
    folder = home / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def small_limit_app(backplan_home: Path) -> FastAPI:
    app = create_app(fast_settings(backplan_home, max_upload_mb=1))
    add_people(app)
    return app


def test_an_upload_over_the_limit_is_413_with_the_reason_and_nothing_is_kept(
    small_limit_app: FastAPI, backplan_home: Path
) -> None:
    admin = TestClient(small_limit_app)
    csrf = sign_in(admin, ADMIN)
    big = "event_id,rep,at,kind\n" + "e1,Ana,2026-10-01,dial\n" * 100_000  # 2.4 MB
    response = upload(admin, big)
    assert response.status_code == 413
    headers = {
        "Accept": "application/json",
        "Content-Type": "multipart/form-data; boundary=xyz",
        "X-CSRF-Token": csrf,
    }
    refused = admin.post("/admin/imports", headers=headers, content=b"x" * (2 << 20))
    assert refused.status_code == 413
    message = refused.json()["error"]
    assert "1 MB" in message and "BACKPLAN_MAX_UPLOAD_MB" in message
    assert uploads(backplan_home) == []


def test_a_streamed_upload_without_a_length_is_cut_at_the_limit(
    small_limit_app: FastAPI,
) -> None:
    admin = TestClient(small_limit_app)
    sign_in(admin, ADMIN)
    page = admin.get("/admin/imports").text
    token = form_token(page, "import-form")

    def body() -> Iterator[bytes]:
        for _ in range(40):
            yield b"y" * (64 << 10)  # 2.5 MB in all, sent chunked (no Content-Length)

    response = admin.post(
        "/admin/imports",
        content=body(),
        headers={"Content-Type": "multipart/form-data; boundary=xyz", "X-CSRF-Token": token},
    )
    assert response.status_code == 413


def test_an_upload_is_deleted_once_its_import_is_done(signed_in, backplan_home: Path) -> None:
    admin, _ = signed_in(ADMIN)
    # Imported with its bad rows left out, or failed: either way nothing is kept. (An upload
    # stopped by bad rows waits for its admin: tests/web/test_import_good_rows.py.)
    for content, options in ((BAD_EXPORT, {"allow_rejects": "on"}),
                             ("not,the,right\ncolumns,at,all\n", {})):  # fmt: skip
        job = finished(admin, upload(admin, content, **options).headers["location"])
        assert job["status"] in ("done", "failed")
        assert uploads(backplan_home) == []
        assert str(backplan_home) not in str(job)  # no server path in what the admin gets


def wait_for(app: FastAPI, job_id: str) -> jobs.JobView:
    for _ in range(200):
        found = app.state.web.jobs.get(job_id)
        if found is not None and found.status not in ("queued", "running"):
            return found
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def queued_upload(home: Path, content: str) -> jobs.JobView:
    """What a server leaves when it stops after storing an upload, before importing it."""
    settings = fast_settings(home)
    folder = home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "0123-october.csv"
    path.write_text(content)
    params = {"file": str(path), "name": "october.csv", "mapping": "events"}
    return jobs.enqueue(settings, "someone", "import", {**params, "allow_rejects": True})


def test_a_queued_import_resumes_when_the_server_starts_again(backplan_home: Path) -> None:
    queued = queued_upload(backplan_home, BAD_EXPORT)
    assert queued.status == "queued"
    app = create_app(fast_settings(backplan_home))  # the server starts again
    job = wait_for(app, queued.id)
    assert job.status == "done", job.error
    assert job.result is not None
    assert (job.result["read"], job.result["added"], job.result["rejected"]) == (6, 3, 3)
    assert job.result["file"] == "october.csv"
    assert uploads(backplan_home) == []


def test_a_job_left_running_by_a_dead_process_is_interrupted_with_the_reason(
    backplan_home: Path,
) -> None:
    settings = fast_settings(backplan_home)
    queued = queued_upload(backplan_home, BAD_EXPORT)
    dead = jobs.Worker(jobs.this_worker().host, pid=2**22 + 12345, token="gone")
    claimed = jobs.claim_next(settings, dead)
    assert claimed is not None and claimed[0].id == queued.id
    app = create_app(settings)
    job = app.state.web.jobs.get(queued.id)
    assert job is not None and job.status == "interrupted"
    assert job.error and "stopped" in job.error and "upload the file again" in job.error
    assert uploads(backplan_home) == []
    admin = TestClient(app)
    add_people(app)
    sign_in(admin, ADMIN)
    shown = admin.get(f"/api/imports/jobs/{queued.id}").json()
    assert shown["status"] == "interrupted" and shown["error"] == job.error
