"""After an upload's bad rows are shown, the admin imports the good rows (or discards the
file) without uploading it again, and downloads every rejected row."""

from __future__ import annotations

import os
import time
from pathlib import Path

from backplan.services.importing import UPLOADS_DIR
from backplan.services.uploads import forget_stale_uploads

from .conftest import ADMIN, ANA, form_token
from .test_imports import BAD_EXPORT, finished, upload


def _stopped(admin) -> tuple[str, dict]:  # type: ignore[no-untyped-def]
    response = upload(admin, BAD_EXPORT)
    location = response.headers["location"]
    job = finished(admin, location)
    assert job["result"]["status"] == "rejected" and job["result"]["good_rows_waiting"] == 2
    return location, job


def test_the_good_rows_are_imported_from_the_waiting_upload(signed_in, settings) -> None:  # type: ignore[no-untyped-def]
    admin, token = signed_in(ADMIN)
    location, job = _stopped(admin)
    page = admin.get(location).text
    assert "Import the 2 good rows" in page and "The 4 bad rows are left out" in page
    assert "a rep who is not in the roster" in page  # reasons in words, the codes beside them
    assert len(list((settings.home / UPLOADS_DIR).iterdir())) == 1  # kept for the admin
    sent = admin.post(
        f"{location}/good-rows",
        data={"csrf_token": form_token(page, "good-rows")},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    result = finished(admin, sent.headers["location"])["result"]
    assert (result["status"], result["added"], result["rejected"]) == ("done", 2, 4)
    assert list((settings.home / UPLOADS_DIR).iterdir()) == []  # gone once imported
    again = admin.post(f"/api/imports/jobs/{job['id']}/good-rows", headers={"X-CSRF-Token": token})
    assert again.status_code == 404  # nothing waits any more


def test_the_rejects_file_has_every_rejected_row(signed_in) -> None:  # type: ignore[no-untyped-def]
    admin, _ = signed_in(ADMIN)
    location, _job = _stopped(admin)
    csv = admin.get(f"{location}/rejects.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    lines = csv.text.strip().splitlines()
    assert len(lines) == 1 + 4 and "unknown_rep" in csv.text and "Zed" in csv.text


def test_a_discarded_upload_is_deleted(signed_in, settings) -> None:  # type: ignore[no-untyped-def]
    admin, token = signed_in(ADMIN)
    _location, job = _stopped(admin)
    gone = admin.delete(f"/api/imports/jobs/{job['id']}/upload", headers={"X-CSRF-Token": token})
    assert gone.status_code == 204
    assert list((settings.home / UPLOADS_DIR).iterdir()) == []


def test_only_admins_import_the_good_rows_and_uploads_do_not_wait_forever(
    signed_in, settings
) -> None:  # type: ignore[no-untyped-def]
    admin, _ = signed_in(ADMIN)
    _location, job = _stopped(admin)
    ana, token = signed_in(ANA)
    refused = ana.post(f"/api/imports/jobs/{job['id']}/good-rows", headers={"X-CSRF-Token": token})
    assert refused.status_code == 403
    assert ana.get(f"/admin/imports/jobs/{job['id']}/rejects.csv").status_code == 403
    (waiting,) = (settings.home / UPLOADS_DIR).iterdir()
    assert forget_stale_uploads(settings) == 0  # a fresh one waits
    day_ago = time.time() - 25 * 3600
    os.utime(waiting, (day_ago, day_ago))
    assert forget_stale_uploads(settings) == 1 and not Path(waiting).exists()
