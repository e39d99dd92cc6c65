"""Exponential backoff with full jitter, for reconnecting to the inbox."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

from mailbot.defaults import BACKOFF_FIRST_SECONDS, BACKOFF_MAX_SECONDS


class Backoff:
    """Delays of 0..first, 0..2·first, 0..4·first … seconds, capped at `ceiling`.

    `reset()` after a success; `wait(stop)` sleeps the next delay, returning early
    (True) when `stop` is set.
    """

    def __init__(
        self,
        first: float = BACKOFF_FIRST_SECONDS,
        ceiling: float = BACKOFF_MAX_SECONDS,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.first = first
        self.ceiling = ceiling
        self.rand = rand
        self.failures = 0

    def next_delay(self) -> float:
        limit = min(self.ceiling, self.first * 2 ** min(self.failures, 32))
        self.failures += 1
        return limit * self.rand()

    def reset(self) -> None:
        self.failures = 0

    def wait(self, stop: threading.Event | None = None) -> bool:
        delay = self.next_delay()
        return (stop or threading.Event()).wait(delay)
