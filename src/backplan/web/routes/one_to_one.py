"""The 1:1 agenda: one printable page per rep, and the same agenda as Markdown.

Seen by the rep themselves, their managers and admins; a rep the user may not see answers
as one who does not exist (404).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse

from backplan.accounts.access import Principal
from backplan.services.one_to_one import agenda, agenda_markdown
from backplan.web.context import WebContext
from backplan.web.permissions import SIGNED_IN
from backplan.web.routes.coaching import visible_rep
from backplan.web.twins import Api, twin
from backplan.web.types import Day

router = APIRouter()

NOT_SEEN: dict[int | str, dict[str, Any]] = {404: {"description": "No such rep visible to you"}}


@twin(
    router,
    "GET",
    "/reps/{rep}/one-to-one",
    template="one_to_one.html",
    api=Api("/api/reps/{rep}/one-to-one", responses=NOT_SEEN),
)
def one_to_one(
    request: Request,
    rep: str,
    principal: Annotated[Principal, Depends(SIGNED_IN)],
    as_of: Day | None = None,
) -> dict[str, Any]:
    """A rep's 1:1 agenda: where they stand against their agreed plan (``today``), what the
    diagnosis says (``diagnosis``), their coaching focus with its evidence (``focuses``) and
    the commitments from last time (``commitments``)."""
    web: WebContext = request.app.state.web
    return agenda(web.settings, visible_rep(web, principal, rep), as_of)


@router.get(
    "/api/reps/{rep}/one-to-one.md",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/markdown": {}}}, **NOT_SEEN},
)
def one_to_one_markdown(
    request: Request,
    rep: str,
    principal: Annotated[Principal, Depends(SIGNED_IN)],
    as_of: Day | None = None,
) -> PlainTextResponse:
    """The rep's 1:1 agenda as Markdown, to paste into notes or print."""
    web: WebContext = request.app.state.web
    text = agenda_markdown(agenda(web.settings, visible_rep(web, principal, rep), as_of))
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")
