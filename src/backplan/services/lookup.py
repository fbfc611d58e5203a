"""Find a rep or a team by what a person typed: a key or a name, in any case.

Every use case that takes ``--rep`` or ``--team`` (rates, diagnosis, cadence,
forecasts) looks them up here, in a table with ``rep``, ``name`` and ``team``
columns (a roster, or a rates report's table), so an unknown name reads the
same everywhere: it names a few known ones and suggests the nearest.
"""

from __future__ import annotations

import difflib

import pandas as pd

from backplan.core.errors import UnknownRep, UnknownTeam

LISTED = 8
"""How many known names an error lists before ``...``."""

SUGGESTED = 3
"""How many close matches an error suggests."""


def find_rep(
    wanted: str, table: pd.DataFrame, *, where: str = "the roster or the window's events"
) -> str:
    """The rep key for ``wanted``, given as a rep key or a name (any case).

    >>> roster = pd.DataFrame({"rep": ["ann"], "name": ["Ann Lee"], "team": ["East"]})
    >>> find_rep("ANN LEE", roster)
    'ann'

    Raises ``UnknownRep`` naming close matches and a few known reps.
    """
    key = wanted.strip().casefold()
    for column in ("rep", "name"):
        hits = table.loc[table[column].astype("string").str.casefold() == key, "rep"].unique()
        if len(hits) == 1:
            return str(hits[0])
    known = table.dropna(subset=["rep"])
    shown: set[str] = set()
    spellings: dict[str, str] = {}  # a key or a name -> the rep's key
    for rep, name in zip(known["rep"].astype(str), known["name"], strict=True):
        shown.add(rep if pd.isna(name) else str(name))
        spellings[rep] = rep
        if pd.notna(name):
            spellings[str(name)] = rep
    raise UnknownRep(
        f"no rep {wanted!r} in {where}; "
        + _hint(wanted, spellings, sorted(shown, key=str.casefold), "reps")
    )


def find_team(wanted: str, table: pd.DataFrame) -> str:
    """The team called ``wanted`` (any case), as the table spells it.

    >>> roster = pd.DataFrame({"rep": ["ann"], "name": ["Ann Lee"], "team": ["East"]})
    >>> find_team("east", roster)
    'East'

    Raises ``UnknownTeam`` (an ``UnknownRep``) naming close matches and the known teams.
    """
    teams = sorted(table["team"].dropna().astype(str).unique())
    for team in teams:
        if team.casefold() == wanted.strip().casefold():
            return str(team)
    raise UnknownTeam(
        f"no team {wanted!r} in the roster; "
        + _hint(wanted, {team: team for team in teams}, teams, "teams")
    )


def _hint(wanted: str, spellings: dict[str, str], shown: list[str], what: str) -> str:
    """``did you mean 'x'? reps are a, b, ...``; or how to get any when there are none.

    ``spellings`` maps each way to write one (a key, a name) to the one it names, so a rep
    whose key and name are both close is suggested once, by the closer spelling.
    """
    if not shown:
        return f"there are no {what} yet: load a roster on the Roster page, or import events"
    listing = f"{what} are " + ", ".join(shown[:LISTED]) + (", ..." if len(shown) > LISTED else "")
    folded = {spelled.casefold(): spelled for spelled in spellings}
    close = difflib.get_close_matches(
        wanted.strip().casefold(), list(folded), n=len(folded), cutoff=0.5
    )
    suggested: dict[str, str] = {}
    for match in close:
        spelled = folded[match]
        suggested.setdefault(spellings[spelled], spelled)
    if not suggested:
        return listing
    nearest = list(suggested.values())[:SUGGESTED]
    return "did you mean " + ", ".join(repr(s) for s in nearest) + "? " + listing
