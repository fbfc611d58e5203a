"""Commands load their modules only when they run: the index stands in for them until then."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import typer
from typer.main import get_group
from typer.testing import CliRunner

from backplan.cli import app
from backplan.cli.lazy import COMMANDS, load

runner = CliRunner()

HEAVY = ("scipy", "pandas", "ibis", "sqlalchemy", "duckdb", "numpy")


def first_paragraph(command: object) -> str:
    text = getattr(command, "short_help", None) or getattr(command, "help", None) or ""
    return inspect.cleandoc(text).split("\n\n")[0]


def test_the_index_names_every_command_in_its_module_with_its_own_summary() -> None:
    for name, entry in COMMANDS.items():
        command = load(entry.module).commands.get(name)
        assert command is not None, f"backplan.cli.{entry.module} registers no {name!r}"
        assert first_paragraph(command) == entry.summary, name


def test_the_index_lists_the_commands_as_registering_them_all_would() -> None:
    everything = typer.Typer(rich_markup_mode="rich")
    for module in dict.fromkeys(entry.module for entry in COMMANDS.values()):
        load(module)  # imports it
        sys.modules[f"backplan.cli.{module}"].register(everything)
    eager = get_group(everything)
    assert sorted(eager.commands) == sorted(COMMANDS)


def test_a_command_runs_and_shows_its_own_help_once_loaded() -> None:
    result = runner.invoke(app, ["okr", "--help"])
    assert result.exit_code == 0
    assert "create" in result.output
    result = runner.invoke(app, ["plann"])
    assert result.exit_code == 2
    assert "Did you mean 'plan'?" in result.output


def loaded_after(args: list[str], home: Path) -> set[str]:
    """The heavy libraries a fresh ``backplan ARGS`` process has imported when it ends."""
    script = (
        "import sys\n"
        "from backplan.cli import main\n"
        f"sys.argv = ['backplan', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        f"print('loaded:' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"BACKPLAN_HOME": str(home), "PYTHONPATH": ":".join(sys.path)},
        check=True,
    )
    loaded = done.stderr.strip().splitlines()[-1].removeprefix("loaded:")
    return {m for m in loaded.split(",") if m}


def test_help_loads_no_statistics_data_or_storage_library(backplan_home: Path) -> None:
    assert loaded_after(["--help"], backplan_home) == set()


def test_the_seed_plan_on_typed_rates_loads_no_statistics_data_or_storage_library(
    backplan_home: Path,
) -> None:
    rates = ["conversations/dials=0.07", "meetings/conversations=1/7", "sqls/meetings=1/3"]
    args = ["plan", "--objective", "4 sqls", "--working-days", "20", "--as-of", "2026-11-23"]
    for rate in rates:
        args += ["--rate", rate]
    assert loaded_after(args, backplan_home) == set()
