"""Team: every rep's rates side by side, shaded by how sure we are that they are below the team's.

Managers see the teams they manage, admins every team, and a rep their own
team as aggregates only (the team's pooled rates, no other rep's figures).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from backplan.accounts.access import Principal, Role
from backplan.core.bounds import check_day
from backplan.core.errors import BackplanError, UnknownTeam
from backplan.core.flags import FLAG_RULE
from backplan.services.coaching_views import focus_views
from backplan.services.definitions import funnel_names, organisation_playbook
from backplan.web.context import WebContext
from backplan.web.permissions import SIGNED_IN
from backplan.web.planning import named_funnel
from backplan.web.twins import Api, twin
from backplan.web.types import Day

router = APIRouter()

STRONG_EVIDENCE = FLAG_RULE.threshold(1)  # the bar for one comparison; more raise it (core.flags)


def team_diagnosis(
    web: WebContext, team: str, funnel: str, query: dict[str, str], since: date | None,
    until: date | None,
) -> dict[str, Any] | None:  # fmt: skip
    """The onion diagnosis of the team and each rep: against the objective and rates in the
    query, else the team's objective for the period and the plans its reps agreed; None when
    there is neither (the page then asks for an objective). Kept per team, window and query
    until the data change, the error or None included: finding there is no objective reads
    as much as a diagnosis does."""
    parts = ("team-diagnosis", team, funnel, since, until, tuple(sorted(query.items())))
    return web.rates.kept(parts, lambda: _diagnosis(web, team, funnel, query, since, until))


def _diagnosis(
    web: WebContext, team: str, funnel: str, query: dict[str, str], since: date | None,
    until: date | None,
) -> dict[str, Any] | None:  # fmt: skip
    objective = query.get("objective", "").strip()
    from backplan.core.errors import NoObjective
    from backplan.services.diagnosis import (
        DiagnosisRequest,
        build_context,
        diagnose_team,
        result_to_dict,
    )

    rates = {k: v.strip() for k, v in query.items() if "/" in k and v.strip()}
    as_of = query.get("as_of")
    try:
        request = DiagnosisRequest(
            objective=objective[:100] or None,
            rates=rates,
            funnel=funnel,
            since=since,
            until=until,
            as_of=check_day(date.fromisoformat(as_of), "as_of") if as_of else None,
        )
        return result_to_dict(diagnose_team(build_context(web.settings, request), team))
    except ValueError:
        return {"error": f"cannot read as_of {as_of!r}; write it as YYYY-MM-DD"}
    except NoObjective:
        return None if not objective else {"error": "no objective to diagnose against"}
    except BackplanError as e:
        return {"error": str(e)}


def team_focuses(web: WebContext, team: str) -> dict[str, list[dict[str, Any]]]:
    """Each rep's current coaching focuses, with the verdict so far."""
    today = web.settings.clock.today()
    try:
        views, _ = web.rates.kept(
            ("team-focuses", team), lambda: focus_views(web.settings, team=team, as_of=today)
        )
    except BackplanError:  # a team known to accounts but not (yet) to the roster
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    for view in views:
        if view["current"]:
            found.setdefault(view["rep"], []).append(view)
    return found


def team_details(
    web: WebContext,
    principal: Principal,
    team: str,
    funnel: str | None,
    since: date | None,
    until: date | None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    team = team[:200]
    own = web.team_of(principal.rep) if principal.rep else None
    if not principal.can_see_team(team, own) or team not in web.teams():
        raise UnknownTeam(f"No team named {team!r} among the teams you can see.")
    chosen = funnel or web.settings.funnel
    named_funnel(web.settings, chosen)
    data: dict[str, Any] = {
        "team": team,
        "funnels": funnel_names(web.settings),
        "aggregates_only": principal.role is Role.REP,
        "reps": [r for r in web.reps_of(frozenset({team}))],
        "focuses": {} if principal.role is Role.REP else team_focuses(web, team),
    }
    if not web.has_events():
        return {**data, "error": "No events yet: an admin imports them on the Imports page."}
    try:
        rates = dict(web.rates.view("team", team, chosen, since, until, web.settings.clock.today()))
    except BackplanError as e:
        return {**data, "error": str(e)}
    book = organisation_playbook(web.settings)
    conversions = named_funnel(web.settings, chosen).conversions()
    coaching = {c.key: found.area for c in conversions if (found := book.get(c.key))}
    flags = sorted(
        (
            {
                "rep": r["rep"],
                "name": r["name"],
                "conversion": r["conversion"],
                "estimate": r["estimate"],
                "team_rate": r["team_rate"],
                "p_below_team": r["p_below_team"],
                "coaching": coaching.get(r["conversion"]),
            }
            for r in rates["rates"]
            if r.get("flagged")
        ),
        key=lambda f: -f["p_below_team"],
    )
    diagnosis = None
    if principal.role is Role.REP:
        rates["rates"], flags = [], []
        data["reps"] = []
    else:
        diagnosis = team_diagnosis(web, team, chosen, query or {}, since, until)
    return {
        **data,
        **rates,
        "flags": flags,
        "strong_evidence": STRONG_EVIDENCE,
        "conversions": [{"key": c.key, "label": c.label} for c in conversions],
        "plan": {k: v for k, v in (query or {}).items() if k == "objective" or "/" in k},
        "diagnosis": diagnosis,
    }


@twin(
    router,
    "GET",
    "/teams/{team}",
    template="team.html",
    api=Api("/api/teams/{team}", responses={404: {"description": "No such team visible to you"}}),
)
def team(
    request: Request,
    team: str,
    principal: Annotated[Principal, Depends(SIGNED_IN)],
    funnel: str | None = None,
    since: Day | None = None,
    until: Day | None = None,
) -> dict[str, Any]:
    """A team's rates: per rep with intervals and P(below team) (managers of the team, admins),
    the team's pooled rates (also its reps), and the cells flagged on strong evidence. With
    ``objective`` and planned rates (``sqls/meetings=1/3`` ...) in the query, also the onion
    diagnosis of the team and of each rep (as ``backplan team --json``)."""
    query = dict(request.query_params)
    return team_details(request.app.state.web, principal, team, funnel, since, until, query)
