"""Admin: a CRM's token set on the imports page (encrypted, never shown back), a sync run by
the web app's worker, and its log on the page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backplan import appdb
from backplan.appdb.models import SyncToken
from backplan.config import Settings
from backplan.services.sync.schedule import due_sources
from crm_fakes import FakePipedrive, served

from .conftest import ADMIN, fast_settings, form_token

TOKEN = "pd-secret-0123456789"


@pytest.fixture
def crm_url() -> Iterator[str]:
    crm = FakePipedrive(
        token=TOKEN,
        users=[{"id": 1, "name": "Ana", "email": "ana@example.com", "active_flag": True}],
    )
    crm.activities[1] = {
        "id": 1,
        "type": "call",
        "done": True,
        "due_date": "2026-10-01",
        "marked_as_done_time": "2026-10-01 09:30:00",
        "add_time": "2026-09-30 09:00:00",
        "update_time": "2026-10-01 09:30:00",
        "user_id": 1,
    }
    with served(crm.app()) as url:
        yield url


@pytest.fixture
def settings(backplan_home: Path, crm_url: str) -> Settings:
    return fast_settings(backplan_home, pipedrive_url=crm_url, sync_interval=60)


def test_a_token_saved_on_the_page_is_kept_encrypted_and_a_sync_runs_from_it(
    signed_in, settings: Settings
) -> None:
    admin, _ = signed_in(ADMIN)
    assert due_sources(settings) == []  # no token yet: nothing to schedule
    page = admin.get("/admin/imports").text
    assert 'id="sync-pipedrive"' in page and "Sync now" not in page
    saved = admin.post(
        "/admin/imports/syncs/pipedrive/token",
        data={"csrf_token": form_token(page, "syncs"), "token": TOKEN},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with appdb.session(settings) as db:
        sealed = db.scalar(select(SyncToken.encrypted))
    assert sealed and TOKEN not in sealed
    page = admin.get("/admin/imports").text
    assert TOKEN not in page and "Token: set" in page
    assert due_sources(settings) == ["pipedrive"]
    started = admin.post(
        "/admin/imports/syncs/pipedrive",
        data={"csrf_token": form_token(page, "syncs")},
        follow_redirects=False,
    )
    job_id = started.headers["location"].rsplit("/", 1)[1]
    job = _finished(admin, job_id)
    assert job["status"] == "done", job
    assert job["result"]["objects"]["activities"]["added"] == 1
    assert 'id="sync-objects"' in admin.get(started.headers["location"]).text
    assert due_sources(settings) == []  # synced a moment ago
    log = admin.get("/api/syncs").json()
    pipedrive = next(s for s in log if s["source"] == "pipedrive")
    assert pipedrive["last_success"] and pipedrive["runs"][0]["objects"]["users"]["read"] == 1
    page = admin.get("/admin/imports").text
    assert 'id="sync-pipedrive-runs"' in page and TOKEN not in page


def _finished(client: TestClient, job_id: str) -> dict:
    for _ in range(300):
        job = client.get(f"/api/imports/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("the sync did not finish")
