"""A virtual clock, so waits for rate-limit resets cost no real time.

``virtual_clock`` replaces ``time.time`` and ``time.sleep`` for the test (every module that calls
them through the ``time`` module: the product's client, urllib3's retries, Dagster's step-retry
wait and the simulator's rate-limit windows, all in this process). ``sleep(s)`` returns at once and
moves the clock ``s`` seconds ahead; ``time()`` is the real time plus every second slept so far.
So a client that waits for a reset 2 s away sees the simulator's window over, exactly as after a
real 2 s, and the test asserts how long it waited (``slept``) instead of timing it.

Left real: ``time.monotonic``/``perf_counter`` (durations in reports and the DuckDB lock wait) and
``datetime.now``. Use it only where the waits under test are rate-limit or retry waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

_REAL_TIME = time.time
_REAL_SLEEP = time.sleep


@dataclass
class VirtualClock:
    """Real time plus the seconds slept so far (seconds, float)."""

    sleeps: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def slept(self) -> float:
        """Total seconds every thread has slept on this clock."""
        with self._lock:
            return sum(self.sleeps)

    def time(self) -> float:
        return _REAL_TIME() + self.slept

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        with self._lock:
            self.sleeps.append(float(seconds))
        _REAL_SLEEP(0)  # still let other threads run


@pytest.fixture
def virtual_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[VirtualClock]:
    clock = VirtualClock()
    monkeypatch.setattr(time, "time", clock.time)
    monkeypatch.setattr(time, "sleep", clock.sleep)
    yield clock
