"""Objectives and key results: create, split, plan, agree, and follow them from events.

Every action the CLI and the web app offer is a function here with typed
inputs and outputs. An objective belongs to a rep or a team for a period;
its first key result is the main one, which its plan is worked back from.
A plan is proposed (from the rep's own rates), then agreed by the rep
(case S9): the agreement records who, when and the rates agreed to. Only the
rep who owns an objective may agree its plan.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any, Literal

import ibis.expr.types as ir
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from backplan import appdb
from backplan.appdb.models import Agreement, KeyResult, ObjectivePlan, Rep, Team, TimeOff
from backplan.appdb.models import Objective as ObjectiveRow
from backplan.config import Settings
from backplan.core import okr
from backplan.core.errors import (
    InvalidObjective,
    NoData,
    NotAllowed,
    UnknownObjective,
    UnknownRep,
)
from backplan.core.funnel import Funnel
from backplan.core.objective import Objective
from backplan.core.period import Period, WorkingCalendar
from backplan.core.posterior import Posterior
from backplan.core.rate import Rate
from backplan.services.calendars import working_calendar
from backplan.services.planning import (
    PlannedObjective,
    PlanRequest,
    build_plan,
    plan_to_dict,
    resolve_funnel,
)

OwnerKind = Literal["rep", "team"]


# -- inputs and outputs --------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who acts: a person's name and, when they are a rep, their rep key."""

    name: str
    rep: str | None = None


@dataclass
class ObjectiveRequest:
    """A new objective as a person states it.

    ``key_results`` are read like ``plan --objective`` ("4 sqls", "$120k",
    "1200 dials"); the first is the main result. A team objective with
    ``split`` is shared across the team's reps by capacity (working days ×
    their own pace at the main result's stage).
    """

    owner: str
    owner_kind: OwnerKind
    period: str
    key_results: list[str]
    text: str | None = None
    funnel: str | None = None
    deal_value: float | None = None
    split: bool = False
    created_by: str | None = None


@dataclass(frozen=True)
class KeyResultView:
    stage: str
    target: int
    revenue: float | None = None
    deal_value: float | None = None

    @property
    def text(self) -> str:
        if self.revenue is not None:
            return f"{self.revenue:,.0f} revenue ({self.target:,} {self.stage})"
        return f"{self.target:,} {self.stage}"


@dataclass(frozen=True)
class AgreementView:
    agreed_by: str
    agreed_at: datetime
    rates: list[dict[str, Any]]
    note: str | None = None


@dataclass(frozen=True)
class PlanView:
    """A stored plan: its figures and rates as proposed, and the agreement if there is one."""

    id: int
    objective_id: int
    status: str
    proposed_at: datetime
    proposed_by: str | None
    planned_pace: float
    figures: dict[str, Any]
    rates: list[dict[str, Any]]
    agreement: AgreementView | None = None


@dataclass(frozen=True)
class ObjectiveView:
    """An objective with its owner, key results, plans and (for a team) its reps' shares."""

    id: int
    text: str
    owner_kind: OwnerKind
    owner: str
    """The rep's key, or the team's name."""
    owner_name: str
    team: str | None
    period: Period
    funnel: str
    key_results: list[KeyResultView]
    plans: list[PlanView] = field(default_factory=list)
    parent_id: int | None = None
    children: list[ObjectiveView] = field(default_factory=list)
    created_at: datetime | None = None
    created_by: str | None = None

    @property
    def main(self) -> KeyResultView:
        return self.key_results[0]

    @property
    def agreed_plan(self) -> PlanView | None:
        return next((p for p in reversed(self.plans) if p.status == "agreed"), None)

    @property
    def current_plan(self) -> PlanView | None:
        """The agreed plan, else the newest proposal."""
        live = [p for p in self.plans if p.status in ("agreed", "proposed")]
        return self.agreed_plan or (live[-1] if live else None)


@dataclass(frozen=True)
class Share:
    """One rep's part of a team objective and what it was weighed by."""

    rep: str
    name: str
    working_days: int
    pace: float
    """Units per working day at the main result's stage over the reference window."""
    weight: float
    target: int


@dataclass(frozen=True)
class Created:
    objective: ObjectiveView
    shares: list[Share] = field(default_factory=list)


@dataclass(frozen=True)
class KeyResultStatus:
    """One key result at a point of the period: actual, expected at the planned pace, pace."""

    stage: str
    target: int
    actual: int
    expected_to_date: float
    leading: bool
    pace: str
    from_plan: bool = False
    revenue: float | None = None
    revenue_to_date: float | None = None


@dataclass(frozen=True)
class ObjectiveProgress:
    objective: ObjectiveView
    as_of: date
    elapsed_days: float
    """Working days passed, part of today included (0 before office hours on day 1)."""
    working_days: int
    key_results: list[KeyResultStatus]
    notes: list[str] = field(default_factory=list)


# -- creating and reading ------------------------------------------------------------------------


def create_objective(settings: Settings, request: ObjectiveRequest, today: date) -> Created:
    """Store a new objective (and, for a split team objective, each rep's share)."""
    funnel = resolve_funnel(settings, request.funnel or settings.funnel)
    period = Period.parse(request.period, today)
    if not request.key_results:
        raise InvalidObjective("give at least one key result, e.g. '4 sqls'")
    results = [
        Objective.parse(text, funnel, period, request.deal_value) for text in request.key_results
    ]
    if len({r.stage for r in results}) != len(results):
        raise InvalidObjective("give one key result per stage; two name the same stage")
    text = request.text or f"{results[0].describe()} in {period.label}"
    now = datetime.now(UTC)
    with appdb.session(settings) as db:
        rep, team = _owner(db, request.owner_kind, request.owner)
        funnel_name = request.funnel or settings.funnel
        row = _objective_row(text, period, funnel_name, now, request.created_by, rep=rep, team=team)
        row.key_results = [_key_result_row(i, r) for i, r in enumerate(results)]
        db.add(row)
        shares: list[Share] = []
        if request.split:
            if team is None:
                raise InvalidObjective("only a team objective can be split across reps")
            shares = _split(db, settings, team, funnel, period, results, text, row, now)
        db.flush()
        return Created(_view(row), shares)


def list_objectives(
    settings: Settings,
    *,
    rep: str | None = None,
    team: str | None = None,
    period: Period | None = None,
) -> list[ObjectiveView]:
    """Objectives, newest period first; filtered by owner and by periods overlapping ``period``."""
    with appdb.session(settings) as db:
        query = (
            select(ObjectiveRow)
            .options(*_loads())
            .order_by(ObjectiveRow.period_start.desc(), ObjectiveRow.id)
        )
        if rep:
            owner, _ = _owner(db, "rep", rep)
            assert owner is not None
            query = query.where(ObjectiveRow.rep_id == owner.id)
        if team:
            _, found = _owner(db, "team", team)
            assert found is not None
            members = select(Rep.id).where(Rep.team_id == found.id)
            query = query.where(
                or_(ObjectiveRow.team_id == found.id, ObjectiveRow.rep_id.in_(members))
            )
        if period:
            query = query.where(
                ObjectiveRow.period_start <= period.end, ObjectiveRow.period_end >= period.start
            )
        return [_view(row) for row in db.scalars(query).unique()]


def get_objective(settings: Settings, objective_id: int) -> ObjectiveView:
    with appdb.session(settings) as db:
        return _view(_get(db, objective_id))


def find_objective(
    settings: Settings, owner_kind: OwnerKind, owner: str, *, period: Period | None, day: date
) -> ObjectiveView | None:
    """The owner's objective for ``period`` (exactly), else the newest one whose period holds ``day``."""
    with appdb.session(settings) as db:
        rep, team = _owner(db, owner_kind, owner)
        query = select(ObjectiveRow).options(*_loads()).order_by(ObjectiveRow.id.desc())
        if rep is not None:
            query = query.where(ObjectiveRow.rep_id == rep.id)
        elif team is not None:
            query = query.where(ObjectiveRow.team_id == team.id)
        if period is not None:
            query = query.where(
                ObjectiveRow.period_start == period.start, ObjectiveRow.period_end == period.end
            )
        else:
            query = query.where(ObjectiveRow.period_start <= day, ObjectiveRow.period_end >= day)
        row = db.scalars(query).first()
        return _view(row) if row is not None else None


# -- plans and agreements ------------------------------------------------------------------------


def propose_plan(
    settings: Settings,
    objective_id: int,
    today: date,
    *,
    by: Actor | None = None,
    rates: dict[str, str] | None = None,
    rates_since: date | None = None,
    rates_until: date | None = None,
) -> PlanView:
    """Work a rep's objective back through their own rates and store it as a proposal.

    ``rates`` (``{"sqls/meetings": "1/3"}``) override what the data say, as
    ``plan --rate`` does. Older proposals not yet agreed are superseded.
    """
    objective = get_objective(settings, objective_id)
    if objective.owner_kind != "rep":
        children = ", ".join(str(c.id) for c in objective.children)
        hint = (
            f"propose each rep's plan ({children})"
            if children
            else "split it across its reps first (okr create --team ... --split)"
        )
        raise InvalidObjective(
            f"objective {objective_id} belongs to team {objective.owner}; plans are worked "
            f"back through one rep's rates: {hint}"
        )
    main = objective.main
    request = PlanRequest(
        objective=_objective_text(main),
        rates=dict(rates or {}),
        funnel=objective.funnel,
        since=objective.period.start,
        until=objective.period.end,
        deal_value=main.deal_value,
        time_off=_time_off(settings, objective.owner),
        rep=objective.owner,
        rates_since=rates_since,
        rates_until=rates_until,
    )
    planned = build_plan(request, settings, today)
    figures = plan_to_dict(planned)
    with appdb.session(settings) as db:
        row = _get(db, objective_id)
        for older in row.plans:
            if older.status == "proposed":
                older.status = "superseded"
        plan = ObjectivePlan(
            status="proposed",
            proposed_at=datetime.now(UTC),
            proposed_by=by.name if by else None,
            figures=figures,
            rates=rates_evidence(planned),
            planned_pace=planned.plan.top.per_working_day,
        )
        row.plans.append(plan)
        db.flush()
        return _plan_view(plan)


def agree_plan(
    settings: Settings,
    objective_id: int,
    actor: Actor,
    *,
    plan_id: int | None = None,
    now: datetime | None = None,
    note: str | None = None,
) -> PlanView:
    """The owner agrees a proposed plan (the newest, unless ``plan_id`` says which).

    Only the rep who owns the objective may agree it; anyone else gets
    :class:`NotAllowed`. A previously agreed plan is superseded.
    """
    with appdb.session(settings) as db:
        row = _get(db, objective_id)
        if row.rep is None:
            raise InvalidObjective(
                f"objective {objective_id} belongs to a team; each rep agrees their own share"
            )
        if actor.rep is None or actor.rep.casefold() != row.rep.key.casefold():
            raise NotAllowed(
                f"only {row.rep.name} ({row.rep.key}) can agree the plan for objective "
                f"{objective_id}; {actor.name} cannot agree another rep's plan"
            )
        proposed = [p for p in row.plans if p.status == "proposed"]
        if plan_id is not None:
            proposed = [p for p in row.plans if p.id == plan_id and p.status == "proposed"]
            if not proposed:
                raise UnknownObjective(
                    f"objective {objective_id} has no proposed plan {plan_id}; proposed: "
                    + (", ".join(str(p.id) for p in row.plans if p.status == "proposed") or "none")
                )
        if not proposed:
            raise UnknownObjective(
                f"objective {objective_id} has no proposed plan to agree; propose one first "
                f"(backplan okr propose {objective_id})"
            )
        plan = proposed[-1]
        for other in row.plans:
            if other.status == "agreed":
                other.status = "superseded"
        plan.status = "agreed"
        plan.agreement = Agreement(
            agreed_by=row.rep.key,
            agreed_at=now or datetime.now(UTC),
            rates=list(plan.rates),
            note=note,
        )
        db.flush()
        return _plan_view(plan)


def agree_built_plan(
    settings: Settings,
    actor: Actor,
    request: PlanRequest,
    planned: PlannedObjective,
    *,
    now: datetime | None = None,
) -> tuple[ObjectiveView, PlanView]:
    """A rep agrees a plan they built themselves (My plan): it becomes their objective's
    agreed plan, so it has one home with the plans agreed through OKRs.

    The plan is stored as built (figures, rates with evidence), under the rep's
    objective for exactly the plan's period with the same main result, or
    under a new objective of theirs when they have none. A rep who is not yet
    in the roster is added to it (by their account's rep key).
    """
    if actor.rep is None:
        raise NotAllowed(f"only a rep's own account can agree a plan; {actor.name} is not a rep")
    objective = planned.plan.objective
    period = objective.period
    moment = now or datetime.now(UTC)
    with appdb.session(settings) as db:
        rep = _rep_or_new(db, actor.rep)
        row = _matching_objective(db, rep, objective, request.funnel)
        if row is None:
            text = f"{objective.describe()} in {period.label}"
            row = _objective_row(text, period, request.funnel, moment, actor.name, rep=rep)
            row.key_results = [_key_result_row(0, objective)]
            db.add(row)
        for older in row.plans:
            if older.status in ("proposed", "agreed"):
                older.status = "superseded"
        evidence = rates_evidence(planned)
        plan = ObjectivePlan(
            status="agreed",
            proposed_at=moment,
            proposed_by=actor.name,
            figures=plan_to_dict(planned),
            rates=evidence,
            planned_pace=planned.plan.top.per_working_day,
        )
        plan.agreement = Agreement(agreed_by=rep.key, agreed_at=moment, rates=list(evidence))
        row.plans.append(plan)
        db.flush()
        return _view(row), _plan_view(plan)


def _rep_or_new(db: Session, key: str) -> Rep:
    try:
        found, _ = _owner(db, "rep", key)
    except UnknownRep:
        found = Rep(key=key, name=key, origin="web")
        db.add(found)
        db.flush()
    assert found is not None
    return found


def _matching_objective(
    db: Session, rep: Rep, objective: Objective, funnel: str
) -> ObjectiveRow | None:
    """The rep's newest objective for exactly this period whose main result is ``objective``."""
    rows = db.scalars(
        select(ObjectiveRow)
        .options(*_loads())
        .where(
            ObjectiveRow.rep_id == rep.id,
            ObjectiveRow.period_start == objective.period.start,
            ObjectiveRow.period_end == objective.period.end,
            ObjectiveRow.funnel == funnel,
        )
        .order_by(ObjectiveRow.id.desc())
    )
    for row in rows:
        main = row.key_results[0] if row.key_results else None
        if main is not None and (main.stage, main.target) == (objective.stage, objective.target):
            return row
    return None


def agreed_plans_of(settings: Settings, rep: str) -> list[tuple[ObjectiveView, PlanView]]:
    """Every plan ``rep`` agreed (superseded ones too), newest first."""
    with appdb.session(settings) as db:
        try:
            owner, _ = _owner(db, "rep", rep)
        except UnknownRep:
            return []
        assert owner is not None
        rows = db.scalars(
            select(ObjectiveRow).options(*_loads()).where(ObjectiveRow.rep_id == owner.id)
        ).unique()
        found = [(_view(r), _plan_view(p)) for r in rows for p in r.plans if p.agreement]
    return sorted(found, key=lambda pair: _agreed_at(pair[1]), reverse=True)


def find_plan(settings: Settings, plan_id: int) -> tuple[ObjectiveView, PlanView] | None:
    """A stored plan with its objective, or None when there is no plan ``plan_id``."""
    with appdb.session(settings) as db:
        plan = db.get(ObjectivePlan, plan_id)
        if plan is None:
            return None
        row = _get(db, plan.objective_id)
        return _view(row), _plan_view(plan)


def _agreed_at(plan: PlanView) -> datetime:
    return plan.agreement.agreed_at if plan.agreement else plan.proposed_at


def agreed_plan_for(settings: Settings, rep: str, period: Period) -> dict[str, Any] | None:
    """The plan ``rep`` agreed for exactly ``period``: the main result as a count and the rates
    agreed (``{"objective": "4 sqls", "rates": {"sqls/meetings": "1/3", ...}}``), or None when
    the rep is not in the roster, has no objective for the period or has agreed no plan."""
    try:
        objective = find_objective(settings, "rep", rep, period=period, day=period.start)
    except UnknownRep:
        return None
    plan = objective.agreed_plan if objective is not None else None
    if objective is None or plan is None:
        return None
    rates = plan.agreement.rates if plan.agreement is not None else plan.rates
    return {
        "objective": f"{objective.main.target} {objective.main.stage}",
        "rates": {str(r["conversion"]): str(r["value"]) for r in rates},
        "objective_id": objective.id,
        "plan_id": plan.id,
    }


def rates_evidence(planned: PlannedObjective) -> list[dict[str, Any]]:
    """Each conversion the plan went through: the rate, its interval, counts and posterior."""
    source = planned.rates_from
    evidence = []
    for step in reversed(planned.plan.steps):
        rate, key = step.rate, step.conversion.key
        from_data = source is not None and key in source.rates and key not in source.overridden
        posterior = rate.distribution
        evidence.append({
            "conversion": key,
            "value": str(rate.value),
            "estimate": round(float(rate.value), 6),
            "low": rate.low,
            "high": rate.high,
            "level": rate.level,
            "successes": rate.successes,
            "trials": rate.trials,
            "posterior": (
                {"family": posterior.family, "alpha": posterior.alpha, "beta": posterior.beta}
                if posterior is not None
                else None
            ),
            "source": "data" if from_data else "given",
            "since": source.window.start.isoformat() if from_data and source else None,
            "until": source.window.end.isoformat() if from_data and source else None,
        })  # fmt: skip
    return evidence


def rates_from_evidence(evidence: Sequence[dict[str, Any]]) -> dict[str, Rate]:
    """Stored rates back as :class:`Rate` objects (with their posteriors), keyed by conversion."""
    rates = {}
    for item in evidence:
        posterior = item.get("posterior")
        rates[item["conversion"]] = Rate(
            Fraction(item["value"]),
            low=item.get("low"),
            high=item.get("high"),
            level=item.get("level") or 0.8,
            successes=item.get("successes"),
            trials=item.get("trials"),
            distribution=(
                Posterior(posterior["family"], posterior["alpha"], posterior["beta"])
                if posterior
                else None
            ),
        )
    return rates


# -- progress ------------------------------------------------------------------------------------


def progress(
    settings: Settings,
    objective_id: int,
    as_of: date | None = None,
    *,
    events: ir.Table | None = None,
) -> ObjectiveProgress:
    """Actual to date (from events, up to the end of ``as_of``) against the planned pace.

    Without ``as_of`` it is now, by the organisation's clock: the part of today's office
    hours that has passed counts as part of a working day.

    Leading key results are the stages above the main result's; besides the
    stated key results, the current plan's volume at each stage above counts
    as a leading key result (``from_plan``), so the funnel links effort to results.
    """
    objective = get_objective(settings, objective_id)
    funnel = resolve_funnel(settings, objective.funnel)
    period = objective.period
    calendar = owner_calendar(settings, objective)
    working_days = calendar.working_days_in(period)
    as_of, day_done = settings.clock.as_of(as_of)
    elapsed = calendar.elapsed(period, as_of, day_done)
    notes: list[str] = []
    counts = owner_counts(settings, objective, funnel, as_of, events=events, notes=notes)
    targets = {kr.stage: kr.target for kr in objective.key_results}
    from_plan = _plan_targets(objective, funnel, exclude=set(targets))
    statuses = okr.progress(
        {**from_plan, **targets},
        {s.key: int(counts.get(s.key, 0)) for s in funnel.stages},
        funnel,
        objective_stage=objective.main.stage,
        elapsed_days=elapsed,
        working_days=working_days,
    )
    revenue = {kr.stage: kr.revenue for kr in objective.key_results if kr.revenue is not None}
    value_stage = funnel.value_stage
    rows = [
        KeyResultStatus(
            stage=s.stage,
            target=s.target,
            actual=s.actual,
            expected_to_date=s.expected_to_date,
            leading=s.leading,
            pace=s.pace.value,
            from_plan=s.stage in from_plan,
            revenue=revenue.get(s.stage),
            revenue_to_date=(
                float(counts.get(f"{s.stage}_value", 0.0))
                if value_stage is not None and s.stage == value_stage.key
                else None
            ),
        )
        for s in statuses
    ]
    notes.extend(_link_note(rows))
    return ObjectiveProgress(objective, as_of, elapsed, working_days, rows, notes)


def _link_note(rows: list[KeyResultStatus]) -> list[str]:
    """Read leading and lagging together: effort on pace with results behind is a conversion."""
    leading = [r for r in rows if r.leading]
    lagging = [r for r in rows if not r.leading and r.pace == "behind"]
    if not leading or not lagging:
        return []
    if all(r.pace != "behind" for r in leading):
        return [
            f"activity is on pace but {', '.join(r.stage for r in lagging)} behind: the gap is in "
            "a conversion, not in effort (see backplan rates)"
        ]
    behind = [r.stage for r in leading if r.pace == "behind"]
    return [f"{', '.join(behind)} behind the planned pace: results will follow effort"]


def _plan_targets(objective: ObjectiveView, funnel: Funnel, exclude: set[str]) -> dict[str, int]:
    plan = objective.current_plan
    if plan is None:
        return {}
    boundary = funnel.index(objective.main.stage)
    return {
        s["key"]: int(s["per_period"])
        for s in plan.figures["stages"]
        if s["key"] not in exclude and funnel.index(s["key"]) < boundary
    }


def owner_counts(
    settings: Settings,
    objective: ObjectiveView,
    funnel: Funnel,
    as_of: date,
    *,
    events: ir.Table | None = None,
    notes: list[str] | None = None,
) -> dict[str, float]:
    """The owner's counts per stage (and deal value) from the period's start to ``as_of``."""
    from backplan.metrics import Level, open_events, stage_counts
    from backplan.services.rates import load_roster

    period = objective.period
    if as_of < period.start:
        return {}
    window = Period(period.start, min(as_of, period.end))
    try:
        table = open_events(settings) if events is None else events
    except NoData:
        if notes is not None:
            notes.append("no events imported yet: every count is 0")
        return {}
    roster = load_roster(settings)
    level: Level = "rep" if objective.owner_kind == "rep" else "team"
    frame = stage_counts(table, funnel, window, level=level, roster=roster).to_pandas()
    mine = frame[frame[level] == objective.owner]
    columns = [c for c in frame.columns if c not in ("rep", "name", "team")]
    return {c: float(mine[c].sum()) for c in columns}


def owner_calendar(settings: Settings, objective: ObjectiveView) -> WorkingCalendar:
    """The working days of the objective's owner (a rep's own time off counts)."""
    days_off = _time_off(settings, objective.owner) if objective.owner_kind == "rep" else []
    years = range(objective.period.start.year, objective.period.end.year + 1)
    return working_calendar(settings.country, settings.subdivision, years, days_off)


# -- internals -----------------------------------------------------------------------------------


def _owner(db: Session, kind: OwnerKind, wanted: str) -> tuple[Rep | None, Team | None]:
    key = wanted.strip().casefold()
    if kind == "rep":
        found = db.scalars(select(Rep).where(func.lower(Rep.key) == key)).first()
        if found is None:
            hits = db.scalars(select(Rep).where(func.lower(Rep.name) == key)).all()
            found = hits[0] if len(hits) == 1 else None
        if found is None:
            known = sorted(db.scalars(select(Rep.key)))
            listing = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
            raise UnknownRep(
                f"no rep {wanted!r} in the roster; reps are {listing or 'none yet'} "
                "(load a roster with backplan roster FILE)"
            )
        return found, None
    if kind != "team":
        raise InvalidObjective(f"an objective belongs to a rep or a team, not a {kind!r}")
    team = db.scalars(select(Team).where(func.lower(Team.name) == key)).first()
    if team is None:
        teams = sorted(db.scalars(select(Team.name)))
        raise UnknownRep(
            f"no team {wanted!r} in the roster; teams are {', '.join(teams) or 'none yet'}"
        )
    return None, team


def _objective_row(
    text: str,
    period: Period,
    funnel: str,
    now: datetime,
    by: str | None,
    *,
    rep: Rep | None = None,
    team: Team | None = None,
) -> ObjectiveRow:
    """A new objective of ``rep`` or ``team`` for ``period`` (key results added by the caller)."""
    return ObjectiveRow(
        text=text,
        rep=rep,
        team=team,
        period=period.label,
        period_start=period.start,
        period_end=period.end,
        funnel=funnel,
        created_at=now,
        created_by=by,
    )


def _key_result_row(position: int, result: Objective) -> KeyResult:
    return KeyResult(
        position=position,
        stage=result.stage,
        target=result.target,
        revenue=result.revenue,
        deal_value=result.deal_value,
    )


def _split(
    db: Session,
    settings: Settings,
    team: Team,
    funnel: Funnel,
    period: Period,
    results: list[Objective],
    text: str,
    parent: ObjectiveRow,
    now: datetime,
) -> list[Share]:
    """Each rep's share of every key result, by working days × their own pace.

    A rep whose share of the main result rounds to nothing (a small target over a big
    team) is listed with 0 but gets no objective: there is nothing to work back from.
    """
    members, days, paces, weights = _split_weights(
        db, settings, team, funnel, period, results[0].stage
    )
    splits = [okr.split_target(r.target, weights) for r in results]
    shares = []
    for member in members:
        shares.append(
            Share(
                rep=member.key,
                name=member.name,
                working_days=days[member.key],
                pace=round(paces[member.key], 3),
                weight=round(weights[member.key], 3),
                target=splits[0][member.key],
            )
        )
        if splits[0][member.key] < 1:
            continue  # nothing of the main result to work back from: no objective of their own
        share = f"{member.name}'s share: {text}"
        child = _objective_row(share, period, parent.funnel, now, parent.created_by, rep=member)
        child.key_results = [
            KeyResult(
                position=i,
                stage=r.stage,
                target=split[member.key],
                revenue=(
                    split[member.key] * r.deal_value
                    if r.revenue is not None and r.deal_value
                    else None
                ),
                deal_value=r.deal_value,
            )
            for i, (r, split) in enumerate(zip(results, splits, strict=True))
        ]
        parent.children.append(child)
    return shares


def share_weights(settings: Settings, team: str, period: Period, stage: str) -> dict[str, float]:
    """Each rep's weight in a split of ``team``'s target at ``stage`` over ``period``
    (working days × their own pace), as :func:`create_objective` would split it."""
    funnel = resolve_funnel(settings, settings.funnel)
    with appdb.session(settings) as db:
        _, found = _owner(db, "team", team)
        assert found is not None
        return _split_weights(db, settings, found, funnel, period, stage)[3]


def _split_weights(
    db: Session, settings: Settings, team: Team, funnel: Funnel, period: Period, stage: str
) -> tuple[Sequence[Rep], dict[str, int], dict[str, float], dict[str, float]]:
    """The team's reps, their working days in ``period``, their pace at ``stage`` over the
    last full quarter, and their weights (days × pace) in a split."""
    from backplan.services.rates import last_full_quarter

    members = db.scalars(
        select(Rep).where(Rep.team_id == team.id).options(selectinload(Rep.time_off))
    ).all()
    if not members:
        raise InvalidObjective(f"team {team.name} has no reps to split its objective across")
    years = range(period.start.year, period.end.year + 1)
    reference = last_full_quarter(period.start)
    history = _stage_history(settings, funnel, stage, reference, [m.key for m in members])
    days_in_reference = working_calendar(
        settings.country, settings.subdivision, range(reference.start.year, reference.end.year + 1)
    ).working_days_in(reference)
    paces = {m.key: history.get(m.key, 0) / days_in_reference for m in members}
    known = [p for p in paces.values() if p > 0]
    # A rep with no history (new, or no events yet) is weighed at the team's typical pace.
    typical = statistics.median(known) if known else 1.0
    days = {
        m.key: working_calendar(
            settings.country, settings.subdivision, years, _days_of(m.time_off)
        ).working_days_in(period)
        for m in members
    }
    weights = {m.key: days[m.key] * (paces[m.key] or typical) for m in members}
    return members, days, paces, weights


def _stage_history(
    settings: Settings, funnel: Funnel, stage: str, window: Period, reps: list[str]
) -> dict[str, int]:
    """Each rep's count at ``stage`` over ``window``; empty when there are no events."""
    from backplan.metrics import count_kinds, open_events

    try:
        events = open_events(settings)
    except NoData:
        return {}
    kinds = funnel.stage(stage).kinds
    frame = count_kinds(events, {"n": kinds}, window).to_pandas()
    frame = frame[frame["rep"].isin(reps)]
    return {str(r): int(n) for r, n in zip(frame["rep"], frame["n"], strict=True)}


def _time_off(settings: Settings, rep_key: str) -> list[date]:
    with appdb.session(settings) as db:
        blocks = db.scalars(
            select(TimeOff).join(Rep, TimeOff.rep_id == Rep.id).where(Rep.key == rep_key)
        ).all()
        return _days_of(blocks)


def _days_of(blocks: Sequence[TimeOff]) -> list[date]:
    days: list[date] = []
    for block in blocks:
        n = (block.last_day - block.first_day).days
        days.extend(block.first_day + timedelta(days=i) for i in range(n + 1))
    return days


def _objective_text(kr: KeyResultView) -> str:
    if kr.revenue is not None:
        return f"{kr.revenue:.2f} revenue"
    return f"{kr.target} {kr.stage}"


def _loads() -> list[Any]:
    return [
        selectinload(ObjectiveRow.key_results),
        selectinload(ObjectiveRow.plans).selectinload(ObjectivePlan.agreement),
        selectinload(ObjectiveRow.rep).selectinload(Rep.team),
        selectinload(ObjectiveRow.team),
        selectinload(ObjectiveRow.children).selectinload(ObjectiveRow.key_results),
    ]


def _get(db: Session, objective_id: int) -> ObjectiveRow:
    row = db.scalars(
        select(ObjectiveRow).options(*_loads()).where(ObjectiveRow.id == objective_id)
    ).first()
    if row is None:
        raise UnknownObjective(f"no objective {objective_id}; list them with backplan okr list")
    return row


def _view(row: ObjectiveRow, *, depth: int = 0) -> ObjectiveView:
    if row.rep is not None:
        kind: OwnerKind = "rep"
        owner, name = row.rep.key, row.rep.name
        team = row.rep.team.name if row.rep.team else None
    else:
        assert row.team is not None
        kind, owner, name, team = "team", row.team.name, row.team.name, row.team.name
    return ObjectiveView(
        id=row.id,
        text=row.text,
        owner_kind=kind,
        owner=owner,
        owner_name=name,
        team=team,
        period=Period(row.period_start, row.period_end, row.period),
        funnel=row.funnel,
        key_results=[
            KeyResultView(kr.stage, kr.target, kr.revenue, kr.deal_value) for kr in row.key_results
        ],
        plans=[_plan_view(p) for p in row.plans],
        parent_id=row.parent_id,
        children=[_view(c, depth=depth + 1) for c in row.children] if depth == 0 else [],
        created_at=_utc(row.created_at),
        created_by=row.created_by,
    )


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _plan_view(plan: ObjectivePlan) -> PlanView:
    agreement = plan.agreement
    return PlanView(
        id=plan.id,
        objective_id=plan.objective_id,
        status=plan.status,
        proposed_at=_utc(plan.proposed_at),
        proposed_by=plan.proposed_by,
        planned_pace=plan.planned_pace,
        figures=plan.figures,
        rates=list(plan.rates),
        agreement=(
            AgreementView(
                agreement.agreed_by,
                _utc(agreement.agreed_at),
                list(agreement.rates),
                agreement.note,
            )
            if agreement is not None
            else None
        ),
    )


# -- JSON ----------------------------------------------------------------------------------------


def objective_to_dict(view: ObjectiveView) -> dict[str, Any]:
    """An objective as JSON-ready data (plans with their figures, rates and agreement)."""
    return {
        "id": view.id,
        "text": view.text,
        "owner": {"kind": view.owner_kind, "key": view.owner, "name": view.owner_name},
        "team": view.team,
        "period": period_to_dict(view.period),
        "funnel": view.funnel,
        "key_results": [
            {
                "stage": kr.stage,
                "target": kr.target,
                "revenue": kr.revenue,
                "deal_value": kr.deal_value,
                "text": kr.text,
            }
            for kr in view.key_results
        ],
        "parent_id": view.parent_id,
        "children": [objective_to_dict(c) for c in view.children],
        "plans": [plan_view_to_dict(p) for p in view.plans],
        "created_at": view.created_at.isoformat() if view.created_at else None,
        "created_by": view.created_by,
    }


def plan_view_to_dict(plan: PlanView) -> dict[str, Any]:
    agreement = plan.agreement
    return {
        "id": plan.id,
        "objective_id": plan.objective_id,
        "status": plan.status,
        "proposed_at": plan.proposed_at.isoformat(),
        "proposed_by": plan.proposed_by,
        "planned_pace": plan.planned_pace,
        "rates": plan.rates,
        "agreement": (
            {
                "agreed_by": agreement.agreed_by,
                "agreed_at": agreement.agreed_at.isoformat(),
                "rates": agreement.rates,
                "note": agreement.note,
            }
            if agreement
            else None
        ),
        "figures": plan.figures,
    }


def agreed_plan_to_dict(objective: ObjectiveView, plan: PlanView) -> dict[str, Any]:
    """An agreed plan as the rep agreed it: who, when, the objective, the rates, the figures."""
    agreement = plan.agreement
    evidence = agreement.rates if agreement else plan.rates
    return {
        "id": plan.id,
        "objective_id": objective.id,
        "status": plan.status,
        "rep": objective.owner,
        "agreed_by": agreement.agreed_by if agreement else None,
        "agreed_at": agreement.agreed_at.isoformat() if agreement else None,
        "objective": objective.main.text,
        "funnel": objective.funnel,
        "period": period_to_dict(objective.period),
        "rates": {str(r["conversion"]): str(r["value"]) for r in evidence},
        "evidence": evidence,
        "plan": plan.figures,
    }


def plan_form_fields(objective: ObjectiveView, plan: PlanView) -> dict[str, str]:
    """The planner's fields that rebuild ``plan`` (to start a new plan from an agreed one)."""
    fields = {
        "objective": _objective_text(objective.main),
        "funnel": objective.funnel,
        **{str(r["conversion"]): _rate_text(r) for r in plan.rates},
    }
    if objective.main.deal_value:
        fields["deal_value"] = f"{objective.main.deal_value:g}"
    working_days = plan.figures.get("period", {}).get("working_days")
    if working_days:
        fields["working_days"] = str(working_days)
    return fields


def _rate_text(evidence: dict[str, Any]) -> str:
    """A stored rate as a person would type it: ``1/3`` as given, an estimate from data to
    four significant figures (its exact fraction has a denominator in the trillions)."""
    value = Fraction(str(evidence["value"]))
    return str(value) if value.denominator <= 1000 else f"{float(value):.4g}"


def share_to_dict(share: Share) -> dict[str, Any]:
    return {
        "rep": share.rep,
        "name": share.name,
        "working_days": share.working_days,
        "pace": share.pace,
        "weight": share.weight,
        "target": share.target,
    }


def progress_to_dict(p: ObjectiveProgress) -> dict[str, Any]:
    return {
        "objective": objective_to_dict(p.objective),
        "as_of": p.as_of.isoformat(),
        "elapsed_days": round(p.elapsed_days, 2),
        "working_days": p.working_days,
        "key_results": [
            {
                "stage": k.stage,
                "target": k.target,
                "actual": k.actual,
                "expected_to_date": k.expected_to_date,
                "leading": k.leading,
                "pace": k.pace,
                "from_plan": k.from_plan,
                "revenue": k.revenue,
                "revenue_to_date": k.revenue_to_date,
            }
            for k in p.key_results
        ],
        "notes": p.notes,
    }


def period_to_dict(period: Period) -> dict[str, Any]:
    return {
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }
