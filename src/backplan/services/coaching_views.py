"""Coaching focuses as people read them: the review in words, for pages, the 1:1 and email.

The figures stay in the data (``before``, ``after``, ``effect`` …, as ``coaching review
--json`` gives them); beside them each view carries sentences made from them here, once,
so the Coaching page, a rep's Today card, the 1:1 agenda and the weekly digest say the
same thing the same way: percentages with their 80% ranges, changes in percentage points,
counts with their units, and a verdict never stronger than its evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from backplan.config import Settings
from backplan.core.coaching import MIN_TRIALS, Verdict
from backplan.core.errors import BackplanError, UnknownRep
from backplan.services.coaching import Focus, FocusReview, list_focuses, review_focuses
from backplan.services.definitions import organisation_playbook
from backplan.services.formatting import counted, percent, points
from backplan.services.planning import resolve_funnel

VERDICT_WORDS: dict[Verdict, str] = {
    "improved": "Improved: the conversion rose by more than the rest of the team's did",
    "unclear": "Unclear so far: no clear change beyond the rest of the team's",
    "worse": "Worse: the conversion fell behind the rest of the team's change",
}
THIN_WORDS = "Too early to tell: too little evidence yet"


def verdict_in_words(verdict: Verdict, *, thin: bool) -> str:
    """The verdict as a sentence; on thin evidence it says so rather than lean either way.

    >>> verdict_in_words("unclear", thin=True)
    'Too early to tell: too little evidence yet'
    """
    return THIN_WORDS if thin else VERDICT_WORDS[verdict]


@dataclass(frozen=True)
class Units:
    """How a conversion's counts read: ``label`` "Meeting → SQL", trials in meetings."""

    label: str
    trial: str
    trials: str
    success: str
    successes: str


def conversion_units(settings: Settings, funnel: str, conversion: str) -> Units:
    """The conversion's label and units from its funnel (its key, when the funnel has
    changed since the focus started)."""
    try:
        found = resolve_funnel(settings, funnel).conversion(conversion)
    except BackplanError:
        return Units(conversion, "trial", "trials", "success", "successes")
    source, target = found.source, found.target
    label = found.short[:1].upper() + found.short[1:]  # "Meeting → SQL"
    return Units(label, source.unit, source.plural, target.unit, target.plural)


def _rate(window: dict[str, Any], units: Units) -> str:
    return (
        f"{percent(window['estimate'])} ({counted(window['successes'], units.success, units.successes)}"
        f" of {counted(window['trials'], units.trial, units.trials)}; 80% range "
        f"{percent(window['low'])} to {percent(window['high'])})"
    )


def review_words(review: dict[str, Any], units: Units) -> dict[str, str]:
    """Sentences for one review (``FocusReview.to_dict()``): before, after, the control's
    change, the effect and P(improved), each with its range."""
    control, effect = review["control"], review["effect"]
    others = control.get("reps", 0)
    words = {
        "verdict": verdict_in_words(review["verdict"], thin=review["thin"]),
        "before": _rate(review["before"], units),
        "after": _rate(review["after"], units)
        if review["after"]["trials"]
        else f"no {units.trials} yet since the start",
        "control": (
            f"{others} other rep{'' if others == 1 else 's'} went from "
            f"{percent(control['before']['estimate'])} to {percent(control['estimate'])} "
            f"({points(control['change']['estimate'])})"
        ),
        "effect": (
            f"{points(effect['estimate'])} beyond the rest of the team's change (80% range "
            f"{points(effect['low'])} to {points(effect['high'])})"
        ),
        "p_improved": f"{percent(review['p_improved'])} likely that the coaching helped",
    }
    if review["thin"]:
        words["thin"] = (
            f"A verdict needs at least {MIN_TRIALS} {units.trials} in each window, for the rep "
            "and for the rest of the team."
        )
    return words


def focus_view(
    settings: Settings, focus: Focus, review: FocusReview | None = None
) -> dict[str, Any]:
    """A focus as the pages show it: what was agreed, and its review in words when there
    is one (``review`` is None before events are imported)."""
    units = conversion_units(settings, focus.funnel, focus.conversion)
    data = focus.to_dict()
    data["label"] = units.label
    data["current"] = focus.current
    data["review"] = None
    if review is not None:
        fitted = review.to_dict()
        data["review"] = {
            key: fitted[key]
            for key in ("before", "after", "control", "effect", "p_improved", "verdict", "thin")
        } | {"caveats": fitted["caveats"], "words": review_words(fitted, units)}
    return data


def focus_views(
    settings: Settings, *, rep: str | None = None, team: str | None = None, as_of: date
) -> tuple[list[dict[str, Any]], str | None]:
    """The focuses of a rep or a team, reviewed as at ``as_of``, and why they could not be
    reviewed (no events yet), else None."""
    focuses = list_focuses(settings, rep=rep, team=team)
    if not focuses:
        return [], None
    try:
        reviews = review_focuses(settings, rep=rep, team=team, as_of=as_of)
    except BackplanError as e:
        return [focus_view(settings, f) for f in focuses], str(e)
    return [focus_view(settings, r.focus, r) for r in reviews], None


def current_focuses(settings: Settings, rep: str, as_of: date) -> list[dict[str, Any]]:
    """A rep's current focuses with their verdict so far (for the Today card, the team page,
    the 1:1 and the digest); none for a rep the roster does not hold."""
    try:
        views, _ = focus_views(settings, rep=rep, as_of=as_of)
    except UnknownRep:
        return []
    return [v for v in views if v["current"]]


def start_options(settings: Settings, funnel: str | None = None) -> list[dict[str, Any]]:
    """The conversions a focus can be on, each with the playbook's suggestions for it."""
    book = organisation_playbook(settings)
    options = []
    for conversion in resolve_funnel(settings, funnel).conversions():
        coaching = book.get(conversion.key)
        options.append(
            {
                "key": conversion.key,
                "label": conversion.label,
                "area": coaching.area if coaching else None,
                "suggestions": list(coaching.suggestions) if coaching else [],
            }
        )
    return options


__all__ = [
    "THIN_WORDS",
    "VERDICT_WORDS",
    "Units",
    "conversion_units",
    "current_focuses",
    "focus_view",
    "focus_views",
    "review_words",
    "start_options",
    "verdict_in_words",
]
