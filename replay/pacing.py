"""Pace long runs: a rate limit in records per second and a progress bar on stderr."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO


class Throttle:
    """Keep the average rate at or below `rate` records per second (None: unlimited)."""

    def __init__(self, rate: float | None):
        if rate is not None and rate <= 0:
            raise ValueError("--rate must be above zero")
        self.rate = rate
        self._started = time.monotonic()
        self._done = 0

    def chunk_size(self, default: int = 500) -> int:
        """Return how many records to send between pauses: about a fifth of a second's worth."""
        return default if self.rate is None else max(1, min(default, int(self.rate / 5)))

    async def passed(self, count: int) -> None:
        """Account for `count` records sent; sleep until the average rate is back under the limit."""
        self._done += count
        if self.rate is None:
            return
        due = self._started + self._done / self.rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)  # throttling is the point here, not a wait for an outcome


class Progress:
    """A one-line progress bar, drawn only for runs long enough to need one."""

    def __init__(self, total: int, label: str, enabled: bool, out: TextIO = sys.stderr):
        self.total = total
        self.label = label
        self.enabled = enabled and total > 0
        self._out = out
        self._done = 0

    def advance(self, count: int) -> None:
        """Record progress and redraw."""
        self._done += count
        if not self.enabled:
            return
        width = 30
        filled = width * self._done // self.total
        bar = "#" * filled + "." * (width - filled)
        self._out.write(f"\r{self.label} [{bar}] {self._done}/{self.total}")
        if self._done >= self.total:
            self._out.write("\n")
        self._out.flush()
