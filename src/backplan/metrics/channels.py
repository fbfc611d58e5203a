"""Meetings by channel: each meeting credited to the channel of the prospect's last touch.

Channel mix compares how well calls, emails and social messages turn into
meetings. Touches are counted per channel (``channel_counts``); a meeting is
*attributed* to the channel of the last touch (an event of any channel's
kinds: a dial is a call, an email an email, a social message social) on the
same prospect at or before the moment the meeting was booked, whoever made
that touch. The meeting is credited to the rep who booked it. Meetings with
no prospect id or no earlier touch are counted as ``unattributed``. When two
touches share the last moment, the one with the larger ``event_id`` wins, so
the result never depends on the backend's row order.

>>> import backplan.defaults
>>> from backplan.core.period import Period
>>> from backplan.metrics.sample import events_table
>>> events = events_table([
...     ("ann", "2026-01-05 09:00", "dial", "p1"), ("ann", "2026-01-06 09:00", "email", "p1"),
...     ("ann", "2026-01-07 09:00", "meeting_booked", "p1"),
...     ("ann", "2026-01-08 09:00", "dial", "p2"), ("ann", "2026-01-08 10:00", "meeting_booked", "p2")])
>>> m = meetings_by_channel(events, backplan.defaults.funnel("outbound"), Period.month(2026, 1))
>>> m.order_by("channel").to_pandas().to_dict("records")
[{'rep': 'ann', 'channel': 'calls', 'meetings': 1}, {'rep': 'ann', 'channel': 'emails', 'meetings': 1}]
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from backplan.core.funnel import Funnel, Layer, Stage
from backplan.core.period import Period
from backplan.metrics.counts import Level, check_level, in_window, roster_table

UNATTRIBUTED = "unattributed"


def meeting_stage(funnel: Funnel) -> Stage | None:
    """The stage whose events are meetings: the first stage of the meetings layer."""
    return next((s for s in funnel.stages if s.layer == Layer.MEETINGS), None)


def channel_map(funnel: Funnel) -> ir.Table:
    """Which channel each touch kind belongs to (the first channel naming it)."""
    pairs: dict[str, str] = {}
    for channel in funnel.channels:
        for kind in channel.kinds:
            pairs.setdefault(kind, channel.key)
    frame = pd.DataFrame({"touch_kind": list(pairs), "channel": list(pairs.values())})
    return ibis.memtable(frame, schema={"touch_kind": "string", "channel": "string"})


def meetings_by_channel(
    events: ir.Table,
    funnel: Funnel,
    window: Period,
    *,
    level: Level = "rep",
    roster: pd.DataFrame | None = None,
) -> ir.Table:
    """Meetings booked in ``window`` per rep (team, organisation) and attributed channel.

    Columns: the level's key (``rep`` or ``team``; none for the organisation),
    ``channel`` (a channel key of ``funnel``, or ``unattributed``), ``meetings``.
    """
    check_level(level)
    stage = meeting_stage(funnel)
    if stage is None or not funnel.channels:
        raise ValueError(f"funnel {funnel.key!r} has no meetings stage or no channels")
    meetings = in_window(events, window).filter(events.kind.isin(list(stage.kinds)))
    meetings = meetings.select(
        meeting_id=meetings.event_id,
        rep=meetings.rep,
        meeting_prospect=meetings.prospect,
        meeting_at=meetings.at,
    )
    kinds = channel_map(funnel)
    touches = events.filter(events.prospect.notnull())
    touches = touches.inner_join(kinds, touches.kind == kinds.touch_kind).select(
        touch_id=touches.event_id,
        touch_prospect=touches.prospect,
        touch_at=touches.at,
        channel=kinds.channel,
    )
    paired = meetings.left_join(
        touches,
        [
            meetings.meeting_prospect == touches.touch_prospect,
            touches.touch_at <= meetings.meeting_at,
        ],
    )
    latest = ibis.window(
        group_by=paired.meeting_id,
        order_by=[ibis.desc(paired.touch_at), ibis.desc(paired.touch_id)],
    )
    ranked = paired.mutate(position=ibis.row_number().over(latest))
    credited = ranked.filter(ranked.position == 0).mutate(
        channel=ranked.channel.fill_null(UNATTRIBUTED)
    )
    per_rep = credited.group_by(["rep", "channel"]).aggregate(meetings=credited.count())
    if level == "rep":
        return per_rep
    if level == "organisation":
        return per_rep.group_by("channel").aggregate(meetings=per_rep.meetings.sum())
    people = roster_table(roster)
    joined = per_rep.left_join(people, per_rep.rep == people.rep).select(per_rep, team=people.team)
    return joined.group_by(["team", "channel"]).aggregate(meetings=joined.meetings.sum())
