"""Working-day calendars from settings: public holidays (the ``holidays`` package) and time off."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from backplan.core.errors import BackplanError
from backplan.core.period import WorkingCalendar


def public_holidays(country: str, subdivision: str | None, years: Iterable[int]) -> dict[date, str]:
    """Public holidays by date for a country (ISO code) and optional subdivision."""
    import holidays  # a tenth of a second: only where a country is set

    try:
        found = holidays.country_holidays(country.upper(), subdiv=subdivision, years=list(years))
    except NotImplementedError:
        raise BackplanError(
            f"no holiday calendar for country {country!r}; use an ISO code such as US, GB, DE, FR"
        ) from None
    except Exception as e:  # the package reports a bad subdivision as a plain error
        raise BackplanError(f"holiday calendar for {country!r}/{subdivision!r}: {e}") from None
    return dict(found.items())


def working_calendar(
    country: str | None,
    subdivision: str | None,
    years: Iterable[int],
    time_off: Iterable[date] = (),
) -> WorkingCalendar:
    """Monday to Friday, less public holidays when a country is set, less time off."""
    days_off = public_holidays(country, subdivision, years) if country else {}
    return WorkingCalendar(holidays=days_off, time_off=frozenset(time_off))
