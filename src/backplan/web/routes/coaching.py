"""Coaching: each team's focuses and whether they worked, a form to start one, a button to end it.

Managers see and coach the reps of their teams, admins everyone's, a rep their own focuses
only. A focus or a rep the user may not see answers exactly as a missing one (404).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from backplan.accounts.access import Principal, Role
from backplan.core.errors import BackplanError, InvalidInput, UnknownFocus, UnknownRep
from backplan.services import coaching
from backplan.services.coaching_views import focus_view, focus_views, start_options
from backplan.services.what_works import what_works, what_works_to_dict
from backplan.web.context import WebContext
from backplan.web.permissions import SIGNED_IN
from backplan.web.render import page, wants_json
from backplan.web.twins import Api, twin
from backplan.web.types import Day, RowId

router = APIRouter()

NO_FOCUS = "No coaching focus with that id among the focuses you can see."
MAX_TEXT = 500
MAX_ITEMS = 20


def coached_reps(web: WebContext, principal: Principal) -> list[dict[str, str | None]]:
    """The reps ``principal`` may coach: an admin everyone, a manager their teams', a rep
    themselves."""
    if principal.role is Role.ADMIN:
        return web.reps_of(frozenset(web.teams()))
    if principal.role is Role.MANAGER:
        return web.reps_of(principal.teams)
    if principal.rep is None:
        return []
    return [{"rep": principal.rep, "name": principal.rep, "team": web.team_of(principal.rep)}]


def visible_rep(web: WebContext, principal: Principal, rep: str) -> str:
    """``rep`` when ``principal`` may see them, else 404 as for a rep who does not exist."""
    rep = rep.strip()[:200]
    if not principal.can_see_rep(rep, web.team_of(rep)) or rep not in web.known_reps():
        raise UnknownRep(f"No rep named {rep!r} among the reps you can see.")
    return rep


def visible_focus(web: WebContext, principal: Principal, focus_id: int) -> coaching.Focus:
    found = [f for f in coaching.list_focuses(web.settings) if f.id == focus_id]
    if not found or not principal.can_see_rep(found[0].rep, web.team_of(found[0].rep)):
        raise UnknownFocus(NO_FOCUS)
    return found[0]


def _split(views: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {
        "current": [v for v in views if v["current"]],
        "ended": [v for v in views if not v["current"]],
    }


def coaching_data(web: WebContext, principal: Principal, as_of: date | None) -> dict[str, Any]:
    """Each group's focuses with their reviews, what works across them, and the form's
    choices."""
    day = as_of or web.settings.clock.today()
    groups = []
    if principal.role is Role.REP:
        views, problem = focus_views(web.settings, rep=principal.rep, as_of=day)
        groups.append({"team": None, "rep": principal.rep, **_split(views), "note": problem})
        scope: dict[str, Any] = {"rep": principal.rep}
    else:
        teams = sorted(web.teams() if principal.role is Role.ADMIN else principal.teams)
        for team in teams:
            try:
                views, problem = focus_views(web.settings, team=team, as_of=day)
            except BackplanError as e:
                views, problem = [], str(e)
            groups.append({"team": team, "rep": None, **_split(views), "note": problem})
        scope = {"teams": teams}
    return {
        "as_of": day.isoformat(),
        "groups": groups,
        "what_works": what_works_to_dict(what_works(web.settings, as_of=day, **scope)),
        "reps": coached_reps(web, principal),
        "conversions": start_options(web.settings),
        "today": web.settings.clock.today().isoformat(),
    }


@twin(router, "GET", "/coaching", template="coaching.html", api=Api("/api/coaching"))
def coaching_page(
    request: Request,
    principal: Annotated[Principal, Depends(SIGNED_IN)],
    as_of: Day | None = None,
) -> dict[str, Any]:
    """The coaching focuses you can see (``groups``: per team, or your own), each reviewed
    against the rest of its team (before → after, the control's change, the effect, P and the
    verdict, in figures and in words); what works across them (``what_works``)."""
    web: WebContext = request.app.state.web
    day = as_of or web.settings.clock.today()
    # Kept per person seen as their role and teams see it: the same for every rep of a team.
    seen_as = (principal.role, principal.rep, tuple(sorted(principal.teams)))
    return web.rates.kept(("coaching", seen_as, day), lambda: coaching_data(web, principal, as_of))


class FocusInput(BaseModel):
    """A focus to start: ``focus`` is a conversion written TO/FROM, ``playbook`` items the
    playbook's suggestions for it, by number (1 is the first) or text."""

    rep: str = Field(min_length=1, max_length=200)
    focus: str = Field(min_length=3, max_length=200, examples=["sqls/meetings"])
    since: Day | None = Field(default=None, description="Default: today")
    note: str | None = Field(default=None, max_length=MAX_TEXT)
    playbook: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    commitments: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)


def _start(web: WebContext, principal: Principal, body: FocusInput) -> dict[str, Any]:
    rep = visible_rep(web, principal, body.rep)
    request = coaching.FocusRequest(
        rep=rep,
        focus=body.focus,
        since=body.since or web.settings.clock.today(),
        note=body.note,
        playbook=[p[:MAX_TEXT] for p in body.playbook],
        commitments=[c[:MAX_TEXT] for c in body.commitments],
        by=principal.email,
    )
    return focus_view(web.settings, coaching.start_focus(web.settings, request))


def _form_input(form: Any) -> FocusInput:
    """The start form's fields: playbook checkboxes are named per conversion
    (``playbook:sqls/meetings``) and the commitments are one a line."""
    focus = str(form.get("focus", "")).strip()
    since = str(form.get("since", "")).strip()
    try:
        day = date.fromisoformat(since) if since else None
    except ValueError:
        raise InvalidInput(f"cannot read the start date {since[:20]!r}; pick a day") from None
    lines = str(form.get("commitments", ""))[: MAX_TEXT * 4].splitlines()
    return FocusInput(
        rep=str(form.get("rep", "")).strip()[:200] or "-",
        focus=focus[:200] or "-/-",
        since=day,
        note=str(form.get("note", "")).strip()[:MAX_TEXT] or None,
        playbook=[str(v) for v in form.getlist(f"playbook:{focus}")][:MAX_ITEMS],
        commitments=[line.strip() for line in lines if line.strip()][:MAX_ITEMS],
    )


@router.post("/coaching/focuses", include_in_schema=False)
async def start_focus_form(
    request: Request, principal: Annotated[Principal, Depends(SIGNED_IN)]
) -> Response:
    """Start a focus from the Coaching page's form (a rep's current focus on the same
    conversion ends)."""
    web: WebContext = request.app.state.web
    body = _form_input(await request.form())
    started = await run_in_threadpool(_start, web, principal, body)
    if wants_json(request):
        return page(request, "coaching.html", started, status=201)
    return RedirectResponse(f"/coaching#focus-{started['id']}", status_code=303)


@router.post(
    "/api/coaching/focuses",
    status_code=201,
    responses={404: {"description": "No such rep visible to you"}},
)
def api_start_focus(
    body: FocusInput, request: Request, principal: Annotated[Principal, Depends(SIGNED_IN)]
) -> dict[str, Any]:
    """Start a coaching focus for a rep you coach (yourself, for a rep); their current focus on
    the same conversion ends. Answers the focus."""
    return _start(request.app.state.web, principal, body)


@twin(
    router,
    "POST",
    "/coaching/focuses/{focus_id}/end",
    redirect="/coaching",
    api=Api(
        "/api/coaching/focuses/{focus_id}/end",
        responses={404: {"description": "No such focus visible to you"}},
    ),
)
def end_focus(
    request: Request, focus_id: RowId, principal: Annotated[Principal, Depends(SIGNED_IN)]
) -> dict[str, Any]:
    """End a current coaching focus (it is kept, with who ended it and when)."""
    web: WebContext = request.app.state.web
    focus = visible_focus(web, principal, focus_id)
    if not focus.current:
        raise InvalidInput("this focus has already ended")
    ended = coaching.end_focus(web.settings, focus.rep, focus.conversion, by=principal.email)
    return focus_view(web.settings, ended)
