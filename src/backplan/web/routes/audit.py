"""Admin: the audit log of admin actions, filtered and paged, and its export as CSV.

The page and its ``/api/audit`` twin show the same data; ``/admin/audit.csv``
exports every event the filters match, each cell safe to open in a spreadsheet.
Times are the organisation's (``Settings.timezone``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from backplan.accounts.access import Principal
from backplan.services import audit
from backplan.web.context import WebContext
from backplan.web.permissions import ADMIN
from backplan.web.twins import Api, twin

router = APIRouter()

Text = Annotated[str, Query(max_length=320)]
DayText = Annotated[str, Query(max_length=40, description="A day, e.g. 2026-11-30 (inclusive)")]
Page = Annotated[int, Query(ge=1, le=1_000_000, description="From 1, newest first")]


def _filter(action: str, who: str, since: str, until: str) -> audit.AuditFilter:
    return audit.AuditFilter.parse(action=action, who=who, since=since, until=until)


@twin(
    router,
    "GET",
    "/admin/audit",
    template="admin_audit.html",
    api=Api("/api/audit", responses={422: {"description": "A filter that cannot be applied"}}),
)
def audit_log(
    request: Request,
    _: Annotated[Principal, Depends(ADMIN)],
    action: Text = "",
    who: Text = "",
    since: DayText = "",
    until: DayText = "",
    page: Page = 1,
) -> dict[str, Any]:
    """The audit log (admins only): who changed what and when, newest first, a page of 50
    at a time; filter by ``action`` (a code from ``actions``), ``who`` (part of an email or
    OS user) and the days ``since`` and ``until`` (inclusive, the organisation's days)."""
    web: WebContext = request.app.state.web
    wanted = _filter(action, who, since, until)
    found = audit.audit_log(web.settings, wanted, page=page)
    zone = web.settings.clock.zone
    url = request.url
    return {
        "events": [e.to_dict(zone) for e in found.entries],
        "filters": wanted.to_dict(),
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "per_page": found.per_page,
        "previous": str(url.include_query_params(page=page - 1)) if page > 1 else None,
        "next": str(url.include_query_params(page=page + 1)) if page < found.pages else None,
        "csv": str(url.replace(path="/admin/audit.csv").remove_query_params("page")),
        "timezone": str(zone),
        "actions": audit.action_choices(),
    }


@router.get("/admin/audit.csv", include_in_schema=False)
def audit_log_csv(
    request: Request,
    _: Annotated[Principal, Depends(ADMIN)],
    action: Text = "",
    who: Text = "",
    since: DayText = "",
    until: DayText = "",
) -> StreamingResponse:
    """Every event the filters match, newest first, as CSV (times in the organisation's zone)."""
    web: WebContext = request.app.state.web
    wanted = _filter(action, who, since, until)
    zone = web.settings.clock.zone
    rows = audit.audit_csv(audit.audit_events(web.settings, wanted), zone)
    name = f"backplan-audit-{web.settings.clock.today().isoformat()}.csv"
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
