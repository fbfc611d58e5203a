"""A realistic demo organisation: teams, reps with their own rates, and a year of events.

``generate_demo(settings)`` writes the roster (teams, reps, time off) into the app
database and the events into the event store; ``make demo`` and the
benchmarks use it. Everything is drawn with NumPy from one seed, so the same
arguments give the same organisation.

The model, per rep (drawn once, so reps differ the way real ones do):

* conversion rates from Beta distributions around benchmark rates, first per
  team then per rep: dial → conversation 7%, conversation → meeting 1 in 7,
  meeting → SQL 1 in 3, opportunity → deal 1 in 4; a no-show rate near 20%;
* a channel mix (calls, emails, social messages) from a Dirichlet, a
  persistence (how many attempts before giving up, 6 to 12), an activity
  level and a deal-size multiplier.

Per prospect: a lead source (inbound and referrals answer more), a first
touch on a working day of its rep (seasonal: quiet August and December,
busy quarter ends; never on weekends or the rep's time off), then attempts
every one to four working days until the prospect answers or the rep gives
up. The chance of an answer per attempt rises to a peak at the 5th and 6th
attempt, so first responses come most often there. An answer is a
conversation (``connect``); then, each with the rep's rate, a meeting booked,
held or a no-show, an SQL, an opportunity, and a deal won or lost with a
log-normal value. Events after the last day are not there yet: the pipeline
at the end of the window is open, as in real data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from backplan.events.schema import EVENT_SCHEMA
from backplan.events.store import EventStore, write_parquet_batches
from backplan.services.warehouse import require_embedded_store

if TYPE_CHECKING:
    from backplan.config import Settings

BENCHMARK_RATES = {"connect": 0.07, "meeting": 1 / 7, "sql": 1 / 3, "won": 1 / 4}
NO_SHOW = 0.2
SQL_TO_OPP = 0.9
CHANNEL_MIX = (0.6, 0.3, 0.1)  # dial, email, social
SOURCES = ("Outbound list", "Inbound", "Referral", "Event", "Partner")
SOURCE_SHARE = (0.55, 0.18, 0.09, 0.1, 0.08)
SOURCE_RESPONSE = (0.8, 1.9, 2.2, 1.3, 1.4)
# Relative chance of an answer at attempts 1..12: most first answers come at the 5th-6th.
ATTEMPT_SHAPE = np.array([0.25, 0.4, 0.6, 0.9, 1.5, 1.5, 1.1, 0.8, 0.6, 0.5, 0.4, 0.35])
MAX_ATTEMPTS = len(ATTEMPT_SHAPE)
MONTH_WEIGHT = (0.9, 1.0, 1.15, 1.0, 1.0, 1.1, 0.85, 0.65, 1.05, 1.05, 1.05, 0.7)
WEEKDAY_WEIGHT = (1.05, 1.05, 1.0, 1.0, 0.85)
DEAL_SIZE = 12_000.0
PROSPECTS_PER_CHUNK = 150_000
TEAM_NAMES = (
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Enterprise",
    "Mid-Market",
    "SMB",
    "Nordics",
    "DACH",
    "Benelux",
    "Iberia",
)
FIRST_NAMES = (
    "Ana",
    "Ben",
    "Chloé",
    "David",
    "Elif",
    "Farah",
    "Giulia",
    "Hugo",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Marta",
    "Noah",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sami",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Yara",
    "Zoe",
    "Amir",
    "Bea",
    "Carlos",
    "Dana",
    "Emil",
)
LAST_NAMES = (
    "Silva",
    "Novak",
    "Okafor",
    "Berg",
    "Rossi",
    "Kim",
    "Haddad",
    "Moreau",
    "Jensen",
    "Garcia",
    "Tanaka",
    "Müller",
    "Costa",
    "Nowak",
    "Ivanova",
    "Dubois",
    "Ahmed",
    "Larsen",
    "Schmidt",
    "Reyes",
    "Lindqvist",
    "Mensah",
    "Petrov",
    "Nakamura",
    "Fischer",
)
EVENT_KINDS = (
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
)
K = {k: i for i, k in enumerate(EVENT_KINDS)}


@dataclass(frozen=True)
class DemoRep:
    """One rep of the demo organisation and the rates they were drawn with."""

    key: str
    name: str
    email: str
    team: str
    manager: str
    region: str
    start_date: date
    connect_rate: float
    meeting_rate: float
    sql_rate: float
    win_rate: float
    no_show_rate: float
    channel_mix: tuple[float, float, float]
    persistence: int
    activity: float
    deal_size: float
    time_off: tuple[tuple[date, date], ...]


@dataclass(frozen=True)
class DemoSummary:
    reps: int
    teams: int
    events: int
    prospects: int
    first_day: date
    last_day: date
    time_off_blocks: int
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return {
            "reps": self.reps,
            "teams": self.teams,
            "events": self.events,
            "prospects": self.prospects,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "time_off_blocks": self.time_off_blocks,
            "seconds": round(self.seconds, 2),
        }


def generate_demo(
    settings: Settings,
    *,
    reps: int = 24,
    events: int = 200_000,
    seed: int = 7,
    end: date | None = None,
    days: int = 365,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Write a demo organisation: roster and time off in the app DB, events in the store.

    ``end`` is the last day with events (default: yesterday, by the organisation's clock),
    ``days`` the length of the window.
    Running it again with the same arguments adds nothing (the event ids are the same).
    ``progress(done, total)`` is called as events are generated.
    """
    from backplan.services.demo.roster import save_demo_roster

    require_embedded_store(settings, "generating the demo's events")
    started = time.perf_counter()
    last = end or (settings.clock.today() - timedelta(days=1))
    first = last - timedelta(days=days - 1)
    roster = demo_roster(reps, seed=seed, first_day=first, last_day=last)
    save_demo_roster(settings, roster)
    written, prospects = _write(settings.home, roster, events, seed, first, last, progress)
    return DemoSummary(
        reps=len(roster),
        teams=len({r.team for r in roster}),
        events=written,
        prospects=prospects,
        first_day=first,
        last_day=last,
        time_off_blocks=sum(len(r.time_off) for r in roster),
        seconds=time.perf_counter() - started,
    )


def write_demo_events(
    home: Path,
    *,
    reps: int = 24,
    events: int = 200_000,
    seed: int = 7,
    end: date,
    days: int = 365,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write exactly ``events`` demo events of ``reps`` reps into the store of ``home`` (no roster).

    The fast path for benchmarks: vectorised NumPy and Arrow, one Parquet file
    per chunk, committed to the store in one atomic batch.
    """
    first = end - timedelta(days=days - 1)
    roster = demo_roster(reps, seed=seed, first_day=first, last_day=end)
    return _write(home, roster, events, seed, first, end, progress)[0]


def demo_event_batches(
    roster: list[DemoRep], events: int, *, seed: int, first_day: date, last_day: date
) -> Iterator[pa.RecordBatch]:
    """Record batches of ``EVENT_SCHEMA``, ``events`` rows in all (fewer only if ``events`` is 0)."""
    yield from _Generator(roster, seed, first_day, last_day).batches(events)


def demo_roster(reps: int, *, seed: int, first_day: date, last_day: date) -> list[DemoRep]:
    """The reps of the demo organisation, their teams and their rates."""
    if reps < 1:
        raise ValueError("a demo organisation needs at least one rep")
    rng = np.random.default_rng([seed, 1])
    team_count = max(1, -(-reps // 6))
    teams = [
        TEAM_NAMES[i % len(TEAM_NAMES)]
        + (f" {i // len(TEAM_NAMES) + 1}" if i >= len(TEAM_NAMES) else "")
        for i in range(team_count)
    ]
    regions = ("Americas", "EMEA", "APAC")
    names = _unique_names(rng, reps + team_count)
    managers = names[reps:]
    team_means = {
        rate: rng.beta(mean * 200, (1 - mean) * 200, team_count)
        for rate, mean in BENCHMARK_RATES.items()
    }
    out: list[DemoRep] = []
    window = (last_day - first_day).days + 1
    for i in range(reps):
        t = i % team_count
        name = names[i]
        key = name.lower().replace(" ", ".").replace("é", "e").replace("ü", "u")

        def draw(rate: str, concentration: float, team: int = t) -> float:
            m = float(team_means[rate][team])
            return float(rng.beta(m * concentration, (1 - m) * concentration))

        new_hire = rng.random() < 0.12
        start = (
            first_day + timedelta(days=int(rng.integers(30, max(31, window // 2))))
            if new_hire
            else first_day - timedelta(days=int(rng.integers(120, 1500)))
        )
        mix = rng.dirichlet(np.array(CHANNEL_MIX) * 20)
        out.append(
            DemoRep(
                key=key,
                name=name,
                email=f"{key}@demo.example",
                team=teams[t],
                manager=managers[t],
                region=regions[t % len(regions)],
                start_date=start,
                connect_rate=draw("connect", 120),
                meeting_rate=draw("meeting", 40),
                sql_rate=draw("sql", 30),
                win_rate=draw("won", 30),
                no_show_rate=float(rng.beta(NO_SHOW * 30, (1 - NO_SHOW) * 30)),
                channel_mix=(float(mix[0]), float(mix[1]), float(mix[2])),
                persistence=int(rng.integers(6, MAX_ATTEMPTS + 1)),
                activity=float(rng.lognormal(0, 0.25)),
                deal_size=float(rng.lognormal(0, 0.3)),
                time_off=_time_off(rng, max(start, first_day), last_day),
            )
        )
    return out


def _write(
    home: Path,
    roster: list[DemoRep],
    events: int,
    seed: int,
    first: date,
    last: date,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    generator = _Generator(roster, seed, first, last)

    def batches() -> Iterator[pa.RecordBatch]:
        done = 0
        for batch in generator.batches(events):
            yield batch
            done += batch.num_rows
            if progress:
                progress(done, events)

    store = EventStore(home)
    with store.writer() as writer:
        staged = writer.new_staging("demo")
        write_parquet_batches(staged, batches(), rows_per_file=2_500_000)
        result = writer.commit(staged, label="demo")
    return result.added, generator.prospects


class _Generator:
    def __init__(self, roster: list[DemoRep], seed: int, first: date, last: date) -> None:
        self.roster = roster
        self.seed = seed
        self.first = first
        self.prospects = 0
        reps = len(roster)
        ordinals = np.arange(first.toordinal(), last.toordinal() + 1)
        weekday = (ordinals + 6) % 7  # date.fromordinal(n).weekday()
        months = np.array([date.fromordinal(int(o)).month for o in ordinals])
        days = np.array([date.fromordinal(int(o)).day for o in ordinals])
        closed = (weekday >= 5) | ((months == 12) & (days >= 24)) | ((months == 1) & (days == 1))
        # Each rep's working days (day offsets from ``first``), padded to a rectangle.
        work: list[np.ndarray] = []
        for rep in roster:
            off = np.zeros(len(ordinals), bool)
            for a, b in rep.time_off:
                off |= (ordinals >= a.toordinal()) & (ordinals <= b.toordinal())
            off |= ordinals < rep.start_date.toordinal()
            work.append(np.flatnonzero(~closed & ~off))
        width = max(len(w) for w in work) + 1
        self.work = np.full((reps, width), -1, np.int64)
        self.work_len = np.array([len(w) for w in work])
        for i, w in enumerate(work):
            self.work[i, : len(w)] = w
        season = np.array(MONTH_WEIGHT)[months - 1] * np.where(
            weekday < 5, np.array((*WEEKDAY_WEIGHT, 0.0, 0.0))[weekday], 0.0
        )
        # Where each rep's prospects start: cumulative weights over their working days.
        self.start_cdf = np.zeros((reps, width))
        for i, w in enumerate(work):
            if len(w):
                c = np.cumsum(season[w])
                self.start_cdf[i, : len(w)] = c / c[-1]
                self.start_cdf[i, len(w) :] = 1.0
        # One increasing array: rep r's cumulative weights shifted by r, so one searchsorted
        # finds every prospect's start day within its own rep's days.
        self.start_flat = (self.start_cdf + np.arange(reps)[:, None]).ravel()
        share = np.array([r.activity for r in roster]) * self.work_len
        self.rep_share = np.cumsum(share) / share.sum() if share.sum() else None
        mix = np.array([r.channel_mix for r in roster])
        self.mix_cdf = np.cumsum(mix, axis=1)
        self.persistence = np.array([r.persistence for r in roster])
        shape_mean = np.array([ATTEMPT_SHAPE[: r.persistence].mean() for r in roster])
        source_mean = float(np.dot(SOURCE_SHARE, SOURCE_RESPONSE))
        # Answers per attempt = conversations/dials x share of dials, spread by ATTEMPT_SHAPE.
        base = (
            np.array([r.connect_rate * r.channel_mix[0] for r in roster]) / shape_mean / source_mean
        )
        self.hazard = np.minimum(base[:, None] * ATTEMPT_SHAPE[None, :], 0.9)
        self.rates = {
            name: np.array([getattr(r, f"{name}_rate") for r in roster])
            for name in ("meeting", "sql", "win", "no_show")
        }
        self.deal_size = np.array([r.deal_size for r in roster])
        self.rep_keys = pa.array([r.key for r in roster], pa.string())
        self.sources = pa.array(SOURCES, pa.string())
        self.kinds = pa.array(EVENT_KINDS, pa.string())
        self.epoch_us = (first.toordinal() - date(1970, 1, 1).toordinal()) * 86_400_000_000

    def batches(self, events: int) -> Iterator[pa.RecordBatch]:
        if self.rep_share is None or events <= 0:
            return
        remaining, chunk, next_id = events, 0, 0
        while remaining > 0:
            rng = np.random.default_rng([self.seed, 2, chunk])
            batch = self._chunk(rng, chunk, remaining, next_id)
            chunk += 1
            if batch.num_rows == 0:
                if chunk > 1000:
                    break  # the reps have no working day at all
                continue
            remaining -= batch.num_rows
            next_id += batch.num_rows
            yield batch

    def _chunk(
        self, rng: np.random.Generator, chunk: int, quota: int, first_id: int
    ) -> pa.RecordBatch:
        assert self.rep_share is not None
        # About 7 events a prospect: draw a few more prospects than the quota needs.
        n = min(PROSPECTS_PER_CHUNK, max(1000, int(quota / 7 * 1.2)))
        rep = np.searchsorted(self.rep_share, rng.random(n), side="right").clip(
            0, len(self.roster) - 1
        )
        width = self.start_cdf.shape[1]
        start = np.searchsorted(self.start_flat, rep + rng.random(n), side="right") - rep * width
        source = np.searchsorted(np.cumsum(SOURCE_SHARE), rng.random(n), side="right").clip(
            0, len(SOURCES) - 1
        )
        persistence = (self.persistence[rep] + rng.integers(-1, 2, n)).clip(3, MAX_ATTEMPTS)
        hazard = self.hazard[rep] * np.array(SOURCE_RESPONSE)[source][:, None]
        hit = rng.random((n, MAX_ATTEMPTS)) < hazard
        hit &= np.arange(1, MAX_ATTEMPTS + 1)[None, :] <= persistence[:, None]
        answered = hit.any(axis=1)
        answer_at = np.where(answered, hit.argmax(axis=1) + 1, 0)
        attempts = np.where(answered, answer_at, persistence)

        # Attempts: prospect-major rows, every 1-4 working days.
        prospect = np.repeat(np.arange(n), attempts)
        group_start = np.cumsum(attempts) - attempts
        number = np.arange(len(prospect)) - np.repeat(group_start, attempts) + 1
        gap = np.where(number == 1, 0, 1 + rng.geometric(0.55, len(prospect)).clip(max=4) - 1)
        offset = np.cumsum(gap)
        offset -= np.repeat(offset[group_start], attempts)
        a_rep = rep[prospect]
        a_day = start[prospect] + offset
        channel = (self.mix_cdf[a_rep] < rng.random(len(prospect))[:, None]).sum(axis=1).clip(0, 2)
        a_secs = _work_seconds(rng, len(prospect))
        parts: list[tuple[np.ndarray, ...]] = [
            (prospect, a_rep, a_day, a_secs, channel, np.full(len(prospect), np.nan), number)
        ]

        # The answer: a conversation right after the attempt that got it.
        last = group_start + attempts - 1
        who = np.flatnonzero(answered)
        c_idx = last[who]
        c_secs = a_secs[c_idx] + rng.integers(30, 300, len(who))
        c_day = a_day[c_idx]
        parts.append(_part(who, rep, c_day, c_secs, K["connect"], 100))
        r = rep[who]
        booked = rng.random(len(who)) < self.rates["meeting"][r]
        b = who[booked]
        b_day, b_secs = c_day[booked], c_secs[booked] + rng.integers(60, 900, len(b))
        parts.append(_part(b, rep, b_day, b_secs, K["meeting_booked"], 101))
        h_day = b_day + rng.integers(2, 11, len(b))
        h_secs = _work_seconds(rng, len(b))
        no_show = rng.random(len(b)) < self.rates["no_show"][rep[b]]
        parts.append(_part(b[no_show], rep, h_day[no_show], h_secs[no_show], K["no_show"], 102))
        held = ~no_show
        hb, hd, hs = b[held], h_day[held], h_secs[held]
        parts.append(_part(hb, rep, hd, hs, K["meeting_held"], 102))
        p_sql = np.minimum(1.0, self.rates["sql"][rep[hb]] / (1 - self.rates["no_show"][rep[hb]]))
        sql = rng.random(len(hb)) < p_sql
        s, s_day = hb[sql], hd[sql] + rng.integers(0, 4, int(sql.sum()))
        s_secs = np.maximum(hs[sql] + 1800, _work_seconds(rng, len(s)))
        parts.append(_part(s, rep, s_day, s_secs, K["sql"], 103))
        opp = rng.random(len(s)) < SQL_TO_OPP
        o, o_day = s[opp], s_day[opp] + rng.integers(0, 6, int(opp.sum()))
        o_secs = s_secs[opp] + rng.integers(600, 7200, len(o))
        parts.append(_part(o, rep, o_day, o_secs, K["opp"], 104))
        won = rng.random(len(o)) < self.rates["win"][rep[o]]
        close_day = o_day + np.maximum(1, np.round(rng.lognormal(np.log(25), 0.5, len(o)))).astype(
            np.int64
        )
        close_secs = _work_seconds(rng, len(o))
        amount = np.round(
            rng.lognormal(np.log(DEAL_SIZE) - 0.4, 0.9, len(o)) * self.deal_size[rep[o]], -1
        )
        parts.append(
            _part(o[won], rep, close_day[won], close_secs[won], K["won"], 105, amount[won])
        )
        parts.append(
            _part(o[~won], rep, close_day[~won], close_secs[~won], K["lost"], 105, amount[~won])
        )

        p, rp, day, secs, kind, amt, order = (np.concatenate(x) for x in zip(*parts, strict=True))
        # Days past the rep's last working day have not happened yet.
        inside = day < self.work_len[rp]
        p, rp, day, secs, kind, amt, order = (
            x[inside] for x in (p, rp, day, secs, kind, amt, order)
        )
        sort = np.lexsort((order, day, p))
        p, rp, day, secs, kind, amt = (x[sort] for x in (p, rp, day, secs, kind, amt))
        if len(p) > quota:
            p, rp, day, secs, kind, amt = (x[:quota] for x in (p, rp, day, secs, kind, amt))
        self.prospects += len(np.unique(p))
        calendar_day = self.work[rp, day]
        at = self.epoch_us + calendar_day * 86_400_000_000 + np.minimum(secs, 86_399) * 1_000_000
        ids = pa.array(np.arange(first_id, first_id + len(p)), pa.int64()).cast(pa.string())
        prospect_ids = pa.array(p + chunk * PROSPECTS_PER_CHUNK, pa.int64()).cast(pa.string())
        table = pa.table(
            {
                "event_id": pc.binary_join_element_wise(f"demo{self.seed}-", ids, ""),
                "rep": self.rep_keys.take(pa.array(rp)),
                "at": pa.array(at, pa.timestamp("us", tz="UTC")),
                "kind": self.kinds.take(pa.array(kind)),
                "prospect": pc.binary_join_element_wise(f"p{self.seed}-", prospect_ids, ""),
                "amount": pa.array(amt, pa.float64(), mask=np.isnan(amt)),
                "source": self.sources.take(pa.array(source[p])),
            },
            schema=EVENT_SCHEMA,
        )
        if table.num_rows == 0:
            return pa.RecordBatch.from_pylist([], schema=EVENT_SCHEMA)
        return table.sort_by("at").combine_chunks().to_batches()[0]


def _part(
    who: np.ndarray,
    rep: np.ndarray,
    day: np.ndarray,
    secs: np.ndarray,
    kind: int,
    order: int,
    amount: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    n = len(who)
    return (
        who,
        rep[who],
        day,
        secs,
        np.full(n, kind),
        amount if amount is not None else np.full(n, np.nan),
        np.full(n, order),
    )


def _work_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Times of day in working hours, busiest mid-morning and mid-afternoon."""
    hour = np.where(rng.random(n) < 0.55, rng.normal(10.3, 1.2, n), rng.normal(15.0, 1.3, n))
    return (hour.clip(8, 17.9) * 3600).astype(np.int64)


def _time_off(rng: np.random.Generator, first: date, last: date) -> tuple[tuple[date, date], ...]:
    span = (last - first).days
    if span < 40:
        return ()
    blocks: list[tuple[date, date]] = []
    for _ in range(int(rng.integers(2, 5))):
        start = first + timedelta(days=int(rng.integers(0, span - 14)))
        end = start + timedelta(days=int(rng.integers(3, 14)))
        if all(end < a or start > b for a, b in blocks):
            blocks.append((start, end))
    return tuple(sorted(blocks))


def _unique_names(rng: np.random.Generator, n: int) -> list[str]:
    pairs = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
    order = rng.permutation(len(pairs))
    names = [pairs[i] for i in order[: min(n, len(pairs))]]
    i = 2
    while len(names) < n:
        names += [f"{pairs[j]} {i}" for j in order[: n - len(names)]]
        i += 1
    return names
