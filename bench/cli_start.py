"""How fast the ``backplan`` command starts, against a bare Typer + Rich program.

Runs, in turns so that a busy machine slows all of them alike, ``backplan
--help``, the seed case's ``backplan plan`` (S1: no data needed) and a bare
Typer + Rich program written to a temporary file (its ``--help``, and a
command that prints a Rich table). Each is a fresh process; prints the median
wall time of each over ``--runs`` runs and the ratios: ``--help`` against the
bare program's help, ``plan`` against the bare program's table.

    python bench/cli_start.py --runs 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = '''
import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(rich_markup_mode="rich", help="A bare Typer + Rich program.")


@app.command()
def table(objective: str = typer.Option("4 sqls", help="What to reach.")) -> None:
    """Print a small Rich table."""
    t = Table(title=objective)
    t.add_column("stage")
    t.add_column("per working day", justify="right")
    for stage, n in (("dials", 60), ("conversations", 4.2), ("meetings", 0.6)):
        t.add_row(stage, f"{n:g}")
    Console().print(t)


@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    Console().print(f"[bold]hello[/] {name}")


app()
'''

S1 = [
    "plan",
    "--objective",
    "4 sqls",
    "--rate",
    "conversations/dials=0.07",
    "--rate",
    "meetings/conversations=1/7",
    "--rate",
    "sqls/meetings=1/3",
    "--working-days",
    "20",
]


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    backplan = str(Path(sys.executable).with_name("backplan"))
    with tempfile.TemporaryDirectory(prefix="backplan-bench-cli-") as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        home = Path(tmp) / "home"
        home.mkdir()
        env = {**os.environ, "BACKPLAN_HOME": str(home), "COLUMNS": "100"}
        commands = {
            "bare Typer + Rich --help": [sys.executable, str(bare), "--help"],
            "bare Typer + Rich table": [sys.executable, str(bare), "table"],
            "backplan --help": [backplan, "--help"],
            "backplan plan (S1)": [backplan, *S1],
        }
        for command in commands.values():  # warm the file cache and bytecode
            timed(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(timed(command, env))
    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"median wall time of {args.runs} runs each, fresh processes, in turns")
    for name, seconds in median.items():
        print(f"{name:<26} {seconds * 1e3:7.0f} ms")
    help_ratio = median["backplan --help"] / median["bare Typer + Rich --help"]
    plan_ratio = median["backplan plan (S1)"] / median["bare Typer + Rich table"]
    print(f"backplan --help / bare --help: {help_ratio:.2f}× (goal ≤ 2×)")
    print(f"backplan plan S1 / bare table: {plan_ratio:.2f}× (goal ≤ 3×)")
    bare_help = median["backplan plan (S1)"] / median["bare Typer + Rich --help"]
    print(f"backplan plan S1 / bare --help: {bare_help:.2f}×")


if __name__ == "__main__":
    main()
