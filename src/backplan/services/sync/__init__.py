"""Live sync from a CRM's API (HubSpot, Pipedrive): the use case behind ``backplan sync``.

Records are read from the vendor's REST API and mapped to events exactly as
the shipped export mappings map an export (``hubspot-calls``, ``pipedrive-deals``
...), so a synced organisation and one that imports exports count the same.
Event ids carry their source (``hubspot:calls:51234001:dial``). A sync is
incremental (a cursor per object in the app database), idempotent (events
already stored are recognised by id) and atomic (all objects' events land in
one batch of the store, or none). See docs/sync.md.

    >>> summary = sync(settings, "hubspot", token="pat-...")
    >>> summary.to_dict()["objects"]["calls"]
    {'read': 120, 'added': 164, 'duplicates': 0, 'rejected': 0}
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import httpx

from backplan.config import Settings
from backplan.core.errors import InvalidInput
from backplan.services.audit import Actor
from backplan.services.sync import hubspot, pipedrive, state
from backplan.services.sync.crm import Crm
from backplan.services.sync.errors import BadToken, NoToken, SyncFailed
from backplan.services.sync.http import Api, RetryPolicy
from backplan.services.sync.running import (
    ObjectCounts,
    Progress,
    SyncRequest,
    SyncSummary,
    run_sync,
)
from backplan.services.sync.tokens import stored_token

SOURCES: dict[str, tuple[str, Callable[[Api], Crm]]] = {
    hubspot.SOURCE: (hubspot.BASE_URL, hubspot.HubSpot),
    pipedrive.SOURCE: (pipedrive.BASE_URL, pipedrive.Pipedrive),
}
"""Each CRM: its API's address and how a sync reads it."""


def sync(
    settings: Settings,
    source: str,
    *,
    token: str | None = None,
    base_url: str | None = None,
    since: date | None = None,
    by: Actor | None = None,
    progress: Progress | None = None,
    policy: RetryPolicy | None = None,
    transport: httpx.BaseTransport | None = None,
) -> SyncSummary:
    """Sync ``source`` (``hubspot`` or ``pipedrive``) into the organisation's event store.

    The token: ``token``, else the setting (``BACKPLAN_HUBSPOT_TOKEN`` ...), else the one
    set on the admin page. ``since`` reads records modified since that day instead of
    since the cursor (HubSpot only: Pipedrive's lists are read whole).
    """
    if source not in SOURCES:
        raise InvalidInput(f"no CRM named {source!r}; backplan syncs {', '.join(SOURCES)}")
    default_url, make = SOURCES[source]
    found = token or setting_token(settings, source) or stored_token(settings, source)
    if not found:
        raise NoToken(
            f"no {source} API token: give --token, set BACKPLAN_{source.upper()}_TOKEN, or "
            "set it on the admin imports page",
            command=f"backplan sync {source} --token TOKEN",
        )
    request = SyncRequest(
        source=source,
        token=found,
        base_url=base_url or _setting_url(settings, source) or default_url,
        since=f"{since.isoformat()} 00:00:00" if since else None,
        by=by,
        policy=policy,
        transport=transport,
    )
    return run_sync(settings, request, make, progress)


def setting_token(settings: Settings, source: str) -> str | None:
    """The token in the settings (environment or settings file), if any."""
    secret = settings.hubspot_token if source == "hubspot" else settings.pipedrive_token
    return secret.get_secret_value() if secret is not None else None


def _setting_url(settings: Settings, source: str) -> str | None:
    return settings.hubspot_url if source == "hubspot" else settings.pipedrive_url


def has_token(settings: Settings, source: str) -> bool:
    """Whether a sync of ``source`` has a token to use (the scheduler syncs only those)."""
    return bool(setting_token(settings, source) or stored_token(settings, source))


def sync_log(settings: Settings) -> list[dict[str, Any]]:
    """Each CRM's last success, last error and latest runs (the admin imports page)."""
    log = state.sync_log(settings, tuple(SOURCES))
    for entry in log:
        entry["token"] = has_token(settings, entry["source"])
    return log


def run_sync_job(
    settings: Settings, params: dict[str, Any], progress: Progress | None = None
) -> dict[str, Any]:
    """The job kind ``sync``: sync ``params["source"]`` with its configured token."""
    by = Actor.from_dict(params["by"]) if isinstance(params.get("by"), dict) else None
    summary = sync(settings, str(params["source"]), by=by, progress=progress)
    return summary.to_dict()


__all__ = [
    "SOURCES",
    "BadToken",
    "NoToken",
    "ObjectCounts",
    "SyncFailed",
    "SyncSummary",
    "has_token",
    "run_sync_job",
    "setting_token",
    "sync",
    "sync_log",
]
