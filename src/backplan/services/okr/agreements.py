"""Plans and agreements: propose a rep's plan, have the rep agree it, read agreed plans back.

A plan is proposed (from the rep's own rates), then agreed by the rep
(case S9): the agreement records who, when and the rates agreed to, with the
evidence behind each rate so it can be rebuilt later. Only the rep who owns
an objective may agree its plan. A plan a rep built and agreed on My plan is
stored here too, so agreed plans have one home.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backplan import appdb
from backplan.appdb.models import Agreement, ObjectivePlan, Rep
from backplan.appdb.models import Objective as ObjectiveRow
from backplan.config import Settings
from backplan.core.bounds import is_row_id
from backplan.core.errors import (
    InvalidObjective,
    NotAllowed,
    UnknownObjective,
    UnknownRep,
    UnknownTeam,
)
from backplan.core.objective import Objective
from backplan.core.period import Period
from backplan.core.posterior import Posterior
from backplan.core.rate import Rate
from backplan.services.okr.objectives import (
    find_objective,
    find_owner,
    get_objective,
    load_objective,
    new_key_result_row,
    new_objective_row,
    objective_loads,
    rep_days_off,
)
from backplan.services.okr.views import (
    Actor,
    ObjectiveView,
    OwnerKind,
    PlanView,
    objective_text,
    objective_view,
    plan_view,
)
from backplan.services.planning import (
    PlannedObjective,
    PlanRequest,
    build_plan,
    plan_to_dict,
)


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
        objective=objective_text(main),
        rates=dict(rates or {}),
        funnel=objective.funnel,
        since=objective.period.start,
        until=objective.period.end,
        deal_value=main.deal_value,
        time_off=rep_days_off(settings, objective.owner),
        rep=objective.owner,
        rates_since=rates_since,
        rates_until=rates_until,
    )
    planned = build_plan(request, settings, today)
    figures = plan_to_dict(planned)
    with appdb.session(settings) as db:
        row = load_objective(db, objective_id)
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
        return plan_view(plan)


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
        row = load_objective(db, objective_id)
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
        return plan_view(plan)


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
            row = new_objective_row(text, period, request.funnel, moment, actor.name, rep=rep)
            row.key_results = [new_key_result_row(0, objective)]
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
        return objective_view(row), plan_view(plan)


def _rep_or_new(db: Session, key: str) -> Rep:
    try:
        found, _ = find_owner(db, "rep", key)
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
        .options(*objective_loads())
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
            owner, _ = find_owner(db, "rep", rep)
        except UnknownRep:
            return []
        assert owner is not None
        rows = db.scalars(
            select(ObjectiveRow).options(*objective_loads()).where(ObjectiveRow.rep_id == owner.id)
        ).unique()
        found = [(objective_view(r), plan_view(p)) for r in rows for p in r.plans if p.agreement]
    return sorted(found, key=lambda pair: _agreed_at(pair[1]), reverse=True)


def find_plan(settings: Settings, plan_id: int) -> tuple[ObjectiveView, PlanView] | None:
    """A stored plan with its objective, or None when there is no plan ``plan_id``."""
    if not is_row_id(plan_id):
        return None
    with appdb.session(settings) as db:
        plan = db.get(ObjectivePlan, plan_id)
        if plan is None:
            return None
        row = load_objective(db, plan.objective_id)
        return objective_view(row), plan_view(plan)


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


def objective_in_force(
    settings: Settings, owner_kind: OwnerKind, owner: str, period: Period
) -> dict[str, Any] | None:
    """The objective ``owner`` has for exactly ``period`` (its main result as a count, its id
    and words), or None when the owner is unknown to the roster or has none."""
    try:
        objective = find_objective(settings, owner_kind, owner, period=period, day=period.start)
    except (UnknownRep, UnknownTeam):
        return None
    if objective is None:
        return None
    return {
        "objective": objective_text(objective.main),
        "deal_value": objective.main.deal_value,
        "objective_id": objective.id,
        "text": objective.text,
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
