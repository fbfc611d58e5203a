"""What can stop a sync from a CRM, as errors that say what to do."""

from __future__ import annotations

from backplan.core.errors import InvalidInput


class SyncFailed(InvalidInput):
    """The CRM's API answered with an error, or not at all; nothing was stored."""


class BadToken(SyncFailed):
    """The CRM refused the token (401), or it lacks a scope the sync needs (403)."""


class NoToken(InvalidInput):
    """No token for the CRM: neither given, nor in the settings, nor set on the admin page."""
