"""Drill-down: from a count to the events behind it, with the CRM's ids, for whoever may see
the count: the rep themselves, their team's managers, admins."""

from __future__ import annotations

from pathlib import Path

import duckdb

from backplan.events.schema import events_glob

from .conftest import ANA_SILVA, MAYA, NS_ADMIN

OCTOBER = {"since": "2026-10-01", "until": "2026-10-15"}
JSON = {"Accept": "application/json"}


def _straight(home: Path, reps: tuple[str, ...], kind: str) -> list[str]:
    """The event ids, newest first, counted straight from the parquet files."""
    names = ", ".join(f"'{r}'" for r in reps)
    sql = f"""
        SELECT event_id FROM read_parquet('{events_glob(home)}')
        WHERE rep IN ({names}) AND kind = '{kind}'
          AND "at" >= TIMESTAMPTZ '2026-10-01 00:00:00+00'
          AND "at" < TIMESTAMPTZ '2026-10-16 00:00:00+00'
        ORDER BY "at" DESC, event_id
    """
    return [row[0] for row in duckdb.sql(sql).fetchall()]


def test_a_rep_drills_from_their_count_to_its_events(ns_signed_in, backplan_home) -> None:  # type: ignore[no-untyped-def]
    ana, _ = ns_signed_in(ANA_SILVA)
    first = ana.get("/api/reps/ana/events", params={"stage": "dials", **OCTOBER}).json()
    ids = _straight(backplan_home, ("ana",), "dial")
    assert first["total"] == len(ids) > 50
    assert first["pages"] == -(-len(ids) // 50) and first["page"] == 1
    assert [e["event_id"] for e in first["events"]] == ids[:50]
    second = ana.get("/api/reps/ana/events", params={"stage": "dials", "page": 2, **OCTOBER}).json()
    assert [e["event_id"] for e in second["events"]] == ids[50:100]
    html = ana.get("/reps/ana/events", params={"stage": "dials", **OCTOBER}).text
    assert f"{len(ids):,} dials</h1>" in html and ids[0] in html
    # the rate page's counts link here
    rep_page = ana.get("/reps/ana", params=OCTOBER).text
    assert (
        "/reps/ana/events?funnel=outbound&amp;since=2026-10-01&amp;until=2026-10-15&amp;stage=conversations"
        in rep_page
    )


def test_a_manager_drills_into_their_teams_events_only(ns_signed_in, backplan_home) -> None:  # type: ignore[no-untyped-def]
    maya, _ = ns_signed_in(MAYA)
    north = maya.get("/api/teams/North/events", params={"stage": "sqls", **OCTOBER}).json()
    assert north["total"] == len(_straight(backplan_home, ("ana", "ben"), "sql"))
    assert {e["rep"] for e in north["events"]} <= {"ana", "ben"}
    assert maya.get("/api/teams/South/events", params={"stage": "sqls"}).status_code == 404
    assert maya.get("/api/reps/cy/events", params={"stage": "sqls"}).status_code == 404
    admin, _ = ns_signed_in(NS_ADMIN)
    assert admin.get("/api/teams/South/events", params={"stage": "sqls"}).status_code == 200


def test_a_rep_sees_no_one_elses_events(ns_signed_in) -> None:  # type: ignore[no-untyped-def]
    ana, _ = ns_signed_in(ANA_SILVA)
    assert ana.get("/api/reps/ben/events", params={"stage": "sqls"}).status_code == 404
    assert ana.get("/api/teams/North/events", params={"stage": "sqls"}).status_code == 403


def test_a_bad_stage_or_window_is_refused_with_a_reason(ns_signed_in) -> None:  # type: ignore[no-untyped-def]
    ana, _ = ns_signed_in(ANA_SILVA)
    bad = ana.get("/api/reps/ana/events", params={"stage": "unicorns"}, headers=JSON)
    assert bad.status_code == 422 and "unknown stage 'unicorns'" in bad.json()["error"]
    half = ana.get("/api/reps/ana/events", params={"stage": "sqls", "since": "2026-10-01"})
    assert half.status_code == 422 and "--" not in half.json()["error"]
    far = ana.get("/api/reps/ana/events", params={"stage": "sqls", "page": 999, **OCTOBER}).json()
    assert far["page"] == far["pages"]  # past the end: the last page
