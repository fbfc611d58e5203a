"""A value read from storage and trusted for a few seconds, for what every request asks.

The web server's workers each keep what nearly every request reads (the
roster's teams, the organisation's funnels, the event store's fingerprint)
and read it again once it is ``seconds`` old. A change made through the same
process calls :meth:`Kept.forget`, so it shows at once; one made by another
process shows at most ``seconds`` later.

    >>> reads = []
    >>> kept = Kept(lambda: reads.append(1) or len(reads), seconds=60)
    >>> kept.get(), kept.get()
    (1, 1)
    >>> kept.forget()
    >>> kept.get()
    2
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Kept(Generic[T]):
    def __init__(self, read: Callable[[], T], seconds: float) -> None:
        self.read = read
        self.seconds = seconds
        self._lock = threading.Lock()
        self._kept: tuple[float, T] | None = None

    def get(self) -> T:
        """The kept value, or a fresh read once it is older than ``seconds``."""
        now = time.monotonic()
        with self._lock:
            if self._kept is not None and now - self._kept[0] < self.seconds:
                return self._kept[1]
        value = self.read()  # outside the lock: a slow read does not hold up the others
        with self._lock:
            self._kept = (now, value)
        return value

    def forget(self) -> None:
        """Read afresh on the next :meth:`get` (the value was just changed here)."""
        with self._lock:
            self._kept = None
