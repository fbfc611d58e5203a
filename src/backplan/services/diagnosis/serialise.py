"""A diagnosis as JSON-ready data: what ``--json``, the web pages and the API return."""

from __future__ import annotations

import math
from typing import Any

from backplan.core.diagnose import ConversionEvidence, Finding
from backplan.core.funnel import Funnel
from backplan.services.diagnosis.result import Result


def result_to_dict(result: Result) -> dict[str, Any]:
    """The diagnosis as JSON-ready data (``layer``, ``bottleneck``, ``coaching`` and more)."""
    d = result.diagnosis
    context = result.context
    out: dict[str, Any] = {
        "kind": result.kind,
        "rep": result.key if result.kind == "rep" else None,
        "name": result.name,
        "team": result.team,
        "reps_in_team": result.reps if result.kind == "team" else None,
        "funnel": context.funnel.key,
        "window": context.window.to_dict(),
        "objective": {
            "stage": result.objective.stage,
            "target": result.objective.target,
            "text": result.objective.describe(
                context.funnel.stage(result.objective.stage), context.settings.currency
            ),
            "source": result.objective_source,
            "objective_id": result.objective_id,
        },
        "planned_rates": [p.to_dict() for p in result.planned],
        "expected": result.expected,
        "expected_to_date": result.expected_to_date,
        "actual": result.actual,
        "layer": None if d.layer is None else str(d.layer),
        "problem": None if d.problem is None else str(d.problem),
        "on_track": d.on_track,
        "checks": [
            {
                "stage": c.stage.key,
                "layer": str(c.stage.layer),
                "actual": c.actual,
                "expected": c.expected,
                "on_track": c.on_track,
                "text": c.text,
            }
            for c in d.checks
        ],
        "evidence": [_evidence(context.funnel, e) for e in result.evidence.values()],
        "findings": [_finding(f) for f in d.findings],
        "bottleneck": None if d.bottleneck is None else _finding(d.bottleneck),
        "coaching": None if result.coaching is None else result.coaching.to_dict(),
        "coverage": None if d.coverage is None else round(d.coverage, 4),
        "coverage_bar": d.coverage_bar,
        "channel_mix": result.channel_mix,
        "marginal_gains": result.gains,
        "trends": result.trends,
        "explanation": d.explanation,
        "notes": result.notes,
        "output_at_stake": round(result.output_at_stake, 4),
        "flagged": result.flagged,
    }
    if result.kind == "team":
        out["reps"] = [result_to_dict(m) for m in result.members]
        out["exceptions"] = [
            {
                "rep": m.key,
                "name": m.name,
                "flagged": m.flagged,
                "output_at_stake": round(m.output_at_stake, 4),
                "bottleneck": None
                if m.diagnosis.bottleneck is None
                else m.diagnosis.bottleneck.conversion.key,
                "probability_lower": None
                if m.diagnosis.bottleneck is None
                else round(m.diagnosis.bottleneck.probability_lower, 4),
                "layer": None if m.diagnosis.layer is None else str(m.diagnosis.layer),
                "control": result.control.get(m.key, {}),
            }
            for m in result.members
        ]
    return out


def _evidence(funnel: Funnel, e: ConversionEvidence) -> dict[str, Any]:
    conversion = funnel.conversion(e.conversion)
    return {
        "conversion": e.conversion,
        "from": conversion.source.key,
        "to": conversion.target.key,
        "successes": e.successes,
        "trials": e.trials,
        **{
            k: _round(v)
            for k, v in (
                ("estimate", e.estimate),
                ("low", e.low),
                ("high", e.high),
                ("team", e.team),
                ("planned", e.planned),
                ("p_below_team", e.p_below_team),
                ("p_below_plan", e.p_below_plan),
            )
        },
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "conversion": f.conversion.key,
        "from": f.conversion.source.key,
        "to": f.conversion.target.key,
        "reference": f.reference,
        "reference_rate": _round(f.reference_rate),
        "estimate": _round(f.evidence.estimate),
        "probability_lower": _round(f.probability_lower),
        "output_at_stake": _round(f.output_at_stake),
        "strong": f.strong,
        "threshold": _round(f.threshold),
        "text": f.text,
    }


def _round(x: float | None) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), 6)
