"""Who needs attention first in a team, and why: the manager's home page and weekly digest.

On the team's diagnosis against its objective in force, the reps flagged on strong evidence,
most output at stake first, each with their bottleneck; without an objective, the rates
flagged on strong evidence below the team's. The same reasons on the page and in the email.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from backplan.config import Settings
from backplan.core.errors import BackplanError, NoObjective
from backplan.services.definitions import organisation_funnel, organisation_playbook
from backplan.services.formatting import counted

ATTENTION = 3
"""Reps listed per team: the most output at stake first."""


def attention_from(settings: Settings, team: str, details: dict[str, Any]) -> dict[str, Any]:
    """The team's reps who need attention first, from its ``diagnosis`` (a diagnosis dict, or
    None without an objective) and its ``flags`` (rates flagged below the team's)."""
    diagnosis = details.get("diagnosis")
    if diagnosis and not diagnosis.get("error"):
        members = [m for m in diagnosis.get("reps", []) if m.get("flagged")]
        members.sort(key=lambda m: -m["output_at_stake"])
        stage = organisation_funnel(settings, diagnosis["funnel"]).stage(
            diagnosis["objective"]["stage"]
        )
        return {
            "team": team,
            "objective": diagnosis["objective"]["text"],
            "reps": [why(m, stage.unit, stage.plural) for m in members[:ATTENTION]],
            "error": None,
        }
    reps = [
        {
            "rep": f["rep"],
            "name": f["name"] or f["rep"],
            "conversion": f["conversion"],
            "reason": (
                f"{f['conversion']} at {f['estimate']:.0%} against the team's {f['team_rate']:.0%}"
            ),
            "coaching": f["coaching"],
            "at_stake": None,
        }
        for f in details.get("flags", [])[:ATTENTION]
    ]
    return {"team": team, "objective": None, "reps": reps, "error": details.get("error")}


def why(member: dict[str, Any], unit: str, plural: str) -> dict[str, Any]:
    """One rep's reason for attention: the bottleneck, its evidence, what it costs."""
    b = member["bottleneck"]
    return {
        "rep": member["rep"],
        "name": member["name"],
        "conversion": b["conversion"],
        "reason": (
            f"{b['from']} → {b['to']} at {b['estimate']:.0%} against {b['reference_rate']:.0%} "
            f"{'planned' if b['reference'] == 'plan' else 'for the team'}"
        ),
        "coaching": member["coaching"]["area"] if member.get("coaching") else None,
        "at_stake": counted(round(member["output_at_stake"], 1), unit, plural),
    }


def team_attention(settings: Settings, team: str, as_of: date | None = None) -> dict[str, Any]:
    """Who in ``team`` needs attention first, read from the data (the digest's, the CLI's;
    the web reads the same through its cached team page)."""
    from backplan.services.diagnosis import (
        DiagnosisRequest,
        build_context,
        diagnose_team,
        result_to_dict,
    )

    details: dict[str, Any] = {"diagnosis": None, "flags": []}
    try:
        context = build_context(settings, DiagnosisRequest(as_of=as_of))
        details["diagnosis"] = result_to_dict(diagnose_team(context, team))
    except NoObjective:
        details["flags"] = _flags(settings, team, as_of or settings.clock.today())
    except BackplanError as e:
        details["error"] = str(e)
    return attention_from(settings, team, details)


def _flags(settings: Settings, team: str, today: date) -> list[dict[str, Any]]:
    """The team's rates flagged on strong evidence below the team's, surest first."""
    from backplan.services.rates import RatesRequest, rates_report, report_to_dict

    try:
        report = report_to_dict(
            rates_report(settings, RatesRequest(settings.funnel, team=team), today)
        )
    except BackplanError:
        return []
    book = organisation_playbook(settings)
    flags = [
        {
            "rep": r["rep"],
            "name": r["name"],
            "conversion": r["conversion"],
            "estimate": r["estimate"],
            "team_rate": r["team_rate"],
            "p_below_team": r["p_below_team"],
            "coaching": found.area if (found := book.get(r["conversion"])) else None,
        }
        for r in report["rates"]
        if r.get("flagged")
    ]
    return sorted(flags, key=lambda f: -f["p_below_team"])


__all__ = ["ATTENTION", "attention_from", "team_attention", "why"]
