"""Channel mix: which channel turns touches into meetings, and where to move effort.

For each channel (calls, emails, social messages) the counts are its
touches and the meetings attributed to it. The rate is ``meetings /
touches`` with a Jeffreys interval (``Beta(m + 1/2, t − m + 1/2)``, see
:mod:`backplan.core.proportions`); these are plain per-rep or per-team
estimates, without the shrinkage toward the team that the funnel rates get.

The recommendation compares the best channel (highest estimated rate) with
every other: ``P(rate_best > rate_other)`` under the two posteriors. Of the
channels that are worse with probability at least ``confidence`` (0.9 by
default), the one with the most touches is where the most effort can be
moved from: "move from emails to calls". Below that confidence there is no
recommendation, only the rates. Touches are compared one for one: an email
costs less time than a call, which this comparison does not weigh.

>>> mix = channel_mix({"calls": (400, 12), "emails": (900, 9)})
>>> mix.shift.text if mix.shift else None
'move from emails to calls'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from backplan.core.errors import InvalidCounts, InvalidRate, NoData
from backplan.core.proportions import (
    check_counts,
    check_level,
    jeffreys_interval,
    probability_greater,
)

DEFAULT_CONFIDENCE = 0.9
"""Recommend a shift only when the better channel is better with this probability."""


@dataclass(frozen=True)
class ChannelCounts:
    """Touches of one channel and the meetings attributed to it."""

    channel: str
    touches: int
    meetings: int


@dataclass(frozen=True)
class ChannelRate:
    """Meetings per touch for one channel; ``rate`` is None without touches."""

    channel: str
    touches: int
    meetings: int
    rate: float | None
    low: float
    high: float
    level: float


@dataclass(frozen=True)
class ChannelShift:
    """Move effort from ``source`` to ``target``: ``target`` converts better with ``probability``."""

    source: str
    target: str
    probability: float
    source_rate: float
    target_rate: float

    @property
    def text(self) -> str:
        return f"move from {self.source} to {self.target}"

    @property
    def ratio(self) -> float:
        """How many times more meetings per touch the target channel gives."""
        return self.target_rate / self.source_rate if self.source_rate else float("inf")


@dataclass(frozen=True)
class ChannelMix:
    """Every channel's rate, best first, and the shift the evidence supports (or None)."""

    rates: tuple[ChannelRate, ...]
    shift: ChannelShift | None
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        shift = None
        if self.shift is not None:
            shift = {**asdict(self.shift), "text": self.shift.text}
        return {
            "channels": [asdict(rate) for rate in self.rates],
            "shift": shift,
            "confidence": self.confidence,
        }


def channel_mix(
    counts: Mapping[str, tuple[int, int]] | Iterable[ChannelCounts],
    *,
    level: float = 0.8,
    confidence: float = DEFAULT_CONFIDENCE,
) -> ChannelMix:
    """Conversion to meetings by channel, with intervals and a recommended shift.

    ``counts`` maps each channel to ``(touches, meetings)``, or is a list of
    :class:`ChannelCounts`. Call it once for a rep and once for their team.
    """
    check_level(level)
    if not 0.5 < confidence < 1:
        raise InvalidRate(f"confidence {confidence} must be between 0.5 and 1, e.g. 0.9")
    rows = _rows(counts)
    rates = [_rate(row, level) for row in rows]
    rates.sort(key=lambda r: (r.rate is None, -(r.rate or 0.0), -r.touches, r.channel))
    return ChannelMix(tuple(rates), _shift(rates, confidence), confidence)


def _rows(counts: Mapping[str, tuple[int, int]] | Iterable[ChannelCounts]) -> list[ChannelCounts]:
    if isinstance(counts, Mapping):
        rows = [ChannelCounts(key, *value) for key, value in counts.items()]
    else:
        rows = list(counts)
    if not rows:
        raise NoData("no channels: give touches and meetings for at least one channel")
    seen: set[str] = set()
    for row in rows:
        if row.channel in seen:
            raise InvalidCounts(f"channel {row.channel!r} is given twice; give it once")
        seen.add(row.channel)
        check_counts(row.meetings, row.touches, f"channel {row.channel!r} (meetings of touches)")
    return rows


def _rate(row: ChannelCounts, level: float) -> ChannelRate:
    low, high = jeffreys_interval(row.meetings, row.touches, level)
    rate = row.meetings / row.touches if row.touches else None
    return ChannelRate(row.channel, int(row.touches), int(row.meetings), rate, low, high, level)


def _shift(rates: list[ChannelRate], confidence: float) -> ChannelShift | None:
    used = [r for r in rates if r.touches > 0]
    if len(used) < 2:
        return None
    best, others = used[0], used[1:]
    worse = []
    for other in others:
        p = probability_greater(best.meetings, best.touches, other.meetings, other.touches)
        if p >= confidence:
            worse.append((other.touches, p, other))
    if not worse:
        return None
    _, p, source = max(worse, key=lambda w: (w[0], w[1]))
    assert best.rate is not None and source.rate is not None
    return ChannelShift(source.channel, best.channel, p, source.rate, best.rate)
