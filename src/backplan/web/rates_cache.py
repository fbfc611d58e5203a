"""The organisation's rates, fitted once per state of the data and reused across requests.

A rates report fits every rep of the organisation (a rep's estimate leans on
their team's), which takes a query over all events: too slow to repeat for
every page view. The embedded event store only changes by adding files (an
import commits by renaming them in), and the roster by an import or a
roster load, so a report is reused while the store's file list, the roster
and the day stay the same. With a warehouse (``BACKPLAN_EVENTS_URL``) its
events' count and first and last times, read in the engine at most every
``WAREHOUSE_FRESH_SECONDS``, stand for the file list
(``services/warehouse.py``).

Pages built on more than rates (the leadership view, a team's diagnosis, OKR
progress) are kept by :meth:`RatesCache.kept` under the full fingerprint: the
events, the roster and what the app database holds that figures rest on
(``services/app_state.py``). Each answer is computed once per change, by the
first request that asks; requests asking meanwhile wait for it rather than
computing it again (a burst of page loads after an import costs one refit).

Computed before anyone asks: the cache remembers what was asked (the rates
reports, and each kept answer with how to compute it, the most recent
``WARM_AT_MOST``), and a thread of this process (:meth:`RatesCache.warm`)
takes the fingerprint every ``FRESH_SECONDS``; when it changed, it computes
them all again for the new data.

Until then, a request for an answer kept for the data as they were before the
latest import gets that answer at once (:func:`figures_as_of` says from when;
pages show it, JSON answers carry it in a header) rather than waiting seconds
for the refit: the first request after an import is as fast as any. Only events
arriving do that: after an edit made in the app (an objective saved, a plan
agreed, the roster or a funnel changed) the next request computes, so the
person who made it sees it at once. Without the thread (``compute_ahead`` off),
or once it is done with the data as they are, a request computes what it asks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

from backplan.config import Settings
from backplan.services.app_state import app_state
from backplan.services.definitions import organisation_funnel
from backplan.services.importing import event_files
from backplan.services.kept import Kept
from backplan.services.roster import roster_rows
from backplan.services.warehouse import warehouse_state

if TYPE_CHECKING:
    from backplan.services.rates import RatesReport

KEEP = 16
KEEP_ANSWERS = 256
WARM_AT_MOST = KEEP_ANSWERS
"""Kept answers computed again in the background after a change: the most recently asked.
As many as are kept: each rep's Today is three small answers, and fewer would push the
leadership view out of the thread's list in an organisation of a dozen reps."""
log = logging.getLogger("backplan.web")
T = TypeVar("T")
# How long the fingerprint of the data is trusted before it is taken again: an
# import shows on the pages at most this many seconds late.
FRESH_SECONDS = 2.0
# A warehouse is asked less often: its aggregate is a query in the engine (seconds on Spark).
WAREHOUSE_FRESH_SECONDS = 60.0

_computing: ContextVar[bool] = ContextVar("backplan_computing", default=False)
"""Set while an answer is being computed (by a request or ahead): what it reads must be for
the data as they are, never an earlier answer, or it would be kept under the new data."""
_shown: ContextVar[list[datetime] | None] = ContextVar("backplan_figures_as_of", default=None)
"""Per request (``noting_figures_as_of``): when each earlier answer it was given was computed.
A list, so that what a request's worker threads add shows in the request's own context."""


@contextmanager
def noting_figures_as_of() -> Iterator[None]:
    """Note, for the request running inside, which earlier answers it is given."""
    token = _shown.set([])
    try:
        yield
    finally:
        _shown.reset(token)


def figures_as_of() -> datetime | None:
    """When this request's earliest answer was computed, if it was given an answer kept from
    before the latest import while the new one is being computed; else ``None``."""
    shown = _shown.get()
    return min(shown) if shown else None


class DataState(NamedTuple):
    """What the kept answers rest on (``_read_fingerprint``)."""

    events: str
    """The event store's files (or a warehouse's count and times) and the roster, hashed."""
    has_events: bool
    app: str
    """The app database's state (``services/app_state.py``)."""
    edits: str
    """The roster and the app database's state, hashed: what people change in the app."""


class Earlier(NamedTuple):
    """The latest answer kept for a question, whatever the data: what a request may be given
    while the answer for new events is computed."""

    key: tuple[object, ...]
    answer: object
    computed: datetime
    edits: str


class RatesCache:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._reports: OrderedDict[tuple[object, ...], RatesReport] = OrderedDict()
        self._views: dict[tuple[object, ...], dict[str, Any]] = {}
        self._kept: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple[object, ...], threading.Lock] = {}
        fresh = WAREHOUSE_FRESH_SECONDS if settings.events_url else FRESH_SECONDS
        self._state = Kept(self._read_fingerprint, fresh)
        self._asked_reports: OrderedDict[tuple[str, date | None, date | None], None] = OrderedDict()
        self._asked: OrderedDict[tuple[object, ...], Callable[[], object]] = OrderedDict()
        self._latest: OrderedDict[tuple[object, ...], Earlier] = OrderedDict()
        self._warmed: tuple[DataState, date] | None = None
        self._warm_done = threading.Condition()
        self._warmer: threading.Thread | None = None
        self._wake = threading.Event()
        self.compute_ahead = settings.compute_ahead
        """Whether a thread computes the remembered answers again when the data change."""

    def _once(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        """``compute()`` run by one thread per key at a time: the others wait for its answer
        (found in ``_reports`` or ``_kept`` by :meth:`_found` once it is stored)."""
        with self._lock:
            gate = self._computing.setdefault(key, threading.Lock())
        marked = _computing.set(True)
        try:
            with gate:
                found = self._found(key)
                return cast(T, found[0]) if found else compute()
        finally:
            _computing.reset(marked)
            with self._lock:
                if not gate.locked():
                    self._computing.pop(key, None)

    def _found(self, key: tuple[object, ...]) -> tuple[object] | None:
        with self._lock:
            if key in self._reports:
                self._reports.move_to_end(key)
                return (self._reports[key],)
            if key in self._kept:
                self._kept.move_to_end(key)
                return (self._kept[key],)
        return None

    def organisation(
        self, funnel: str, since: date | None, until: date | None, today: date
    ) -> RatesReport:
        """Every rep's rates for ``funnel`` over the window (default: last full quarter)."""

        return self._organisation(funnel, since, until, today)[1]

    def _organisation(
        self, funnel: str, since: date | None, until: date | None, today: date
    ) -> tuple[tuple[object, ...], RatesReport]:
        from backplan.services.rates import RatesRequest, load_roster, rates_report

        state = self._fingerprint()
        # The funnel's definition is part of the key: an admin may edit its stages.
        question = (funnel, organisation_funnel(self.settings, funnel), since, until, today)
        key = (*question, state.events)
        self._remember(self._asked_reports, (funnel, since, until), None)

        def fit() -> RatesReport:
            request = RatesRequest(funnel, since, until)
            report = rates_report(self.settings, request, today, roster=load_roster(self.settings))
            with self._lock:
                self._reports[key] = report
                while len(self._reports) > KEEP:
                    gone, _ = self._reports.popitem(last=False)
                    self._views = {k: v for k, v in self._views.items() if k[0] != gone}
            self._keep_latest(("rates", *question), key, report, state.edits)
            return report

        found = self._found(key)
        if found:
            return key, cast("RatesReport", found[0])
        earlier = self._earlier(("rates", *question), state, today)
        if earlier is not None and earlier.key in self._reports:
            return earlier.key, cast("RatesReport", earlier.answer)
        return key, self._once(key, fit)

    def view(
        self, kind: str, name: str, funnel: str, since: date | None, until: date | None, today: date
    ) -> dict[str, Any]:
        """A rep's (``kind="rep"``) or team's rows of the report as JSON-ready data, kept too."""
        from backplan.services.rates import report_to_dict

        key, _ = self._organisation(funnel, since, until, today)
        with self._lock:
            found = self._views.get((key, kind, name))
        if found is not None:
            return found
        part = self.for_rep if kind == "rep" else self.for_team
        data = report_to_dict(part(name, funnel, since, until, today))
        with self._lock:
            self._views[(key, kind, name)] = data
        return data

    def for_rep(
        self, rep: str, funnel: str, since: date | None, until: date | None, today: date
    ) -> RatesReport:
        """One rep's rows of the organisation's report, and their team's."""
        from backplan.services.lookup import find_rep

        report = self.organisation(funnel, since, until, today)
        key = find_rep(rep, report.table)
        table = report.table[report.table["rep"] == key].reset_index(drop=True)
        team = table["team"].iloc[0]
        teams = report.teams
        if not teams.empty:
            same = teams["team"].isna() if team is None or team != team else teams["team"] == team
            teams = teams[same].reset_index(drop=True)
        return dataclasses.replace(report, table=table, teams=teams)

    def for_team(
        self, team: str, funnel: str, since: date | None, until: date | None, today: date
    ) -> RatesReport:
        """A team's rows of the organisation's report."""
        from backplan.services.lookup import find_team

        report = self.organisation(funnel, since, until, today)
        name = find_team(team, report.table)
        table = report.table[report.table["team"] == name].reset_index(drop=True)
        teams = report.teams
        if not teams.empty:
            teams = teams[teams["team"] == name].reset_index(drop=True)
        return dataclasses.replace(report, table=table, teams=teams)

    def kept(self, parts: tuple[object, ...], compute: Callable[[], T]) -> T:
        """``compute()``'s answer, kept while the data and the day stay the same (a rep's
        trends or cadence, the leadership view, a team's diagnosis, an objective's progress),
        computed once per change however many requests ask at once. ``parts`` name the answer
        (e.g. ``("leadership", period, funnel, as_of)``); the answer is shared, so callers copy
        before changing it.
        """
        self._remember(self._asked, parts, compute)
        state = self._fingerprint()
        today = self.settings.clock.today()
        key = (state.events, state.app, today, *parts)
        found = self._found(key)
        if found:
            return cast(T, found[0])
        question = (today, *parts)
        earlier = self._earlier(question, state, today)
        if earlier is not None:
            return cast(T, earlier.answer)

        def keep() -> T:
            answer = compute()
            with self._lock:
                self._kept[key] = answer
                while len(self._kept) > KEEP_ANSWERS:
                    self._kept.popitem(last=False)
            self._keep_latest(question, key, answer, state.edits)
            return answer

        return self._once(key, keep)

    def _keep_latest(
        self, question: tuple[object, ...], key: tuple[object, ...], answer: object, edits: str
    ) -> None:
        """Remember ``answer`` as the latest for ``question``, whatever the data."""
        computed = self.settings.clock.moment()
        with self._lock:
            self._latest[question] = Earlier(key, answer, computed, edits)
            self._latest.move_to_end(question)
            while len(self._latest) > KEEP_ANSWERS:
                self._latest.popitem(last=False)

    def _earlier(
        self, question: tuple[object, ...], state: DataState, today: date
    ) -> Earlier | None:
        """The answer kept for ``question`` before new events arrived, when a request may have
        it while the thread computes the new one; noted for :func:`figures_as_of`."""
        if not self.compute_ahead or _computing.get():
            return None
        with self._lock:
            earlier = self._latest.get(question)
            warmed = self._warmed == (state, today)
        if earlier is None or warmed or earlier.edits != state.edits:
            return None  # no earlier answer, the thread is done, or someone edited in the app
        self._wake.set()
        shown = _shown.get()
        if shown is not None:
            shown.append(earlier.computed)
        return earlier

    def warm(self) -> bool:
        """Compute what was asked before for the data as they are now, unless done already
        for this fingerprint; whether anything was computed. A failing answer is left to the
        request that asks for it (which shows the error)."""
        state = (self._fingerprint(), self.settings.clock.today())
        if state == self._warmed:
            return False
        with self._lock:
            reports = list(reversed(self._asked_reports))
            answers = list(reversed(self._asked.items()))
        marked = _computing.set(True)
        try:
            for funnel, since, until in reports:  # the rates first: most answers need them
                self._quietly(self._organisation, funnel, since, until, state[1])
            for parts, compute in answers:
                self._quietly(self.kept, parts, compute)
        finally:
            _computing.reset(marked)
        with self._warm_done:
            self._warmed = state
            self._warm_done.notify_all()
        return True

    def wait_warm(self, timeout: float) -> bool:
        """Wait until the background thread has computed for the data as they are now."""
        with self._warm_done:
            return self._warm_done.wait_for(self._is_warm, timeout)

    def _is_warm(self) -> bool:
        return self._warmed == (self._fingerprint(), self.settings.clock.today())

    def _remember(
        self, asked: OrderedDict[Any, Any], key: Any, compute: Callable[[], object] | None
    ) -> None:
        with self._lock:
            asked[key] = compute
            asked.move_to_end(key)
            while len(asked) > WARM_AT_MOST:
                asked.popitem(last=False)
            if self._warmer is None and self.compute_ahead:
                # What is being asked now is computed for the data as they are: warm later changes.
                self._warmed = (self._state.get(), self.settings.clock.today())
                self._warmer = threading.Thread(
                    target=_keep_warm,
                    args=(weakref.ref(self), self._wake),
                    name="backplan-warm",
                    daemon=True,
                )
                self._warmer.start()

    @staticmethod
    def _quietly(compute: Callable[..., object], *args: Any) -> None:
        try:
            compute(*args)
        except Exception:  # the page that asks shows the error; nothing to keep
            log.debug("a kept answer could not be computed ahead", exc_info=True)

    def invalidate(self) -> None:
        """Take the fingerprint afresh on the next request (the roster was just edited here)."""
        self._state.forget()

    @property
    def fresh_seconds(self) -> float:
        """How long the fingerprint of the data is trusted (an import shows this late)."""
        return self._state.seconds

    @fresh_seconds.setter
    def fresh_seconds(self, seconds: float) -> None:
        self._state.seconds = seconds

    def has_events(self) -> bool:
        """Whether there are events to fit."""
        return self._fingerprint().has_events

    def _fingerprint(self) -> DataState:
        """The event store's files and the roster, hashed; whether there are any events; and
        the app database's state (``services/app_state.py``)."""
        return self._state.get()

    def _read_fingerprint(self) -> DataState:
        if self.settings.events_url:
            events, has_events = warehouse_state(self.settings)
        else:
            paths = event_files(self.settings)
            events, has_events = "\n".join(paths), bool(paths)
        roster = "\n".join("\t".join(map(str, r)) for r in roster_rows(self.settings))
        app = app_state(self.settings)
        return DataState(_hashed(events, roster), has_events, app, _hashed(roster, app))


def _hashed(*parts: str) -> str:
    return hashlib.sha256("\n--\n".join(parts).encode()).hexdigest()


def _keep_warm(cache: weakref.ref[RatesCache], wake: threading.Event) -> None:
    """The background thread: every ``FRESH_SECONDS``, or at once when a request was given an
    earlier answer, warm the cache if the data changed; ends once the cache is gone (the app
    was dropped)."""
    while True:
        wake.wait(FRESH_SECONDS)
        wake.clear()
        found = cache()
        if found is None:
            return
        try:
            found.warm()
        except Exception:  # the app database or the store is unreachable: try again later
            log.debug("could not warm the kept pages", exc_info=True)
        del found
