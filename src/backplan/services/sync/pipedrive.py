"""Pipedrive's API v1: users, activities and deals, as Pipedrive's exports show them.

* users: ``GET /v1/users``;
* activities: ``GET /v1/activities?user_id=0`` (every user's, not only the token's owner's);
* deals: ``GET /v1/deals?status=all_not_deleted``;

paged by ``start`` and ``limit`` until ``additional_data.pagination.more_items_in_collection``
is false (``next_start`` says where the next page starts). The token goes in the
``x-api-token`` header, never in a URL.

These v1 lists have no "modified since" filter, so each sync reads them whole;
the events already stored are recognised by their id and counted as duplicates.
The cursor kept is the newest ``update_time`` read (what a sync has seen).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from backplan.services.sync.crm import Batch, Owner, Row, event_id, newest, utc_text
from backplan.services.sync.http import Api

SOURCE = "pipedrive"
BASE_URL = "https://api.pipedrive.com"
PAGE = 500

OBJECTS: dict[str, tuple[str, str, list[str], str, dict[str, Any]]] = {
    # object: (mapping, path, export columns, rep column, query parameters)
    "activities": (
        "pipedrive-activities",
        "/v1/activities",
        [
            "Activity - ID",
            "Activity - Subject",
            "Activity - Type",
            "Activity - Done",
            "Activity - Due date",
            "Activity - Marked as done time",
            "Activity - Creation date",
            "Activity - Assigned to user",
            "Activity - Contact person",
            "Activity - Organization",
        ],
        "Activity - Assigned to user",
        {"user_id": 0},
    ),
    "deals": (
        "pipedrive-deals",
        "/v1/deals",
        [
            "Deal - ID",
            "Deal - Title",
            "Deal - Owner",
            "Deal - Value",
            "Deal - Status",
            "Deal - Deal created",
            "Deal - Won time",
            "Deal - Lost time",
            "Deal - Organization",
            "Deal - Contact person",
        ],
        "Deal - Owner",
        {"status": "all_not_deleted"},
    ),
}


class Pipedrive:
    """Pipedrive's API as a sync reads it."""

    source: str = SOURCE
    owners_object: str = "users"
    objects: Sequence[str] = tuple(OBJECTS)

    def __init__(self, api: Api) -> None:
        self.api = api

    def owners(self) -> list[Owner]:
        answer = self.api.get("/v1/users")
        return [
            Owner(str(u["id"]), (u.get("email") or "").strip() or None, str(u.get("name") or ""))
            for u in answer.get("data") or []
        ]

    def read(self, name: str, since: str | None) -> Batch:
        mapping, path, columns, rep_column, params = OBJECTS[name]
        batch = Batch(name, mapping, columns, rep_column, cursor=since)
        rows: dict[str, Row] = {}
        for record in self._paged(path, params):
            rows[str(record["id"])] = _activity(record) if name == "activities" else _deal(record)
            batch.cursor = newest(batch.cursor, record.get("update_time"))
        batch.rows = list(rows.values())
        return batch

    def _paged(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        start = 0
        while True:
            page = self.api.get(path, {**params, "start": start, "limit": PAGE})
            yield from page.get("data") or []
            pagination = (page.get("additional_data") or {}).get("pagination") or {}
            if not pagination.get("more_items_in_collection"):
                return
            following = pagination.get("next_start")
            if not isinstance(following, int) or following <= start:
                return  # a page that points nowhere new: stop rather than loop
            start = following


def _activity(a: dict[str, Any]) -> Row:
    return {
        "Activity - ID": event_id(SOURCE, "activities", a["id"]),
        "Activity - Subject": _text(a.get("subject")),
        "Activity - Type": _text(a.get("type")),
        "Activity - Done": "Done" if a.get("done") else "Undone",
        "Activity - Due date": _text(a.get("due_date")),
        "Activity - Marked as done time": utc_text(a.get("marked_as_done_time")),
        "Activity - Creation date": utc_text(a.get("add_time")),
        "Activity - Assigned to user": _id(a.get("user_id")),
        "Activity - Contact person": _text(a.get("person_name")),
        "Activity - Organization": _text(a.get("org_name")),
    }


def _deal(d: dict[str, Any]) -> Row:
    status = _text(d.get("status"))
    return {
        "Deal - ID": event_id(SOURCE, "deals", d["id"]),
        "Deal - Title": _text(d.get("title")),
        "Deal - Owner": _id(d.get("user_id")),
        "Deal - Value": _text(d.get("value")),
        "Deal - Status": status.capitalize() if status else None,
        "Deal - Deal created": utc_text(d.get("add_time")),
        "Deal - Won time": utc_text(d.get("won_time")),
        "Deal - Lost time": utc_text(d.get("lost_time")),
        "Deal - Organization": _text(d.get("org_name")) or _name(d.get("org_id")),
        "Deal - Contact person": _text(d.get("person_name")) or _name(d.get("person_id")),
    }


def _id(value: object) -> str | None:
    """A user field: an id, or (in deals) an object with the id in ``id`` or ``value``."""
    if isinstance(value, dict):
        value = value.get("id", value.get("value"))
    return None if value is None else str(value)


def _name(value: object) -> str | None:
    return _text(value.get("name")) if isinstance(value, dict) else None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
