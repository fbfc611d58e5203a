"""Failed sign-ins slow an account down without closing it to its owner (ASVS 2.2.1).

Every try for an address is counted *before* its password is checked, in
one conditional UPDATE (compare and swap on a version number), so
concurrent tries can never check more passwords than the limit allows; a
right password then takes its count back. Up to ``max_failed_sign_ins``
failures, tries go through at once; past it, each further try must wait
after the last failure::

    wait = min(1 s × 2^(failures − limit), sign_in_max_delay_seconds)

A try made too early is refused (429, with ``Retry-After``) and its password
is not checked, so an attacker gets a handful of guesses an hour while the
owner, trying after the wait, signs in. There is no permanent lock: failures
are forgotten once an hour passes without one, and an admin setting a new
password forgets them at once. Unknown addresses are counted the same way,
so the answers tell nothing about which accounts exist.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from backplan import appdb
from backplan.appdb.models import SignInThrottle
from backplan.config import Settings
from backplan.core.errors import TooManyTries

FORGET_AFTER = timedelta(hours=1)
"""Failures are forgotten once this long passes without one."""
FIRST_WAIT = timedelta(seconds=1)
"""The wait after the limit is reached; it doubles with each further failure."""
MAX_SWAPS = 200
"""Attempts at the compare-and-swap before a try is refused as too busy (never reached but
under an attack of hundreds of simultaneous tries on one address)."""


class TooManySignIns(TooManyTries):
    """Too many failed sign-ins for an address: the next try must wait ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(
            f"Too many failed sign-ins for this account: try again in {retry_after} {unit} "
            "(the right password works then), or ask an admin to set a new password."
        )
        self.retry_after = retry_after


def wait_after(failures: int, limit: int, longest: timedelta) -> timedelta:
    """How long the next try must wait after the last of ``failures`` failures.

    >>> wait_after(99, 100, timedelta(minutes=5))
    datetime.timedelta(0)
    >>> wait_after(102, 100, timedelta(minutes=5))
    datetime.timedelta(seconds=4)
    """
    if failures < limit:
        return timedelta(0)
    doublings = failures - limit
    if doublings >= 30:  # far past any cap; 2**30 s is 34 years
        return longest
    wait: timedelta = FIRST_WAIT * (2**doublings)
    return min(wait, longest)


class SignInThrottles:
    """The failed sign-ins of every address, in the app database."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.clock = clock

    @property
    def longest_wait(self) -> timedelta:
        return timedelta(seconds=self.settings.sign_in_max_delay_seconds)

    def count_try(self, address: str) -> None:
        """Count a try for ``address`` as a failure, atomically, or refuse it (TooManySignIns)
        while it must wait. A right password then calls ``succeeded``."""
        now = self.clock()
        limit = self.settings.max_failed_sign_ins
        for _ in range(MAX_SWAPS):
            with appdb.connection(self.settings) as conn:
                row = conn.execute(
                    select(
                        SignInThrottle.failures,
                        SignInThrottle.last_failure_at,
                        SignInThrottle.version,
                    ).where(SignInThrottle.email == address)
                ).one_or_none()
            if row is None:
                if self._first_failure(address, now):
                    return
                continue  # another try inserted it first: count against its row
            last = _utc(row.last_failure_at)
            failures = 0 if now - last >= FORGET_AFTER else row.failures
            wait = last + wait_after(failures, limit, self.longest_wait) - now
            if wait > timedelta(0):
                raise TooManySignIns(max(1, math.ceil(wait.total_seconds())))
            with appdb.connection(self.settings) as conn:
                swapped = conn.execute(
                    update(SignInThrottle)
                    .where(SignInThrottle.email == address, SignInThrottle.version == row.version)
                    .values(failures=failures + 1, last_failure_at=now, version=row.version + 1)
                ).rowcount
            if swapped == 1:
                return
        raise TooManySignIns(1)

    def succeeded(self, address: str) -> None:
        """The try was the right password: it is not a failure."""
        with appdb.connection(self.settings) as conn:
            conn.execute(
                update(SignInThrottle)
                .where(SignInThrottle.email == address, SignInThrottle.failures > 0)
                .values(failures=SignInThrottle.failures - 1, version=SignInThrottle.version + 1)
            )

    def forget(self, address: str) -> None:
        """Forget the failures of ``address`` (an admin set a new password)."""
        with appdb.connection(self.settings) as conn:
            conn.execute(delete(SignInThrottle).where(SignInThrottle.email == address))

    def _first_failure(self, address: str, now: datetime) -> bool:
        try:
            with appdb.connection(self.settings) as conn:
                conn.execute(
                    delete(SignInThrottle).where(
                        SignInThrottle.last_failure_at < now - FORGET_AFTER
                    )
                )
                conn.execute(
                    insert(SignInThrottle).values(
                        email=address, failures=1, last_failure_at=now, version=1
                    )
                )
        except IntegrityError:
            return False
        return True


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
