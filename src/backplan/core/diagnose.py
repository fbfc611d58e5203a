"""Peel back the onion: where a rep's funnel leaks, and how sure we are.

A good sales leader looks at results first and goes deeper only where there
is a gap (case S5): results, then pipeline, then meetings, then activity.
``diagnose`` walks the funnel's stages from the objective upwards, comparing
what was done with what the plan expected by now, and stops at the first
stage that is on track. Everything below that stage is a *conversion*
problem, and the bottleneck is the conversion in that span that costs the
most output among those with strong evidence of being low; if no stage is on
track, it is a *volume* problem (case S3 is the first kind: meetings are above
plan, so more calls would not help).

The evidence about each conversion (estimate, interval, probability of being
below the team's or the plan's rate) is computed elsewhere and passed in, so
the same walk serves a rep, a team, or a notebook with hand-made numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from backplan.core.flags import FLAG_RULE
from backplan.core.funnel import Conversion, Funnel, Layer, Stage


class Problem(StrEnum):
    VOLUME = "volume"
    CONVERSION = "conversion"


@dataclass(frozen=True)
class ConversionEvidence:
    """What the data says about one conversion (``to/from``) for a rep or team.

    ``estimate``/``low``/``high`` are the (shrunk) rate and its interval;
    ``team`` and ``planned`` are the reference rates; ``p_below_*`` the
    probabilities that the true rate is below each reference.
    """

    conversion: str
    successes: float
    trials: float
    estimate: float
    low: float
    high: float
    team: float | None = None
    planned: float | None = None
    p_below_team: float | None = None
    p_below_plan: float | None = None


@dataclass(frozen=True)
class StageCheck:
    """One layer of the onion: a stage's count against the plan to date."""

    stage: Stage
    actual: float
    expected: float

    @property
    def on_track(self) -> bool:
        return self.actual >= self.expected

    @property
    def text(self) -> str:
        verdict = "on track" if self.on_track else "behind"
        return (
            f"{self.stage.layer}: {_n(self.actual)} {self.stage.plural} against "
            f"{_n(self.expected)} planned by now — {verdict}"
        )


@dataclass(frozen=True)
class Finding:
    """One conversion compared with a reference rate, and the output the gap costs."""

    conversion: Conversion
    evidence: ConversionEvidence
    reference: str  # "plan" or "team"
    reference_rate: float
    probability_lower: float
    output_at_stake: float
    objective_stage: Stage
    peers: str = "the team"
    threshold: float = FLAG_RULE.threshold(1)
    """The P(really lower) above which this is strong evidence, given how many comparisons
    were made for the same person (``core.flags``)."""

    @property
    def strong(self) -> bool:
        return self.probability_lower > self.threshold

    @property
    def text(self) -> str:
        e = self.evidence
        return (
            f"{self.conversion.short} converts at {e.estimate:.0%} "
            f"({e.low:.0%}–{e.high:.0%}) against {self.reference_rate:.0%} "
            f"{'planned' if self.reference == 'plan' else 'for ' + self.peers}: "
            f"P(really lower) = {self.probability_lower:.2f}; at that rate you would have "
            f"{self.output_at_stake:.1f} more {self.objective_stage.plural}"
        )


@dataclass(frozen=True)
class Diagnosis:
    """Where the gap is (``layer``), what kind it is, and the bottleneck if any."""

    layer: Layer | None
    problem: Problem | None
    checks: tuple[StageCheck, ...]
    findings: tuple[Finding, ...]
    bottleneck: Finding | None
    coverage: float | None
    coverage_bar: float | None

    @property
    def on_track(self) -> bool:
        return self.layer is None

    @property
    def below_coverage_bar(self) -> bool:
        return (
            self.coverage is not None
            and self.coverage_bar is not None
            and self.coverage < self.coverage_bar
        )

    @property
    def explanation(self) -> list[str]:
        lines = [check.text for check in self.checks]
        if self.problem is Problem.CONVERSION and self.checks:
            lines.append(
                f"{self.checks[-1].stage.plural} are on track, so volume is not the problem: "
                "the gap is in the conversions below them"
            )
        elif self.problem is Problem.VOLUME:
            lines.append("no stage is on track: there is not enough activity for the plan")
        if self.bottleneck is not None:
            lines.append(self.bottleneck.text)
            lines.append(f"bottleneck: {self.bottleneck.conversion.short}")
        elif self.problem is Problem.CONVERSION:
            lines.append(
                "no conversion is reliably lower than planned or than the team's: "
                "the gap may be noise on small numbers"
            )
        if self.below_coverage_bar:
            lines.append(
                f"pipeline coverage {self.coverage:.1f}× is below the {self.coverage_bar:g}× bar"
            )
        return lines


def diagnose(
    funnel: Funnel,
    objective_stage: str,
    expected: Mapping[str, float],
    actual: Mapping[str, float],
    evidence: Mapping[str, ConversionEvidence],
    *,
    coverage: float | None = None,
    coverage_bar: float | None = None,
    peers: str = "the team",
) -> Diagnosis:
    """Walk the onion from ``objective_stage`` up and find the bottleneck.

    ``expected`` is the plan to date per stage key (stages without a plan
    are skipped); ``actual`` the counts to date; ``evidence`` per conversion.
    ``peers`` names what the evidence's ``team`` rate is ("the team" for a
    rep, "the organisation" for a team), for the sentences.
    """
    # Whatever the funnel calls it, the objective's stage is this person's results.
    above = [
        *funnel.stages[: funnel.index(objective_stage)],
        replace(funnel.stage(objective_stage), layer=Layer.RESULTS),
    ]
    checks: list[StageCheck] = []
    for stage in reversed(above):
        if stage.key not in expected:
            continue
        checks.append(
            StageCheck(stage, float(actual.get(stage.key, 0)), float(expected[stage.key]))
        )
        if checks[-1].on_track:
            break

    if not checks or checks[0].on_track:
        layer, problem, span = None, None, []
    elif checks[-1].on_track:
        layer = checks[-2].stage.layer
        problem = Problem.CONVERSION
        span = funnel.conversions(down_to=objective_stage)[funnel.index(checks[-1].stage.key) :]
    else:
        layer, problem = checks[-1].stage.layer, Problem.VOLUME
        span = funnel.conversions(down_to=objective_stage)
    in_span = {c.key for c in span}
    findings = _findings(funnel, objective_stage, evidence, peers, in_span)
    strong = [f for f in findings if f.strong and f.conversion.key in in_span]
    bottleneck = max(strong, key=lambda f: f.output_at_stake, default=None)
    return Diagnosis(
        layer, problem, tuple(checks), tuple(findings), bottleneck, coverage, coverage_bar
    )


def _findings(
    funnel: Funnel,
    objective_stage: str,
    evidence: Mapping[str, ConversionEvidence],
    peers: str,
    in_span: set[str],
) -> list[Finding]:
    chain = funnel.conversions(down_to=objective_stage)
    target = funnel.stage(objective_stage)

    # Every comparison made for this person counts toward the bar each must clear
    # (core.flags): in the span the walk found behind plan, those of the span; elsewhere
    # (shown, never a bottleneck) those of the whole funnel.
    def made(keys: set[str]) -> int:
        return sum(
            (e.planned is not None and e.p_below_plan is not None)
            + (e.team is not None and e.p_below_team is not None)
            for c in chain
            if c.key in keys and (e := evidence.get(c.key)) is not None
        )

    span_bar = FLAG_RULE.threshold(made(in_span))
    funnel_bar = FLAG_RULE.threshold(made({c.key for c in chain}))
    found = []
    for i, conversion in enumerate(chain):
        e = evidence.get(conversion.key)
        if e is None:
            continue
        downstream = 1.0
        for later in chain[i + 1 :]:
            downstream *= evidence[later.key].estimate if later.key in evidence else 0.0
        comparisons = [
            (name, ref, p)
            for name, ref, p in (
                ("plan", e.planned, e.p_below_plan),
                ("team", e.team, e.p_below_team),
            )
            if ref is not None and p is not None
        ]
        if not comparisons:
            continue
        options = [
            Finding(
                conversion, e, name, ref, p,
                max(0.0, (ref - e.estimate) * e.trials * downstream), target, peers,
                span_bar if conversion.key in in_span else funnel_bar,
            )
            for name, ref, p in comparisons
        ]  # fmt: skip
        strong = [f for f in options if f.strong]
        pick = max(strong or options, key=lambda f: (f.output_at_stake, f.probability_lower))
        found.append(pick)
    return sorted(found, key=lambda f: f.output_at_stake, reverse=True)


def _n(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"
