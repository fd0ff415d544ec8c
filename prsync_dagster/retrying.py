"""The one retry policy of a sync: when to repeat, how long to wait, when to give up.

Built on tenacity (https://tenacity.readthedocs.io), configured here and nowhere else, and used for
every repeat a sync makes:

- HTTP to GitHub (:mod:`prsync_dagster.github.client`): 5xx and timeouts, exponential backoff with
  jitter, at most ``max_retries`` repeats; rate limits (primary 403/429 and GraphQL
  ``RATE_LIMITED``, secondary 403/429) waited out while the wait is within
  ``max_rate_limit_wait_s``; connection-level failures (refused, DNS) repeated for at most
  ``connect_retry_s`` in total, TLS failures never (no repeat fixes a certificate) - issue 9.2;
- GraphQL page shrinking (:mod:`prsync_dagster.github.graphql`): a "too big or too slow" answer
  repeats at once with a smaller page, at most :data:`MAX_SHRINKS` times;
- the DuckDB file lock (:mod:`prsync_dagster.warehouse.duckdb`): repeated with backoff until
  ``lock_timeout_s``.

Every wait goes through ``sleep`` and every "now" through ``clock``, both injectable, so tests
freeze time instead of sleeping through rate-limit resets. Each repeat is reported to
``on_retry`` (the sync's request statistics count it in ``SyncReport.retries``).
Interrupts (``KeyboardInterrupt``, Dagster's ``DagsterExecutionInterruptedError``, SIGTERM turned
into either) are ``BaseException``s, which tenacity never retries (issue 9.1).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_none
from tenacity.stop import StopBaseT
from tenacity.wait import WaitBaseT

T = TypeVar("T")

#: Page shrinks after GitHub's "query took too long" answers (502/504 or an HTTP 200 timeout error).
MAX_SHRINKS = 8


def real_sleep(seconds: float) -> None:
    """``time.sleep``, looked up at call time (so a test's patched ``time.sleep`` applies too)."""
    time.sleep(seconds)


def real_clock() -> float:
    """``time.time``, looked up at call time."""
    return time.time()


class Transient(Exception):
    """An answer or failure that another try may fix; ``wait`` (s) is imposed by GitHub, if any.

    ``kind`` decides the budget: ``server`` (5xx, timeouts: ``max_retries``), ``connect``
    (refused, DNS: ``connect_retry_s`` in total), ``rate_limit`` and ``secondary``
    (``max_rate_limit_wait_s`` per wait; a secondary limit without ``wait`` doubles
    ``secondary_rate_wait_s`` per repeat), ``too_big`` (GraphQL page shrinking). ``final`` is the
    error to raise when the budget is spent.
    """

    def __init__(
        self,
        kind: str,
        final: Exception | Callable[[float], Exception],
        wait: float | None = None,
    ) -> None:
        super().__init__(kind)
        self.kind = kind
        self._final = final
        self.wait = wait

    def final(self, waited: float = 0.0) -> Exception:
        """The error to raise on giving up (``waited``: the wait that was refused, if it matters)."""
        return self._final if isinstance(self._final, Exception) else self._final(waited)


@dataclass(frozen=True)
class RetryPolicy:
    """How patient a sync is, in one place (see the module docstring for what uses what)."""

    #: Repeats of one request after 5xx answers and timeouts (GitHub documents none; 8 covers
    #: the short outages seen in practice, see issue 5).
    max_retries: int = 8
    #: Exponential backoff: ``backoff_factor * 2**n`` s (n = repeats so far), +-50 % jitter, capped.
    backoff_factor: float = 1.0
    max_backoff_s: float = 60.0
    #: Total time spent repeating a request whose connection failed (refused, DNS); issue 9.2.
    connect_retry_s: float = 30.0
    #: Longest single rate-limit wait inside an attempt; a longer one ends the attempt
    #: (the asset reschedules it after the reset).
    max_rate_limit_wait_s: float = 300.0
    #: First wait on a secondary limit without ``Retry-After``, doubled on each repeat, as GitHub
    #: asks ("wait at least one minute ... increase exponentially").
    secondary_rate_wait_s: float = 60.0
    #: Injectable waits and wall clock (epoch seconds, to turn ``X-RateLimit-Reset`` into a
    #: wait): tests freeze time with them.
    sleep: Callable[[float], None] = field(default=real_sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=real_clock, repr=False, compare=False)

    def backoff(self, repeats: int) -> float:
        """Seconds before repeat number ``repeats + 1`` of a failed request (jittered)."""
        base = min(self.backoff_factor * 2**repeats, self.max_backoff_s)
        return base * random.uniform(0.5, 1.5)

    def planned_wait(self, exc: Transient, repeats: int, waited_s: float) -> float:
        """Seconds to wait before repeating after ``exc`` (``repeats`` of its kind so far,
        ``waited_s`` spent waiting in this call so far)."""
        if exc.wait is not None:
            return exc.wait
        if exc.kind == "secondary":
            return self.secondary_rate_wait_s * 2**repeats
        if exc.kind == "connect":
            return max(0.0, min(self.backoff(repeats), self.connect_retry_s - waited_s))
        return self.backoff(repeats)

    def gives_up(self, exc: Transient, repeats: int, waited_s: float, wait: float) -> bool:
        """Whether the budget of ``exc``'s kind is spent (then its ``final`` error is raised)."""
        if exc.kind in ("rate_limit", "secondary"):
            return wait > self.max_rate_limit_wait_s or repeats >= self.max_retries
        if exc.kind == "connect":
            return waited_s >= self.connect_retry_s
        return repeats >= self.max_retries

    def call(self, fn: Callable[[], T], on_retry: Callable[[float], None] | None = None) -> T:
        """Run ``fn``, repeating it while it raises :class:`Transient` and the budget allows.

        Raises the last :class:`Transient`'s ``final`` error when the budget is spent, any other
        exception at once, and never catches a ``BaseException`` (interrupts).
        """
        #: repeats planned so far, per kind (including the one being decided)
        repeats: Counter[str] = Counter()

        # tenacity asks ``wait`` first, then ``stop``, which sees the planned wait as ``upcoming_sleep``
        def wait(state: RetryCallState) -> float:
            exc = _transient(state)
            repeats[exc.kind] += 1
            return self.planned_wait(exc, repeats[exc.kind] - 1, state.idle_for)

        def stop(state: RetryCallState) -> bool:
            exc = _transient(state)
            return self.gives_up(exc, repeats[exc.kind] - 1, state.idle_for, state.upcoming_sleep)

        return self._retrying(stop, wait, on_retry)(fn)

    def shrinking(self, on_retry: Callable[[float], None]) -> Retrying:
        """Repeats at once (the page is smaller, no wait) while :class:`Transient`, at most
        :data:`MAX_SHRINKS` times; then raises the last ``final`` error."""
        return self._retrying(stop_after_attempt(MAX_SHRINKS + 1), wait_none(), on_retry)

    def lock_wait(self, timeout_s: float, on_retry: Callable[[float], None] | None = None) -> Retrying:
        """Repeats while :class:`Transient` (a file lock held by another process) for ``timeout_s``.

        Waits 20 ms doubling to 0.5 s (+-50 % jitter): a lock is usually held for one short
        transaction. Gives up by raising the last ``final`` error.
        """

        def wait(state: RetryCallState) -> float:
            delay = min(0.02 * 2 ** (state.attempt_number - 1), 0.5) * random.uniform(0.5, 1.5)
            return max(0.0, min(delay, timeout_s - state.idle_for))

        return self._retrying(lambda state: state.idle_for >= timeout_s, wait, on_retry)

    def _retrying(
        self, stop: StopBaseT, wait: WaitBaseT, on_retry: Callable[[float], None] | None
    ) -> Retrying:
        """A tenacity loop that repeats only on :class:`Transient`, sleeps through ``sleep``, tells
        ``on_retry`` each planned wait (s), and on giving up raises the last ``final`` error."""

        def before_sleep(state: RetryCallState) -> None:
            if on_retry is not None and state.next_action is not None:
                on_retry(state.next_action.sleep)

        return Retrying(
            retry=retry_if_exception_type(Transient),
            stop=stop,
            wait=wait,
            sleep=self.sleep,
            before_sleep=before_sleep,
            retry_error_callback=_give_up,
        )


def _give_up(state: RetryCallState) -> Any:
    """Raise the last :class:`Transient`'s ``final`` error, given the wait it would have needed."""
    raise _transient(state).final(state.upcoming_sleep)


def _transient(state: RetryCallState) -> Transient:
    assert state.outcome is not None
    exc = state.outcome.exception()
    assert isinstance(exc, Transient)
    return exc
