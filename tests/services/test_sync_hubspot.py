"""Syncing from HubSpot's CRM API v3, against a local server that answers as HubSpot does."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from backplan.cli import app
from backplan.config import Settings
from backplan.events.schema import events_glob
from backplan.services.importing import ImportRequest, import_file
from backplan.services.roster import roster_listing
from backplan.services.sync import BadToken, sync, sync_log
from backplan.services.sync.http import RetryPolicy
from crm_fakes import FakeHubSpot, Fault, served

TOKEN = "pat-na1-good"
TODAY = "2025-12-01T12:00"
CONNECTED = "f240bbac-87c9-4f6e-bf70-924b57d47db7"
NO_ANSWER = "73a0d17f-1163-4015-bdd5-ec830791da20"
OWNERS = [
    {"id": "101", "email": "ana@example.com", "firstName": "Ana", "lastName": "Silva"},
    {"id": "102", "email": "ben@example.com", "firstName": "Ben", "lastName": "Okafor"},
]


def organisation() -> FakeHubSpot:
    """Two owners; five calls, three meetings and three deals."""
    crm = FakeHubSpot(token=TOKEN, owners=[dict(o, archived=False) for o in OWNERS])
    calls = [
        ("5001", "2025-03-03T09:15:00Z", "101", CONNECTED),
        ("5002", "2025-03-03T10:02:00Z", "101", NO_ANSWER),
        ("5003", "2025-03-04T11:40:00Z", "102", CONNECTED),
        ("5004", "2025-03-04T12:00:00Z", "102", NO_ANSWER),
        ("5005", "2025-03-05T08:30:00Z", "101", None),
    ]
    for rid, at, owner, disposition in calls:
        crm.put(
            "calls", rid, hs_timestamp=at, hubspot_owner_id=owner, hs_call_disposition=disposition
        )
    meetings = [
        ("6001", "2025-03-01T08:30:00Z", "2025-03-06T10:00:00Z", "101", "COMPLETED"),
        ("6002", "2025-03-02T09:15:00Z", "2025-03-13T14:00:00Z", "101", "NO_SHOW"),
        ("6003", "2025-03-04T16:45:00Z", "2025-03-14T09:00:00Z", "102", "SCHEDULED"),
    ]
    for rid, created, start, owner, outcome in meetings:
        crm.put(
            "meetings",
            rid,
            hs_createdate=created,
            hs_meeting_start_time=start,
            hs_timestamp=start,
            hubspot_owner_id=owner,
            hs_meeting_outcome=outcome,
        )
    deals = [
        ("7001", "closedwon", "12500", "2025-03-15T00:00:00Z", "2025-01-08T10:00:00Z", "101"),
        ("7002", "closedlost", "4000", "2025-03-01T00:00:00Z", "2025-01-20T11:30:00Z", "101"),
        ("7003", "contractsent", "30000", "2025-06-28T00:00:00Z", "2025-02-02T14:00:00Z", "102"),
    ]
    for rid, stage, amount, close, create, owner in deals:
        crm.put(
            "deals",
            rid,
            dealname=f"Deal {rid}",
            dealstage=stage,
            amount=amount,
            closedate=close,
            createdate=create,
            hubspot_owner_id=owner,
            hs_analytics_source="ORGANIC_SEARCH",
        )
    return crm


@pytest.fixture
def crm() -> FakeHubSpot:
    return organisation()


@pytest.fixture
def base_url(crm: FakeHubSpot) -> Iterator[str]:
    with served(crm.app()) as url:
        yield url


@pytest.fixture
def settings(backplan_home: Path) -> Settings:
    return Settings(home=backplan_home, today=TODAY)


def quick() -> RetryPolicy:
    waits: list[float] = []
    policy = RetryPolicy(sleep=waits.append)
    return policy


def stored(settings: Settings) -> list[tuple[str, str, str]]:
    glob = events_glob(settings.home)
    with duckdb.connect() as con:
        try:
            rows = con.execute(
                f"SELECT event_id, rep, kind FROM read_parquet('{glob}') ORDER BY event_id"
            ).fetchall()
        except duckdb.IOException:
            return []
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def by_rep_and_kind(settings: Settings) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for _, rep, kind in stored(settings):
        counts[(rep, kind)] = counts.get((rep, kind), 0) + 1
    return counts


def test_a_first_sync_maps_calls_meetings_and_deals_as_the_export_mappings_do(
    settings: Settings, base_url: str
) -> None:
    summary = sync(settings, "hubspot", token=TOKEN, base_url=base_url, policy=quick())
    result = summary.to_dict()
    assert set(result["objects"]) == {"owners", "calls", "meetings", "deals"}
    assert result["objects"]["calls"] == {"read": 5, "added": 7, "duplicates": 0, "rejected": 0}
    assert result["objects"]["meetings"]["added"] == 5  # 3 booked, 1 held, 1 no-show
    assert result["objects"]["deals"]["added"] == 5  # 3 opps, 1 won, 1 lost
    assert result["objects"]["owners"] == {"read": 2, "added": 2, "duplicates": 0, "rejected": 0}
    assert result["reps_added"] == ["Ana Silva", "Ben Okafor"]
    ids = [e[0] for e in stored(settings)]
    assert "hubspot:calls:5001:connect" in ids and "hubspot:deals:7001:won" in ids
    assert "hubspot:meetings:6002:no_show" in ids
    emails = {r["key"]: r["email"] for r in roster_listing(settings)}
    assert emails == {"Ana Silva": "ana@example.com", "Ben Okafor": "ben@example.com"}


def test_a_second_sync_adds_nothing_and_asks_only_for_what_changed(
    settings: Settings, base_url: str, crm: FakeHubSpot
) -> None:
    first = sync(settings, "hubspot", token=TOKEN, base_url=base_url, policy=quick())
    crm.seen.clear()
    second = sync(settings, "hubspot", token=TOKEN, base_url=base_url, policy=quick()).to_dict()
    assert all(o["added"] == 0 for o in second["objects"].values())
    assert second["reps_added"] == []
    assert second["cursor"] == first.cursor
    searches = [body for method, _, body in crm.seen if method == "POST"]
    assert all(b["filterGroups"][0]["filters"][0]["operator"] == "GTE" for b in searches)


def test_new_records_and_a_deal_moved_to_won_add_exactly_those_events(
    settings: Settings, base_url: str, crm: FakeHubSpot
) -> None:
    sync(settings, "hubspot", token=TOKEN, base_url=base_url, policy=quick())
    before = set(stored(settings))
    crm.put("deals", "7003", dealstage="appointmentscheduled")  # moved twice between runs:
    crm.put("deals", "7003", dealstage="closedwon", closedate="2025-04-02T00:00:00Z")
    crm.put(
        "calls",
        "5006",
        hs_timestamp="2025-04-01T09:00:00Z",
        hubspot_owner_id="102",
        hs_call_disposition=CONNECTED,
    )
    result = sync(settings, "hubspot", token=TOKEN, base_url=base_url, policy=quick()).to_dict()
    assert result["objects"]["deals"] == {"read": 1, "added": 1, "duplicates": 1, "rejected": 0}
    assert result["objects"]["calls"]["added"] == 2
    assert set(stored(settings)) - before == {
        ("hubspot:deals:7003:won", "Ben Okafor", "won"),
        ("hubspot:calls:5006:dial", "Ben Okafor", "dial"),
        ("hubspot:calls:5006:connect", "Ben Okafor", "connect"),
    }


def test_a_429_and_a_500_in_the_middle_of_paging_are_retried(
    settings: Settings, base_url: str, crm: FakeHubSpot
) -> None:
    crm.faults = [
        Fault("/crm/v3/objects/calls/search", 1, 429, {"Retry-After": "3"}),
        Fault("/crm/v3/objects/deals/search", 1, 500),
    ]
    waits: list[float] = []
    summary = sync(
        settings, "hubspot", token=TOKEN, base_url=base_url, policy=RetryPolicy(sleep=waits.append)
    )
    assert waits == [3.0, 0.5]  # Retry-After honoured; then the first backoff
    assert summary.objects["calls"].read == 5 and summary.objects["deals"].added == 5
    assert not crm.faults


def test_a_bad_token_stops_with_one_line_and_stores_nothing(
    settings: Settings, base_url: str
) -> None:
    with pytest.raises(BadToken) as caught:
        sync(settings, "hubspot", token="pat-wrong", base_url=base_url, policy=quick())
    assert "HubSpot refused the token (401: Authentication credentials not found" in str(
        caught.value
    )
    assert "\n" not in str(caught.value) and "pat-wrong" not in str(caught.value)
    assert stored(settings) == [] and roster_listing(settings) == []
    log = sync_log(settings)[0]
    assert log["last_success"] is None and "refused" in log["last_error"]["message"]


def test_the_command_prints_the_contract_and_exits_2_on_a_bad_token(
    settings: Settings, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKPLAN_TODAY", TODAY)
    runner = CliRunner()
    ran = runner.invoke(
        app, ["sync", "hubspot", "--base-url", base_url, "--token", TOKEN, "--json"]
    )
    assert ran.exit_code == 0, ran.output
    result = json.loads(ran.stdout)
    assert result["source"] == "hubspot"
    for name in ("calls", "meetings", "deals", "owners"):
        assert set(result["objects"][name]) == {"read", "added", "duplicates", "rejected"}
    assert "reps_added" in result and "cursor" in result
    again = runner.invoke(
        app,
        ["sync", "hubspot", "--base-url", base_url, "--json"],
        env={"BACKPLAN_HUBSPOT_TOKEN": TOKEN},
    )
    assert all(o["added"] == 0 for o in json.loads(again.stdout)["objects"].values())
    bad = runner.invoke(app, ["sync", "hubspot", "--base-url", base_url, "--token", "nope"])
    assert bad.exit_code == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "refused the token" in bad.stderr


def test_since_reads_only_records_modified_since_that_day(
    settings: Settings, base_url: str, crm: FakeHubSpot
) -> None:
    summary = sync(
        settings,
        "hubspot",
        token=TOKEN,
        base_url=base_url,
        policy=quick(),
        since=__import__("datetime").date(2025, 7, 1),
    )
    assert all(summary.objects[n].read == 0 for n in ("calls", "meetings", "deals"))
    bodies = [b for m, _, b in crm.seen if m == "POST"]
    assert bodies[0]["filterGroups"][0]["filters"][0]["value"] == "1751328000000"


def test_owners_known_to_the_roster_by_email_keep_their_key(
    settings: Settings, base_url: str, tmp_path: Path
) -> None:
    from backplan.services.roster import import_roster

    roster = tmp_path / "roster.csv"
    roster.write_text("rep,name,email,team\nana,Ana S.,ANA@example.com,East\n")
    import_roster(settings, roster)
    summary = sync(settings, "hubspot", token=TOKEN, base_url=base_url, policy=quick())
    assert summary.reps_added == ["Ben Okafor"]
    assert summary.objects["owners"].duplicates == 1
    assert {rep for _, rep, _ in stored(settings)} == {"ana", "Ben Okafor"}


def test_synced_and_imported_organisations_count_the_same(
    settings: Settings, base_url: str, tmp_path: Path
) -> None:
    """The same records as HubSpot's exports, through the shipped mappings, in another home."""
    sync(settings, "hubspot", token=TOKEN, base_url=base_url, policy=quick())
    crm = organisation()
    names = {o["id"]: f"{o['firstName']} {o['lastName']}" for o in OWNERS}
    outcomes = {CONNECTED: "Connected", NO_ANSWER: "No answer"}
    exports = {
        "hubspot-calls": (
            ["Record ID", "Activity date", "Activity assigned to", "Call outcome"],
            [
                [
                    rid,
                    r["hs_timestamp"][:16].replace("T", " "),
                    names[r["hubspot_owner_id"]],
                    outcomes.get(r["hs_call_disposition"] or "", ""),
                ]
                for rid, r in crm.records["calls"].items()
            ],
        ),
        "hubspot-meetings": (
            [
                "Record ID",
                "Create Date",
                "Activity date",
                "Activity assigned to",
                "Meeting outcome",
            ],
            [
                [
                    rid,
                    r["hs_createdate"][:16].replace("T", " "),
                    r["hs_meeting_start_time"][:16].replace("T", " "),
                    names[r["hubspot_owner_id"]],
                    r["hs_meeting_outcome"].replace("_", " ").title(),
                ]
                for rid, r in crm.records["meetings"].items()
            ],
        ),
        "hubspot-deals": (
            ["Record ID", "Deal Stage", "Amount", "Close Date", "Create Date", "Deal owner"],
            [
                [
                    rid,
                    {"closedwon": "Closed Won", "closedlost": "Closed Lost"}.get(
                        r["dealstage"], "Contract Sent"
                    ),
                    r["amount"],
                    r["closedate"][:10],
                    r["createdate"][:16].replace("T", " "),
                    names[r["hubspot_owner_id"]],
                ]
                for rid, r in crm.records["deals"].items()
            ],
        ),
    }
    other = Settings(home=tmp_path / "imported", today=TODAY)
    for mapping, (header, rows) in exports.items():
        path = tmp_path / f"{mapping}.csv"
        with path.open("w", newline="") as f:
            csv.writer(f).writerows([header, *rows])
        assert import_file(other, ImportRequest(path, mapping, add_reps=True)).status == "done"
    assert by_rep_and_kind(settings) == by_rep_and_kind(other)
    assert sum(by_rep_and_kind(other).values()) == 17
