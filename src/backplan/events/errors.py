"""Errors of the event table's inputs and storage: data files, mappings, the write lock.

``DataFileError`` is the category of a file that cannot be read as a whole;
like every input error it answers 422 on the web and exit status 2 in the CLI.
"""

from __future__ import annotations

from backplan.core.errors import Busy, InvalidInput


class StoreBusy(Busy):
    """Another process holds the event store's write lock for longer than we can wait."""


class UnknownMapping(InvalidInput):
    """A mapping name that is neither shipped nor a TOML file."""


class DataFileError(InvalidInput):
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
