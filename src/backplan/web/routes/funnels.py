"""Funnels and playbook: the stages every plan runs through, and what to coach when one is weak.

What is shown is what is in force: the shipped definitions as the
organisation's admins edited them (see ``backplan.services.definitions``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from backplan.accounts.access import Principal
from backplan.config import Settings
from backplan.core.errors import NotFound
from backplan.core.funnel import Funnel
from backplan.services import definitions
from backplan.web.permissions import SIGNED_IN
from backplan.web.planning import named_funnel
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


def entry_dict(entry: definitions.FunnelEntry) -> dict[str, Any]:
    """Where a funnel comes from: ``shipped`` or ``organisation``, and its last edit."""
    return {
        "source": entry.source,
        "shipped": entry.shipped,
        "edited_by": entry.edited.created_by if entry.edited else None,
        "edited_at": entry.edited.created_at.isoformat() if entry.edited else None,
    }


def organisation_funnels(settings: Settings) -> list[dict[str, Any]]:
    """Every funnel in force, with its stages and where it comes from."""
    return [
        {**funnel_dict(named_funnel(settings, e.name)), "name": e.name, **entry_dict(e)}
        for e in definitions.funnel_entries(settings)
    ]


def playbook_dict(settings: Settings) -> dict[str, Any]:
    """The playbook in force: shipped ← the BACKPLAN_PLAYBOOK file ← the organisation's edits."""
    book = definitions.organisation_playbook(settings)
    return {
        "source": definitions.playbook_source(settings),
        "conversions": [c.to_dict() for c in book.conversions.values()],
        "channels": [c.to_dict() for c in book.channels.values()],
        "volume": [c.to_dict() for c in book.volume.values()],
    }


@router.get("/funnels", include_in_schema=False)
def funnels_page(request: Request, _: Annotated[Principal, Depends(SIGNED_IN)]) -> Response:
    settings: Settings = request.app.state.web.settings
    data = {"funnels": organisation_funnels(settings), "playbook": playbook_dict(settings)}
    return page(request, "funnels.html", data)


@router.get("/api/funnels/{name}", responses={404: {"description": "No such funnel"}})
def api_funnel(
    name: str, request: Request, _: Annotated[Principal, Depends(SIGNED_IN)]
) -> dict[str, Any]:
    """One funnel in force: stages, conversions, channels, its source and its TOML."""
    settings: Settings = request.app.state.web.settings
    name = name[:100]
    entry = next((e for e in definitions.funnel_entries(settings) if e.name == name), None)
    if entry is None:
        raise NotFound(f"No funnel named {name!r}.")
    return {
        **funnel_dict(named_funnel(settings, name)),
        "name": name,
        **entry_dict(entry),
        "toml": definitions.funnel_text(settings, name),
    }


@router.get("/api/playbook")
def api_playbook(request: Request, _: Annotated[Principal, Depends(SIGNED_IN)]) -> dict[str, Any]:
    """The coaching playbook in force: by conversion, by channel and by volume."""
    return playbook_dict(request.app.state.web.settings)
