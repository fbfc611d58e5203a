"""Admin: edit the organisation's funnels and playbook as TOML, check them, save, revert.

Every form posts the TOML with ``action=check`` (validate and preview, nothing
saved) or ``action=save``; an invalid text comes back with the error's line and
field and the admin's text as typed. The rules (names, validation, history,
refusing to remove a funnel in use) live in ``backplan.services.definitions``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from backplan.accounts.access import Principal
from backplan.config import Settings
from backplan.core.errors import DefinitionError, NotFound
from backplan.core.funnel import Funnel
from backplan.core.playbook import Playbook
from backplan.services import definitions
from backplan.services.audit import Actor
from backplan.web.permissions import ADMIN
from backplan.web.render import page, wants_json
from backplan.web.routes.funnels import entry_dict, funnel_dict
from backplan.web.twins import Api, twin

router = APIRouter()

MAX_TOML = 200_000
"""Characters of TOML a form or request may carry (the shipped playbook has ~8,000)."""

Action = Literal["check", "save"]


class DefinitionText(BaseModel):
    """A definition's TOML, as ``PUT /api/funnels/{name}`` and ``PUT /api/playbook`` take it."""

    toml: str = Field(max_length=MAX_TOML, examples=['key = "inbound"\n[[stages]]\n...'])


def error_dict(e: DefinitionError, text: str) -> dict[str, Any]:
    """A definition error as the editor shows it: the message, where, and the line as typed."""
    lines = text.splitlines()
    excerpt = lines[e.line - 1] if e.line and 0 < e.line <= len(lines) else None
    return {
        "message": str(e),
        "source": e.file,
        "line": e.line,
        "field": e.field or None,
        "excerpt": excerpt,
    }


def playbook_preview(book: Playbook) -> dict[str, Any]:
    return {
        "conversions": [c.to_dict() for c in book.conversions.values()],
        "channels": [c.to_dict() for c in book.channels.values()],
        "volume": [c.to_dict() for c in book.volume.values()],
    }


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.web.settings
    return settings


def _entry(settings: Settings, name: str) -> definitions.FunnelEntry | None:
    return next((e for e in definitions.funnel_entries(settings) if e.name == name), None)


# -- funnels --------------------------------------------------------------------


def template_text(name: str) -> str:
    """The text a new funnel starts from: two stages and a rate between them, to edit."""
    return (
        f'key = "{name}"\n'
        f'label = "{name.replace("-", " ").capitalize()}"\n'
        'description = ""\n\n'
        "[[stages]]\n"
        'key = "calls"\nkinds = ["dial"]\nfocus = true\n\n'
        "[[stages]]\n"
        'key = "meetings"\nkinds = ["meeting_booked"]\n'
    )


def _funnel_editor(
    request: Request,
    name: str,
    *,
    text: str | None = None,
    preview: Funnel | None = None,
    error: dict[str, Any] | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    settings = _settings(request)
    entry = _entry(settings, name)
    if entry is None and text is None:
        raise NotFound(f"No funnel named {name!r}; start a new one on /admin/funnels.")
    data = {
        "name": name,
        "exists": entry is not None,
        **(entry_dict(entry) if entry else {"source": "new", "shipped": False}),
        "toml": text if text is not None else definitions.funnel_text(settings, name),
        "preview": funnel_dict(preview) if preview else None,
        "error": error,
        "saved": saved,
        "used_by": [{"id": i, "text": t} for i, t in definitions.objectives_using(settings, name)],
        "history": [
            v.to_dict() | {"text": None} for v in definitions.history(settings, "funnel", name)
        ],
    }
    return page(request, "admin_funnel.html", data, status=status)


@router.get("/admin/funnels", include_in_schema=False)
def funnels_admin_page(request: Request, _: Annotated[Principal, Depends(ADMIN)]) -> Response:
    """Every funnel in force, where it comes from and who last edited it."""
    settings = _settings(request)
    data = {
        "funnels": [
            {
                "name": e.name,
                "label": definitions.organisation_funnel(settings, e.name).label,
                **entry_dict(e),
            }
            for e in definitions.funnel_entries(settings)
        ],
        "error": None,
    }
    return page(request, "admin_funnels.html", data)


@router.get("/admin/funnels/new", include_in_schema=False)
def new_funnel_page(
    request: Request, _: Annotated[Principal, Depends(ADMIN)], name: str = ""
) -> Response:
    """The editor for a new funnel ``name``, started from a two-stage template."""
    name = name.strip()[:100]
    definitions.check_name(name)
    if _entry(_settings(request), name) is not None:
        return RedirectResponse(f"/admin/funnels/{name}", status_code=303)
    return _funnel_editor(request, name, text=template_text(name))


@router.get("/admin/funnels/{name}", include_in_schema=False)
def funnel_admin_page(
    request: Request,
    name: str,
    _: Annotated[Principal, Depends(ADMIN)],
    saved: bool = False,
) -> Response:
    """A funnel's TOML to edit (the shipped file's text for a shipped funnel) and its history."""
    return _funnel_editor(request, name[:100], saved=saved)


@router.post("/admin/funnels/{name}", include_in_schema=False)
def funnel_admin_form(
    request: Request,
    name: str,
    principal: Annotated[Principal, Depends(ADMIN)],
    toml: Annotated[str, Form(max_length=MAX_TOML)] = "",
    action: Annotated[Action, Form()] = "check",
) -> Response:
    """Check the TOML (preview its stages, nothing saved) or save it as the funnel in force."""
    name = name[:100]
    settings = _settings(request)
    try:
        if action == "check":
            preview = definitions.check_funnel(name, toml)
            return _funnel_editor(request, name, text=toml, preview=preview)
        definitions.save_funnel(settings, name, toml, Actor.of(principal))
    except DefinitionError as e:
        return _funnel_editor(request, name, text=toml, error=error_dict(e, toml), status=422)
    if wants_json(request):
        return _funnel_editor(request, name, saved=True)
    return RedirectResponse(f"/admin/funnels/{name}?saved=true", status_code=303)


@router.post("/admin/funnels/{name}/revert", include_in_schema=False)
def revert_funnel_form(
    request: Request, name: str, principal: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    """Put the shipped funnel back in force (the edited versions stay in the history)."""
    definitions.revert_funnel(_settings(request), name[:100], Actor.of(principal))
    return RedirectResponse(f"/admin/funnels/{name[:100]}", status_code=303)


@router.post("/admin/funnels/{name}/delete", include_in_schema=False)
def remove_funnel_form(
    request: Request, name: str, principal: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    """Remove an organisation's own funnel, unless objectives use it."""
    definitions.remove_funnel(_settings(request), name[:100], Actor.of(principal))
    return RedirectResponse("/admin/funnels", status_code=303)


@router.put("/api/funnels/{name}", responses={422: {"description": "Invalid TOML"}})
def api_save_funnel(
    name: str,
    body: DefinitionText,
    request: Request,
    principal: Annotated[Principal, Depends(ADMIN)],
) -> Response:
    """Save the funnel's TOML (admins only): a new funnel, or a new version of one.

    The TOML's ``key`` must be ``name`` (it is taken from ``name`` when absent).
    An invalid text is not saved: 422 with the error's line and field.
    """
    settings = _settings(request)
    name = name[:100]
    try:
        version = definitions.save_funnel(settings, name, body.toml, Actor.of(principal))
    except DefinitionError as e:
        return _invalid(e, body.toml)
    funnel = definitions.organisation_funnel(settings, name)
    return JSONResponse({"version": version.to_dict(), "funnel": funnel_dict(funnel)})


@router.delete("/api/funnels/{name}", status_code=204, responses={404: {"description": "None"}})
def api_remove_funnel(
    name: str, request: Request, principal: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    """Drop the organisation's version (admins only): a shipped funnel goes back to the
    shipped one, an organisation's own funnel is removed (refused while objectives use it)."""
    settings = _settings(request)
    name = name[:100]
    entry = _entry(settings, name)
    if entry is None:
        raise NotFound(f"No funnel named {name!r}.")
    if entry.shipped:
        definitions.revert_funnel(settings, name, Actor.of(principal))
    else:
        definitions.remove_funnel(settings, name, Actor.of(principal))
    return Response(status_code=204)


# -- the playbook -----------------------------------------------------------------


def _playbook_editor(
    request: Request,
    *,
    text: str | None = None,
    preview: Playbook | None = None,
    error: dict[str, Any] | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    settings = _settings(request)
    edited = definitions.playbook_version(settings)
    book = preview or definitions.organisation_playbook(settings)
    data = {
        "source": definitions.playbook_source(settings),
        "edited_by": edited.created_by if edited else None,
        "edited_at": edited.created_at.isoformat() if edited else None,
        "file": str(settings.playbook) if settings.playbook else None,
        "toml": text if text is not None else definitions.playbook_text(settings),
        "checked": preview is not None,
        "preview": playbook_preview(book),
        "error": error,
        "saved": saved,
        "history": [
            v.to_dict() | {"text": None} for v in definitions.history(settings, "playbook")
        ],
    }
    return page(request, "admin_playbook.html", data, status=status)


@router.get("/admin/playbook", include_in_schema=False)
def playbook_admin_page(
    request: Request, _: Annotated[Principal, Depends(ADMIN)], saved: bool = False
) -> Response:
    """The playbook's TOML to edit, the coaching it gives, and its history."""
    return _playbook_editor(request, saved=saved)


@router.post("/admin/playbook", include_in_schema=False)
def playbook_admin_form(
    request: Request,
    principal: Annotated[Principal, Depends(ADMIN)],
    toml: Annotated[str, Form(max_length=MAX_TOML)] = "",
    action: Annotated[Action, Form()] = "check",
) -> Response:
    """Check the playbook TOML (preview the coaching, nothing saved) or save it."""
    settings = _settings(request)
    try:
        if action == "check":
            preview = definitions.check_playbook(settings, toml)
            return _playbook_editor(request, text=toml, preview=preview)
        definitions.save_playbook(settings, toml, Actor.of(principal))
    except DefinitionError as e:
        return _playbook_editor(request, text=toml, error=error_dict(e, toml), status=422)
    if wants_json(request):
        return _playbook_editor(request, saved=True)
    return RedirectResponse("/admin/playbook?saved=true", status_code=303)


@twin(
    router,
    "POST",
    "/admin/playbook/revert",
    redirect="/admin/playbook",
    api=Api("/api/playbook", method="DELETE", status=204),
)
def revert_playbook(request: Request, principal: Annotated[Principal, Depends(ADMIN)]) -> None:
    """Put the shipped playbook back in force (admins only); the history is kept."""
    definitions.revert_playbook(_settings(request), Actor.of(principal))


@router.put("/api/playbook", responses={422: {"description": "Invalid TOML"}})
async def api_save_playbook(
    body: DefinitionText, request: Request, principal: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    """Save the organisation's playbook TOML (admins only); it overrides and extends the
    shipped playbook entry by entry. An invalid text is not saved: 422 with line and field."""
    settings = _settings(request)
    try:
        version = await run_in_threadpool(
            definitions.save_playbook, settings, body.toml, Actor.of(principal)
        )
    except DefinitionError as e:
        return _invalid(e, body.toml)
    book = await run_in_threadpool(definitions.organisation_playbook, settings)
    return JSONResponse({"version": version.to_dict(), "playbook": playbook_preview(book)})


def _invalid(e: DefinitionError, text: str) -> Response:
    detail = error_dict(e, text)
    body = {"error": detail["message"], "status": e.status, "detail": detail}
    return JSONResponse(body, e.status)
