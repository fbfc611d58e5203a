"""The same commands on the embedded store and on a local Spark session, side by side.

For each size, a demo organisation is generated into a temporary home; then
`backplan rates`, `forecast` and `leadership` run as fresh processes, first on
the embedded store, then with ``BACKPLAN_EVENTS_URL=pyspark://`` reading the
same Parquet files, then on Spark again once `backplan warehouse rollup` has
materialised the daily counts beside them (``BACKPLAN_ROLLUP_TABLE``, a Parquet
folder; the rollup's own run is a row too). Each run prints its wall time, the
peak memory of its whole process tree (Python and, on Spark, the JVM it
starts), whether its answer is the embedded store's, and its ratio to the
embedded run of the same run.

    python bench/warehouse.py                       # 100k and 1M events, 24 reps
    python bench/warehouse.py --events 100000 --reps 50
    python bench/warehouse.py --events 300000 --no-plain-spark   # Spark with the rollup only
    python bench/warehouse.py --events 1000000 --repeat 3        # best of 3 runs per row

Spark runs ``local[*]`` with shuffle partitions sized for one machine (the
URL's query, ``SPARK_URL``) and 2 GB of driver memory without the UI (fixed
when the JVM starts, so in ``PYSPARK_SUBMIT_ARGS``). Needs Java 17 on the PATH.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPARK_URL = "pyspark://?spark.sql.shuffle.partitions=4"
SPARK_SUBMIT = (  # settings fixed when the JVM starts cannot go in the URL
    "--driver-memory 2g --conf spark.ui.enabled=false "
    "--conf spark.ui.showConsoleProgress=false pyspark-shell"
)
TODAY = "2026-10-16T10:00"
COMMANDS = {
    "rates": "rates --since 2026-07-01 --until 2026-09-30",
    "forecast": "forecast --team North --objective 60_sqls --period 2026-10 --as-of 2026-10-15",
    "leadership": "leadership --period 2026-10 --as-of 2026-10-15",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--reps", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs per row")
    parser.add_argument(
        "--no-plain-spark", action="store_true", help="leave out Spark without the rollup"
    )
    args = parser.parse_args()
    print(f"{'events':>10} {'reps':>5} {'command':<10} {'engine':<13} {'seconds':>8} "
          f"{'peak MB':>8} {'ratio':>6}  same")  # fmt: skip
    for events in args.events:
        with tempfile.TemporaryDirectory(prefix="backplan-bench-") as home:
            env = {**os.environ, "BACKPLAN_HOME": home, "BACKPLAN_TODAY": TODAY}
            demo = ["demo-data", "--reps", str(args.reps), "--events", str(events)]
            _backplan([*demo, "--end", "2026-10-15"], env)
            spark = {
                **env,
                "BACKPLAN_EVENTS_URL": SPARK_URL,
                "BACKPLAN_EVENTS_TABLE": f"{home}/events/*/*.parquet",
                "PYSPARK_SUBMIT_ARGS": SPARK_SUBMIT,
            }
            rolled = {**spark, "BACKPLAN_ROLLUP_TABLE": f"{home}/daily-counts/"}
            engines = {"spark": spark} if not args.no_plain_spark else {}
            bases = {}
            for name, words in COMMANDS.items():
                command = [w.replace("_", " ") for w in words.split()] + ["--json"]
                bases[name] = _best(command, env, args.repeat)
                _row(events, args.reps, name, "embedded", bases[name][0], bases[name][0], "")
                for engine, engine_env in engines.items():
                    run, out = _best(command, engine_env, args.repeat)
                    same = "yes" if out == bases[name][1] else "NO"
                    _row(events, args.reps, name, engine, run, bases[name][0], same)
            made, _ = _measure(["warehouse", "rollup", "--json"], rolled)
            _row(events, args.reps, "rollup", "spark", made, None, "")
            for name, words in COMMANDS.items():
                command = [w.replace("_", " ") for w in words.split()] + ["--json"]
                run, out = _best(command, rolled, args.repeat)
                same = "yes" if out == bases[name][1] else "NO"
                _row(events, args.reps, name, "spark+rollup", run, bases[name][0], same)


def _row(
    events: int, reps: int, name: str, engine: str, run: tuple[float, float],
    base: tuple[float, float] | None, same: str,
) -> None:  # fmt: skip
    seconds, peak = run
    ratio = "" if base is None else f"{seconds / base[0]:.1f}×"
    print(f"{events:>10,} {reps:>5} {name:<10} {engine:<13} {seconds:>8.1f} {peak:>8.0f} "
          f"{ratio:>6}  {same}", flush=True)  # fmt: skip


def _backplan(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from backplan.cli import main; main()", *args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if args[0] == "demo-data":
        _, err = process.communicate()
        if process.returncode:
            sys.exit(err.decode())
    return process


def _best(
    command: list[str], env: dict[str, str], repeat: int
) -> tuple[tuple[float, float], bytes]:
    """The fastest of ``repeat`` runs (each a fresh process), with its peak and stdout."""
    return min((_measure(command, env) for _ in range(repeat)), key=lambda run: run[0][0])


def _measure(command: list[str], env: dict[str, str]) -> tuple[tuple[float, float], bytes]:
    """Wall seconds and peak MB of the process tree's summed resident memory, and stdout."""
    started = time.perf_counter()
    process = _backplan(command, env)
    peak = 0
    out = bytearray()
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(0.05)
    out += process.stdout.read() if process.stdout else b""
    seconds = time.perf_counter() - started
    if process.returncode:
        err = process.stderr.read().decode() if process.stderr else ""
        sys.exit(f"backplan {' '.join(command)} failed:\n{err[-2000:]}")
    return (seconds, peak / 2**20), bytes(out)


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


if __name__ == "__main__":
    main()
