"""The demo organisation: exact sizes, a fixed seed, and events that make sense prospect by prospect."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pytest

from backplan.config import Settings, get_settings
from backplan.events.store import EventStore
from backplan.services.demo.generator import demo_roster, generate_demo, write_demo_events
from backplan.services.roster import roster_frame, time_off_frame

END = date(2025, 6, 30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo organisation shared by the read-only tests of this module."""
    home = tmp_path_factory.mktemp("demo-home")
    generate_demo(Settings(home=home), reps=12, events=120_000, seed=11, end=END)
    return home


def query(home: Path, sql: str) -> list[tuple[object, ...]]:
    con = EventStore(home).connect()
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_demo_has_exactly_the_events_asked_for_in_the_window(demo: Path) -> None:
    assert EventStore(demo).count() == 120_000
    ((first, last),) = query(demo, 'SELECT min("at")::DATE, max("at")::DATE FROM events')
    assert date(2024, 7, 1) <= first and last <= END  # type: ignore[operator]


def test_the_same_seed_gives_the_same_events_and_another_seed_others(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for home, seed in ((a, 3), (b, 3), (c, 4)):
        write_demo_events(home, reps=5, events=5_000, seed=seed, end=END)
    digest = "SELECT md5(string_agg(event_id || rep || \"at\" || kind, ',' ORDER BY event_id)) FROM events"
    assert query(a, digest) == query(b, digest) != query(c, digest)


def test_generating_it_again_adds_nothing_and_the_roster_is_in_the_app_database(
    backplan_home: Path,
) -> None:
    first = generate_demo(Settings(home=backplan_home), reps=8, events=10_000, seed=5, end=END)
    again = generate_demo(Settings(home=backplan_home), reps=8, events=10_000, seed=5, end=END)
    assert (first.events, again.events) == (10_000, 0)
    assert (first.reps, first.teams) == (8, 2)
    frame = roster_frame(get_settings())
    assert len(frame) == 8 and frame["team"].notna().all() and frame["manager"].notna().all()
    assert len(time_off_frame(get_settings())) == first.time_off_blocks > 0


def test_every_prospects_events_come_in_the_order_of_the_funnel(demo: Path) -> None:
    sql = """
    WITH firsts AS (
        SELECT prospect,
               min("at") FILTER (kind IN ('dial', 'email', 'social')) AS touch,
               max("at") FILTER (kind IN ('dial', 'email', 'social')) AS last_touch,
               min("at") FILTER (kind = 'connect') AS connect,
               min("at") FILTER (kind = 'meeting_booked') AS booked,
               min("at") FILTER (kind IN ('meeting_held', 'no_show')) AS met,
               min("at") FILTER (kind = 'meeting_held') AS held,
               min("at") FILTER (kind = 'sql') AS sql,
               min("at") FILTER (kind = 'opp') AS opp,
               min("at") FILTER (kind IN ('won', 'lost')) AS closed,
               count(*) FILTER (kind = 'connect') AS connects,
               count(DISTINCT rep) AS reps
        FROM events GROUP BY prospect)
    SELECT count(*) FILTER (connect < touch OR connect < last_touch),
           count(*) FILTER (booked IS NOT NULL AND (connect IS NULL OR booked < connect)),
           count(*) FILTER (met IS NOT NULL AND (booked IS NULL OR met < booked)),
           count(*) FILTER (sql IS NOT NULL AND (held IS NULL OR sql < held)),
           count(*) FILTER (opp IS NOT NULL AND (sql IS NULL OR opp < sql)),
           count(*) FILTER (closed IS NOT NULL AND (opp IS NULL OR closed < opp)),
           count(*) FILTER (connects > 1 OR reps > 1),
           count(*) FILTER (closed IS NOT NULL)
    FROM firsts
    """
    ((*violations, closed),) = query(demo, sql)
    assert violations == [0] * 7
    assert closed > 0  # type: ignore[operator]


def test_nobody_works_on_weekends_or_on_their_time_off(demo: Path) -> None:
    assert query(demo, 'SELECT count(*) FROM events WHERE dayofweek("at") IN (0, 6)') == [(0,)]
    days_off = time_off_frame(Settings(home=demo))
    con = EventStore(demo).connect()
    con.register("days_off", days_off)
    clash = con.execute(
        "SELECT count(*) FROM events e JOIN days_off d ON e.rep = d.rep "
        'AND e."at"::DATE BETWEEN d.first_day AND d.last_day'
    ).fetchone()
    assert clash == (0,) and len(days_off) > 0


def test_rates_sit_near_the_benchmarks_and_differ_between_reps(demo: Path) -> None:
    ((dials, connects, booked, sqls, won, lost),) = query(
        demo,
        """
        SELECT count(*) FILTER (kind = 'dial'), count(*) FILTER (kind = 'connect'),
               count(*) FILTER (kind = 'meeting_booked'), count(*) FILTER (kind = 'sql'),
               count(*) FILTER (kind = 'won'), count(*) FILTER (kind = 'lost') FROM events""",
    )
    assert 0.055 < connects / dials < 0.09  # type: ignore[operator]
    assert 0.10 < booked / connects < 0.19  # type: ignore[operator]
    assert 0.22 < sqls / booked < 0.42  # type: ignore[operator]
    assert 0.12 < won / (won + lost) < 0.40  # type: ignore[operator]
    per_rep = [
        r[0]
        for r in query(
            demo,
            """
        SELECT count(*) FILTER (kind = 'connect') / count(*) FILTER (kind = 'dial')
        FROM events GROUP BY rep""",
        )
    ]
    assert max(per_rep) - min(per_rep) > 0.02  # type: ignore[operator]


def test_first_responses_come_most_often_on_the_fifth_or_sixth_attempt(demo: Path) -> None:
    attempts = query(
        demo,
        """
        WITH c AS (SELECT prospect, min("at") AS connect FROM events WHERE kind = 'connect' GROUP BY 1)
        SELECT count(*) FROM events e JOIN c USING (prospect)
        WHERE e.kind IN ('dial', 'email', 'social') AND e."at" <= c.connect GROUP BY prospect""",
    )
    counts = Counter(int(a[0]) for a in attempts)  # type: ignore[call-overload]
    assert counts.most_common(1)[0][0] in (5, 6)


def test_channels_sources_and_deal_values_are_all_there(demo: Path) -> None:
    kinds = {k for (k,) in query(demo, "SELECT DISTINCT kind FROM events")}
    assert kinds == {
        "dial",
        "email",
        "social",
        "connect",
        "meeting_booked",
        "meeting_held",
        "no_show",
        "sql",
        "opp",
        "won",
        "lost",
    }
    sources = {s for (s,) in query(demo, "SELECT DISTINCT source FROM events")}
    assert sources == {"Outbound list", "Inbound", "Referral", "Event", "Partner"}
    ((median, mean, smallest),) = query(
        demo,
        """
        SELECT median(amount), avg(amount), min(amount) FROM events WHERE kind = 'won'""",
    )
    assert mean > median > smallest > 0  # type: ignore[operator]  # skewed to the right


def test_reps_have_their_own_drawn_rates() -> None:
    roster = demo_roster(30, seed=1, first_day=date(2024, 7, 1), last_day=END)
    rates = [r.connect_rate for r in roster]
    assert len(set(rates)) == 30
    assert 0.05 < sum(rates) / 30 < 0.09
    assert len({r.key for r in roster}) == 30 and len({r.team for r in roster}) == 5


def test_the_lower_level_writer_is_vectorised_and_exact(tmp_path: Path) -> None:
    written = write_demo_events(tmp_path, reps=50, events=300_000, seed=2, end=END)
    assert written == EventStore(tmp_path).count() == 300_000
    con = duckdb.connect()
    (reps,) = con.execute(
        f"SELECT count(DISTINCT rep) FROM read_parquet('{tmp_path}/events/**/*.parquet')"
    ).fetchone() or (0,)
    assert reps == 50
