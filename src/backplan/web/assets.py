"""Static files with long cache lifetimes: the app's own (URLs carry a content hash) and Plotly."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from backplan.accounts.access import Principal
from backplan.web.permissions import PUBLIC, PublicFiles
from backplan.web.render import PLOTLY_VERSION

FOREVER = "public, max-age=31536000, immutable"
router = APIRouter()


class CachedStaticFiles(StaticFiles, PublicFiles):
    """The app's CSS and JS; their URLs change with their content, so they cache for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = FOREVER
        return response


def plotly_js() -> Path:
    """Plotly's JavaScript, from the installed ``plotly`` package (never a CDN)."""
    return Path(str(files("plotly") / "package_data" / "plotly.min.js"))


@router.get(f"/static/vendor/plotly-{PLOTLY_VERSION}.min.js", include_in_schema=False)
def plotly(_: Annotated[Principal | None, Depends(PUBLIC)]) -> FileResponse:
    return FileResponse(
        plotly_js(), media_type="text/javascript", headers={"Cache-Control": FOREVER}
    )
