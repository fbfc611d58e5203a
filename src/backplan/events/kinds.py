"""The event kinds backplan knows, and the ones a team adds.

Funnels count events by kind (``backplan/defaults/funnels``); an import
rejects a row whose kind is none of these with the reason ``unknown_kind``.
More kinds can be allowed with the setting ``extra_kinds``
(``BACKPLAN_EXTRA_KINDS='["demo_given"]'``).
"""

from __future__ import annotations

from collections.abc import Iterable

STANDARD_KINDS: tuple[str, ...] = (
    "dial",  # an outbound call attempt, answered or not
    "connect",  # a conversation with the prospect (a call answered, a reply)
    "email",  # an outbound email
    "social",  # a social message (LinkedIn, ...)
    "meeting_booked",
    "meeting_held",
    "no_show",
    "sql",  # sales-qualified lead
    "opp",  # opportunity opened
    "won",
    "lost",
)


def known_kinds(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The standard kinds followed by the extra ones (lower-cased, without repeats)."""
    out = list(STANDARD_KINDS)
    for kind in extra:
        k = kind.strip().lower()
        if k and k not in out:
            out.append(k)
    return tuple(out)
