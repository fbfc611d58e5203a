"""One clock (BACKPLAN_TODAY pins it), and figures that are right at the edges of time:
before office hours on day 1, the last day of a month, New Year, 29 February, weekends."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from backplan.cli import app as cli
from backplan.config import Settings
from backplan.config.clock import Clock
from backplan.config.errors import InvalidSetting
from backplan.core.period import Period, WorkingCalendar
from backplan.services import okr
from backplan.services.diagnosis import diagnosis_window
from backplan.services.forecasting import ForecastRequest, forecast_period
from backplan.services.leadership import LeadershipRequest, leadership_view
from okr_support import add_roster, simulate, store_events

UTC = ZoneInfo("UTC")
runner = CliRunner()


def test_a_pinned_day_is_that_whole_day_and_a_pinned_moment_that_moment() -> None:
    whole = Clock(UTC, pinned="2026-12-01")
    assert whole.today() == date(2026, 12, 1) and whole.day_done(date(2026, 12, 1)) == 1.0
    early = Clock(UTC, pinned="2026-12-01T07:40")
    assert early.day_done(date(2026, 12, 1)) == 0.0
    assert early.day_done(date(2026, 11, 30)) == 1.0 and early.day_done(date(2026, 12, 2)) == 0.0
    assert Clock(UTC, pinned="2026-12-01T11:00").day_done(date(2026, 12, 1)) == 0.25


def test_a_day_given_counts_whole_and_none_means_now() -> None:
    clock = Clock(UTC, pinned="2026-12-01T13:00")
    assert clock.as_of(date(2026, 11, 5)) == (date(2026, 11, 5), 1.0)
    assert clock.as_of(None) == (date(2026, 12, 1), 0.5)


def test_backplan_today_pins_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKPLAN_TODAY", "2028-02-29")
    result = runner.invoke(cli, ["plan", "--objective", "4 sqls", "--period", "month", "--json",
                                 "--rate", "conversations/dials=0.07",
                                 "--rate", "meetings/conversations=1/7",
                                 "--rate", "sqls/meetings=1/3"])  # fmt: skip
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["period"]["label"] == "2028-02"


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("BACKPLAN_TODAY", "yesterday", "write it as 2026-12-01"),
        ("BACKPLAN_TIMEZONE", "Mars/Olympus", "IANA name"),
        ("BACKPLAN_OFFICE_HOURS", "17:00-09:00", "close before they open"),
    ],
)
def test_a_bad_clock_setting_is_one_line_that_says_how_to_write_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    result = runner.invoke(cli, ["okr", "list"])
    assert result.exit_code == 2 and says in result.stderr
    with pytest.raises(InvalidSetting):
        Settings()


@pytest.mark.parametrize(
    ("as_of", "done", "elapsed"),
    [
        (date(2027, 2, 1), 0.0, 0.0),  # Monday 1 February, 07:40: nothing has passed
        (date(2027, 2, 1), 0.5, 0.5),
        (date(2027, 2, 28), 0.5, 20.0),  # a Sunday: the Friday before is the last day
        (date(2028, 2, 29), 1.0, 21.0),  # leap day, a Tuesday: all 21 working days
        (date(2027, 1, 31), 1.0, 0.0),  # before the month
    ],
)
def test_elapsed_working_time_counts_part_of_today(as_of: date, done: float, elapsed: float):
    month = Period.month(as_of.year, 2) if as_of.month == 2 else Period.month(2027, 2)
    assert WorkingCalendar().elapsed(month, as_of, done) == elapsed


def test_a_public_holiday_is_not_working_time() -> None:
    christmas = {date(2026, 12, 25): "Christmas Day"}
    calendar = WorkingCalendar(holidays=christmas)
    december = Period.month(2026, 12)
    assert calendar.elapsed(december, date(2026, 12, 25), 0.5) == 18.0
    assert calendar.elapsed(december, date(2026, 12, 24), 1.0) == 18.0


def test_the_period_before_is_of_the_same_kind_across_new_year() -> None:
    assert Period.month(2027, 1).previous() == Period.month(2026, 12)
    assert Period.quarter(2027, 1).previous() == Period.quarter(2026, 4)
    assert Period(date(2026, 3, 1), date(2026, 3, 10)).previous() == Period(
        date(2026, 2, 19), date(2026, 2, 28)
    )


# -- the default window on the first day of a month ------------------------------------------


def test_the_default_window_before_office_hours_on_day_1_is_last_month_in_words() -> None:
    window = diagnosis_window(None, None, date(2027, 2, 1), WorkingCalendar(), 0.0)
    assert window.period == Period.month(2027, 1) and window.share == 1.0
    assert window.chosen is not None and "2027-02 has just begun" in window.chosen
    assert "the last full month, 2027-01" in window.chosen


def test_the_default_window_across_new_year_is_december() -> None:
    window = diagnosis_window(None, None, date(2027, 1, 1), WorkingCalendar(), 0.5)
    assert window.period == Period.month(2026, 12)


def test_the_default_window_mid_month_is_the_month_to_date() -> None:
    window = diagnosis_window(None, None, date(2026, 11, 18), WorkingCalendar(), 0.5)
    assert window.period == Period.month(2026, 11)
    assert window.counted == Period(date(2026, 11, 1), date(2026, 11, 18))
    assert window.share == pytest.approx(12.5 / 21)  # 2–17 November, and half of the 18th


# -- an organisation seen on the first working day of a month, at 07:40 ----------------------


@pytest.fixture
def first_morning(app_database: str, backplan_home: Path, monkeypatch: pytest.MonkeyPatch):
    """North and South with events up to Friday 30 October; it is Monday 2 November, 07:40."""
    monkeypatch.setenv("BACKPLAN_TODAY", "2026-11-02T07:40")
    settings = Settings()
    add_roster(settings)
    store_events(backplan_home, simulate(date(2026, 7, 1), date(2026, 10, 30)))
    return settings


def _november(settings: Settings, owner: str, kind: okr.OwnerKind, target: str) -> int:
    request = okr.ObjectiveRequest(owner, kind, "month", [target], split=kind == "team")
    return okr.create_objective(settings, request, settings.clock.today()).objective.id


def test_before_office_hours_on_day_1_nothing_is_behind_yet(first_morning: Settings) -> None:
    progress = okr.progress(first_morning, _november(first_morning, "ana", "rep", "4 sqls"))
    assert progress.elapsed_days == 0.0 and progress.working_days == 21
    assert [(k.stage, k.expected_to_date, k.pace) for k in progress.key_results] == [
        ("sqls", 0.0, "not_started")
    ]


def test_by_midday_part_of_the_day_is_expected(
    first_morning: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    objective = _november(first_morning, "ana", "rep", "42 sqls")
    monkeypatch.setenv("BACKPLAN_TODAY", "2026-11-02T13:00")
    progress = okr.progress(Settings(), objective)
    assert progress.elapsed_days == 0.5
    assert [(k.expected_to_date, k.pace) for k in progress.key_results] == [(1.0, "behind")]


def test_a_forecast_on_day_1_starts_from_the_reps_own_pace(first_morning: Settings) -> None:
    _november(first_morning, "North", "team", "40 sqls")
    result = forecast_period(first_morning, ForecastRequest(team="North"))
    assert result.elapsed_days == 0.0 and result.forecast.actual_to_date == 0
    # ana (50 dials × 8% × 1/6 × 1/2) and ben (70 × 7% × 1/7 × 1/4) book about 0.5 SQLs a
    # working day between them: 11 in 21 days. Their open meetings add next to nothing: in
    # this organisation a meeting becomes an SQL the day it is booked or never (the lag
    # curve knows it), so a meeting still open is stale.
    assert 8 <= result.forecast.expected <= 16 and result.forecast.p_hit < 0.01
    assert result.forecast.pipeline > 0


def test_leadership_on_day_1_shows_last_months_sources_and_says_so(
    first_morning: Settings,
) -> None:
    view = leadership_view(first_morning, LeadershipRequest(forecast=False))
    assert view.period == Period.month(2026, 11) and view.elapsed_days == 0.0
    assert view.sources_window == Period.month(2026, 10)
    assert view.notes == [
        "2026-11 has just begun, with no working time yet: results by source are for "
        "2026-10, the last full period"
    ]
    assert {s.source for s in view.sources} == {"Outbound list", "Inbound"}


def test_forecast_and_leadership_never_name_options_they_lack(first_morning: Settings) -> None:
    for args in (["forecast", "--team", "North"], ["leadership", "--period", "2026-07"]):
        result = runner.invoke(cli, args)
        assert "--since" not in result.output + result.stderr, args


def test_the_cadence_on_day_1_is_last_months(first_morning: Settings) -> None:
    result = runner.invoke(cli, ["cadence", "--rep", "ana", "--json"])
    assert result.exit_code == 0, result.output
    window = json.loads(result.stdout)["window"]
    assert (window["since"], window["until"]) == ("2026-10-01", "2026-10-31")
    assert "2026-11 has just begun" in window["chosen"]


def test_a_records_moment_is_the_pinned_one_in_the_organisations_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    moment = Clock(paris, pinned="2026-12-01T07:40").moment()
    assert moment.isoformat() == "2026-12-01T07:40:00+01:00"
    live = Clock(paris).moment()  # the real time, aware: a record, not a figure's today
    assert live.tzinfo is paris
