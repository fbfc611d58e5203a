"""The channel mix beside a diagnosis: conversion to meetings by channel (``core.channels``,
meetings attributed to the last touch) and the shift it supports, with the playbook's coaching."""

from __future__ import annotations

from typing import Any

from backplan.core.channels import channel_mix
from backplan.metrics.channels import UNATTRIBUTED, meeting_stage
from backplan.services.diagnosis.context import Context


def channel_mix_for(context: Context, reps: list[str]) -> dict[str, Any] | None:
    """Conversion to meetings by channel for these reps together, with the shift it supports."""
    table = context.channels
    if table is None:
        return None
    part = table[table["rep"].isin(reps)]
    unattributed = int(part.loc[part["channel"] == UNATTRIBUTED, "meetings"].sum())
    part = part[part["channel"] != UNATTRIBUTED].groupby("channel")[["touches", "meetings"]].sum()
    if not part["touches"].any():
        return None
    notes = []
    counts = {}
    for channel, row in part.iterrows():
        touches, meetings = int(row["touches"]), int(row["meetings"])
        if meetings > touches:
            notes.append(
                f"{channel}: {meetings} meetings credited to touches made before the window, "
                f"more than its {touches} touches in it; counted as {meetings} touches"
            )
            touches = meetings
        counts[str(channel)] = (touches, meetings)
    mix = channel_mix(counts, level=context.request.level)
    out = mix.to_dict()
    stage = meeting_stage(context.funnel)
    coaching = None
    if mix.shift is not None and stage is not None:
        found = context.playbook.get(f"{stage.key}/{mix.shift.source}")
        coaching = found.to_dict() if found else None
    out.update(unattributed=unattributed, coaching=coaching, notes=notes)
    return out
