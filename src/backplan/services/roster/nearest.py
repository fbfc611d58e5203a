"""The reps of the roster nearest a name nobody knows: "did you mean ...?" for unknown reps.

An export may name ``Ana Silva`` where the roster knows ``ana.silva@example.com``;
an email's local part is compared as a name (``ana.silva`` → ``ana silva``).

    >>> reps = [{"key": "ana.silva@example.com", "name": "ana.silva@example.com"}]
    >>> nearest_reps("Ana Silva", reps)
    ['ana.silva@example.com']
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

CUTOFF = 0.75
"""How alike (difflib's ratio, 0–1) a roster name must be to be suggested."""


def comparable(text: str) -> str:
    """A name, key or email as words to compare: lower case, an email's local part, no dots."""
    text = text.strip().lower()
    if "@" in text:
        text = text.split("@", 1)[0]
    return " ".join(re.split(r"[\s._\-,]+", text)).strip()


def nearest_reps(
    value: str, reps: Sequence[Mapping[str, str | None]], *, limit: int = 3
) -> list[str]:
    """The keys of the roster's reps whose key, name or email is nearest ``value``, best first."""
    by_text: dict[str, list[str]] = {}
    for rep in reps:
        key = rep["key"] or ""
        for text in (rep.get("key"), rep.get("name"), rep.get("email")):
            if text:
                keys = by_text.setdefault(comparable(text), [])
                if key not in keys:
                    keys.append(key)
    wanted = comparable(value)
    matches = difflib.get_close_matches(wanted, list(by_text), n=limit * 2, cutoff=CUTOFF)
    found: list[str] = []
    for match in matches:
        found.extend(k for k in by_text[match] if k not in found)
    return found[:limit]


def unknown_rep_lines(unknown: Sequence[Mapping[str, object]]) -> list[str]:
    """Each unknown rep as a person reads it: "`Ana Silva` × 160 — not in the roster; ..."."""
    lines = []
    for entry in unknown:
        line = f"`{entry['value']}` × {int(str(entry['rows'])):,} — not in the roster"
        hints = entry.get("did_you_mean")
        if isinstance(hints, list) and hints:
            line += "; did you mean " + " or ".join(f"`{h}`" for h in hints) + "?"
        lines.append(line)
    return lines
