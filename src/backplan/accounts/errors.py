"""Errors of accounts: a password or an account that cannot be used as asked."""

from __future__ import annotations

from backplan.core.errors import InvalidInput, NotFound


class WeakPassword(InvalidInput):
    """A new password that is too short, too long or too common."""


class InvalidAccount(InvalidInput):
    """An account that cannot be created as asked (bad email, role, duplicate ...)."""


class UnknownUser(NotFound):
    """A user id (in a URL) that no account has."""
