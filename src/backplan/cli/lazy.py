"""Commands known by name and summary before their modules are imported.

``backplan --help`` lists every command, but a command's module imports what
it needs (SciPy, pandas, Ibis, SQLAlchemy): seconds for a help text. So the
top-level group holds a :class:`Placeholder` per command, carrying the first
paragraph of its help, and imports the command's module only when the command
runs, or when its own ``--help`` is asked for (Click's "lazily loading
subcommands" pattern). ``tests/cli/test_lazy_commands.py`` checks this index
against the commands themselves.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup
from typer.main import get_group


class Entry(NamedTuple):
    """Where a command lives (``backplan.cli.<module>``) and the first paragraph of its help."""

    module: str
    summary: str


COMMANDS: dict[str, Entry] = {
    "plan": Entry(
        "plan",
        "Work an objective backwards through your rates to the numbers you control each day.",
    ),
    "rates": Entry("rates", "Each rep's conversion rates over a window, honest about sample size."),
    "diagnose": Entry(
        "diagnose", "Peel back the onion for one rep: results, pipeline, meetings, activity."
    ),
    "team": Entry(
        "diagnose",
        "A team's diagnosis, then who needs attention first (flags on strong evidence only).",
    ),
    "cadence": Entry(
        "diagnose",
        "Response by attempt number and how many attempts to make before moving on.",
    ),
    "forecast": Entry(
        "okr",
        "Where the period will land: median, 80% range, P(objective met) and pipeline coverage.",
    ),
    "digest": Entry(
        "digest",
        "The weekly digest: a rep's number for the week ahead, progress and coaching focus; a\n"
        "manager's reps who need attention first, and why.",
    ),
    "leadership": Entry(
        "leadership",
        "Where each team and the organisation stand, where the period will land, whether the\n"
        "funnel is trending the right way, and which lead sources the activity went into.",
    ),
    "calibration": Entry(
        "calibration",
        "Backtest the forecasts: made on the 10th working day of each past month with only what\n"
        "was known then, scored against what happened (reliability, 80% range coverage, Brier).",
    ),
    "funnels": Entry(
        "funnels",
        "List the funnels (shipped, and the organisation's own as admins edited them in the web\n"
        "app), or show one funnel's stages, rates and channels.",
    ),
    "example": Entry(
        "example",
        "Walk through the seed case: 4 SQLs a month, worked backwards for two reps.",
    ),
    "demo": Entry(
        "demo",
        "Set up the demo organisation and its accounts, print the sign-ins, and serve it.",
    ),
    "import": Entry("data", "Import a CRM export into the event store."),
    "roster": Entry(
        "data",
        "Load the roster: reps, their teams, managers and regions; or show it with --list.",
    ),
    "time-off": Entry(
        "data",
        "Load reps' time off: columns rep (key, name or email), start, end (inclusive), reason.",
    ),
    "demo-data": Entry(
        "data",
        "Create a demo organisation: teams, reps with their own rates, and a year of their events.",
    ),
    "imports": Entry("data", "The import log: what each import read, added and rejected."),
    "sync": Entry(
        "sync",
        "Read calls, meetings and deals from a CRM's API into the event store "
        "(incremental: run it again, or from cron, to add what changed).",
    ),
    "compact": Entry(
        "data", "Merge the event store's many small import files into a few large ones (atomic)."
    ),
    "serve": Entry(
        "serve", "Serve the web app. Settings come from BACKPLAN_* variables (see docs/web.md)."
    ),
    "audit": Entry(
        "audit",
        "Who changed accounts, roles, the roster, funnels, the playbook, objectives and the\n"
        "event data, and when: newest first, times in the organisation's time zone.",
    ),
    "settings": Entry(
        "config",
        "Show the settings in force: each value and whether it came from a BACKPLAN_* variable,\n"
        "the settings file or the default (secrets are never shown).",
    ),
    "okr": Entry(
        "okr",
        "Objectives and key results: owned by a rep or team, tracked from events, "
        "agreed by the rep.",
    ),
    "coaching": Entry(
        "coaching",
        "Coaching focuses: one conversion per focus, and whether it moved beyond the team's.",
    ),
    "mappings": Entry(
        "mappings",
        "How to write a mapping, the shipped mappings, and a suggestion for a new export.",
    ),
    "user": Entry("users", "Manage web accounts: admins, managers and reps."),
    "warehouse": Entry(
        "warehouse",
        "Events in a warehouse (BACKPLAN_EVENTS_URL): keep their daily counts in the engine.",
    ),
}
"""Every command, in the order ``backplan --help`` lists them."""


class Placeholder(TyperCommand):
    """A command not loaded yet: its name and summary, for the top-level help."""


def _not_loaded() -> None:
    raise RuntimeError("a placeholder ran: the group loads the command before it runs")


def add_placeholders(app: typer.Typer) -> None:
    """One :class:`Placeholder` on ``app`` per command in :data:`COMMANDS`."""
    for name, entry in COMMANDS.items():
        app.command(name, cls=Placeholder, help=entry.summary)(_not_loaded)


def load(module: str) -> TyperGroup:
    """A group of the commands ``backplan.cli.<module>`` registers, built as Typer builds them."""
    registry = typer.Typer(rich_markup_mode="rich", pretty_exceptions_enable=False)
    importlib.import_module(f"backplan.cli.{module}").register(registry)
    return get_group(registry)
