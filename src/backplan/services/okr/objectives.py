"""Objectives: create them (a team's split into its reps' shares), list, find and read them.

Also the database side the other modules share: finding an owner in the
roster, loading an objective with everything its view needs, building new
rows, and a rep's days off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from backplan import appdb
from backplan.appdb.models import KeyResult, ObjectivePlan, Rep, Team, TimeOff
from backplan.appdb.models import Objective as ObjectiveRow
from backplan.config import Settings
from backplan.core import okr
from backplan.core.bounds import is_row_id
from backplan.core.errors import InvalidObjective, NoData, UnknownObjective
from backplan.core.funnel import Funnel
from backplan.core.objective import Objective
from backplan.core.period import Period
from backplan.services import audit
from backplan.services.calendars import working_calendar
from backplan.services.lookup import find_rep, find_team
from backplan.services.okr.views import (
    Created,
    ObjectiveRequest,
    ObjectiveView,
    OwnerKind,
    Share,
    objective_view,
)
from backplan.services.planning import resolve_funnel


def create_objective(
    settings: Settings, request: ObjectiveRequest, today: date, *, by: audit.Actor | None = None
) -> Created:
    """Store a new objective (and, for a split team objective, each rep's share); the audit
    log records it as created ``by`` that actor."""
    funnel = resolve_funnel(settings, request.funnel)
    period = Period.parse(request.period, today)
    if not request.key_results:
        raise InvalidObjective("give at least one key result, e.g. '4 sqls'")
    results = [
        Objective.parse(text, funnel, period, request.deal_value) for text in request.key_results
    ]
    if len({r.stage for r in results}) != len(results):
        raise InvalidObjective("give one key result per stage; two name the same stage")
    words = funnel.stage(results[0].stage)
    text = request.text or f"{results[0].describe(words, settings.currency)} in {period.label}"
    now = datetime.now(UTC)
    with appdb.session(settings) as db:
        rep, team = find_owner(db, request.owner_kind, request.owner)
        funnel_name = request.funnel or settings.funnel  # as stored: a name or a path
        row = new_objective_row(
            text, period, funnel_name, now, request.created_by, rep=rep, team=team
        )
        row.key_results = [new_key_result_row(i, r) for i, r in enumerate(results)]
        db.add(row)
        shares: list[Share] = []
        if request.split:
            if team is None:
                raise InvalidObjective("only a team objective can be split across reps")
            shares = _split(db, settings, team, funnel, period, results, text, row, now)
        db.flush()
        created = Created(objective_view(row), shares)
        _record_created(db, settings, by, created)
        return created


def _record_created(
    db: Session, settings: Settings, by: audit.Actor | None, created: Created
) -> None:
    view = created.objective
    owner = f"{view.owner_kind} {view.owner}"
    detail = {
        "objective": view.id,
        "text": view.text,
        "period": view.period.label,
        "key_results": [k.text for k in view.key_results],
        "shares": len([s for s in created.shares if s.target >= 1]),
    }
    audit.record(db, settings, by, "okr.created", owner, detail)


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
            .options(*objective_loads())
            .order_by(ObjectiveRow.period_start.desc(), ObjectiveRow.id)
        )
        if rep:
            owner, _ = find_owner(db, "rep", rep)
            assert owner is not None
            query = query.where(ObjectiveRow.rep_id == owner.id)
        if team:
            _, found = find_owner(db, "team", team)
            assert found is not None
            members = select(Rep.id).where(Rep.team_id == found.id)
            query = query.where(
                or_(ObjectiveRow.team_id == found.id, ObjectiveRow.rep_id.in_(members))
            )
        if period:
            query = query.where(
                ObjectiveRow.period_start <= period.end, ObjectiveRow.period_end >= period.start
            )
        return [objective_view(row) for row in db.scalars(query).unique()]


def get_objective(settings: Settings, objective_id: int) -> ObjectiveView:
    with appdb.session(settings) as db:
        return objective_view(load_objective(db, objective_id))


def find_objective(
    settings: Settings, owner_kind: OwnerKind, owner: str, *, period: Period | None, day: date
) -> ObjectiveView | None:
    """The owner's objective for ``period`` (exactly), else the newest one whose period holds ``day``."""
    with appdb.session(settings) as db:
        rep, team = find_owner(db, owner_kind, owner)
        query = select(ObjectiveRow).options(*objective_loads()).order_by(ObjectiveRow.id.desc())
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
        return objective_view(row) if row is not None else None


def find_owner(db: Session, kind: OwnerKind, wanted: str) -> tuple[Rep | None, Team | None]:
    """The rep (by key, else by a unique name) or the team (by name) ``wanted``, case aside;
    :class:`UnknownRep` lists who there is when there is no such owner."""
    if kind not in ("rep", "team"):
        raise InvalidObjective(f"an objective belongs to a rep or a team, not a {kind!r}")
    rows = db.execute(select(Rep.key, Rep.name, Team.name).outerjoin(Rep.team)).all()
    teams = db.scalars(select(Team.name)).all()
    table = pd.DataFrame(
        [(key, name, team) for key, name, team in rows] + [(None, None, t) for t in teams],
        columns=["rep", "name", "team"],
    )
    if kind == "rep":
        key = find_rep(wanted, table.dropna(subset=["rep"]), where="the roster")
        return db.scalars(select(Rep).where(Rep.key == key)).one(), None
    name = find_team(wanted, table)
    return None, db.scalars(select(Team).where(Team.name == name)).one()


def new_objective_row(
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


def new_key_result_row(position: int, result: Objective) -> KeyResult:
    """A new key result row for ``result`` (position 0 is the main result)."""
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
        target = splits[0][member.key]
        child = None
        if target >= 1:  # else nothing of the main result to work back from: no objective
            words = (funnel, settings.currency)
            child = _share_row(member, results, splits, text, parent, period, now, words)
            parent.children.append(child)
            db.flush()
        shares.append(
            Share(
                rep=member.key,
                name=member.name,
                working_days=days[member.key],
                pace=round(paces[member.key], 3),
                weight=round(weights[member.key], 3),
                target=target,
                objective_id=None if child is None else child.id,
            )
        )
    return shares


def _share_row(
    member: Rep,
    results: list[Objective],
    splits: list[dict[str, int]],
    text: str,
    parent: ObjectiveRow,
    period: Period,
    now: datetime,
    words: tuple[Funnel, str],
) -> ObjectiveRow:
    """A rep's own objective for their share, titled with the share's target, not the team's
    (in the funnel's units and the organisation's currency: ``words``)."""
    own = [
        replace(
            r,
            target=split[member.key],
            revenue=(
                split[member.key] * r.deal_value if r.revenue is not None and r.deal_value else None
            ),
        )
        for r, split in zip(results, splits, strict=True)
    ]
    funnel, currency = words
    main = own[0].describe(funnel.stage(own[0].stage), currency)
    title = f"{main} in {period.label}: {member.name}'s share of {text}"
    child = new_objective_row(title, period, parent.funnel, now, parent.created_by, rep=member)
    child.key_results = [new_key_result_row(i, r) for i, r in enumerate(own)]
    return child


def share_weights(settings: Settings, team: str, period: Period, stage: str) -> dict[str, float]:
    """Each rep's weight in a split of ``team``'s target at ``stage`` over ``period``
    (working days × their own pace), as :func:`create_objective` would split it."""
    funnel = resolve_funnel(settings, settings.funnel)
    with appdb.session(settings) as db:
        _, found = find_owner(db, "team", team)
        assert found is not None
        return _split_weights(db, settings, found, funnel, period, stage)[3]


def _split_weights(
    db: Session, settings: Settings, team: Team, funnel: Funnel, period: Period, stage: str
) -> tuple[Sequence[Rep], dict[str, int], dict[str, float], dict[str, float]]:
    """The team's reps, their working days in ``period``, their pace at ``stage`` over the
    last full quarter, and their weights in a split (the rule: :func:`core.okr.split_weights`)."""
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
    days = {
        m.key: working_calendar(
            settings.country, settings.subdivision, years, _days_of(m.time_off)
        ).working_days_in(period)
        for m in members
    }
    return members, days, paces, okr.split_weights(days, paces)


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


def rep_days_off(settings: Settings, rep_key: str) -> list[date]:
    """Every day of the rep's recorded time off."""
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


def objective_loads() -> list[Any]:
    """The loader options that fetch all an objective's view needs in one go."""
    return [
        selectinload(ObjectiveRow.key_results),
        selectinload(ObjectiveRow.plans).selectinload(ObjectivePlan.agreement),
        selectinload(ObjectiveRow.rep).selectinload(Rep.team),
        selectinload(ObjectiveRow.team),
        selectinload(ObjectiveRow.children).selectinload(ObjectiveRow.key_results),
    ]


def load_objective(db: Session, objective_id: int) -> ObjectiveRow:
    """The stored objective ``objective_id``, or :class:`UnknownObjective`."""
    if not is_row_id(objective_id):  # beyond the database's integers: asking would overflow
        raise UnknownObjective(f"no objective {objective_id}; list them with backplan okr list")
    row = db.scalars(
        select(ObjectiveRow).options(*objective_loads()).where(ObjectiveRow.id == objective_id)
    ).first()
    if row is None:
        raise UnknownObjective(f"no objective {objective_id}; list them with backplan okr list")
    return row
