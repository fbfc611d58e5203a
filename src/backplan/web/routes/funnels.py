"""Funnels and playbook: the stages every plan runs through, and what to coach when one is weak."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from backplan.accounts.access import Principal
from backplan.core.funnel import Funnel
from backplan.defaults import funnel, funnel_names, playbook
from backplan.settings import Settings
from backplan.web.permissions import SIGNED_IN
from backplan.web.render import page

router = APIRouter()


def funnel_dict(f: Funnel) -> dict[str, Any]:
    return {
        "key": f.key,
        "label": f.label,
        "description": f.description,
        "focus": f.focus.key,
        "stages": [
            {
                "key": s.key,
                "label": s.label,
                "kinds": list(s.kinds),
                "tracks": list(s.tracks),
                "focus": s.focus,
            }
            for s in f.stages
        ],
        "conversions": [{"key": c.key, "label": c.label} for c in f.conversions()],
        "channels": [
            {"key": c.key, "label": c.label, "kinds": list(c.kinds), "feeds": list(c.feeds)}
            for c in f.channels
        ],
    }


def organisation_playbook(settings: Settings) -> dict[str, Any]:
    """The playbook in force: the shipped one, overridden by the organisation's TOML if set."""
    book = playbook(settings.playbook)
    return {
        "source": str(settings.playbook) if settings.playbook else "shipped default",
        "conversions": [c.to_dict() for c in book.conversions.values()],
        "channels": [c.to_dict() for c in book.channels.values()],
        "volume": [c.to_dict() for c in book.volume.values()],
    }


@router.get("/funnels", include_in_schema=False)
def funnels_page(request: Request, _: Annotated[Principal, Depends(SIGNED_IN)]) -> Response:
    settings: Settings = request.app.state.web.settings
    data = {
        "funnels": [funnel_dict(funnel(name)) for name in funnel_names()],
        "playbook": organisation_playbook(settings),
    }
    return page(request, "funnels.html", data)


@router.get("/api/playbook")
def api_playbook(request: Request, _: Annotated[Principal, Depends(SIGNED_IN)]) -> dict[str, Any]:
    """The coaching playbook in force: by conversion, by channel and by volume."""
    return organisation_playbook(request.app.state.web.settings)
