"""The roster: who the reps are, their teams and managers, and their time off.

Loaded from a file (``backplan roster sales_teams.csv``), filled from event
data when no roster exists yet, read by the metrics layer as a DataFrame.

The rule for reps an import does not know: while the roster is empty, every
rep found in imported events is added to it (key = the value in the file).
Once a roster exists, events of reps not in it are rejected as
``unknown_rep`` unless the import says ``--add-reps``. Events may name a rep
by key, name or email (any case); they are stored under the rep's key.

Admins also edit the roster by hand (``roster``, ``add_team``, ``edit_team``,
``add_rep``, ``edit_rep``, ``move_rep``, ``remove_*``): a rep's key never
changes once created, because events are joined to the rep by it.

The package: ``files`` (roster and time-off files, loaded all or nothing),
``editing`` (the admin's changes), ``views`` (what pages, metrics and access
checks read).
"""

from backplan.services.roster.editing import (
    ADMIN_ORIGIN,
    EMAIL,
    EMAIL_LIMIT,
    TEXT_LIMIT,
    RepFields,
    TeamFields,
    add_rep,
    add_team,
    add_time_off,
    edit_rep,
    edit_team,
    move_rep,
    remove_rep,
    remove_team,
    remove_time_off,
    rep_event_count,
)
from backplan.services.roster.files import (
    ROSTER_FIELDS,
    RosterColumns,
    RosterFile,
    RosterMappingSpec,
    RosterRow,
    RosterSummary,
    TimeOffColumns,
    add_named_reps,
    add_reps,
    import_roster,
    import_time_off,
    read_roster,
    read_roster_file,
)
from backplan.services.roster.views import (
    Memberships,
    RepView,
    RosterView,
    TeamView,
    TimeOffView,
    get_rep,
    get_team,
    known_reps,
    memberships,
    rep_aliases,
    roster,
    roster_entry,
    roster_frame,
    roster_listing,
    roster_rows,
    roster_size,
    time_off_frame,
)

__all__ = [
    "ADMIN_ORIGIN",
    "EMAIL",
    "EMAIL_LIMIT",
    "ROSTER_FIELDS",
    "TEXT_LIMIT",
    "Memberships",
    "RepFields",
    "RepView",
    "RosterColumns",
    "RosterFile",
    "RosterMappingSpec",
    "RosterRow",
    "RosterSummary",
    "RosterView",
    "TeamFields",
    "TeamView",
    "TimeOffColumns",
    "TimeOffView",
    "add_named_reps",
    "add_rep",
    "add_reps",
    "add_team",
    "add_time_off",
    "edit_rep",
    "edit_team",
    "get_rep",
    "get_team",
    "import_roster",
    "import_time_off",
    "known_reps",
    "memberships",
    "move_rep",
    "read_roster",
    "read_roster_file",
    "remove_rep",
    "remove_team",
    "remove_time_off",
    "rep_aliases",
    "rep_event_count",
    "roster",
    "roster_entry",
    "roster_frame",
    "roster_listing",
    "roster_rows",
    "roster_size",
    "time_off_frame",
]
