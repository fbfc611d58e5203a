"""Admin imports from the browser: upload, progress, and every rejected row listed."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from .conftest import ADMIN, form_token

BAD_EXPORT = (
    "event_id,rep,at,kind,prospect,amount,source\n"
    "e1,Ana,2026-10-01T09:00:00,dial,p1,,list\n"
    "e2,Ana,2026-10-01T09:05:00,connect,p1,,list\n"
    "e3,Zed,2026-10-01T09:10:00,dial,p2,,list\n"
    "e4,Ben,2026-10-02T10:00:00,teleport,p3,,list\n"
    "e5,Ben,2999-01-01T10:00:00,dial,p4,,list\n"
    "e6,Cy,2026-10-03T10:00:00,won,p5,-500,list\n"
)


def upload(client: TestClient, content: str, **options: str):
    page = client.get("/admin/imports").text
    data = {"csrf_token": form_token(page, "import-form"), "mapping": "events", **options}
    files = {"file": ("october export.csv", content.encode(), "text/csv")}
    return client.post("/admin/imports", data=data, files=files, follow_redirects=False)


def finished(client: TestClient, location: str) -> dict:
    job_id = location.rsplit("/", 1)[1]
    for _ in range(200):
        job = client.get(f"/api/imports/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def test_an_upload_with_bad_rows_lists_every_rejected_row_and_adds_nothing(signed_in) -> None:
    admin, _ = signed_in(ADMIN)
    response = upload(admin, BAD_EXPORT)
    assert response.status_code == 303
    job = finished(admin, response.headers["location"])
    result = job["result"]
    assert job["status"] == "done" and result["status"] == "rejected"
    assert (result["read"], result["added"], result["rejected"]) == (6, 0, 4)
    rows = {r["row"]: (r["column"], r["value"], r["reason"]) for r in result["rejected_rows"]}
    assert rows["4"][1:] == ("Zed", "unknown_rep")
    assert rows["5"][1:] == ("teleport", "unknown_kind")
    assert rows["6"][2] == "future_date"
    assert rows["7"][2] == "negative_amount" and float(rows["7"][1]) == -500
    page = admin.get(response.headers["location"]).text
    assert 'id="rejected-rows"' in page and "unknown_rep" in page and "Zed" in page
    assert "nothing was added" in page
    assert result["unknown_reps"] == [{"value": "Zed", "rows": 1, "did_you_mean": []}]
    assert 'id="unknown-reps"' in page and "not in the roster" in page


def test_allowing_rejects_imports_the_good_rows(signed_in) -> None:
    admin, _ = signed_in(ADMIN)
    response = upload(admin, BAD_EXPORT, allow_rejects="on")
    result = finished(admin, response.headers["location"])["result"]
    assert (result["status"], result["added"], result["rejected"]) == ("done", 2, 4)
    log = admin.get("/api/imports").json()
    assert log[0]["added"] == 2 and log[0]["status"] == "done"


def test_an_upload_needs_a_shipped_mapping(signed_in) -> None:
    admin, _ = signed_in(ADMIN)
    response = upload(admin, BAD_EXPORT, mapping="/etc/passwd.toml")
    assert response.status_code == 422 and "choose a mapping" in response.text


def test_an_unreadable_file_is_a_failed_job_with_the_reason(signed_in) -> None:
    admin, _ = signed_in(ADMIN)
    response = upload(admin, "not,the,right\ncolumns,at,all\n")
    job = finished(admin, response.headers["location"])
    assert job["status"] == "failed" and "event_id" in job["error"]


def test_a_job_id_nobody_started_is_404(signed_in) -> None:
    admin, _ = signed_in(ADMIN)
    assert admin.get("/api/imports/jobs/" + "0" * 32).status_code == 404
