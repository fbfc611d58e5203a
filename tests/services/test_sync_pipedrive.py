"""Syncing from Pipedrive's API v1, against a local server that answers as Pipedrive does."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from backplan.cli import app
from backplan.config import Settings
from backplan.events.schema import events_glob
from backplan.events.store import StoreWriter
from backplan.services.importing import ImportRequest, import_file
from backplan.services.sync import BadToken, sync, sync_log
from backplan.services.sync.http import RetryPolicy
from crm_fakes import FakePipedrive, Fault, served

TOKEN = "0123456789abcdef0123456789abcdef01234567"
TODAY = "2025-12-01T12:00"
USERS = [
    {"id": 1, "name": "Ana Silva", "email": "ana@example.com", "active_flag": True},
    {"id": 2, "name": "Ben Okafor", "email": "ben@example.com", "active_flag": True},
]


def activity(aid: int, kind: str, user: int, done: bool, added: str, done_at: str | None) -> Any:
    return {
        "id": aid,
        "type": kind,
        "subject": f"{kind} {aid}",
        "done": done,
        "due_date": added[:10],
        "due_time": "10:00",
        "marked_as_done_time": done_at or "",
        "add_time": added,
        "update_time": done_at or added,
        "user_id": user,
        "person_name": "Liam Ortiz",
        "org_name": "Northwind",
    }


def deal(did: int, user: int, status: str, added: str, won: str | None, lost: str | None) -> Any:
    return {
        "id": did,
        "title": f"Deal {did}",
        "user_id": {"id": user, "name": USERS[user - 1]["name"], "value": user},
        "value": 1000 * did,
        "currency": "USD",
        "status": status,
        "add_time": added,
        "update_time": won or lost or added,
        "won_time": won,
        "lost_time": lost,
        "org_id": {"name": "Northwind", "value": 9},
        "person_name": "Liam Ortiz",
    }


def organisation() -> FakePipedrive:
    crm = FakePipedrive(token=TOKEN, users=USERS)
    for a in [
        activity(31, "call", 1, True, "2025-02-01 09:00:00", "2025-02-03 10:02:11"),
        activity(32, "meeting", 1, True, "2025-02-03 10:10:00", "2025-02-10 15:45:00"),
        activity(33, "meeting", 2, False, "2025-05-20 11:00:00", None),
        activity(34, "call", 2, False, "2025-05-21 11:00:00", None),
        activity(35, "email", 2, True, "2025-05-21 12:00:00", "2025-05-21 12:05:00"),
    ]:
        crm.activities[a["id"]] = a
    for d in [
        deal(1, 1, "won", "2025-01-08 10:00:00", "2025-03-15 16:00:00", None),
        deal(2, 1, "lost", "2025-01-20 11:30:00", None, "2025-03-01 09:00:00"),
        deal(3, 2, "open", "2025-02-02 14:00:00", None, None),
    ]:
        crm.deals[d["id"]] = d
    return crm


@pytest.fixture
def crm() -> FakePipedrive:
    return organisation()


@pytest.fixture
def base_url(crm: FakePipedrive) -> Iterator[str]:
    with served(crm.app()) as url:
        yield url


@pytest.fixture
def settings(backplan_home: Path) -> Settings:
    return Settings(home=backplan_home, today=TODAY)


def quick() -> RetryPolicy:
    return RetryPolicy(sleep=lambda seconds: None)


def stored(settings: Settings) -> list[tuple[str, str, str]]:
    with duckdb.connect() as con:
        try:
            rows = con.execute(
                f"SELECT event_id, rep, kind FROM read_parquet('{events_glob(settings.home)}') "
                "ORDER BY event_id"
            ).fetchall()
        except duckdb.IOException:
            return []
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def test_users_activities_and_deals_map_as_the_export_mappings_do(
    settings: Settings, base_url: str, crm: FakePipedrive
) -> None:
    result = sync(settings, "pipedrive", token=TOKEN, base_url=base_url, policy=quick()).to_dict()
    assert set(result["objects"]) == {"users", "activities", "deals"}
    assert result["objects"]["activities"] == {
        "read": 5,
        "added": 5,  # a dial, a booked and held meeting, a booked meeting, an email
        "duplicates": 0,
        "rejected": 0,
    }
    assert result["objects"]["deals"]["added"] == 5
    assert result["reps_added"] == ["Ana Silva", "Ben Okafor"]
    assert ("pipedrive:deals:1:won", "Ana Silva", "won") in stored(settings)
    # Every user's activities, not only the token owner's; the token in a header, not the URL.
    assert all(q.get("user_id") == "0" for _, path, q in crm.seen if path == "/v1/activities")
    assert all("api_token" not in q for _, _, q in crm.seen)


def test_a_second_run_adds_nothing_and_a_deal_won_since_adds_its_won_event(
    settings: Settings, base_url: str, crm: FakePipedrive
) -> None:
    sync(settings, "pipedrive", token=TOKEN, base_url=base_url, policy=quick())
    again = sync(settings, "pipedrive", token=TOKEN, base_url=base_url, policy=quick()).to_dict()
    assert all(o["added"] == 0 for o in again["objects"].values())
    crm.deals[3] = deal(3, 2, "won", "2025-02-02 14:00:00", "2025-04-01 09:00:00", None)
    crm.activities[36] = activity(36, "call", 1, True, "2025-04-02 08:00:00", "2025-04-02 08:10:00")
    later = sync(settings, "pipedrive", token=TOKEN, base_url=base_url, policy=quick()).to_dict()
    assert later["objects"]["deals"]["added"] == 1 and later["objects"]["activities"]["added"] == 1
    assert later["cursor"]["deals"] == "2025-04-01 09:00:00"


def test_paging_survives_a_429_and_a_500_and_a_bad_token_stores_nothing(
    settings: Settings, base_url: str, crm: FakePipedrive
) -> None:
    with pytest.raises(BadToken, match=r"Pipedrive refused the token .401: unauthorized access"):
        sync(settings, "pipedrive", token="wrong", base_url=base_url, policy=quick())
    assert stored(settings) == []
    crm.faults = [
        Fault("/v1/activities", 1, 429, {"Retry-After": "2"}),
        Fault("/v1/deals", 1, 500),
    ]
    waits: list[float] = []
    policy = RetryPolicy(sleep=waits.append)
    summary = sync(settings, "pipedrive", token=TOKEN, base_url=base_url, policy=policy)
    assert waits == [2.0, 0.5] and summary.objects["activities"].read == 5
    log = sync_log(settings)[1]
    assert log["source"] == "pipedrive" and log["last_success"] is not None
    assert log["runs"][0]["objects"]["deals"]["added"] == 5


def test_a_crash_while_adding_leaves_the_store_as_it_was_and_the_next_run_completes(
    settings: Settings, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self: StoreWriter, *, label: str = "b") -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(StoreWriter, "release", crash)
        with pytest.raises(OSError):
            sync(settings, "pipedrive", token=TOKEN, base_url=base_url, policy=quick())
    assert stored(settings) == []
    assert sync_log(settings)[1]["last_error"]["message"] == "OSError: disk full"
    summary = sync(settings, "pipedrive", token=TOKEN, base_url=base_url, policy=quick())
    assert summary.objects["activities"].added == 5 and summary.objects["deals"].added == 5


def test_the_command_prints_the_contract(
    settings: Settings, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKPLAN_TODAY", TODAY)
    monkeypatch.setenv("BACKPLAN_PIPEDRIVE_TOKEN", TOKEN)
    ran = CliRunner().invoke(app, ["sync", "pipedrive", "--base-url", base_url, "--json"])
    assert ran.exit_code == 0, ran.output
    result = json.loads(ran.stdout)
    assert result["source"] == "pipedrive" and "cursor" in result
    for name in ("users", "activities", "deals"):
        assert set(result["objects"][name]) == {"read", "added", "duplicates", "rejected"}
    shown = CliRunner().invoke(app, ["settings"])
    assert TOKEN not in shown.output


def test_synced_and_imported_organisations_count_the_same(
    settings: Settings, base_url: str, crm: FakePipedrive, tmp_path: Path
) -> None:
    sync(settings, "pipedrive", token=TOKEN, base_url=base_url, policy=quick())
    names = {u["id"]: u["name"] for u in USERS}
    activities = tmp_path / "activities.csv"
    with activities.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "Activity - ID",
                "Activity - Type",
                "Activity - Done",
                "Activity - Due date",
                "Activity - Marked as done time",
                "Activity - Add time",
                "Activity - Assigned to user",
            ]
        )
        for a in crm.activities.values():
            done = "Done" if a["done"] else "To do"
            when = [a["due_date"], a["marked_as_done_time"], a["add_time"]]
            out.writerow([a["id"], a["type"].title(), done, *when, names[a["user_id"]]])
    deals = tmp_path / "deals.csv"
    with deals.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "Deal - ID",
                "Deal - Owner",
                "Deal - Value",
                "Deal - Status",
                "Deal - Deal created",
                "Deal - Won time",
                "Deal - Lost time",
            ]
        )
        for d in crm.deals.values():
            owner, closed = d["user_id"]["name"], [d["won_time"] or "", d["lost_time"] or ""]
            out.writerow([d["id"], owner, d["value"], d["status"].title(), d["add_time"], *closed])
    other = Settings(home=tmp_path / "imported", today=TODAY)
    for path, mapping in ((activities, "pipedrive-activities"), (deals, "pipedrive-deals")):
        assert import_file(other, ImportRequest(path, mapping, add_reps=True)).status == "done"

    def counts(s: Settings) -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = {}
        for _, rep, kind in stored(s):
            found[(rep, kind)] = found.get((rep, kind), 0) + 1
        return found

    assert counts(settings) == counts(other) and sum(counts(other).values()) == 10
