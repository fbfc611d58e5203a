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
    """A rate as a percentage, one way on every page: to one decimal, none when whole.

    >>> percent(0.125), percent(0.07), percent(1 / 3), percent(None)
    ('12.5%', '7%', '33.3%', '–')
    """
    if x is None or x != x:  # None or NaN
        return "–"
    text = f"{100 * x:,.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"
