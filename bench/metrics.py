"""Per-rep monthly funnel counts and rates on a large event store: backplan vs SQL vs pandas.

Generates the demo organisation's year of events (backplan.services.demo.generator) as the embedded
Parquet store, then, each in a fresh
process (so peak memory is each method's own), counts every rep's stages per month:

- backplan: the metrics layer's Ibis expression (``stage_counts``) on the embedded DuckDB,
  which reads the daily rollups kept beside the events (``events/rollup.py``);
- scan: the same expression over the events themselves (as before the rollups);
- sql: one hand-written DuckDB SQL query computing the same counts;
- pandas: a straightforward pandas version (read, filter, group, pivot).

It checks the results are identical, prints time and peak memory with ratios
against SQL, and times the rates (empirical-Bayes fits for every rep and conversion).

    python bench/metrics.py                          # 10M events, 2,000 reps
    python bench/metrics.py --events 1000000 --reps 200   # a quick run
    BENCH_EVENTS=1000000 BENCH_REPS=200 make bench
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backplan.events.schema import events_dir, events_glob
from backplan.services.demo.generator import demo_roster, write_demo_events

KINDS = [
    "dial",
    "connect",
    "email",
    "social",
    "meeting_booked",
    "meeting_held",
    "sql",
    "won",
    "lost",
]
WEIGHTS = [0.60, 0.09, 0.14, 0.05, 0.04, 0.03, 0.02, 0.015, 0.015]
STAGES = {"dials": "dial", "conversations": "connect", "meetings": "meeting_booked",
          "sqls": "sql", "deals": "won"}  # fmt: skip
YEAR = (date(2026, 1, 1), date(2026, 12, 31))
METHODS = ("backplan", "scan", "sql", "pandas")


def generate(home: Path, events: int, reps: int, seed: int = 2026) -> None:
    """The demo organisation's year of events (2026) in the store of ``home``."""
    write_demo_events(home, reps=reps, events=events, seed=seed, end=YEAR[1], days=365)


def roster(reps: int, seed: int = 2026) -> pd.DataFrame:
    """The demo organisation's reps and teams, as the metrics layer joins them."""
    people = demo_roster(reps, seed=seed, first_day=YEAR[0], last_day=YEAR[1])
    return pd.DataFrame(
        {
            "rep": [p.key for p in people],
            "name": [p.name for p in people],
            "team": [p.team for p in people],
            "manager": [p.manager for p in people],
        }
    )


# -- the three ways to count -------------------------------------------------------------------


def run_backplan(home: Path, people: pd.DataFrame) -> pd.DataFrame:
    from backplan.core.period import Period
    from backplan.defaults import funnel
    from backplan.metrics import read_store, stage_counts

    counts = stage_counts(
        read_store(home), funnel("outbound"), Period(*YEAR), grain="month", roster=people
    )
    return counts.to_pandas()


def run_scan(home: Path, people: pd.DataFrame) -> pd.DataFrame:
    from backplan.core.period import Period
    from backplan.defaults import funnel
    from backplan.events.schema import EVENT_COLUMNS
    from backplan.metrics import read_store, stage_counts

    events = read_store(home).select(*EVENT_COLUMNS)  # a derived table: no rollup attached
    counts = stage_counts(events, funnel("outbound"), Period(*YEAR), grain="month", roster=people)
    return counts.to_pandas()


def run_sql(home: Path, people: pd.DataFrame) -> pd.DataFrame:
    import duckdb

    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    db.register("roster", people)
    counted = ",\n".join(
        f"count(*) FILTER (WHERE kind = '{kind}') AS {stage}" for stage, kind in STAGES.items()
    )
    kinds = ", ".join(f"'{k}'" for k in STAGES.values())
    # Aggregate first, then attach names and teams: the query a careful analyst writes.
    return db.sql(f"""
        WITH monthly AS (
            SELECT rep, date_trunc('month', CAST("at" AS DATE)) AS period,
                   {counted},
                   sum(amount) FILTER (WHERE kind = 'won') AS deals_value
            FROM read_parquet('{events_glob(home)}')
            WHERE "at" >= TIMESTAMPTZ '2026-01-01 00:00:00+00'
              AND "at" < TIMESTAMPTZ '2027-01-01 00:00:00+00'
              AND kind IN ({kinds})
            GROUP BY ALL
        )
        SELECT m.*, r.name, r.team FROM monthly m LEFT JOIN roster r USING (rep)
    """).df()


def run_pandas(home: Path, people: pd.DataFrame) -> pd.DataFrame:
    events = pd.read_parquet(events_dir(home), columns=["rep", "at", "kind", "amount"])
    start, end = pd.Timestamp("2026-01-01", tz="UTC"), pd.Timestamp("2027-01-01", tz="UTC")
    events = events[(events["at"] >= start) & (events["at"] < end)]
    events = events[events["kind"].isin(list(STAGES.values()))]
    events["period"] = events["at"].dt.tz_localize(None).dt.to_period("M").dt.start_time
    counts = events.groupby(["rep", "period", "kind"]).size().unstack("kind", fill_value=0)
    counts = counts.rename(columns={kind: stage for stage, kind in STAGES.items()})
    won = events[events["kind"] == "won"].groupby(["rep", "period"])["amount"].sum()
    counts = counts.reindex(columns=list(STAGES), fill_value=0)
    counts["deals_value"] = won
    counts = counts.reset_index().merge(people[["rep", "name", "team"]], on="rep", how="left")
    return counts


RUNNERS = {"backplan": run_backplan, "scan": run_scan, "sql": run_sql, "pandas": run_pandas}


def load_libraries(method: str) -> None:
    """Import what a method needs before the memory baseline, so only its work is measured."""
    if method in ("backplan", "scan"):
        import backplan.metrics  # noqa: F401  (brings Ibis and DuckDB)
    elif method == "sql":
        import duckdb  # noqa: F401


def child(method: str, home: Path, reps: int, repeat: int, out: Path) -> None:
    """One method in this process: warm up, time ``repeat`` runs, report peak memory."""
    people = roster(reps)
    run = RUNNERS[method]
    load_libraries(method)
    before = memory_kb("VmRSS")
    times = []
    result = pd.DataFrame()
    for _ in range(repeat + 1):  # the first run pays imports and compilation: not timed
        t0 = time.perf_counter()
        result = run(home, people)
        times.append(time.perf_counter() - t0)
    peak = memory_kb("VmHWM")
    normalised(result).to_parquet(out / f"result-{method}.parquet")
    print(json.dumps({
        "method": method, "first": times[0], "best": min(times[1:]),
        "median": float(np.median(times[1:])), "peak_mb": (peak - before) / 1024, "rows": len(result),
    }))  # fmt: skip


def memory_kb(field: str) -> int:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM), in kB.

    Read from /proc rather than getrusage: Linux carries ru_maxrss over an exec, so a
    child would inherit the generator's peak.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    columns = ["rep", "name", "team", "period", *STAGES, "deals_value"]
    out = frame.loc[:, columns].copy()
    out["period"] = pd.to_datetime(out["period"]).dt.date.astype(str)
    for stage in STAGES:
        out[stage] = out[stage].astype("int64")
    out["deals_value"] = out["deals_value"].astype("float64")
    for key in ("rep", "name", "team"):
        out[key] = out[key].astype("string")
    return out.sort_values(["rep", "period"]).reset_index(drop=True)


def time_rates(home: Path, reps: int) -> tuple[float, int]:
    """The rates for every rep and conversion over the year, from the per-rep counts."""
    from backplan.core.period import Period
    from backplan.defaults import funnel
    from backplan.metrics import read_store
    from backplan.services.rates import conversion_counts, estimate_rates

    outbound, year = funnel("outbound"), Period(*YEAR)
    counts = conversion_counts(read_store(home), outbound, year, roster=roster(reps))
    t0 = time.perf_counter()
    report = estimate_rates(counts, outbound, year)
    return time.perf_counter() - t0, len(report.table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--events", type=int, default=int(os.environ.get("BENCH_EVENTS", 10_000_000))
    )
    parser.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", 2_000)))
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 3)))
    parser.add_argument("--home", type=Path, help="Reuse (or keep) the generated store here.")
    parser.add_argument("--run", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        child(args.run, args.home, args.reps, args.repeat, args.out)
        return

    with tempfile.TemporaryDirectory(prefix="backplan-bench-") as scratch:
        home = args.home or Path(scratch) / "home"
        if not any(events_dir(home).rglob("*.parquet")):
            t0 = time.perf_counter()
            generate(home, args.events, args.reps)
            print(f"generated {args.events:,} events for {args.reps:,} reps in "
                  f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        size = sum(p.stat().st_size for p in events_dir(home).rglob("*.parquet")) / 2**20
        print(f"store: {size:,.0f} MB of Parquet; per-rep monthly funnel for 2026, "
              f"best of {args.repeat} after a warm-up run, each method in its own process")  # fmt: skip
        results: dict[str, dict[str, Any]] = {}
        for method in METHODS:
            command = [sys.executable, __file__, "--run", method, "--home", str(home),
                       "--reps", str(args.reps), "--repeat", str(args.repeat), "--out", scratch]  # fmt: skip
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            results[method] = json.loads(output.strip().splitlines()[-1])

        frames = {m: pd.read_parquet(Path(scratch) / f"result-{m}.parquet") for m in METHODS}
        for method in ("scan", "sql", "pandas"):
            pd.testing.assert_frame_equal(frames["backplan"], frames[method], check_dtype=False)
        print(f"all four give the same {results['sql']['rows']:,} rep-month rows\n")

        sql = results["sql"]
        print(f"{'method':<10}{'first run':>11}{'best':>9}{'× sql':>8}{'peak MB':>10}{'× sql':>8}")
        for method in METHODS:
            r = results[method]
            print(
                f"{method:<10}{r['first']:>10.2f}s{r['best']:>8.2f}s{r['best'] / sql['best']:>8.2f}"
                f"{r['peak_mb']:>10.0f}{r['peak_mb'] / max(sql['peak_mb'], 1):>8.2f}"
            )
        ratio = results["backplan"]["best"] / sql["best"]
        verdict = "meets" if ratio <= 1.3 else "misses"
        scan = results["scan"]["best"] / sql["best"]
        print(f"\nscan of the events / hand-written SQL = {scan:.2f}×; with the rollups "
              f"{results['backplan']['best'] / results['scan']['best']:.2f}× the scan")  # fmt: skip
        print(f"backplan / hand-written SQL = {ratio:.2f}× ({verdict} the ≤ 1.3× goal); "
              f"pandas / SQL = {results['pandas']['best'] / sql['best']:.1f}×")  # fmt: skip
        seconds, rows = time_rates(home, args.reps)
        print(f"rates: {rows:,} rep × conversion estimates (empirical Bayes, 80% intervals) "
              f"fitted in {seconds:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
