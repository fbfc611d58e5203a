"""How figures read to a person, the same in the terminal and on a page.

The CLI's tables (``cli/output.py``) and the web's templates (the ``number``
filter in ``web/render.py``) both format through here, so a count reads
``1,200`` and a rate-derived figure ``56.3`` everywhere.
"""

from __future__ import annotations


def number(x: float | int | None) -> str:
    """A figure for reading: whole numbers with thousands separators, others to one decimal.

    >>> number(1200), number(56.3), number(None)
    ('1,200', '56.3', '–')
    """
    if x is None:
        return "–"
    if isinstance(x, int) or float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.1f}"


def counted(x: float | int | None, unit: str, plural: str) -> str:
    """A figure with its unit, singular only for exactly one.

    >>> counted(1, "SQL", "SQLs"), counted(3.2, "SQL", "SQLs"), counted(0, "deal", "deals")
    ('1 SQL', '3.2 SQLs', '0 deals')
    """
    return f"{number(x)} {unit if x == 1 else plural}"


def percent(x: float | None) -> str:
    """A rate as a whole percentage, with one decimal below 10%.

    >>> percent(0.127), percent(0.5), percent(0.043), percent(None)
    ('13%', '50%', '4.3%', '–')
    """
    if x is None or x != x:  # None or NaN
        return "–"
    if 0 < abs(x) < 0.1:
        return f"{x * 100:.1f}%"
    return f"{x * 100:.0f}%"


def points(x: float | None) -> str:
    """A change in a rate, in percentage points with its sign.

    >>> points(0.041), points(-0.2), points(0.0)
    ('+4.1 points', '−20.0 points', '0.0 points')
    """
    if x is None:
        return "–"
    value = round(x * 100, 1)
    if value == 0:
        return "0.0 points"
    sign = "+" if value > 0 else "−"
    return f"{sign}{abs(value):.1f} points"


PACE_WORDS = {
    "ahead": "ahead",
    "on_pace": "on pace",
    "met": "met",
    "behind": "behind",
    "not_started": "not started",
}


def pace(code: str | None) -> str:
    """A pace code in words ("not started", not ``not_started``)."""
    return "–" if code is None else PACE_WORDS.get(code, code.replace("_", " "))
