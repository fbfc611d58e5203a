"""Named errors for problems a user can fix.

Every message says what to change. The CLI prints it on one line and exits
with status 2; the web app turns it into a 4xx response.
"""

from __future__ import annotations


class BackplanError(Exception):
    """Base class: something in the input needs changing, and the message says what."""


class FunnelError(BackplanError):
    """A funnel definition is inconsistent (duplicate stages, no focus, ...)."""


class UnknownFunnel(BackplanError):
    """A funnel name that is neither shipped nor a TOML file."""


class InvalidFunnelName(BackplanError):
    """A name for an organisation's funnel that is not a safe slug."""


class FunnelInUse(BackplanError):
    """A funnel that objectives still use cannot be removed."""


class NotShipped(BackplanError):
    """Reverting a funnel backplan does not ship, or removing one it does."""


class UnknownStage(BackplanError):
    """A stage key that the funnel does not have."""


class InvalidRate(BackplanError):
    """A conversion rate that no plan can be built on (0, negative, above 1 ...)."""


class MissingRate(BackplanError):
    """A conversion the plan must pass through has no rate."""


class InvalidObjective(BackplanError):
    """An objective that cannot be planned (not a whole positive count, unknown unit ...)."""


class ObjectiveInPast(InvalidObjective):
    """The objective's period ended before today."""


class InvalidPeriod(BackplanError):
    """A period that cannot be read or that ends before it starts."""


class NoWorkingDays(BackplanError):
    """The period has no working day left to spread the plan over."""


class InvalidSetting(BackplanError):
    """A setting (environment variable or settings file) that cannot be read as it is."""


class NoData(BackplanError):
    """There is not enough data to estimate what was asked."""


class DefinitionError(BackplanError):
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


class UnknownRep(BackplanError):
    """A rep (or team) that neither the roster nor the events know."""


class UnknownTeam(UnknownRep):
    """A team name the roster does not have."""


class InvalidRosterEntry(BackplanError):
    """A team, rep or time off typed in that cannot be stored as it is (blank name, bad date ...)."""


class RosterConflict(BackplanError):
    """A roster change that clashes with what is stored: a duplicate name or key, a rep's key
    changed, a team with reps or a rep with events removed."""


class InvalidLevel(BackplanError):
    """A credibility level outside what an interval can be given at."""


class WeakPassword(BackplanError):
    """A new password that is too short, too long or too common."""


class InvalidAccount(BackplanError):
    """An account that cannot be created as asked (bad email, role, duplicate ...)."""


class InvalidCounts(BackplanError):
    """Counts that cannot be right: negative, fractional, more successes than trials ..."""


class UnknownCoaching(BackplanError):
    """The playbook has no coaching for a conversion, channel or stage."""


class StoreBusy(BackplanError):
    """Another process holds the event store's write lock for longer than we can wait."""


class UnknownMapping(BackplanError):
    """A mapping name that is neither shipped nor a TOML file."""


class DataFileError(BackplanError):
    """A data file (export, roster) that cannot be read as a whole; the message names the file."""

    def __init__(self, message: str, *, file: str):
        super().__init__(f"{file}: {message}")
        self.file = file


class EmptyFile(DataFileError):
    """The file has no bytes, or no header row."""


class UnreadableFile(DataFileError):
    """The file is not text in a known encoding, or not the format its name says."""


class UnsupportedFormat(DataFileError):
    """A file type backplan does not read (it reads .csv/.tsv/.txt, .xlsx and .parquet)."""


class MissingColumns(DataFileError):
    """The file lacks columns the mapping needs."""

    def __init__(
        self, message: str, *, file: str, missing: list[str], found: list[str], hint: str = ""
    ):
        super().__init__(message, file=file)
        self.missing = missing
        self.found = found
        self.hint = hint
        """A mapping TOML to start from, with the file's own column names filled in."""


class InvalidRow(DataFileError):
    """One row of a small file (a roster) that must be fixed before anything is loaded."""

    def __init__(self, *, file: str, row: int, column: str, value: object, expected: str):
        super().__init__(
            f"row {row}, column {column!r}: {value!r} is not valid; expected {expected}", file=file
        )
        self.row = row
        self.column = column
        self.value = value
        self.expected = expected


class UnknownObjective(BackplanError):
    """An objective (or plan) id that the app database does not hold."""


class NotAllowed(BackplanError):
    """Someone tried what only another person may do (e.g. agree another rep's plan)."""
