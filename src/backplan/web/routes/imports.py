"""Admin: upload a CRM export, watch the import's progress, and see every rejected row."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from backplan.accounts.access import Principal
from backplan.config.private import create_private_file, private_folder
from backplan.core.errors import NotFound
from backplan.services import uploads
from backplan.services.audit import Actor
from backplan.services.importing import UPLOADS_DIR, mapping_names, recent_imports
from backplan.services.sync import SOURCES, sync_log
from backplan.services.sync.schedule import start_sync
from backplan.services.sync.tokens import set_token
from backplan.web.context import WebContext
from backplan.web.permissions import ADMIN
from backplan.web.render import page, wants_json
from backplan.web.twins import Api, twin

router = APIRouter()

UPLOADS = UPLOADS_DIR  # the roster page keeps its uploads there too
NOT_FOUND = "No import job with that id."


def safe_upload_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name)[:100].strip("._")
    return stem or "upload"


def imports_data(web: WebContext, error: str = "") -> dict[str, Any]:
    """The mappings to choose from and the import log, newest first."""
    return {
        "mappings": mapping_names(),
        "imports": recent_imports(web.settings),
        "syncs": sync_log(web.settings),
        "sync_interval": web.settings.sync_interval,
        "error": error or None,
    }


def _imports_page(request: Request, *, error: str, status: int) -> Response:
    """The imports page again, with why the upload was refused."""
    data = imports_data(request.app.state.web, error)
    return page(request, "admin_imports.html", data, status=status)


@twin(
    router,
    "GET",
    "/admin/imports",
    template="admin_imports.html",
    api=Api("/api/imports", pick=lambda data: data["imports"], response_model=list[dict[str, Any]]),
)
def imports(request: Request, _: Annotated[Principal, Depends(ADMIN)]) -> dict[str, Any]:
    """The import log, newest first."""
    return imports_data(request.app.state.web)


@router.post("/admin/imports", include_in_schema=False)
async def upload(request: Request, principal: Annotated[Principal, Depends(ADMIN)]) -> Response:
    """Save the upload, start its import in the background, and show its progress page."""
    web: WebContext = request.app.state.web
    form = await request.form()
    upload = form.get("file")
    mapping = form.get("mapping")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await run_in_threadpool(_imports_page, request, error="choose a file", status=422)
    if not isinstance(mapping, str) or mapping not in mapping_names():
        return await run_in_threadpool(
            _imports_page,
            request,
            error=f"choose a mapping: one of {', '.join(mapping_names())}",
            status=422,
        )
    folder = private_folder(web.settings.home / UPLOADS_DIR)
    target = create_private_file(
        folder / f"{secrets.token_hex(8)}-{safe_upload_name(upload.filename)}"
    )
    with target.open("wb") as out:
        await run_in_threadpool(shutil.copyfileobj, upload.file, out, 1 << 20)
    params = {
        "file": str(target),
        "name": Path(upload.filename).name,
        "mapping": mapping,
        "allow_rejects": form.get("allow_rejects") == "on",
        "add_reps": form.get("add_reps") == "on",
        "by": Actor.of(principal).to_dict(),
    }
    try:
        job = await run_in_threadpool(web.jobs.start, principal.user_id, "import", params)
    except BaseException:
        target.unlink(missing_ok=True)  # never queued: nothing will delete it
        raise
    if wants_json(request):
        return page(request, "admin_import_job.html", job.to_dict(), status=202)
    return RedirectResponse(f"/admin/imports/jobs/{job.id}", status_code=303)


@twin(
    router,
    "GET",
    "/admin/imports/jobs/{job_id}",
    template="admin_import_job.html",
    api=Api("/api/imports/jobs/{job_id}", responses={404: {"description": "No such job"}}),
)
def job(request: Request, job_id: str, _: Annotated[Principal, Depends(ADMIN)]) -> dict[str, Any]:
    """An import job: its stage and progress, then its summary and rejected rows."""
    web: WebContext = request.app.state.web
    found = web.jobs.get(job_id[:64])
    if found is None:
        raise NotFound(NOT_FOUND)
    return found.to_dict()


@twin(
    router,
    "POST",
    "/admin/imports/jobs/{job_id}/good-rows",
    redirect=lambda started: f"/admin/imports/jobs/{started['id']}",
    api=Api(
        "/api/imports/jobs/{job_id}/good-rows",
        status=202,
        responses={404: {"description": "No upload waits on that import"}},
    ),
)
def import_good_rows(
    request: Request, job_id: str, principal: Annotated[Principal, Depends(ADMIN)]
) -> dict[str, Any]:
    """Import the good rows of an upload that bad rows stopped: a new job, the bad rows left
    out and reported."""
    web: WebContext = request.app.state.web
    params = uploads.good_rows_job(web.settings, job_id[:64], Actor.of(principal).to_dict())
    return web.jobs.start(principal.user_id, "import", params).to_dict()


@twin(
    router,
    "POST",
    "/admin/imports/jobs/{job_id}/discard",
    redirect="/admin/imports",
    api=Api(
        "/api/imports/jobs/{job_id}/upload",
        method="DELETE",
        status=204,
        responses={404: {"description": "No upload waits on that import"}},
    ),
)
def discard_upload(request: Request, job_id: str, _: Annotated[Principal, Depends(ADMIN)]) -> None:
    """Delete the upload that waits on an import stopped by bad rows."""
    uploads.discard(request.app.state.web.settings, job_id[:64])


@router.get("/admin/imports/jobs/{job_id}/rejects.csv", include_in_schema=False)
def rejects_file(
    request: Request, job_id: str, _: Annotated[Principal, Depends(ADMIN)]
) -> FileResponse:
    """Every row an import rejected, with why (formula cells neutralised when written)."""
    path = uploads.rejects_path(request.app.state.web.settings, job_id[:64])
    return FileResponse(path, media_type="text/csv", filename=path.name)


@twin(
    router,
    "GET",
    "/admin/imports/syncs",
    template="admin_imports.html",
    api=Api("/api/syncs", pick=lambda data: data["syncs"], response_model=list[dict[str, Any]]),
)
def syncs(request: Request, _: Annotated[Principal, Depends(ADMIN)]) -> dict[str, Any]:
    """Each CRM's sync log: whether it has a token, its last success, its last error and its
    latest runs with, per object, the records read and the events added, already stored and
    rejected."""
    return imports_data(request.app.state.web)


@router.post("/admin/imports/syncs/{source}", include_in_schema=False)
def sync_now(
    request: Request, source: str, principal: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    """Queue a sync of ``source`` now, and show its job's progress."""
    web: WebContext = request.app.state.web
    if source not in SOURCES:
        raise NotFound(f"no CRM named {source!r}")
    job = start_sync(web.settings, principal.user_id, source, Actor.of(principal).to_dict())
    web.jobs.start_queued()
    return RedirectResponse(f"/admin/imports/jobs/{job.id}", status_code=303)


@router.post("/admin/imports/syncs/{source}/token", include_in_schema=False)
async def sync_token(
    request: Request, source: str, principal: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    """Keep the CRM's API token, encrypted (an empty one removes it); it is never shown."""
    web: WebContext = request.app.state.web
    if source not in SOURCES:
        raise NotFound(f"no CRM named {source!r}")
    form = await request.form()
    token = form.get("token")
    text = token if isinstance(token, str) else ""
    await run_in_threadpool(set_token, web.settings, source, text, by=Actor.of(principal))
    return RedirectResponse("/admin/imports", status_code=303)
