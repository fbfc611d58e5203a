"""The 1:1 agenda: one page per rep, made from what backplan already knows about them.

In the order a 1:1 runs: where the rep stands against the plan they agreed (their day,
``services.today``), what the diagnosis says (``services.diagnosis``, against their
objective in force), the coaching focus and its evidence (``services.coaching_views``),
and the commitments from last time (the focus's). As data for the page and the API, and
as Markdown to paste into notes or print.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from backplan.config import Settings
from backplan.core.errors import BackplanError
from backplan.services.coaching import list_focuses
from backplan.services.coaching_views import focus_view, focus_views
from backplan.services.formatting import counted, number, pace
from backplan.services.roster import roster_entry
from backplan.services.today import rep_today, today_to_dict


def agenda(settings: Settings, rep: str, as_of: date | None = None) -> dict[str, Any]:
    """The rep's 1:1 agenda as at the end of ``as_of`` (default: now, by the clock)."""
    day, _ = settings.clock.as_of(as_of)
    entry = roster_entry(settings, rep) or {}
    return {
        "rep": rep,
        "name": entry.get("name") or rep,
        "team": entry.get("team"),
        "as_of": day.isoformat(),
        "today": _today(settings, rep, as_of),
        "diagnosis": _diagnosis(settings, rep, as_of),
        **_coaching(settings, rep, day),
    }


def _today(settings: Settings, rep: str, as_of: date | None) -> dict[str, Any]:
    try:
        data = today_to_dict(rep_today(settings, rep, as_of))
    except BackplanError as e:
        return {"error": str(e)}
    data.pop("coaching", None)  # shown once, as the agenda's own section
    return data


def _diagnosis(settings: Settings, rep: str, as_of: date | None) -> dict[str, Any]:
    """What the diagnosis against the rep's objective in force says, in its own words."""
    from backplan.services.diagnosis import (
        DiagnosisRequest,
        build_context,
        diagnose_rep,
        result_to_dict,
    )

    try:
        found = result_to_dict(
            diagnose_rep(build_context(settings, DiagnosisRequest(as_of=as_of)), rep)
        )
    except BackplanError as e:
        return {"error": str(e)}
    return {
        "error": None,
        "objective": found["objective"]["text"],
        "on_track": found["on_track"],
        "explanation": found["explanation"],
        "coaching": found["coaching"],
    }


def _coaching(settings: Settings, rep: str, day: date) -> dict[str, Any]:
    """The current focuses with their evidence, and the commitments to follow up: the
    current focuses', else those of the focus that ended last."""
    try:
        views, problem = focus_views(settings, rep=rep, as_of=day)
    except BackplanError as e:
        return {"focuses": [], "commitments": [], "coaching_note": str(e)}
    current = [v for v in views if v["current"]]
    source = current or _last_ended(settings, rep)
    commitments = [{"text": c, "focus": v["label"]} for v in source for c in v["commitments"]]
    return {"focuses": current, "commitments": commitments, "coaching_note": problem}


def _last_ended(settings: Settings, rep: str) -> list[dict[str, Any]]:
    ended = [f for f in list_focuses(settings, rep=rep) if not f.current]
    if not ended:
        return []
    last = max(ended, key=lambda f: f.ended_at or f.created_at)
    return [focus_view(settings, last)]


# -- Markdown --------------------------------------------------------------------------


def agenda_markdown(data: dict[str, Any]) -> str:
    """The agenda as Markdown: headings, lists and a checkbox per commitment."""
    day = date.fromisoformat(data["as_of"])
    lines = [f"# 1:1 with {data['name']}, {day:%A %-d %B %Y}", ""]
    lines += ["## Where you stand against your plan", "", *_standing(data["today"]), ""]
    d = data["diagnosis"]
    lines += ["## What the diagnosis says", ""]
    if d.get("error"):
        lines += [f"_{d['error']}_", ""]
    else:
        lines += [f"Against {d['objective']}.", ""]
        lines += [f"{i}. {line}" for i, line in enumerate(d["explanation"], 1)] + [""]
        if d["coaching"]:
            lines += [f"**Coach: {d['coaching']['area']}.** {d['coaching']['why']}", ""]
    lines += ["## Coaching focus", ""]
    if data.get("coaching_note"):
        lines += [f"_{data['coaching_note']}_", ""]
    if not data["focuses"]:
        lines += ["No current focus.", ""]
    for f in data["focuses"]:
        lines += _focus_lines(f)
    lines += ["## Commitments from last time", ""]
    lines += [f"- [ ] {c['text']} ({c['focus']})" for c in data["commitments"]] or ["None."]
    lines += ["", "## Agreed today", "", "- ", ""]
    return "\n".join(lines)


def _standing(today: dict[str, Any]) -> list[str]:
    if today.get("error"):
        return [f"_{today['error']}_"]
    out = []
    objective = today.get("objective")
    if objective:
        status = f", plan {today['plan']['status']}" if today.get("plan") else ""
        out.append(f"- Objective: {objective['text']}{status}")
    d = today.get("daily")
    if d:
        unit, plural = d["unit"], d["plural"]
        out += [
            f"- Daily number: {number(d['per_working_day'])} {plural} a working day",
            f"- Today: {counted(d['today'], unit, plural)} of {number(d['per_working_day'])}; "
            f"this week: {counted(d['this_week'], unit, plural)} of {number(d['week_target'])}",
            f"- {objective['period'] if objective else 'So far'}: "
            f"{counted(d['to_date'], unit, plural)} of {counted(d['per_period'], unit, plural)}, "
            f"{number(d['expected_to_date'])} expected by now ({pace(d['pace'])})",
        ]
    out += [f"- {note[:1].upper()}{note[1:]}." for note in today.get("notes", [])]
    return out or ["- Nothing planned yet."]


def _focus_lines(f: dict[str, Any]) -> list[str]:
    lines = [f"### {f['label']}, since {f['since']}", ""]
    r = f.get("review")
    if r:
        w = r["words"]
        lines += [
            f"**{w['verdict']}.**",
            "",
            f"- Before: {w['before']}",
            f"- After: {w['after']}",
            f"- Rest of the team: {w['control']}",
            f"- Effect: {w['effect']}",
            f"- {w['p_improved'][:1].upper()}{w['p_improved'][1:]}",
            "",
        ]
    if f["playbook"]:
        lines += ["Playbook:", "", *[f"- {item}" for item in f["playbook"]], ""]
    if f.get("note"):
        lines += [f"Note: {f['note']}", ""]
    return lines


__all__ = ["agenda", "agenda_markdown"]
