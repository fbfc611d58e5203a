"""Named errors for problems a user can fix, in a small tree of categories.

Every message says what to change. Each category carries its answer, as
Datasette's ``NotFound`` and ``Forbidden`` carry theirs: ``status`` is the
HTTP status the web app answers with, ``exit_code`` the status the CLI exits
with. One handler at each edge reads them (``web/errors.py``,
``cli/__init__.py``); nothing else picks a status.

===================  ======  =========  ==================================================
category             status  exit code  the user ...
===================  ======  =========  ==================================================
``InvalidInput``     422     2          gave a value that cannot be used as it is
``NotFound``         404     2          named a rep, team or objective that is not there
``Conflict``         409     2          asked for a change that clashes with what is stored
``Forbidden``        403     2          asked for what only someone else may do
``Unauthenticated``  401     2          did not prove who they are
``TooManyTries``     429     2          failed too often and must wait
``Busy``             503     75         must wait for other work to finish (EX_TEMPFAIL)
===================  ======  =========  ==================================================

Errors of the shells' own concerns live with them and subclass these
categories: ``accounts/errors.py`` (passwords, accounts),
``events/errors.py`` (data files, mappings, the store's lock) and
``config/errors.py`` (settings).
"""

from __future__ import annotations


class BackplanError(Exception):
    """Base class: something in the input needs changing, and the message says what.

    Raise a category or one of its named classes, not this; a bare
    ``BackplanError`` answers as ``InvalidInput``.
    """

    status: int = 422
    """The HTTP status the web app answers with."""
    exit_code: int = 2
    """The status the ``backplan`` command exits with."""
    command: str | None = None
    """How to fix it on the command line (``--objective '4 sqls'``): the CLI adds it to the
    message; web pages, which have no options, show the message alone."""

    def __init__(self, message: str = "", *, command: str | None = None) -> None:
        super().__init__(message)
        self.command = command


# -- categories ---------------------------------------------------------------


class InvalidInput(BackplanError):
    """A value that cannot be used as it is: an objective, a rate, a period, a file ..."""

    status = 422
    exit_code = 2


class NotFound(BackplanError):
    """A rep, team, objective or plan that the roster or the app database does not hold."""

    status = 404
    exit_code = 2


class Conflict(BackplanError):
    """A change that clashes with what is stored (a duplicate, a team that still has reps ...)."""

    status = 409
    exit_code = 2


class Forbidden(BackplanError):
    """Something only another person may do (e.g. agree another rep's plan)."""

    status = 403
    exit_code = 2


class Unauthenticated(BackplanError):
    """Who is asking could not be established (a failed sign-in)."""

    status = 401
    exit_code = 2


class TooManyTries(BackplanError):
    """Too many failed attempts in a short time; the message says how long to wait."""

    status = 429
    exit_code = 2
    retry_after: int | None = None
    """Seconds until a try is accepted again, when known (the web app's ``Retry-After``)."""


class Busy(BackplanError):
    """Other work holds what is needed; the same request later will succeed."""

    status = 503
    exit_code = 75  # sysexits.h EX_TEMPFAIL: "try again later", unlike 2 "fix the input"


CATEGORIES: tuple[type[BackplanError], ...] = (
    InvalidInput,
    NotFound,
    Conflict,
    Forbidden,
    Unauthenticated,
    TooManyTries,
    Busy,
)
"""Every category, for the edges' documentation and the tests."""


# -- invalid input (422) ---------------------------------------------------------


class FunnelError(InvalidInput):
    """A funnel definition is inconsistent (duplicate stages, no focus, ...)."""


class UnknownFunnel(InvalidInput):
    """A funnel name that is neither shipped nor a TOML file.

    Input rather than ``NotFound``: the name comes from an option, a form or a
    body; a route that looks a funnel up by its URL raises ``NotFound`` itself.
    """


class InvalidFunnelName(InvalidInput):
    """A name for an organisation's funnel that is not a safe slug."""


class NotShipped(InvalidInput):
    """Reverting a funnel backplan does not ship, or removing one it does."""


class UnknownStage(InvalidInput):
    """A stage key that the funnel does not have (typed in a rate such as ``sqls/meetings``)."""


class InvalidRate(InvalidInput):
    """A conversion rate that no plan can be built on (0, negative, above 1 ...)."""


class MissingRate(InvalidInput):
    """A conversion the plan must pass through has no rate."""


class InvalidObjective(InvalidInput):
    """An objective that cannot be planned (not a whole positive count, unknown unit ...)."""


class NoObjective(InvalidObjective):
    """None was typed and the rep or team has no objective for the period."""


class ObjectiveInPast(InvalidObjective):
    """The objective's period ended before today."""


class InvalidPeriod(InvalidInput):
    """A period that cannot be read or that ends before it starts."""


class NoWorkingDays(InvalidInput):
    """The period has no working day left to spread the plan over."""


class NoData(InvalidInput):
    """There is not enough data to estimate what was asked."""


class DefinitionError(InvalidInput):
    """A TOML definition (funnel, playbook, rates) is invalid.

    Carries the file, the line (when known) and the field, so the message can
    point a user straight at what to edit.
    """

    def __init__(self, message: str, *, file: str, line: int | None = None, field: str = ""):
        where = file if line is None else f"{file}:{line}"
        if field:
            where = f"{where}: {field}"
        super().__init__(f"{where}: {message}")
        self.file = file
        self.line = line
        self.field = field


class InvalidRosterEntry(InvalidInput):
    """A team, rep or time off typed in that cannot be stored as it is (blank name, bad date ...)."""


class InvalidLevel(InvalidInput):
    """A credibility level outside what an interval can be given at."""


class InvalidCounts(InvalidInput):
    """Counts that cannot be right: negative, fractional, more successes than trials ..."""


class UnknownCoaching(InvalidInput):
    """The playbook has no coaching for a conversion, channel or stage named in the request."""


# -- not found (404) --------------------------------------------------------------


class UnknownRep(NotFound):
    """A rep (or team) that neither the roster nor the events know."""


class UnknownTeam(UnknownRep):
    """A team name the roster does not have."""


class UnknownObjective(NotFound):
    """An objective (or plan) id that the app database does not hold."""


class UnknownFocus(NotFound):
    """A coaching focus that is not there (a rep with no current focus on a conversion)."""


# -- conflict (409) ------------------------------------------------------------------


class RosterConflict(Conflict):
    """A roster change that clashes with what is stored: a duplicate name or key, a rep's key
    changed, a team with reps or a rep with events removed."""


class FunnelInUse(Conflict):
    """A funnel that objectives still use cannot be removed."""


# -- forbidden (403) -----------------------------------------------------------------


class NotAllowed(Forbidden):
    """Someone tried what only another person may do (e.g. agree another rep's plan)."""
