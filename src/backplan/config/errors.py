"""Errors of configuration: a setting that cannot be read as it is."""

from __future__ import annotations

from backplan.core.errors import InvalidInput


class InvalidSetting(InvalidInput):
    """A setting (environment variable or settings file) that cannot be read as it is."""
