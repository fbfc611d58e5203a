"""HubSpot's CRM API v3: owners, calls, meetings and deals, as HubSpot's exports show them.

* owners: ``GET /crm/v3/owners`` (active, then archived ones), paged by
  ``paging.next.after``;
* calls, meetings, deals: ``POST /crm/v3/objects/{object}/search``, sorted by
  ``hs_lastmodifieddate`` ascending, with a ``GTE`` filter on it from the
  object's cursor (a first run reads everything), paged by ``paging.next.after``.
  A search answers at most 10,000 records; past that the search starts again
  from the newest last-modified time read.

The API gives internal values where an export shows labels; they are turned
into the labels the ``hubspot-*`` mappings read: call dispositions (GUIDs)
into outcomes ("Connected"), ``NO_SHOW`` into "No show", deal stage ids into
their labels (a closed stage of any pipeline into "Closed Won" or "Closed
Lost", from its metadata), source codes into their names.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from backplan.services.sync.crm import Batch, Owner, Row, event_id, newest, utc_text
from backplan.services.sync.http import Api

SOURCE = "hubspot"
BASE_URL = "https://api.hubapi.com"
PAGE = 100
SEARCH_LIMIT = 10_000
"""The most records one search pages through."""

CALL_OUTCOMES = {
    # HubSpot's default call dispositions (hs_call_disposition holds their GUIDs).
    "f240bbac-87c9-4f6e-bf70-924b57d47db7": "Connected",
    "73a0d17f-1163-4015-bdd5-ec830791da20": "No answer",
    "b2cf5968-551e-4856-9783-52b3da59a7d0": "Left voicemail",
    "a4c4c377-d246-4b32-a13b-75a56a4cd0ff": "Left live message",
    "9d9162e7-6cf3-4944-bf63-4dff82258764": "Busy",
    "17b47fee-58de-441e-a44c-c6300d46f273": "Wrong number",
}
MEETING_OUTCOMES = {
    "SCHEDULED": "Scheduled",
    "COMPLETED": "Completed",
    "RESCHEDULED": "Rescheduled",
    "NO_SHOW": "No show",
    "CANCELED": "Canceled",
}
SOURCES = {
    "ORGANIC_SEARCH": "Organic Search",
    "PAID_SEARCH": "Paid Search",
    "EMAIL_MARKETING": "Email Marketing",
    "SOCIAL_MEDIA": "Organic Social",
    "PAID_SOCIAL": "Paid Social",
    "REFERRALS": "Referrals",
    "OTHER_CAMPAIGNS": "Other Campaigns",
    "DIRECT_TRAFFIC": "Direct Traffic",
    "OFFLINE": "Offline Sources",
    "AI_REFERRALS": "AI Referrals",
}
DEFAULT_STAGES = {"closedwon": "Closed Won", "closedlost": "Closed Lost"}

OBJECTS: dict[str, tuple[str, list[str], str, list[str]]] = {
    # object: (mapping, export columns, rep column, properties read)
    "calls": (
        "hubspot-calls",
        ["Record ID", "Call Title", "Activity date", "Activity assigned to", "Call outcome"],
        "Activity assigned to",
        ["hs_timestamp", "hubspot_owner_id", "hs_call_disposition", "hs_call_title"],
    ),
    "meetings": (
        "hubspot-meetings",
        [
            "Record ID",
            "Meeting name",
            "Create Date",
            "Activity date",
            "Activity assigned to",
            "Meeting outcome",
        ],
        "Activity assigned to",
        [
            "hs_createdate",
            "hs_meeting_start_time",
            "hs_timestamp",
            "hubspot_owner_id",
            "hs_meeting_outcome",
            "hs_meeting_title",
        ],
    ),
    "deals": (
        "hubspot-deals",
        [
            "Record ID",
            "Deal Name",
            "Deal Stage",
            "Pipeline",
            "Amount",
            "Close Date",
            "Create Date",
            "Deal owner",
            "Original Source Type",
        ],
        "Deal owner",
        [
            "dealname",
            "dealstage",
            "pipeline",
            "amount",
            "closedate",
            "createdate",
            "hubspot_owner_id",
            "hs_analytics_source",
        ],
    ),
}


class HubSpot:
    """HubSpot's API as a sync reads it."""

    source: str = SOURCE
    owners_object: str = "owners"
    objects: Sequence[str] = tuple(OBJECTS)

    def __init__(self, api: Api) -> None:
        self.api = api
        self._stages: dict[str, tuple[str, str]] | None = None

    def owners(self) -> list[Owner]:
        found: dict[str, Owner] = {}
        for archived in ("false", "true"):
            params: dict[str, Any] = {"limit": 500, "archived": archived}
            for owner in self._paged("/crm/v3/owners", params):
                name = " ".join(
                    p for p in (owner.get("firstName"), owner.get("lastName")) if p
                ).strip()
                email = (owner.get("email") or "").strip() or None
                found.setdefault(str(owner["id"]), Owner(str(owner["id"]), email, name))
        return list(found.values())

    def read(self, name: str, since: str | None) -> Batch:
        mapping, columns, rep_column, properties = OBJECTS[name]
        batch = Batch(name, mapping, columns, rep_column, cursor=since)
        rows: dict[str, Row] = {}
        for record in self._search(name, [*properties, "hs_lastmodifieddate"], since):
            props = record.get("properties") or {}
            rows[str(record["id"])] = self._row(name, str(record["id"]), props)
            batch.cursor = newest(batch.cursor, props.get("hs_lastmodifieddate"))
        batch.rows = list(rows.values())
        return batch

    # -- reading ---------------------------------------------------------------------

    def _paged(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """A GET list endpoint's records, page after page (``paging.next.after``)."""
        after: str | None = None
        while True:
            page = self.api.get(path, {**params, **({"after": after} if after else {})})
            yield from page.get("results") or []
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def _search(
        self, name: str, properties: list[str], since: str | None
    ) -> Iterator[dict[str, Any]]:
        """Records modified since ``since`` (all without), oldest change first."""
        start = since
        while True:
            body: dict[str, Any] = {
                "properties": properties,
                "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
                "limit": PAGE,
            }
            if start:
                body["filterGroups"] = [
                    {
                        "filters": [
                            {
                                "propertyName": "hs_lastmodifieddate",
                                "operator": "GTE",
                                "value": str(_epoch_ms(start)),
                            }
                        ]
                    }
                ]
            seen = 0
            latest = start
            after: str | None = None
            while True:
                page = self.api.post(
                    f"/crm/v3/objects/{name}/search",
                    {**body, **({"after": after} if after else {})},
                )
                results = page.get("results") or []
                for record in results:
                    latest = newest(
                        latest, (record.get("properties") or {}).get("hs_lastmodifieddate")
                    )
                    yield record
                seen += len(results)
                after = ((page.get("paging") or {}).get("next") or {}).get("after")
                if not after:
                    return
                if seen + PAGE > SEARCH_LIMIT:
                    break  # the search's limit: search again from the newest change read
            if latest == start:
                return  # more than 10,000 records changed in one millisecond: nothing to gain
            start = latest

    # -- export rows -----------------------------------------------------------------

    def _row(self, name: str, record_id: str, p: dict[str, Any]) -> Row:
        rid = event_id(SOURCE, name, record_id)
        owner = _text(p.get("hubspot_owner_id"))
        if name == "calls":
            disposition = _text(p.get("hs_call_disposition"))
            return {
                "Record ID": rid,
                "Call Title": _text(p.get("hs_call_title")),
                "Activity date": utc_text(p.get("hs_timestamp")),
                "Activity assigned to": owner,
                "Call outcome": CALL_OUTCOMES.get(disposition or "", disposition),
            }
        if name == "meetings":
            outcome = _text(p.get("hs_meeting_outcome"))
            return {
                "Record ID": rid,
                "Meeting name": _text(p.get("hs_meeting_title")),
                "Create Date": utc_text(p.get("hs_createdate")),
                "Activity date": utc_text(p.get("hs_meeting_start_time") or p.get("hs_timestamp")),
                "Activity assigned to": owner,
                "Meeting outcome": MEETING_OUTCOMES.get((outcome or "").upper(), outcome),
            }
        stage, pipeline = self._stage(_text(p.get("dealstage")))
        source = _text(p.get("hs_analytics_source"))
        return {
            "Record ID": rid,
            "Deal Name": _text(p.get("dealname")),
            "Deal Stage": stage,
            "Pipeline": pipeline or _text(p.get("pipeline")),
            "Amount": _text(p.get("amount")),
            "Close Date": utc_text(p.get("closedate")),
            "Create Date": utc_text(p.get("createdate")),
            "Deal owner": owner,
            "Original Source Type": SOURCES.get(source or "", source),
        }

    def _stage(self, stage_id: str | None) -> tuple[str | None, str | None]:
        """A deal stage's label and its pipeline's, read once from ``/crm/v3/pipelines/deals``."""
        if stage_id is None:
            return None, None
        if self._stages is None:
            self._stages = {}
            for pipeline in self.api.get("/crm/v3/pipelines/deals").get("results") or []:
                for stage in pipeline.get("stages") or []:
                    self._stages[str(stage["id"])] = (
                        _closed_label(stage),
                        str(pipeline.get("label") or ""),
                    )
        label, pipeline = self._stages.get(stage_id, (DEFAULT_STAGES.get(stage_id, stage_id), ""))
        return label, pipeline or None


def _closed_label(stage: dict[str, Any]) -> str:
    """A stage's label; a closed stage is "Closed Won" or "Closed Lost" whatever it is called
    (its metadata says closed, with probability 1 or 0)."""
    meta = stage.get("metadata") or {}
    label = str(stage.get("label") or stage["id"])
    if str(meta.get("isClosed", "")).lower() == "true":
        try:
            probability = float(meta.get("probability", ""))
        except ValueError:
            return label
        return "Closed Won" if probability >= 1 else "Closed Lost"
    return label


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _epoch_ms(moment: str) -> int:
    """``YYYY-MM-DD HH:MM:SS`` (UTC) or a date, in milliseconds since 1970, as search filters take it."""
    text = utc_text(moment) or moment
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)
