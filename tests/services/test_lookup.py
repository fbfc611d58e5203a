"""One lookup for reps and teams: a key or a name in any case finds them; a miss names
the known ones and suggests the nearest; a missing team is an ``UnknownTeam``."""

from __future__ import annotations

import pandas as pd
import pytest

from backplan.core.errors import UnknownRep, UnknownTeam
from backplan.services.lookup import find_rep, find_team

ROSTER = pd.DataFrame(
    {
        "rep": ["ann", "ben", "cy"],
        "name": ["Ann Lee", "Ben Okafor", None],
        "team": ["East", "East", "West"],
    }
)


@pytest.mark.parametrize("wanted", ["ann", "ANN", " Ann ", "Ann Lee", "ann lee", "ANN LEE"])
def test_a_key_or_a_name_in_any_case_finds_the_rep(wanted: str) -> None:
    assert find_rep(wanted, ROSTER) == "ann"


def test_a_rep_without_a_name_is_found_by_key() -> None:
    assert find_rep("CY", ROSTER) == "cy"


def test_a_near_miss_suggests_the_nearest_rep_and_lists_the_known_ones() -> None:
    with pytest.raises(UnknownRep, match="no rep 'Ann Le'") as caught:
        find_rep("Ann Le", ROSTER)
    message = str(caught.value)
    assert "did you mean 'Ann Lee'" in message
    assert "reps are Ann Lee, Ben Okafor, cy" in message
    assert not isinstance(caught.value, UnknownTeam)


def test_a_far_miss_only_lists_the_known_reps() -> None:
    with pytest.raises(UnknownRep, match="no rep 'Zed'") as caught:
        find_rep("Zed", ROSTER)
    assert "did you mean" not in str(caught.value)
    assert "reps are Ann Lee, Ben Okafor, cy" in str(caught.value)


def test_a_long_roster_lists_a_few_reps_and_says_there_are_more() -> None:
    many = pd.DataFrame({"rep": [f"rep{i:02}" for i in range(20)], "name": None, "team": None})
    with pytest.raises(UnknownRep, match=r"reps are rep00, .*, rep07, \.\.\.$"):
        find_rep("nobody", many)


def test_an_empty_roster_says_how_to_get_reps() -> None:
    empty = pd.DataFrame({"rep": [], "name": [], "team": []})
    with pytest.raises(UnknownRep, match="there are no reps yet"):
        find_rep("ann", empty)


@pytest.mark.parametrize("wanted", ["East", "east", " EAST "])
def test_a_team_is_found_in_any_case_as_the_roster_spells_it(wanted: str) -> None:
    assert find_team(wanted, ROSTER) == "East"


def test_an_unknown_team_is_an_unknown_team_that_suggests_and_lists() -> None:
    with pytest.raises(UnknownTeam, match="no team 'Eats'") as caught:
        find_team("Eats", ROSTER)
    assert "did you mean 'East'" in str(caught.value)
    assert "teams are East, West" in str(caught.value)


def test_an_unknown_team_is_still_caught_as_an_unknown_rep() -> None:
    with pytest.raises(UnknownRep):
        find_team("North", ROSTER)


def test_a_roster_without_teams_says_how_to_get_them() -> None:
    with pytest.raises(UnknownTeam, match="there are no teams yet"):
        find_team("East", ROSTER.assign(team=None))


def test_a_rep_close_by_key_and_by_name_is_suggested_once() -> None:
    roster = pd.DataFrame({"rep": ["ann"], "name": ["Anne"], "team": [None]})
    with pytest.raises(UnknownRep, match=r"did you mean 'Anne'\? reps are Anne$"):
        find_rep("Annee", roster)
