"""Importing the public Maven CRM data: counts checked against the files themselves."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backplan.config import Settings, get_settings
from backplan.events.readers import open_source
from backplan.events.store import EventStore
from backplan.services.importing import ImportRequest, import_file
from backplan.services.roster import import_roster, roster_frame

NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def maven(shared_data: Path) -> Path:
    return shared_data / "maven-crm-sales-opportunities"


@pytest.fixture
def settings() -> Settings:
    return get_settings()


def pipeline_rows(maven: Path) -> list[dict[str, str]]:
    with open(maven / "sales_pipeline.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def kind_counts(settings: Settings) -> dict[str, int]:
    con = EventStore(settings.home).connect()
    rows = con.execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall()
    return {str(k): int(n) for k, n in rows}


def test_the_roster_of_sales_teams_has_35_reps_6_teams_and_6_managers(
    settings: Settings, maven: Path
) -> None:
    summary = import_roster(settings, maven / "sales_teams.csv")
    assert (summary.reps, summary.teams, summary.managers) == (35, 6, 6)
    frame = roster_frame(settings)
    assert list(frame.columns) == ["rep", "name", "team", "manager"]
    assert len(frame) == 35
    moses = frame.set_index("rep").loc["Moses Frase"]
    assert (moses["team"], moses["manager"]) == ("Dustin Brinkmann's team", "Dustin Brinkmann")


def test_the_pipeline_becomes_one_opp_per_engaged_deal_and_one_won_or_lost_per_closed_deal(
    settings: Settings, maven: Path
) -> None:
    rows = pipeline_rows(maven)
    stages = {
        s: sum(1 for r in rows if r["deal_stage"] == s)
        for s in ("Won", "Lost", "Engaging", "Prospecting")
    }
    assert stages == {"Won": 4238, "Lost": 2473, "Engaging": 1589, "Prospecting": 500}
    import_roster(settings, maven / "sales_teams.csv")
    summary = import_file(
        settings, ImportRequest(maven / "sales_pipeline.csv", "opportunities", now=NOW)
    )
    assert summary.status == "done"
    assert (summary.read, summary.skipped, summary.rejected) == (8800, 500, 0)
    assert summary.events == summary.added == 8300 + 4238 + 2473 == 15011
    assert kind_counts(settings) == {"opp": 8300, "won": 4238, "lost": 2473}
    con = EventStore(settings.home).connect()
    won_value = sum(int(r["close_value"]) for r in rows if r["deal_stage"] == "Won")
    assert con.execute("SELECT sum(amount) FROM events WHERE kind = 'won'").fetchone() == (
        won_value,
    )
    assert won_value == 10_005_534
    assert con.execute("SELECT count(DISTINCT rep) FROM events").fetchone() == (30,)
    first = con.execute(
        "SELECT kind, \"at\", amount, prospect FROM events WHERE event_id LIKE '1C1I7A6R:%' ORDER BY kind"
    ).fetchall()
    assert first == [
        ("opp", datetime(2016, 10, 20, tzinfo=UTC), None, "Cancity"),
        ("won", datetime(2017, 3, 1, tzinfo=UTC), 1054.0, "Cancity"),
    ]


def test_importing_the_same_pipeline_again_adds_nothing(settings: Settings, maven: Path) -> None:
    request = ImportRequest(maven / "sales_pipeline.csv", "opportunities", now=NOW)
    import_file(settings, request)
    again = import_file(settings, request)
    assert (again.added, again.duplicates, again.events) == (0, 15011, 15011)
    assert EventStore(settings.home).count() == 15011


def test_a_deal_that_moved_from_engaging_to_won_adds_exactly_its_won_event(
    settings: Settings, maven: Path, tmp_path: Path
) -> None:
    import_file(settings, ImportRequest(maven / "sales_pipeline.csv", "opportunities", now=NOW))
    rows = pipeline_rows(maven)
    engaging = next(r for r in rows if r["deal_stage"] == "Engaging")
    engaging.update(deal_stage="Won", close_date="2017-12-31", close_value="4321")
    later = tmp_path / "sales_pipeline_later.csv"
    with open(later, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    summary = import_file(settings, ImportRequest(later, "opportunities", now=NOW))
    assert (summary.added, summary.duplicates) == (1, 15011)
    con = EventStore(settings.home).connect()
    new = con.execute(
        f"SELECT event_id, kind, amount FROM events WHERE event_id LIKE '{engaging['opportunity_id']}:%' "
        "ORDER BY kind"
    ).fetchall()
    assert new == [
        (f"{engaging['opportunity_id']}:opp", "opp", None),
        (f"{engaging['opportunity_id']}:won", "won", 4321.0),
    ]
    assert EventStore(settings.home).count() == 15012


def test_without_a_roster_the_reps_found_in_the_data_become_the_roster(
    settings: Settings, maven: Path
) -> None:
    summary = import_file(
        settings, ImportRequest(maven / "sales_pipeline.csv", "opportunities", now=NOW)
    )
    assert len(summary.reps_added) == 30
    assert len(roster_frame(settings)) == 30
    # Loading sales_teams.csv afterwards completes those 30 reps and adds the 5 without deals.
    roster = import_roster(settings, maven / "sales_teams.csv")
    assert (roster.added, roster.updated) == (5, 30)
    frame = roster_frame(settings)
    assert len(frame) == 35 and frame["team"].notna().all()


def test_with_a_roster_a_rep_it_does_not_know_is_rejected_unless_reps_may_be_added(
    settings: Settings, maven: Path, tmp_path: Path
) -> None:
    import_roster(settings, maven / "sales_teams.csv")
    rows = pipeline_rows(maven)[:20]
    rows[4]["sales_agent"] = "Nobody Known"
    path = tmp_path / "pipeline.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    rejected = import_file(settings, ImportRequest(path, "opportunities", now=NOW))
    assert (rejected.status, rejected.rejected, rejected.added) == ("rejected", 1, 0)
    assert rejected.reasons == {"unknown_rep": 1}
    assert EventStore(settings.home).count() == 0
    with open(rejected.rejects_file or "", newline="", encoding="utf-8") as f:
        (reject,) = list(csv.DictReader(f))
    assert (reject["row"], reject["column"], reject["value"], reject["reason"]) == (
        "6",
        "sales_agent",
        "Nobody Known",
        "unknown_rep",
    )
    added = import_file(settings, ImportRequest(path, "opportunities", now=NOW, add_reps=True))
    assert added.status == "done" and added.reps_added == ["Nobody Known"]
    assert "Nobody Known" in set(roster_frame(settings)["rep"])


def test_reps_are_recognised_by_name_or_email_in_any_case(
    settings: Settings, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("email,name,team\nana@x.io,Ana Silva,North\nbo@x.io,Bo Berg,North\n")
    import_roster(settings, roster)
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,rep,at,kind\n1,ANA SILVA,2024-05-01,dial\n2,bo@X.io,2024-05-01,dial\n"
    )
    summary = import_file(settings, ImportRequest(events, "events", now=NOW))
    assert summary.added == 2
    reps = (
        EventStore(settings.home)
        .connect()
        .execute("SELECT rep FROM events ORDER BY event_id")
        .fetchall()
    )
    assert reps == [("ana@x.io",), ("bo@x.io",)]


def test_the_bank_marketing_file_is_sniffed_as_semicolon_delimited_with_quoted_headers(
    shared_data: Path, tmp_path: Path
) -> None:
    source = open_source(shared_data / "uci-bank-marketing" / "bank-full.csv", tmp_path)
    assert source.delimiter == ";"
    assert source.header[:4] == ["age", "job", "marital", "education"]
    assert "campaign" in source.header and len(source.header) == 17
