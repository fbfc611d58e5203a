"""One route, two answers: an HTML page for browsers, the same data as JSON for scripts.

A request gets JSON when its path is under ``/api/`` or when its ``Accept``
header asks for ``application/json`` rather than HTML.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from backplan.services.formatting import counted, number, pace, percent, points
from backplan.services.uploads import reason_in_words
from backplan.web.context import HERE, static_version
from backplan.web.navigation import links_for
from backplan.web.rates_cache import figures_as_of

PLOTLY_VERSION = version("plotly")
PLOTLY_URL = f"/static/vendor/plotly-{PLOTLY_VERSION}.min.js"

templates = Jinja2Templates(directory=HERE / "templates")


def static_url(name: str) -> str:
    return f"/static/{name}?v={static_version(name)}"


def json_script(data: Any) -> Markup:
    """Data for a page's script, safe inside <script type="application/json">."""
    text = json.dumps(jsonable_encoder(data))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def working_time(elapsed: float, total: int) -> str:
    """How much of a period's working time has passed, in words."""
    if elapsed <= 0:
        return f"no working time gone yet of {total} working days: nothing is expected so far"
    return f"{number(elapsed)} of {total} working days gone"


templates.env.globals.update(static_url=static_url, plotly_url=PLOTLY_URL, links_for=links_for)
templates.env.filters.update(
    json_script=json_script,
    number=number,
    pace=pace,
    counted=counted,
    percent=percent,
    points=points,
    reason=reason_in_words,
)
templates.env.globals.update(working_time=working_time)


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def json_response(data: Any, status: int = 200) -> JSONResponse:
    """``data`` as JSON. Most pages' data are plain already (kept answers are): those are
    written at once; the rest (dates, numpy numbers) go through FastAPI's encoder, which
    walks every value in Python (14 ms for a team's 64 KB diagnosis) — kept answers would
    pay that on every request."""
    try:
        return JSONResponse(data, status_code=status)
    except TypeError:  # something json cannot write as it is: a date, a numpy integer
        return JSONResponse(jsonable_encoder(data), status_code=status)


def page(
    request: Request,
    template: str,
    data: dict[str, Any],
    *,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> Response:
    """``data`` as JSON, or rendered into ``template`` (with ``extra`` for the HTML only).

    When the figures were kept from before the latest import while the new ones are being
    computed (``web/rates_cache.py``), the page says so (and every answer carries the header
    ``X-Backplan-Figures-As-Of``: ``FiguresAsOf`` in ``web/app.py``)."""
    as_of = figures_as_of()
    if wants_json(request):
        response: Response = json_response(data, status)
    else:
        session = getattr(request.state, "session", None)
        context = {
            "data": data,
            "principal": session.principal if session else None,
            "csrf_token": session.csrf_token if session else "",
            "figures_as_of": as_of,
            **(extra or {}),
        }
        response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Vary"] = "Accept, Cookie"
    return response
