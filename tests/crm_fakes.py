"""Local stand-ins for HubSpot's CRM API v3 and Pipedrive's API v1, served on 127.0.0.1.

They answer as the vendors document: the same paths, query parameters and
JSON shapes, the same auth headers (HubSpot ``Authorization: Bearer``,
Pipedrive ``x-api-token`` or ``api_token``), the same error bodies, and pages
capped at ``page`` records (small, so a few records need several pages).
``faults`` makes one request fail: a 429 with ``Retry-After`` or a 500 in the
middle of paging. All data here is made up.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class Fault:
    """The first request to ``path`` asking for page ``page`` (0-based) gets this answer."""

    path: str
    page: int
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeCrm:
    token: str
    page: int = 2
    faults: list[Fault] = field(default_factory=list)
    seen: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """Every request: method, path, and its query parameters or JSON body."""

    def fault(self, path: str, page_number: int) -> Fault | None:
        for f in self.faults:
            if f.path == path and f.page == page_number:
                self.faults.remove(f)
                return f
        return None


def ms(text: str) -> str:
    """HubSpot's timestamp format in v3 properties: ISO 8601 with milliseconds, in UTC."""
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- HubSpot ------------------------------------------------------------------------------


@dataclass
class FakeHubSpot(FakeCrm):
    owners: list[dict[str, Any]] = field(default_factory=list)
    records: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {"calls": {}, "meetings": {}, "deals": {}}
    )
    clock: int = 0

    def put(self, kind: str, record_id: str, **properties: str | None) -> None:
        """Create or change a record; its last-modified time moves on (one minute per change)."""
        self.clock += 1
        modified = ms(f"2025-06-01T00:{self.clock // 60:02d}:{self.clock % 60:02d}")
        record = self.records[kind].setdefault(record_id, {"hs_object_id": record_id})
        record.update(properties)
        record["hs_lastmodifieddate"] = modified
        record.setdefault("hs_createdate", properties.get("hs_createdate") or modified)

    def app(self) -> FastAPI:
        app = FastAPI()

        def refused(request: Request) -> JSONResponse | None:
            if request.headers.get("authorization") == f"Bearer {self.token}":
                return None
            return JSONResponse(
                {
                    "status": "error",
                    "message": "Authentication credentials not found. This API supports OAuth "
                    "2.0 authentication and you can find more details at "
                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                    "correlationId": str(uuid.uuid4()),
                    "category": "INVALID_AUTHENTICATION",
                },
                status_code=401,
            )

        def faulty(path: str, page_number: int) -> JSONResponse | None:
            f = self.fault(path, page_number)
            if f is None:
                return None
            if f.status == 429:
                body = {
                    "status": "error",
                    "message": "You have reached your secondly limit.",
                    "errorType": "RATE_LIMIT",
                    "correlationId": str(uuid.uuid4()),
                    "policyName": "SECONDLY",
                }
            else:
                body = {
                    "status": "error",
                    "message": "internal error",
                    "correlationId": str(uuid.uuid4()),
                }
            return JSONResponse(body, status_code=f.status, headers=f.headers)

        def paged(items: list[dict[str, Any]], after: str | None, limit: int) -> dict[str, Any]:
            start = int(after or 0)
            size = min(limit, self.page)
            out: dict[str, Any] = {"results": items[start : start + size]}
            if start + size < len(items):
                out["paging"] = {"next": {"after": str(start + size), "link": "?after=..."}}
            return out

        @app.get("/crm/v3/owners")
        def owners(
            request: Request, limit: int = 100, after: str | None = None, archived: bool = False
        ) -> Any:
            self.seen.append(("GET", "/crm/v3/owners", dict(request.query_params)))
            if (answer := refused(request)) is not None:
                return answer
            chosen = [o for o in self.owners if bool(o.get("archived")) == archived]
            return paged(chosen, after, min(limit, 500))

        @app.get("/crm/v3/pipelines/deals")
        def pipelines(request: Request) -> Any:
            if (answer := refused(request)) is not None:
                return answer

            def stage(sid: str, label: str, closed: bool, p: str) -> dict[str, Any]:
                meta = {"isClosed": str(closed).lower(), "probability": p}
                return {"id": sid, "label": label, "displayOrder": 0, "metadata": meta}

            return {
                "results": [
                    {
                        "id": "default",
                        "label": "Sales Pipeline",
                        "displayOrder": 0,
                        "stages": [
                            stage("appointmentscheduled", "Appointment Scheduled", False, "0.2"),
                            stage("contractsent", "Contract Sent", False, "0.9"),
                            stage("closedwon", "Closed Won", True, "1.0"),
                            stage("closedlost", "Closed Lost", True, "0.0"),
                        ],
                    }
                ]
            }

        @app.post("/crm/v3/objects/{kind}/search")
        async def search(kind: str, request: Request) -> Any:
            body = await request.json()
            path = f"/crm/v3/objects/{kind}/search"
            self.seen.append(("POST", path, body))
            if (answer := refused(request)) is not None:
                return answer
            limit = min(int(body.get("limit", 10)), 200)
            page_number = int(body.get("after") or 0) // max(min(limit, self.page), 1)
            if (answer := faulty(path, page_number)) is not None:
                return answer
            found = list(self.records[kind].values())
            for group in body.get("filterGroups") or []:
                for f in group["filters"]:
                    assert f["propertyName"] == "hs_lastmodifieddate" and f["operator"] == "GTE"
                    floor = int(f["value"])
                    found = [r for r in found if _epoch(r["hs_lastmodifieddate"]) >= floor]
            found.sort(key=lambda r: r["hs_lastmodifieddate"])
            wanted = set(body.get("properties") or []) | {
                "hs_object_id",
                "hs_createdate",
                "hs_lastmodifieddate",
            }
            results = [
                {
                    "id": r["hs_object_id"],
                    "properties": {k: r.get(k) for k in sorted(wanted)},
                    "createdAt": r["hs_createdate"],
                    "updatedAt": r["hs_lastmodifieddate"],
                    "archived": False,
                }
                for r in found
            ]
            return {"total": len(results), **paged(results, body.get("after"), limit)}

        return app


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


# -- Pipedrive ----------------------------------------------------------------------------


@dataclass
class FakePipedrive(FakeCrm):
    users: list[dict[str, Any]] = field(default_factory=list)
    activities: dict[int, dict[str, Any]] = field(default_factory=dict)
    deals: dict[int, dict[str, Any]] = field(default_factory=dict)
    token_user: int = 1

    def app(self) -> FastAPI:
        app = FastAPI()

        def refused(request: Request) -> JSONResponse | None:
            given = request.headers.get("x-api-token") or request.query_params.get("api_token")
            if given == self.token:
                return None
            return JSONResponse(
                {
                    "success": False,
                    "error": "unauthorized access",
                    "errorCode": 401,
                    "error_info": "Please check developers.pipedrive.com for more information "
                    "about Pipedrive API.",
                },
                status_code=401,
            )

        def listing(
            request: Request, path: str, items: list[dict[str, Any]], start: int, limit: int
        ) -> Any:
            self.seen.append(("GET", path, dict(request.query_params)))
            if (answer := refused(request)) is not None:
                return answer
            size = min(limit, self.page)
            f = self.fault(path, start // size)
            if f is not None:
                body = {"success": False, "error": "Rate limit exceeded", "errorCode": f.status}
                return JSONResponse(body, status_code=f.status, headers=f.headers)
            chunk = items[start : start + size]
            more = start + size < len(items)
            pagination = {"start": start, "limit": size, "more_items_in_collection": more}
            if more:
                pagination["next_start"] = start + size
            return {
                "success": True,
                "data": chunk or None,
                "additional_data": {"pagination": pagination},
            }

        @app.get("/v1/users")
        def users(request: Request) -> Any:
            self.seen.append(("GET", "/v1/users", dict(request.query_params)))
            if (answer := refused(request)) is not None:
                return answer
            return {"success": True, "data": self.users}

        @app.get("/v1/activities")
        def activities(
            request: Request, user_id: int | None = None, start: int = 0, limit: int = 100
        ) -> Any:
            chosen = [
                a
                for _, a in sorted(self.activities.items())
                if user_id == 0 or a["user_id"] == (user_id or self.token_user)
            ]
            return listing(request, "/v1/activities", chosen, start, limit)

        @app.get("/v1/deals")
        def deals(
            request: Request, status: str = "all_not_deleted", start: int = 0, limit: int = 100
        ) -> Any:
            chosen = [
                d
                for _, d in sorted(self.deals.items())
                if d["status"] != "deleted" and status in ("all_not_deleted", d["status"])
            ]
            return listing(request, "/v1/deals", chosen, start, limit)

        return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``app`` on a free port of 127.0.0.1, in a thread, for the block."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the fake CRM did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
