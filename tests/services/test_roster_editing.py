"""Editing the roster by hand (the admin pages' use cases), on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from backplan import appdb
from backplan.appdb.models import Rep, Team, TimeOff, UserTeam
from backplan.config import Settings, get_settings
from backplan.core.errors import InvalidRosterEntry, RosterConflict, UnknownRep, UnknownTeam
from backplan.events.store import EventStore
from backplan.metrics.sample import event_rows
from backplan.services import roster as service
from backplan.services.accounts import Accounts
from backplan.services.roster import RepFields, TeamFields

PASSWORD = "a long pass phrase for tests"


@pytest.fixture
def settings(app_database: str) -> Settings:
    """Teams East (Ana, Ben; manager Mo, EMEA) and West (Cy), Ana off 5–9 October 2026."""
    settings = get_settings().model_copy(update={"argon2_time_cost": 1, "argon2_memory_kib": 8})
    with appdb.session(settings) as db:
        east = Team(name="East", manager="Mo", region="EMEA")
        west = Team(name="West", manager="Wu")
        ana = Rep(key="ana", name="Ana", email="ana@x.io", team=east, origin="roster")
        ana.time_off = [TimeOff(first_day=date(2026, 10, 5), last_day=date(2026, 10, 9))]
        db.add_all([east, west, ana, Rep(key="ben", name="Ben", team=east, origin="roster")])
        db.add(Rep(key="cy", name="Cy", team=west, origin="import"))
    return settings


def test_the_roster_lists_teams_with_their_rep_counts_and_reps_with_time_off(
    settings: Settings,
) -> None:
    view = service.roster(settings).to_dict()
    assert view["teams"] == [
        {"name": "East", "manager": "Mo", "region": "EMEA", "reps": 2},
        {"name": "West", "manager": "Wu", "region": None, "reps": 1},
    ]
    reps = view["reps"]
    assert isinstance(reps, list)
    assert [(r["key"], r["team"], r["origin"]) for r in reps] == [
        ("ana", "East", "roster"),
        ("ben", "East", "roster"),
        ("cy", "West", "import"),
    ]
    assert reps[0]["email"] == "ana@x.io"
    assert reps[0]["time_off"] == [
        {"id": 1, "first_day": "2026-10-05", "last_day": "2026-10-09", "reason": None}
    ]


def test_the_roster_can_show_one_team_or_the_reps_without_a_team(settings: Settings) -> None:
    assert [r.key for r in service.roster(settings, team="west").reps] == ["cy"]
    service.move_rep(settings, "ben", None)
    assert [r.key for r in service.roster(settings, team="").reps] == ["ben"]
    with pytest.raises(UnknownTeam, match=r"team 'North': no such team.*East, West"):
        service.roster(settings, team="North")


def test_a_new_team_needs_a_name_no_other_team_has_in_any_case(settings: Settings) -> None:
    added = service.add_team(settings, TeamFields("  North ", "Maya", ""))
    assert added.to_dict() == {"name": "North", "manager": "Maya", "region": None, "reps": 0}
    with pytest.raises(RosterConflict, match="name 'east': there is already a team 'East'"):
        service.add_team(settings, TeamFields("east"))
    with pytest.raises(InvalidRosterEntry, match="name is empty"):
        service.add_team(settings, TeamFields("   "))
    with pytest.raises(InvalidRosterEntry, match="control characters"):
        service.add_team(settings, TeamFields("No\x00rth"))


def test_renaming_a_team_renames_it_in_its_managers_accounts(settings: Settings) -> None:
    accounts = Accounts(settings)
    accounts.add_user("mo@x.io", PASSWORD, "manager", teams=["East", "West"])
    accounts.add_user("wu@x.io", PASSWORD, "manager", teams=["West"])
    edited = service.edit_team(settings, "East", TeamFields("East Coast", "Mo Lee", "EMEA"))
    assert edited.to_dict() == {
        "name": "East Coast",
        "manager": "Mo Lee",
        "region": "EMEA",
        "reps": 2,
    }
    assert {u.email: u.teams for u in accounts.users()} == {
        "mo@x.io": ("East Coast", "West"),
        "wu@x.io": ("West",),
    }
    assert service.get_rep(settings, "ana").team == "East Coast"
    with pytest.raises(RosterConflict, match="name 'west': there is already a team 'West'"):
        service.edit_team(settings, "East Coast", TeamFields("west"))
    # a change of case only is a rename of the same team
    assert service.edit_team(settings, "East Coast", TeamFields("EAST COAST")).name == "EAST COAST"


def test_a_team_with_reps_is_kept_until_its_reps_move(settings: Settings) -> None:
    Accounts(settings).add_user("wu@x.io", PASSWORD, "manager", teams=["West"])
    with pytest.raises(RosterConflict, match=r"team 'West' has 1 rep \(Cy\); move its reps first"):
        service.remove_team(settings, "West")
    service.move_rep(settings, "cy", "East")
    service.remove_team(settings, "West")
    assert [t.name for t in service.roster(settings).teams] == ["East"]
    with appdb.session(settings) as db:  # a later team "West" is not handed to Wu
        assert list(db.scalars(select(UserTeam.team))) == []


def test_a_team_that_owns_objectives_is_kept(settings: Settings) -> None:
    from backplan.services import okr

    service.move_rep(settings, "cy", None)
    request = okr.ObjectiveRequest("West", "team", "2026-10", ["4 sqls"])
    okr.create_objective(settings, request, date(2026, 10, 1))
    with pytest.raises(RosterConflict, match="team 'West' owns 1 objective"):
        service.remove_team(settings, "West")


def test_a_new_rep_gets_the_fields_typed_and_a_key_no_other_rep_has(settings: Settings) -> None:
    fields = RepFields("dee", "Dee Park", "dee@x.io", "West", "APAC", date(2026, 9, 1))
    assert service.add_rep(settings, fields).to_dict() == {
        "key": "dee",
        "name": "Dee Park",
        "email": "dee@x.io",
        "team": "West",
        "region": "APAC",
        "start_date": "2026-09-01",
        "origin": "admin",
        "time_off": [],
    }
    with pytest.raises(RosterConflict, match="key 'ANA': the roster already has a rep 'ana'"):
        service.add_rep(settings, RepFields("ANA", "Another Ana"))
    with pytest.raises(RosterConflict, match=r"email 'ANA@x\.io': rep 'ana' already has it"):
        service.add_rep(settings, RepFields("eve", "Eve", "ANA@x.io"))
    with pytest.raises(InvalidRosterEntry, match="email 'eve' is not an email address"):
        service.add_rep(settings, RepFields("eve", "Eve", "eve"))
    with pytest.raises(InvalidRosterEntry, match="team 'North': no such team"):
        service.add_rep(settings, RepFields("eve", "Eve", team="North"))  # a field, not a page
    assert [r.key for r in service.roster(settings).reps] == ["ana", "ben", "cy", "dee"]


def test_a_reps_key_cannot_change_and_the_error_says_why(settings: Settings) -> None:
    with pytest.raises(RosterConflict, match=r"key 'anna': a rep's key cannot change.*events"):
        service.edit_rep(settings, "ana", RepFields("anna", "Ana"))
    edited = service.edit_rep(settings, "ana", RepFields("ana", "Ana Silva", None, "West"))
    assert (edited.name, edited.email, edited.team) == ("Ana Silva", None, "West")
    assert len(edited.time_off) == 1


def test_a_rep_moves_to_another_team_or_to_no_team(settings: Settings) -> None:
    assert service.move_rep(settings, "ben", "West").team == "West"
    assert [(t.name, t.reps) for t in service.roster(settings).teams] == [("East", 1), ("West", 2)]
    assert service.move_rep(settings, "ben", None).team is None
    with pytest.raises(UnknownRep, match="rep 'zed': no rep with that key"):
        service.move_rep(settings, "zed", "West")


def test_a_rep_with_events_or_an_account_is_not_removed(
    settings: Settings, backplan_home: Path
) -> None:
    EventStore(backplan_home).append(
        event_rows([("cy", "2026-10-01", "dial"), ("cy", "2026-10-02", "dial")])
    )
    with pytest.raises(RosterConflict, match=r"rep 'cy' has 2 events.*Move the rep to no team"):
        service.remove_rep(settings, "cy")
    Accounts(settings).add_user("ben@x.io", PASSWORD, "rep", rep="ben")
    with pytest.raises(RosterConflict, match=r"rep 'ben' has an account \(ben@x.io\)"):
        service.remove_rep(settings, "ben")
    service.remove_rep(settings, "ana")  # nothing attached: time off goes with the rep
    assert [r.key for r in service.roster(settings).reps] == ["ben", "cy"]
    with appdb.session(settings) as db:
        assert list(db.scalars(select(TimeOff))) == []


def test_time_off_is_added_and_removed_by_its_id(settings: Settings) -> None:
    added = service.add_time_off(settings, "ben", date(2026, 12, 21), date(2026, 12, 31), "holiday")
    assert added.to_dict() | {"id": 0} == {
        "id": 0,
        "first_day": "2026-12-21",
        "last_day": "2026-12-31",
        "reason": "holiday",
    }
    with pytest.raises(RosterConflict, match="already has time off starting that day"):
        service.add_time_off(settings, "ben", date(2026, 12, 21), date(2026, 12, 22))
    with pytest.raises(InvalidRosterEntry, match="last_day 2026-12-01 comes before first_day"):
        service.add_time_off(settings, "ben", date(2026, 12, 2), date(2026, 12, 1))
    with pytest.raises(UnknownRep, match="rep 'ana' has no time off with id"):
        service.remove_time_off(settings, "ana", added.id)
    service.remove_time_off(settings, "ben", added.id)
    assert service.get_rep(settings, "ben").time_off == ()


def test_a_name_with_a_nul_character_is_unknown_on_every_database(settings: Settings) -> None:
    with pytest.raises(UnknownTeam):
        service.get_team(settings, "Ea\x00st")
    with pytest.raises(UnknownRep):
        service.get_rep(settings, "a\x00na")
