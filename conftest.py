"""Shared by every test, in tests/ and the doctests in src/.

``--pinned-now 2027-02-01T07:40`` runs every test as if it started at that moment
(UTC, the clock still ticking from there), through time-machine: CI runs the suite at the edges
of time (the first working day of a month before office hours, the last day of a
month, New Year's Eve to New Year's Day, 29 February, a holiday, a Sunday) to prove
that no test and no figure depends on the day it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem
from hypothesis import settings as hypothesis_settings

# Speed is measured by the benchmarks, never by a timed assertion: no Hypothesis deadlines
# (on a busy 2-core machine a 200 ms deadline fails for reasons that are not the code's).
hypothesis_settings.register_profile("backplan", deadline=None)
hypothesis_settings.load_profile("backplan")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--pinned-now",
        metavar="YYYY-MM-DDTHH:MM",
        help="run every test as if it were this moment (UTC); the clock still ticks",
    )


def pytest_configure(config: pytest.Config) -> None:
    moment = config.getoption("--pinned-now")
    if moment:  # for fixtures wider than a test; each test starts again at the moment below
        import time_machine

        traveller = time_machine.travel(datetime.fromisoformat(moment).replace(tzinfo=UTC))
        traveller.start()
        config.add_cleanup(traveller.stop)


@pytest.fixture(autouse=True)
def pinned_now(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts at the pinned moment, not the session: which test crosses midnight
    then depends on its own length, never on which tests ran before it on its worker."""
    moment = request.config.getoption("--pinned-now")
    if not moment:
        yield
        return
    import time_machine

    with time_machine.travel(datetime.fromisoformat(moment).replace(tzinfo=UTC)):
        yield


def pytest_report_header(config: pytest.Config) -> str | None:
    moment = config.getoption("--pinned-now")
    return f"pinned now: {moment} (UTC)" if moment else None


@pytest.fixture(autouse=True)
def clock_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that reads today from the real clock pins its date (``BACKPLAN_TODAY``, or the
    settings' ``today``) or is marked ``dates``, so CI runs it on the edge days as well."""
    from backplan.config.clock import Clock

    if request.config.getoption("--pinned-now") or request.node.get_closest_marker("dates"):
        yield
        return
    reads: list[date] = []
    real_now = Clock.now

    def now(clock: Clock) -> datetime:
        moment = real_now(clock)
        if clock.pinned is None:
            reads.append(moment.date())
        return moment

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Clock, "now", now)
        yield
    if reads:
        pytest.fail(
            f"{request.node.nodeid} read today ({reads[0]}) from the real clock: pin its date "
            "(BACKPLAN_TODAY, or Settings(today=...)) or mark it pytest.mark.dates, so CI runs "
            "it on the edge days of the calendar too",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def doctest_home(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Doctests in src/ get an empty BACKPLAN_HOME as well, never the user's own data folder."""
    if isinstance(request.node, DoctestItem):
        home = tmp_path / "backplan-home"
        home.mkdir()
        monkeypatch.setenv("BACKPLAN_HOME", str(home))
    yield
