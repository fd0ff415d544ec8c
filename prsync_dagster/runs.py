"""Launch sync runs from a foreground command: the ``prsync`` CLI and the demo (neither imports the other).

Each repository is one run of the ``github_sync`` job (``job.execute_in_process`` on the instance in
``$DAGSTER_HOME``, in a process forked for it), so CLI syncs show up in the Dagster UI like
scheduled ones. This module also owns what an operator expects of a foreground command on Ctrl-C
(issue 9.1): SIGINT or SIGTERM stops the runs in progress within seconds, never waits for a step
retry, never starts the next repository, and the command exits ``128 + signal`` (130, 143), as
shells report a signal death.

Why a guard is needed at all: while a run executes, Dagster replaces the SIGINT and SIGTERM
handlers with its own (``dagster._utils.interrupts.capture_interrupts``); it raises the interrupt
only inside user code (where the step's ``RetryPolicy`` then turns it into a retry) and merely
records it while its executor sleeps before a retry or waits for a pool slot. So a signal can be
swallowed for minutes. :class:`InterruptGuard` learns of every signal through
:func:`signal.set_wakeup_fd` (written by the interpreter whatever Python handler is installed, see
https://docs.python.org/3/library/signal.html#signal.set_wakeup_fd), and when the run has not
ended ``grace_s`` after a signal it raises ``KeyboardInterrupt`` in the main thread (through
SIGUSR1, which Dagster leaves alone) wherever Dagster is waiting; Dagster then ends the run as
failed. As a last resort it ends the process ``hard_s`` after the signal: every warehouse write is
one transaction, so that is as safe for data and cursor as ``kill -9`` (tested), only untidier.
"""

from __future__ import annotations

import contextlib
import gc
import math
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import wait
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal

from rich.table import Table

from prsync_dagster.errors import ConfigurationError, InvalidRepositoryName
from prsync_dagster.repos import normalize_repo
from prsync_dagster.secrets import redact
from prsync_dagster.settings import DEFAULT_HOME, warehouse_url_from_env

if TYPE_CHECKING:
    from dagster import DagsterInstance

#: The signals that stop ``prsync sync`` in an orderly way.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Used only inside this process to raise ``KeyboardInterrupt`` where Dagster waits.
_ESCALATE = signal.SIGUSR1

Result = Literal["ok", "failed", "interrupted", "not started"]


@dataclass(frozen=True)
class SyncOutcome:
    """What became of one repository's run.

    ``error`` is the one-line reason (the asset's ``Failure`` description, else the exception's
    message without its class path), the same text the run's failure shows in the UI; ``report``
    is ``sync_state.last_report`` of a successful sync (empty otherwise).
    """

    repo: str
    result: Result
    run_id: str | None = None
    error: str | None = None
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.result == "ok"


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM reached ``prsync``; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


class InterruptGuard:
    """While active (a context manager, main thread only), SIGINT/SIGTERM stop syncs promptly.

    - Outside a run the guard's own handler raises :class:`Interrupted` (not inside
      :meth:`deferred`, where the caller polls :attr:`signum` instead).
    - During a run (:meth:`running`), Dagster's handler is in charge; if the run has not ended
      ``grace_s`` seconds after the signal (or at once on a second signal), ``KeyboardInterrupt``
      is raised in the main thread, again every ``grace_s``; ``hard_s`` seconds after the first
      signal the process exits with ``128 + signal`` after writing ``last_words()`` to stderr.

    ``signum`` is the first stop signal received (None: none), ``received`` every one in order.
    Entered outside the main thread (Dagster cannot install handlers there either) the guard does
    nothing.
    """

    def __init__(
        self,
        grace_s: float = 1.0,
        hard_s: float = 4.5,
        on_signal: Callable[[int], None] | None = None,
        last_words: Callable[[], str] | None = None,
    ) -> None:
        self.grace_s = grace_s
        self.hard_s = hard_s
        self.on_signal = on_signal
        self.last_words = last_words
        self.signum: int | None = None
        self.received: list[int] = []
        #: when the process ends (``hard_s`` after the first stop signal)
        self._hard_at = math.inf
        self._in_run = threading.Event()
        self._deferred = False
        self._stopped = threading.Event()
        self._active = False
        self._fds: tuple[int, int] | None = None
        self._previous: dict[int, Any] = {}
        self._previous_wakeup = -1
        self._thread: threading.Thread | None = None

    @property
    def exit_code(self) -> int:
        """``128 + signal`` (130 for SIGINT, 143 for SIGTERM); 0 when no signal arrived."""
        return 128 + self.signum if self.signum else 0

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is not threading.main_thread():
            return self
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        self._fds = (read_fd, write_fd)
        self._previous = {signum: signal.getsignal(signum) for signum in (*STOP_SIGNALS, _ESCALATE)}
        self._previous_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._handle_stop)
        signal.signal(_ESCALATE, self._handle_escalation)
        self._active = True
        self._thread = threading.Thread(target=self._watch, name="prsync-interrupts", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._active:
            return
        self._active = False
        self._stopped.set()
        assert self._fds is not None
        read_fd, write_fd = self._fds
        with contextlib.suppress(OSError):
            os.write(write_fd, b"\0")  # wake the watcher
        if self._thread is not None:
            self._thread.join(timeout=2)
        signal.set_wakeup_fd(self._previous_wakeup)
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        os.close(read_fd)
        os.close(write_fd)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Mark a Dagster run in progress (in the main thread: Dagster's handlers are in charge)."""
        self._in_run.set()
        try:
            yield
        finally:
            self._in_run.clear()

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Only note stop signals, raise nothing: for a loop that polls :attr:`signum` itself."""
        self._deferred = True
        try:
            yield
        finally:
            self._deferred = False

    def check(self) -> None:
        """Raise :class:`Interrupted` if a stop signal arrived (checked before each new run)."""
        if self.signum is not None:
            raise Interrupted(self.signum)

    # -- signal handlers (main thread) ---------------------------------------------------------

    def _handle_stop(self, signum: int, _frame: FrameType | None) -> None:
        # The watcher notes the signal from the wakeup fd too; note it here as well so that
        # ``signum`` is set before the exception unwinds.
        self._note(signum)
        if not self._deferred:
            raise Interrupted(signum)

    def _handle_escalation(self, _signum: int, _frame: FrameType | None) -> None:
        if self._in_run.is_set() and self.signum is not None:
            raise Interrupted(self.signum)

    # -- watcher thread ------------------------------------------------------------------------

    def _note(self, signum: int) -> None:
        """Record the first stop signal."""
        if self.signum is not None:
            return
        self.signum = signum
        self._hard_at = time.monotonic() + self.hard_s
        if self.on_signal is not None:
            with contextlib.suppress(Exception):
                self.on_signal(signum)

    def _watch(self) -> None:
        """After the first stop signal: stop the run from ``grace_s`` on and again every ``grace_s``
        (at once on a repeated signal), end the process at ``hard_s``."""
        assert self._fds is not None
        read_fd = self._fds[0]
        tick: float | None = None  # the next round of stopping, once a stop signal came
        escalate = False  # whether that round interrupts the main thread's run too
        while True:
            timeout = None if tick is None else max(0.0, min(tick, self._hard_at) - time.monotonic())
            ready, _, _ = select.select([read_fd], [], [], timeout)
            if self._stopped.is_set():
                return
            try:
                data = os.read(read_fd, 64) if ready else b""
            except OSError:
                return
            for byte in (byte for byte in data if byte in STOP_SIGNALS):
                self.received.append(byte)
                if tick is None:
                    self._note(byte)  # the stop handler may have noted it already
                    tick = time.monotonic()
                else:  # a repeated signal: do not wait for the grace period
                    tick, escalate = time.monotonic(), True
            now = time.monotonic()
            if now >= self._hard_at:
                self._hard_exit()
                return
            if tick is None or now < tick:
                continue
            main = threading.main_thread().ident
            if escalate and self._in_run.is_set() and main is not None:
                with contextlib.suppress(ProcessLookupError, OSError):
                    signal.pthread_kill(main, _ESCALATE)
            tick, escalate = now + self.grace_s, True

    def _hard_exit(self) -> None:
        message = ""
        if self.last_words is not None:
            with contextlib.suppress(Exception):
                message = self.last_words()
        with contextlib.suppress(Exception):
            sys.stderr.write(message + "\n" if message else "")
            sys.stderr.flush()
            sys.stdout.flush()
        os._exit(self.exit_code or 1)


def ensure_dagster_home(announce: Callable[[str], None] | None = None) -> Path:
    """``$DAGSTER_HOME``, created if missing; when unset, ``./.prsync`` (``settings.DEFAULT_HOME``).

    The one default of the CLI and the README: with ``DAGSTER_HOME`` unset the warehouse default is
    ``./.prsync/prsync.duckdb`` too (CONTRACT.md), so instance and warehouse sit together. The
    default home gets a ``dagster.yaml`` that turns telemetry off. Raises
    :class:`ConfigurationError` for a relative ``DAGSTER_HOME`` (Dagster refuses those).
    """
    home = os.environ.get("DAGSTER_HOME", "").strip()
    default = not home
    if default:
        home = os.environ["DAGSTER_HOME"] = str(Path(DEFAULT_HOME).resolve())
        if announce is not None:
            announce(f"DAGSTER_HOME is not set; using {home}")
    path = Path(home)
    if not path.is_absolute():
        raise ConfigurationError(f"DAGSTER_HOME must be an absolute path, got {home!r}")
    path.mkdir(parents=True, exist_ok=True)
    if default and not (path / "dagster.yaml").exists():
        (path / "dagster.yaml").write_text(
            "# written by prsync for its default DAGSTER_HOME\ntelemetry:\n  enabled: false\n"
        )
    return path


@contextlib.contextmanager
def dagster_instance(announce: Callable[[str], None] | None = None) -> Iterator[DagsterInstance]:
    """The Dagster instance of ``$DAGSTER_HOME`` (see :func:`ensure_dagster_home`, which ``announce``
    is passed to), disposed on exit."""
    from dagster import DagsterInstance

    ensure_dagster_home(announce)
    instance = DagsterInstance.get()
    try:
        yield instance
    finally:
        instance.dispose()


def run_error(result: Any) -> str | None:
    """The first failure's one-line reason, as the asset worded it (not the exception's class path).

    Order: a ``Failure`` description (the asset's own wording, also ``sync_state.last_error``),
    then the message of the innermost error under Dagster's wrappers: after the step's retries
    Dagster reports "Exceeded max_retries of 3" with the real cause beneath (issue 9.2).
    """
    for event in result.all_events:
        if not (event.is_step_failure or event.is_failure):
            continue
        data = event.event_specific_data
        user_failure = getattr(data, "user_failure_data", None)
        if user_failure is not None and user_failure.description:
            return str(user_failure.description).splitlines()[0]
        error = getattr(data, "error", None)
        if error is not None:
            return _reason(error)
        if event.message:
            return str(event.message).splitlines()[0]
    return None


#: Dagster's own wrappers around the error a step raised: the reason is in their ``cause``.
_WRAPPERS = ("Dagster", "RetryRequested")


def _reason(error: Any) -> str | None:
    while getattr(error, "cause", None) is not None and str(error.cls_name or "").startswith(_WRAPPERS):
        error = error.cause
    message = str(getattr(error, "message", error)).strip()
    first = message.splitlines()[0] if message else ""
    # "package.module.ErrorClass: reason" -> "reason"
    head, _, rest = first.partition(": ")
    return rest if rest and "." in head and " " not in head else first or None


def run_syncs(
    keys: Sequence[str],
    full_refresh: bool,
    instance: DagsterInstance,
    *,
    concurrency: int = 1,
    on_start: Callable[[str], None] | None = None,
    on_done: Callable[[SyncOutcome], None] | None = None,
    log_level: str = "CRITICAL",
    guard: InterruptGuard | None = None,
    on_log: Callable[[str, str], None] | None = None,
) -> list[SyncOutcome]:
    """Materialize each partition in its own run (recorded in the instance, visible in the UI).

    Returns one :class:`SyncOutcome` per key, in the order of ``keys``. Each run executes in a
    process of its own, forked from this one (imports and instance already made, so it starts in
    milliseconds), at most ``concurrency`` at once and never more than the instance's
    ``github_api`` pool limit (:func:`github_pool_limit`); runs start in the order of ``keys``.
    Processes rather than threads: runs are CPU-bound in Dagster's bookkeeping, so threads would
    share one core (measured: 3 runs in threads took 1.3 s longer than in processes on 2 cores);
    each run gets Dagster's signal handling and stdout/stderr capture as a run in a main thread
    does; and a run can be stopped by a signal (its process's) instead of an exception injected
    into a thread. One run's failure never stops the others. A fork copies only the calling thread:
    no other thread of the caller may be writing to stdout/stderr then (such as rich's auto-refreshing
    progress display), or a run's process could inherit the stream's lock held.

    With a ``guard`` (entered by the caller), a stop signal is passed on to every run in progress
    (each stops as :class:`InterruptGuard` describes; outcome ``interrupted`` unless it had
    already succeeded) and the keys not yet begun are ``not started``; the caller decides the
    exit status from ``guard.signum``. ``on_start(key)``, ``on_done(outcome)`` and
    ``on_log(repo, message)`` (each message the run logs, such as ``acme/widgets: read 100 pull
    requests``, while it goes on) are called in this thread.
    """
    from prsync_dagster.definitions import defs

    guard = guard or InterruptGuard()  # never entered: hears no signal
    job = defs.resolve_job_def("github_sync")
    run_config = {
        "ops": {"sync_github_repository": {"config": {"full_refresh": full_refresh}}},
        # the CLI prints its own summary; Dagster's per-event console log is noise here
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }
    limit = github_pool_limit(instance)
    workers = max(1, min(concurrency, limit or concurrency))
    context = multiprocessing.get_context("fork")
    waiting = list(enumerate(keys))
    running: dict[Any, tuple[int, str, Any]] = {}  # the run's end of its pipe -> index, key, process
    outcomes: dict[int, SyncOutcome] = {}
    forwarded = 0

    def finish(index: int, outcome: SyncOutcome) -> None:
        outcomes[index] = outcome
        if on_done:
            on_done(outcome)

    # Python's recipe for fork without exec (docs of gc.freeze): the run processes' collections
    # then never walk (and copy) the objects this process made, such as every imported module.
    gc.freeze()
    with guard.deferred():
        while running or (waiting and guard.signum is None):
            while waiting and len(running) < workers and guard.signum is None:
                index, key = waiting.pop(0)
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(
                    target=_run_in_child,
                    args=(sender, job, run_config, key, instance, guard, on_log is not None),
                    name=f"prsync-sync {shown_name(key)}",
                )
                process.start()
                sender.close()
                running[receiver] = (index, key, process)
                if on_start:
                    on_start(key)
            for signum in guard.received[forwarded:]:  # children have their own process group
                for _, _, process in running.values():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(process.pid, signum)
            forwarded = len(guard.received)
            ready = wait(list(running), timeout=0.2)
            for receiver in [receiver for receiver in list(running) if receiver in ready]:
                index, key, process = running[receiver]
                try:
                    kind, *payload = receiver.recv()
                except EOFError:  # the process ended
                    del running[receiver]
                    process.join()
                    if index not in outcomes:
                        finish(index, _ended_without_outcome(key, process.exitcode, guard.signum))
                    continue
                if kind == "log" and on_log:
                    on_log(*payload)
                elif kind == "outcome":
                    finish(index, payload[0])
    return [
        outcomes.get(index) or SyncOutcome(shown_name(key), "not started") for index, key in enumerate(keys)
    ]


def _run_in_child(
    sender: Any,
    job: Any,
    run_config: dict[str, Any],
    key: str,
    instance: DagsterInstance,
    parent_guard: InterruptGuard,
    forward_logs: bool,
) -> None:
    """A forked run process: one run, its outcome (and log messages) sent to the parent, then exit.

    Its own process group, so that a terminal's Ctrl-C reaches only the parent, which passes each
    stop signal on once. The instance is the parent's: Dagster's SQLite and Postgres storages open
    a connection per operation (SQLAlchemy ``NullPool``), so nothing open is shared. Ends with
    ``os._exit``: the parent's atexit handlers and any thread Dagster left behind are not ours to run
    or wait for.
    """
    os.setpgid(0, 0)
    status = 0
    try:
        with InterruptGuard(parent_guard.grace_s, parent_guard.hard_s) as guard:
            on_log = (lambda repo, message: sender.send(("log", repo, message))) if forward_logs else None
            outcome = _run_one(job, run_config, key, instance, guard, on_log)
            status = guard.exit_code
    except BaseException as exc:  # never leave the parent without an outcome
        stopped = isinstance(exc, KeyboardInterrupt)
        error = "interrupted" if stopped else redact(f"{type(exc).__name__}: {exc}")
        outcome = SyncOutcome(shown_name(key), "interrupted" if stopped else "failed", error=error)
        status = 1
    with contextlib.suppress(Exception):
        sender.send(("outcome", outcome))
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)


def _ended_without_outcome(key: str, exitcode: int | None, signum: int | None) -> SyncOutcome:
    """The outcome of a run process that ended before it sent one (killed, or stopped hard)."""
    if signum is not None:
        return SyncOutcome(shown_name(key), "interrupted", error=f"interrupted by {signal_name(signum)}")
    how = f"was killed by {signal_name(-exitcode)}" if exitcode and exitcode < 0 else f"exited {exitcode}"
    return SyncOutcome(shown_name(key), "failed", error=f"the run's process {how} before it reported")


def github_pool_limit(instance: DagsterInstance) -> int | None:
    """How many steps of the ``github_api`` pool may run at once in ``instance`` (None: no limit).

    Concurrent CLI runs beyond it would only wait for a slot, and a step waiting for a pool slot
    busy-waits in Dagster 1.13 (``InstanceConcurrencyContext.interval_to_next_pending_claim_check``
    returns ``min(0, ...)``, so the in-process executor never sleeps; the fix proposed in
    dagster-io/dagster PR 20367 was closed): measured here, a third run waiting behind the
    ``dagster.yaml`` limit of 2 cost ~2.5 s of CPU. The limit is the pool's own
    (``dagster instance concurrency set``) or ``concurrency.pools.default_limit``; with run
    granularity steps claim no slots inside a run, so there is no limit to respect here.
    """
    from dagster._core.instance.config import PoolGranularity

    from prsync_dagster.assets import GITHUB_POOL

    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return None
    if instance.get_concurrency_config().pool_config.pool_granularity == PoolGranularity.RUN:
        return None
    limit = storage.get_concurrency_info(GITHUB_POOL).limit
    return int(limit) if limit is not None else None


def _run_one(
    job: Any,
    run_config: dict[str, Any],
    key: str,
    instance: DagsterInstance,
    guard: InterruptGuard,
    on_log: Callable[[str, str], None] | None,
) -> SyncOutcome:
    """One partition's run, and what became of it (never raises for a failed or interrupted run)."""
    from dagster._core.utils import make_new_run_id

    from prsync_dagster.warehouse import open_warehouse

    repo = shown_name(key)
    run_id = make_new_run_id()
    started_at = datetime.now(UTC)
    result: Any = None
    if on_log is not None:
        instance.add_event_listener(run_id, _log_forwarder(repo, on_log))
    try:
        with guard.running():
            result = job.execute_in_process(
                run_config=run_config,
                instance=instance,
                partition_key=key,
                raise_on_error=False,
                run_id=run_id,
                tags={"prsync/trigger": "cli"},
            )
    except (KeyboardInterrupt, Exception):
        # An interrupt that reached Dagster's own machinery (not the step) can surface as
        # another error there (a storage call cut short); after a stop signal it is the stop.
        if guard.signum is None:
            raise
    if result is None or (guard.signum is not None and not result.success):
        signum = guard.signum or 2
        _close_interrupted_run(instance, run_id, signum)
        return SyncOutcome(
            repo=repo, result="interrupted", run_id=run_id, error=f"interrupted by {signal_name(signum)}"
        )
    with open_warehouse(warehouse_url_from_env()) as warehouse:
        state = warehouse.get_state(repo)
    error = None
    if not result.success:
        # The engine's words when this run reached it (what `prsync status` shows too),
        # else the run's failure (a step that failed before the engine started).
        recorded = (
            state is not None
            and state.last_error
            and state.last_attempt_at is not None
            and state.last_attempt_at >= started_at
        )
        error = state.last_error if recorded and state else run_error(result)
    return SyncOutcome(
        repo=repo,
        result="ok" if result.success else "failed",
        run_id=result.run_id,
        error=redact(error) if error else None,
        report=state.last_report if state and result.success else {},
    )


def _log_forwarder(repo: str, on_log: Callable[[str, str], None]) -> Callable[[Any], None]:
    """An instance event listener that passes the run's log messages (not Dagster's events) on."""

    def forward(entry: Any) -> None:
        if entry.is_dagster_event or not entry.user_message:
            return
        with contextlib.suppress(Exception):  # a display must never break a run
            on_log(repo, str(entry.user_message))

    return forward


def shown_name(partition_key: str) -> str:
    """The repository a partition key names (``owner/name`` lower-cased), or the key if invalid."""
    try:
        return normalize_repo(partition_key)
    except InvalidRepositoryName:
        return partition_key


def _close_interrupted_run(instance: DagsterInstance, run_id: str, signum: int) -> None:
    """A run that the interrupt cut short before Dagster recorded its end is marked canceled."""
    run = instance.get_run_by_id(run_id)
    if run is None or run.is_finished:
        return
    with contextlib.suppress(Exception):
        instance.report_run_canceled(run, message=f"prsync was interrupted by {signal_name(signum)}")


#: The summary's columns between result and seconds -> the ``last_report`` figure each shows.
SUMMARY_FIGURES = {
    "fetched with": "fetched_with",
    "PRs": "pull_requests",
    "reviews": "reviews",
    "requests": "requests",
    "304s": "not_modified",
    "points": "points",
}
SUMMARY_COLUMNS = ("repository", "result", *SUMMARY_FIGURES, "seconds")


def sync_summary_table(outcomes: Sequence[SyncOutcome], title: str) -> Table:
    """One row per sync: what changed, and what it cost on GitHub (the CLI's and the demo's table)."""
    table = Table(title=title, title_justify="left")
    for index, column in enumerate(SUMMARY_COLUMNS):
        table.add_column(column, justify="left" if index < 3 else "right", no_wrap=True)
    for outcome in outcomes:
        report = outcome.report
        if not outcome.success:
            style = "red" if outcome.result == "failed" else "yellow"
            cells = [""] * (len(SUMMARY_COLUMNS) - 2)
            table.add_row(outcome.repo, f"[{style}]{outcome.result}[/{style}]", *cells)
            continue
        table.add_row(
            outcome.repo,
            "changed" if report.get("changed") else "unchanged",
            *(str(report.get(figure, "")) for figure in SUMMARY_FIGURES.values()),
            f"{report.get('seconds', 0):.2f}",
        )
    return table
