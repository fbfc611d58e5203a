"""Admin: the roster by hand — teams, reps, their time off, and a roster file upload.

HTML forms post and redirect (303) on success, or show the page again with the
error and what was typed (422). The JSON API under ``/api/roster`` does the same
through ``services.roster``; every change tells the web context, so the next
request sees it.
"""

from __future__ import annotations

import secrets
import shutil
from datetime import date
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from backplan.accounts.access import Principal
from backplan.config.private import create_private_file, private_folder
from backplan.core.errors import BackplanError, InvalidRosterEntry
from backplan.services import roster as service
from backplan.services.audit import Actor
from backplan.services.roster import RepFields, RepView, TeamFields, TeamView
from backplan.web.context import WebContext
from backplan.web.permissions import ADMIN
from backplan.web.render import page, wants_json
from backplan.web.routes.imports import UPLOADS, safe_upload_name
from backplan.web.twins import Api, twin

router = APIRouter()

NO_TEAM = "(no team)"
"""The team filter's value for reps without a team."""
MAX_UPLOAD = 20 << 20  # a roster of thousands of reps is well under a megabyte
ROSTER = "/admin/roster"
T = TypeVar("T")
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such team or rep"}}
REFUSED: dict[int | str, dict[str, Any]] = {422: {"description": "Refused, with the reason"}}

Text = Annotated[str, Field(max_length=200)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class NewTeam(BaseModel):
    name: Name = Field(examples=["East"])
    manager: Text | None = None
    region: Text | None = None


class TeamChanges(BaseModel):
    """Only the fields sent change; ``name`` renames the team everywhere."""

    name: Name | None = None
    manager: Text | None = None
    region: Text | None = None


class NewRep(BaseModel):
    key: Name = Field(description="The value events carry in their rep column; fixed once created.")
    name: Name
    email: Annotated[str, Field(max_length=320)] | None = None
    team: Text | None = None
    region: Text | None = None
    start_date: date | None = None


class RepChanges(BaseModel):
    """Only the fields sent change; ``team: null`` moves the rep to no team. The key is fixed."""

    key: Text | None = None
    name: Name | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    team: Text | None = None
    region: Text | None = None
    start_date: date | None = None


class NewTimeOff(BaseModel):
    first_day: date
    last_day: date | None = Field(default=None, description="Defaults to the first day.")
    reason: Text | None = None


def _web(request: Request) -> WebContext:
    web: WebContext = request.app.state.web
    return web


def _changed(web: WebContext, result: T) -> T:
    web.roster_changed()
    return result


def _rep_of(web: WebContext, key: str) -> RepView:
    return service.get_rep(web.settings, key[:200])


def _team_of(web: WebContext, name: str) -> TeamView:
    return service.get_team(web.settings, name[:200])


def _day(field: str, text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidRosterEntry(f"{field} {text!r} is not a date like 2026-10-05") from None


# -- pages ----------------------------------------------------------------------


def _roster_page(
    request: Request,
    team: str | None = None,
    *,
    error: str = "",
    typed: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    web = _web(request)
    wanted = "" if team == NO_TEAM else team or None
    view = service.roster(web.settings, team=wanted)
    query = request.query_params
    loaded = {k: int(query[k]) for k in ("added", "updated") if query.get(k, "").isdigit()}
    data = {**view.to_dict(), "team": team or None, "error": error or None}
    extra = {"typed": typed or {}, "no_team": NO_TEAM, "loaded": loaded}
    return page(request, "admin_roster.html", data, status=status, extra=extra)


@router.get(ROSTER, include_in_schema=False)
def roster_page(
    request: Request, _: Annotated[Principal, Depends(ADMIN)], team: str | None = None
) -> Response:
    return _roster_page(request, team[:200] if team else None)


@router.post(f"{ROSTER}/teams", include_in_schema=False)
def add_team_form(
    request: Request,
    principal: Annotated[Principal, Depends(ADMIN)],
    name: Annotated[str, Form(max_length=200)] = "",
    manager: Annotated[str, Form(max_length=200)] = "",
    region: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    web = _web(request)
    try:
        _changed(
            web,
            service.add_team(
                web.settings, TeamFields(name, manager, region), by=Actor.of(principal)
            ),
        )
    except BackplanError as e:
        typed = {"form": "add-team", "name": name, "manager": manager, "region": region}
        return _roster_page(request, error=str(e), typed=typed, status=422)
    return RedirectResponse(ROSTER, status_code=303)


@router.post(f"{ROSTER}/reps", include_in_schema=False)
def add_rep_form(
    request: Request,
    principal: Annotated[Principal, Depends(ADMIN)],
    key: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    team: Annotated[str, Form(max_length=200)] = "",
    region: Annotated[str, Form(max_length=200)] = "",
    start_date: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    web = _web(request)
    try:
        fields = RepFields(key, name or key, email, team, region, _day("start_date", start_date))
        rep = _changed(web, service.add_rep(web.settings, fields, by=Actor.of(principal)))
    except BackplanError as e:
        typed = {
            "form": "add-rep",
            **dict(key=key, name=name, email=email, team=team, region=region),
            "start_date": start_date,
        }
        return _roster_page(request, error=str(e), typed=typed, status=422)
    return RedirectResponse(f"{ROSTER}?team={rep.team or NO_TEAM}", status_code=303)


@router.post(f"{ROSTER}/file", include_in_schema=False)
async def upload_roster_form(
    request: Request,
    principal: Annotated[Principal, Depends(ADMIN)],
    file: Annotated[UploadFile | None, File()] = None,
    sheet: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Load a roster file (CSV, .xlsx, Parquet): all of it, or nothing when a row is wrong."""
    web = _web(request)
    if file is None or not file.filename:
        return await run_in_threadpool(
            _roster_page, request, error="choose a roster file (.csv or .xlsx)", status=422
        )
    folder = web.settings.home / UPLOADS
    private_folder(folder)
    target = folder / f"roster-{secrets.token_hex(8)}-{safe_upload_name(file.filename)}"
    try:
        with create_private_file(target).open("wb") as out:
            await run_in_threadpool(shutil.copyfileobj, file.file, out, 1 << 20)
        if target.stat().st_size > MAX_UPLOAD:
            raise InvalidRosterEntry(
                f"{file.filename}: the file is over {MAX_UPLOAD >> 20} MB; a roster has one "
                "row per rep"
            )
        summary = await run_in_threadpool(
            partial(service.import_roster, sheet=sheet.strip() or None, name=file.filename),
            web.settings,
            target,
            by=Actor.of(principal),
        )
    except BackplanError as e:
        message = str(e).replace(str(target), file.filename)
        return await run_in_threadpool(
            _roster_page, request, error=message, typed={"form": "upload"}, status=422
        )
    finally:
        target.unlink(missing_ok=True)
    web.roster_changed()
    result = {**summary.to_dict(), "file": file.filename}
    if wants_json(request):
        return page(request, "admin_roster.html", result)
    query = f"added={summary.added}&updated={summary.updated}"
    return RedirectResponse(f"{ROSTER}?{query}", status_code=303)


def _team_page(
    request: Request, name: str, *, error: str = "", typed: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    web = _web(request)
    team = _team_of(web, name)
    members = service.roster(web.settings, team=team.name).reps
    data = {**team.to_dict(), "members": [r.to_dict() for r in members], "error": error or None}
    return page(
        request, "admin_roster_team.html", data, status=status, extra={"typed": typed or {}}
    )


@router.get(f"{ROSTER}/teams/{{team}}", include_in_schema=False)
def team_edit_page(
    request: Request, team: str, _: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    return _team_page(request, team)


@router.post(f"{ROSTER}/teams/{{team}}", include_in_schema=False)
def edit_team_form(
    request: Request,
    team: str,
    principal: Annotated[Principal, Depends(ADMIN)],
    name: Annotated[str, Form(max_length=200)] = "",
    manager: Annotated[str, Form(max_length=200)] = "",
    region: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    web = _web(request)
    current = _team_of(web, team)
    try:
        edited = _changed(
            web,
            service.edit_team(
                web.settings,
                current.name,
                TeamFields(name, manager, region),
                by=Actor.of(principal),
            ),
        )
    except BackplanError as e:
        typed = {"name": name, "manager": manager, "region": region}
        return _team_page(request, current.name, error=str(e), typed=typed, status=422)
    return RedirectResponse(f"{ROSTER}/teams/{_quoted(edited.name)}", status_code=303)


@router.post(f"{ROSTER}/teams/{{team}}/delete", include_in_schema=False)
def remove_team_form(
    request: Request, team: str, principal: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    web = _web(request)
    current = _team_of(web, team)
    try:
        service.remove_team(web.settings, current.name, by=Actor.of(principal))
        web.roster_changed()
    except BackplanError as e:
        return _team_page(request, current.name, error=str(e), status=422)
    return RedirectResponse(ROSTER, status_code=303)


def _rep_page(
    request: Request, key: str, *, error: str = "", typed: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    web = _web(request)
    rep = _rep_of(web, key)
    teams = [t.name for t in service.roster(web.settings, team="").teams]
    data = {**rep.to_dict(), "teams": teams, "error": error or None}
    return page(request, "admin_roster_rep.html", data, status=status, extra={"typed": typed or {}})


@router.get(f"{ROSTER}/reps/{{rep}}", include_in_schema=False)
def rep_edit_page(request: Request, rep: str, _: Annotated[Principal, Depends(ADMIN)]) -> Response:
    return _rep_page(request, rep)


@router.post(f"{ROSTER}/reps/{{rep}}", include_in_schema=False)
def edit_rep_form(
    request: Request,
    rep: str,
    principal: Annotated[Principal, Depends(ADMIN)],
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    team: Annotated[str, Form(max_length=200)] = "",
    region: Annotated[str, Form(max_length=200)] = "",
    start_date: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    web = _web(request)
    current = _rep_of(web, rep)
    try:
        fields = RepFields(current.key, name, email, team, region, _day("start_date", start_date))
        _changed(web, service.edit_rep(web.settings, current.key, fields, by=Actor.of(principal)))
    except BackplanError as e:
        typed = {"form": "edit-rep", "name": name, "email": email, "team": team}
        typed |= {"region": region, "start_date": start_date}
        return _rep_page(request, current.key, error=str(e), typed=typed, status=422)
    return RedirectResponse(f"{ROSTER}/reps/{_quoted(current.key)}", status_code=303)


@router.post(f"{ROSTER}/reps/{{rep}}/delete", include_in_schema=False)
def remove_rep_form(
    request: Request, rep: str, principal: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    web = _web(request)
    current = _rep_of(web, rep)
    try:
        service.remove_rep(web.settings, current.key, by=Actor.of(principal))
        web.roster_changed()
    except BackplanError as e:
        return _rep_page(request, current.key, error=str(e), status=422)
    return RedirectResponse(ROSTER, status_code=303)


@router.post(f"{ROSTER}/reps/{{rep}}/time-off", include_in_schema=False)
def add_time_off_form(
    request: Request,
    rep: str,
    principal: Annotated[Principal, Depends(ADMIN)],
    first_day: Annotated[str, Form(max_length=40)] = "",
    last_day: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    web = _web(request)
    current = _rep_of(web, rep)
    try:
        first = _day("first_day", first_day)
        if first is None:
            raise InvalidRosterEntry("first_day is empty; give the first day off")
        last = _day("last_day", last_day) or first
        by = Actor.of(principal)
        _changed(web, service.add_time_off(web.settings, current.key, first, last, reason, by=by))
    except BackplanError as e:
        typed = {"form": "time-off", "first_day": first_day, "last_day": last_day}
        typed["reason"] = reason
        return _rep_page(request, current.key, error=str(e), typed=typed, status=422)
    return RedirectResponse(f"{ROSTER}/reps/{_quoted(current.key)}", status_code=303)


@twin(
    router,
    "POST",
    f"{ROSTER}/reps/{{rep}}/time-off/{{time_off_id}}/delete",
    redirect=lambda key: f"{ROSTER}/reps/{_quoted(key)}",
    api=Api(
        "/api/roster/reps/{rep}/time-off/{time_off_id}",
        method="DELETE",
        status=204,
        responses=NOT_FOUND,
    ),
)
def remove_time_off(
    request: Request, rep: str, time_off_id: int, principal: Annotated[Principal, Depends(ADMIN)]
) -> str:
    """Remove one of the rep's absences by the id the roster lists."""
    web = _web(request)
    current = _rep_of(web, rep)
    service.remove_time_off(web.settings, current.key, time_off_id, by=Actor.of(principal))
    web.roster_changed()
    return current.key


def _quoted(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


# -- JSON API -------------------------------------------------------------------


@router.get("/api/roster")
def api_roster(
    request: Request, _: Annotated[Principal, Depends(ADMIN)], team: str | None = None
) -> dict[str, Any]:
    """The roster: teams with manager, region and rep count; reps with key, name, email,
    team, region, start date, origin and time off (only ``team``'s reps when given;
    ``team=(no team)`` for reps without one). Admins only."""
    web = _web(request)
    wanted = "" if team == NO_TEAM else team[:200] if team else None
    return service.roster(web.settings, team=wanted).to_dict()


@router.post("/api/roster/teams", status_code=201, responses=REFUSED)
def api_add_team(
    body: NewTeam, request: Request, principal: Annotated[Principal, Depends(ADMIN)]
) -> dict[str, Any]:
    """Add a team (its name must be new, whatever the case)."""
    web = _web(request)
    fields = TeamFields(body.name, body.manager, body.region)
    return _changed(web, service.add_team(web.settings, fields, by=Actor.of(principal))).to_dict()


@router.patch("/api/roster/teams/{team}", responses={**NOT_FOUND, **REFUSED})
def api_edit_team(
    team: str, body: TeamChanges, request: Request, principal: Annotated[Principal, Depends(ADMIN)]
) -> dict[str, Any]:
    """Change a team; a new ``name`` also renames it in managers' accounts."""
    web = _web(request)
    current = _team_of(web, team)
    changes = body.model_dump(exclude_unset=True)
    fields = TeamFields(
        changes.get("name") or current.name,
        changes.get("manager", current.manager),
        changes.get("region", current.region),
    )
    edited = service.edit_team(web.settings, current.name, fields, by=Actor.of(principal))
    return _changed(web, edited).to_dict()


@router.delete("/api/roster/teams/{team}", status_code=204, responses={**NOT_FOUND, **REFUSED})
def api_remove_team(
    team: str, request: Request, principal: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    """Remove a team without reps (move them first) or objectives."""
    web = _web(request)
    current = _team_of(web, team)
    service.remove_team(web.settings, current.name, by=Actor.of(principal))
    web.roster_changed()
    return Response(status_code=204)


@router.post("/api/roster/reps", status_code=201, responses=REFUSED)
def api_add_rep(
    body: NewRep, request: Request, principal: Annotated[Principal, Depends(ADMIN)]
) -> dict[str, Any]:
    """Add a rep; ``key`` is what events carry in their rep column and never changes."""
    web = _web(request)
    fields = RepFields(body.key, body.name, body.email, body.team, body.region, body.start_date)
    return _changed(web, service.add_rep(web.settings, fields, by=Actor.of(principal))).to_dict()


@router.patch("/api/roster/reps/{rep}", responses={**NOT_FOUND, **REFUSED})
def api_edit_rep(
    rep: str, body: RepChanges, request: Request, principal: Annotated[Principal, Depends(ADMIN)]
) -> dict[str, Any]:
    """Change a rep's name, email, team (``null``: no team), region or start date.
    Sending a different ``key`` is refused: events are joined to the rep by it."""
    web = _web(request)
    current = _rep_of(web, rep)
    changes = body.model_dump(exclude_unset=True)
    fields = RepFields(
        changes.get("key") or current.key,
        changes.get("name") or current.name,
        changes.get("email", current.email),
        changes.get("team", current.team),
        changes.get("region", current.region),
        changes.get("start_date", current.start_date),
    )
    edited = service.edit_rep(web.settings, current.key, fields, by=Actor.of(principal))
    return _changed(web, edited).to_dict()


@router.delete("/api/roster/reps/{rep}", status_code=204, responses={**NOT_FOUND, **REFUSED})
def api_remove_rep(
    rep: str, request: Request, principal: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    """Remove a rep with nothing attached (no events, objectives, agreed plans or account);
    otherwise move them to no team."""
    web = _web(request)
    current = _rep_of(web, rep)
    service.remove_rep(web.settings, current.key, by=Actor.of(principal))
    web.roster_changed()
    return Response(status_code=204)


@router.post("/api/roster/reps/{rep}/time-off", status_code=201, responses={**NOT_FOUND, **REFUSED})
def api_add_time_off(
    rep: str, body: NewTimeOff, request: Request, principal: Annotated[Principal, Depends(ADMIN)]
) -> dict[str, Any]:
    """Record days the rep does not work, first to last day inclusive."""
    web = _web(request)
    current = _rep_of(web, rep)
    last = body.last_day or body.first_day
    added = service.add_time_off(
        web.settings, current.key, body.first_day, last, body.reason, by=Actor.of(principal)
    )
    return _changed(web, added).to_dict()
