"""A diagnosis with everything shown beside it (``Result``), and the walk that makes one.

``diagnosed`` compares the counts so far with the plan to date (the plan for the window
times the share of its working days elapsed), walks the onion (``core.diagnose``) and
takes the playbook's coaching for what it finds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backplan.core.diagnose import ConversionEvidence, Diagnosis, Problem, diagnose
from backplan.core.funnel import Funnel, Layer
from backplan.core.objective import Objective
from backplan.core.playbook import Coaching
from backplan.services.diagnosis.context import Context
from backplan.services.diagnosis.plan import PlannedRate


@dataclass
class Result:
    """A diagnosis with everything shown beside it, for one rep or one team."""

    kind: str  # "rep" or "team"
    key: str
    name: str
    team: str | None
    reps: int
    context: Context
    objective: Objective
    planned: list[PlannedRate]
    expected: dict[str, int]
    expected_to_date: dict[str, float]
    actual: dict[str, int]
    evidence: dict[str, ConversionEvidence]
    diagnosis: Diagnosis
    coaching: Coaching | None
    channel_mix: dict[str, Any] | None
    gains: list[dict[str, Any]] | None
    trends: list[dict[str, Any]]
    notes: list[str]
    members: list[Result] = field(default_factory=list)
    objective_source: str = "given"
    """Where the objective came from: ``given``, ``agreed`` or ``okr``."""
    objective_id: int | None = None
    control: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def output_at_stake(self) -> float:
        """The bottleneck's cost, or else the largest any conversion's gap costs; nothing
        when results are on track (where results are there, the walk stops)."""
        d = self.diagnosis
        if d.on_track:
            return 0.0
        if d.bottleneck is not None:
            return d.bottleneck.output_at_stake
        return max((f.output_at_stake for f in d.findings), default=0.0)

    @property
    def flagged(self) -> bool:
        return self.diagnosis.bottleneck is not None


def diagnosed(
    context: Context,
    kind: str,
    key: str,
    name: str,
    team: str | None,
    reps: int,
    objective: Objective,
    planned: dict[str, PlannedRate],
    expected: dict[str, int],
    actual: dict[str, int],
    evidence: dict[str, ConversionEvidence],
    notes: list[str],
    peers: str,
) -> Result:
    """The ``Result`` of walking the onion on ``actual`` against the plan to date
    (``expected`` times the share of the window elapsed), beside the playbook's coaching;
    ``peers`` names whom the evidence is compared with ("the team", "the organisation")."""
    share = context.window.share
    to_date = {stage: round(units * share, 1) for stage, units in expected.items()}
    coverage = _coverage(context.funnel, objective, actual, to_date)
    result = diagnose(
        context.funnel,
        objective.stage,
        to_date,
        actual,
        evidence,
        coverage=coverage,
        coverage_bar=context.request.coverage_bar,
        peers=peers,
    )
    return Result(
        kind, key, name, team, reps, context, objective, list(planned.values()), expected,
        to_date, actual, evidence, result, _coaching(context, result), None, None, [], notes,
    )  # fmt: skip


def _coverage(
    funnel: Funnel, objective: Objective, actual: Mapping[str, int], to_date: Mapping[str, float]
) -> float | None:
    """Pipeline to date over the results planned to date, when the funnel has a pipeline stage."""
    above = funnel.stages[: funnel.index(objective.stage)]
    pipeline = [s for s in above if s.layer == Layer.PIPELINE]
    results = to_date.get(objective.stage, 0)
    if not pipeline or not results:
        return None
    return actual[pipeline[-1].key] / results


def _coaching(context: Context, d: Diagnosis) -> Coaching | None:
    """The playbook's entry for the bottleneck, or for the volume gap, or for low coverage."""
    book = context.playbook
    if d.bottleneck is not None:
        return book.get(d.bottleneck.conversion.key)
    if d.problem is Problem.VOLUME and d.checks:
        return book.get(d.checks[-1].stage.key)
    if d.below_coverage_bar:
        pipeline = [s for s in context.funnel.stages if s.layer == Layer.PIPELINE]
        return book.get(pipeline[-1].key) if pipeline else None
    return None
