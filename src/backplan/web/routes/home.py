"""The home page: where each role starts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from backplan.accounts.access import Principal
from backplan.web.navigation import links_for
from backplan.web.permissions import SIGNED_IN
from backplan.web.render import page
from backplan.web.routes.auth import user_dict

router = APIRouter()


@router.get("/", include_in_schema=False)
def home(request: Request, principal: Annotated[Principal, Depends(SIGNED_IN)]) -> Response:
    return page(request, "home.html", {"user": user_dict(principal), "links": links_for(principal)})
