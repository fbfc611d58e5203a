"""Admin: upload a CRM export, watch the import's progress, and see every rejected row."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from backplan.accounts.access import Principal
from backplan.core.errors import NotFound
from backplan.services.importing import UPLOADS_DIR, mapping_names, recent_imports
from backplan.web.context import WebContext
from backplan.web.permissions import ADMIN
from backplan.web.render import page, wants_json

router = APIRouter()

UPLOADS = UPLOADS_DIR  # the roster page keeps its uploads there too
NOT_FOUND = "No import job with that id."


def safe_upload_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name)[:100].strip("._")
    return stem or "upload"


def _imports_page(request: Request, *, error: str = "", status: int = 200) -> Response:
    web: WebContext = request.app.state.web
    data = {
        "mappings": mapping_names(),
        "imports": recent_imports(web.settings),
        "error": error or None,
    }
    return page(request, "admin_imports.html", data, status=status)


@router.get("/admin/imports", include_in_schema=False)
def imports_page(request: Request, _: Annotated[Principal, Depends(ADMIN)]) -> Response:
    return _imports_page(request)


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
    folder = web.settings.home / UPLOADS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{secrets.token_hex(8)}-{safe_upload_name(upload.filename)}"
    with target.open("wb") as out:
        await run_in_threadpool(shutil.copyfileobj, upload.file, out, 1 << 20)
    params = {
        "file": str(target),
        "name": Path(upload.filename).name,
        "mapping": mapping,
        "allow_rejects": form.get("allow_rejects") == "on",
        "add_reps": form.get("add_reps") == "on",
    }
    try:
        job = await run_in_threadpool(web.jobs.start, principal.user_id, "import", params)
    except BaseException:
        target.unlink(missing_ok=True)  # never queued: nothing will delete it
        raise
    if wants_json(request):
        return page(request, "admin_import_job.html", job.to_dict(), status=202)
    return RedirectResponse(f"/admin/imports/jobs/{job.id}", status_code=303)


def _job(web: WebContext, job_id: str) -> dict[str, Any]:
    job = web.jobs.get(job_id[:64])
    if job is None:
        raise NotFound(NOT_FOUND)
    return job.to_dict()


@router.get("/admin/imports/jobs/{job_id}", include_in_schema=False)
def job_page(request: Request, job_id: str, _: Annotated[Principal, Depends(ADMIN)]) -> Response:
    return page(request, "admin_import_job.html", _job(request.app.state.web, job_id))


@router.get("/api/imports/jobs/{job_id}", responses={404: {"description": "No such job"}})
def api_job(
    job_id: str, request: Request, _: Annotated[Principal, Depends(ADMIN)]
) -> dict[str, Any]:
    """An import job: its stage and progress, then its summary and rejected rows."""
    return _job(request.app.state.web, job_id)


@router.get("/api/imports")
def api_imports(request: Request, _: Annotated[Principal, Depends(ADMIN)]) -> list[dict[str, Any]]:
    """The import log, newest first."""
    return recent_imports(request.app.state.web.settings)
