"""The playbook: from a weak conversion (or too little activity) to the coaching it calls for.

Three kinds of entry, each keyed the way the rest of backplan names things:

- ``conversion``: a funnel conversion written ``to/from`` like the rates
  (``sqls/meetings`` is meeting → SQL);
- ``channel``: a channel and the stage it feeds, also ``to/from``
  (``meetings/emails`` is email → meeting);
- ``volume``: a stage or channel with too little activity (``dials``,
  ``emails``, ``prospects``).

The shipped defaults are ``backplan/defaults/playbook.toml``; an organisation
edits or extends them with its own file (see docs/playbook.md).

>>> book = Playbook(conversions={"sqls/meetings": Coaching(
...     "sqls/meetings", "conversion", "qualification", "", ("Ask about budget",))})
>>> book.coaching_for("sqls/meetings").area
'qualification'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from backplan.core.errors import UnknownCoaching
from backplan.core.funnel import Funnel

Kind = Literal["conversion", "channel", "volume"]


@dataclass(frozen=True)
class Coaching:
    """What to coach when ``key`` is weak: the area, why it usually is weak, what to try."""

    key: str
    kind: Kind
    area: str
    why: str
    suggestions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "area": self.area,
            "why": self.why,
            "suggestions": list(self.suggestions),
        }


@dataclass(frozen=True)
class Playbook:
    """Coaching by conversion (``to/from``), by channel (``stage/channel``) and by volume."""

    conversions: Mapping[str, Coaching] = field(default_factory=dict)
    channels: Mapping[str, Coaching] = field(default_factory=dict)
    volume: Mapping[str, Coaching] = field(default_factory=dict)

    def get(self, key: str) -> Coaching | None:
        """The coaching for ``key``, or None.

        ``to/from`` keys are looked up among conversions, then channels; a
        bare key (``dials``) is a volume entry.
        """
        if "/" in key:
            return self.conversions.get(key) or self.channels.get(key)
        return self.volume.get(key)

    def coaching_for(self, key: str) -> Coaching:
        """The coaching for a conversion (``sqls/meetings``), a channel
        (``meetings/emails``) or a volume gap (``dials``); raises :class:`UnknownCoaching`."""
        found = self.get(key)
        if found is None:
            kind = "conversion or channel" if "/" in key else "volume"
            known = sorted({*self.conversions, *self.channels} if "/" in key else self.volume)
            raise UnknownCoaching(
                f"the playbook has no {kind} entry {key!r}; add one to your playbook TOML "
                f"(known: {', '.join(known) or 'none'})"
            )
        return found

    def for_channel(self, channel: str, stage: str) -> Coaching:
        """The coaching for ``channel`` feeding ``stage``: ``for_channel("emails", "meetings")``."""
        return self.coaching_for(f"{stage}/{channel}")

    def missing_for(self, funnel: Funnel) -> list[str]:
        """Keys of ``funnel`` (its conversions and channel feeds) the playbook has no entry for."""
        keys = [c.key for c in funnel.conversions()]
        keys += [f"{stage}/{ch.key}" for ch in funnel.channels for stage in ch.feeds]
        return [key for key in keys if self.get(key) is None]
