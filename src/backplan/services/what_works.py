"""What works across the team: for each conversion coached, and each playbook item used,
how many focuses used it, their verdicts, and their effects pooled (``core.pooling``).

Only focuses with days after their start count (one starting tomorrow has no evidence
yet). A focus with several playbook items counts for each of them: the items are read
as used together, never as separate experiments.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from backplan.config import Settings
from backplan.core.errors import BackplanError
from backplan.core.pooling import PooledEffect, pool_effects
from backplan.services.coaching import FocusReview, review_focuses
from backplan.services.coaching_views import conversion_units
from backplan.services.formatting import percent, points


@dataclass(frozen=True)
class ItemEvidence:
    """The focuses on ``conversion`` that used playbook ``item`` (None: every focus on the
    conversion), their verdicts and pooled effect."""

    conversion: str
    label: str
    item: str | None
    focuses: int
    verdicts: dict[str, int]
    reps: int
    pooled: PooledEffect | None

    def to_dict(self) -> dict[str, Any]:
        pooled = self.pooled
        return {
            "conversion": self.conversion,
            "label": self.label,
            "item": self.item,
            "focuses": self.focuses,
            "reps": self.reps,
            "improved": self.verdicts.get("improved", 0),
            "unclear": self.verdicts.get("unclear", 0),
            "worse": self.verdicts.get("worse", 0),
            "pooled": None if pooled is None else pooled.to_dict(),
            "words": None if pooled is None else pooled_words(pooled),
        }


@dataclass
class WhatWorks:
    """The evidence per conversion and playbook item, and why there is none (no events)."""

    items: list[ItemEvidence] = field(default_factory=list)
    note: str | None = None


def pooled_words(pooled: PooledEffect) -> str:
    """The pooled effect in a sentence, with its range and probability."""
    return (
        f"{points(pooled.estimate)} on average (80% range {points(pooled.low)} to "
        f"{points(pooled.high)}); {percent(pooled.p_improved)} likely that it helps"
    )


def evidence(settings: Settings, reviews: list[FocusReview]) -> list[ItemEvidence]:
    """Group ``reviews`` by conversion and by playbook item, most focuses first."""
    groups: dict[tuple[str, str | None], list[FocusReview]] = {}
    labels: dict[str, str] = {}
    for review in reviews:
        if review.after is None:
            continue
        focus = review.focus
        labels.setdefault(
            focus.conversion, conversion_units(settings, focus.funnel, focus.conversion).label
        )
        for item in (None, *focus.playbook):
            groups.setdefault((focus.conversion, item), []).append(review)
    found = []
    for (conversion, item), members in groups.items():
        effects = [(r.effect.effect_.estimate, r.effect.effect_.low, r.effect.effect_.high)
                   for r in members]  # fmt: skip
        found.append(
            ItemEvidence(
                conversion=conversion,
                label=labels[conversion],
                item=item,
                focuses=len(members),
                verdicts=dict(Counter(r.effect.verdict_ for r in members)),
                reps=len({r.focus.rep for r in members}),
                pooled=pool_effects(effects),
            )
        )
    found.sort(key=lambda e: (e.conversion, e.item is not None, -e.focuses, e.item or ""))
    return found


def what_works(
    settings: Settings,
    *,
    as_of: date,
    rep: str | None = None,
    teams: list[str] | None = None,
) -> WhatWorks:
    """What works among a rep's focuses, the focuses of ``teams``, or everyone's (neither)."""
    try:
        if rep is not None:
            reviews = review_focuses(settings, rep=rep, as_of=as_of)
        elif teams is not None:
            reviews = [r for t in teams for r in review_focuses(settings, team=t, as_of=as_of)]
        else:
            reviews = review_focuses(settings, as_of=as_of)
    except BackplanError as e:
        return WhatWorks([], str(e))
    return WhatWorks(evidence(settings, reviews))


def what_works_to_dict(found: WhatWorks) -> dict[str, Any]:
    return {"items": [e.to_dict() for e in found.items], "note": found.note}


__all__ = ["ItemEvidence", "WhatWorks", "evidence", "pooled_words", "what_works",
           "what_works_to_dict"]  # fmt: skip
