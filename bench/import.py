"""Importing a large CSV of events into the store, against DuckDB's own CSV-to-Parquet copy.

Generates N demo events (``backplan.services.demo.generator.write_demo_events``), writes
them as one CSV, then times, each in a fresh process so peak memory is its
own:

* baseline: ``COPY (SELECT * FROM read_csv(file)) TO 'x.parquet'`` in DuckDB;
* import:   ``backplan import file --mapping events`` into an empty store
  (every row checked, ids checked for repeats, atomic commit);
* re-import of the same file into the now full store (everything a duplicate).

Each is run ``--rounds`` times, alternating, and the fastest run counts (the
machine may be shared). Goal: import / baseline <= 1.2, peak memory <= 2 GiB. The CPU
seconds of each step (user + system, all threads) are printed too: on a busy machine
they vary much less than the elapsed time, so their ratio shows a change more surely.

    python bench/import.py                  # 10M events
    python bench/import.py --events 500000  # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

BASELINE = """
import duckdb, json, resource, sys, time
start, cpu = time.perf_counter(), time.process_time()
con = duckdb.connect()
con.execute(f"COPY (SELECT * FROM read_csv('{sys.argv[1]}')) TO '{sys.argv[2]}' (FORMAT parquet)")
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
rows = con.execute(f"SELECT count(*) FROM read_parquet('{sys.argv[2]}')").fetchone()[0]
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": rows,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

IMPORT = """
import json, resource, sys, time
from pathlib import Path
from backplan.services.importing import ImportRequest, import_file
from backplan.config import Settings
settings = Settings(home=Path(sys.argv[2]))
start, cpu = time.perf_counter(), time.process_time()
summary = import_file(settings, ImportRequest(Path(sys.argv[1]), "events", add_reps=True))
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": cpu, "added": summary.added, "duplicates": summary.duplicates,
                  "rejected": summary.rejected,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, *args: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise SystemExit(f"benchmark step failed:\n{result.stderr}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", type=int, default=int(os.environ.get("BENCH_EVENTS", 10_000_000))
    )
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 2)))
    parser.add_argument("--dir", type=Path, default=None, help="Work folder (default: a temp dir).")
    args = parser.parse_args()

    from backplan.events.schema import events_glob
    from backplan.services.demo.generator import write_demo_events

    work = Path(args.dir or tempfile.mkdtemp(prefix="backplan-bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        write_demo_events(
            work / "gen", reps=args.reps, events=args.events, seed=7, end=date(2025, 6, 30)
        )
        generated = time.perf_counter() - start
        csv = work / "events.csv"
        import duckdb

        con = duckdb.connect()
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{events_glob(work / 'gen')}')) TO '{csv}' (HEADER)"
        )
        con.close()
        shutil.rmtree(work / "gen")
        size_mib = csv.stat().st_size / 2**20

        baselines, imports = [], []
        for i in range(args.rounds):
            target = work / f"baseline-{i}.parquet"
            baselines.append(child(BASELINE, str(csv), str(target)))
            target.unlink()
            home = work / f"home-{i}"
            imports.append(child(IMPORT, str(csv), str(home)))
            if i < args.rounds - 1:
                shutil.rmtree(home)
        again = child(IMPORT, str(csv), str(work / f"home-{args.rounds - 1}"))

        base = min(b["seconds"] for b in baselines)
        best = min(imports, key=lambda r: r["seconds"])
        ratio = best["seconds"] / base
        base_cpu = min(b["cpu"] for b in baselines)
        best_cpu = min(r["cpu"] for r in imports)
        peak = max(r["peak_mib"] for r in imports)
        print(f"events: {args.events:,} of {args.reps} reps; CSV {size_mib:,.0f} MiB")
        print(f"demo generator (write_demo_events): {generated:8.2f} s")
        base_runs = ", ".join(f"{b['seconds']:.2f}" for b in baselines)
        import_runs = ", ".join(f"{r['seconds']:.2f}" for r in imports)
        base_peak = max(b["peak_mib"] for b in baselines)
        print(
            f"baseline DuckDB read_csv -> Parquet: {base:8.2f} s   "
            f"(runs: {base_runs}; peak {base_peak:,.0f} MiB; CPU {base_cpu:.2f} s)"
        )
        print(
            f"backplan import (events mapping):    {best['seconds']:8.2f} s   "
            f"(runs: {import_runs}; added {int(best['added']):,}, "
            f"rejected {int(best['rejected'])}; CPU {best_cpu:.2f} s)"
        )
        print(
            f"re-import, all duplicates:           {again['seconds']:8.2f} s   "
            f"(added {int(again['added'])}, duplicates {int(again['duplicates']):,})"
        )
        print(f"ratio import / baseline:             {ratio:8.2f}     (goal <= 1.2)")
        print(f"ratio of CPU seconds:                {best_cpu / base_cpu:8.2f}")
        print(f"peak memory of the import:           {peak:8,.0f} MiB (goal <= 2048)")
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
