"""Launch sync runs in this process, for the ``prsync`` CLI and the demo (neither imports the other).

Each repository is one run of the ``github_sync`` job (``job.execute_in_process`` on the instance in
``$DAGSTER_HOME``), so CLI syncs show up in the Dagster UI like scheduled ones. This module also
owns what an operator expects of a foreground command on Ctrl-C (issue 9.1): SIGINT or SIGTERM
stops the run in progress within seconds, never waits for a step retry, never starts the next
repository, and the command exits ``128 + signal`` (130, 143), as shells report a signal death.

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
import ctypes
import math
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
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


class RunInterrupted(KeyboardInterrupt):
    """Raised inside a run that executes in a worker thread (``prsync sync -j N``) after a stop signal.

    Signals reach only the main thread, so :class:`InterruptGuard` raises this one in each worker
    thread with ``PyThreadState_SetAsyncExc`` (delivered between bytecodes, like a signal
    handler's exception in the main thread). It takes no arguments: CPython instantiates it.
    One can land in a callback whose exceptions Python ignores (seen: a garbage-collection
    callback of SQLAlchemy, reported as "Exception ignored in ..."); the guard therefore raises
    it again every ``grace_s`` until the run has ended.
    """


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM reached ``prsync``; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


class InterruptGuard:
    """While active (a context manager, main thread only), SIGINT/SIGTERM stop syncs promptly.

    - Between runs the guard's own handler raises :class:`Interrupted`.
    - During a run (:meth:`running`), Dagster's handler is in charge; if the run has not ended
      ``grace_s`` seconds after the signal (or at once on a second signal), ``KeyboardInterrupt``
      is raised in the main thread, again every ``grace_s``; ``hard_s`` seconds after the first
      signal the process exits with ``128 + signal`` after writing ``last_words()`` to stderr.

    - Runs in other threads (``prsync sync -j N``; Dagster installs no handlers there, so it never
      hears the signal) get :class:`RunInterrupted` at once, again every ``grace_s`` while they
      have not ended.

    ``signum`` is the first stop signal received (None: none). Entered outside the main thread
    (Dagster cannot install handlers there either) the guard does nothing.
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
        #: when the process ends (``hard_s`` after the first stop signal)
        self._hard_at = math.inf
        self._in_run = threading.Event()
        #: thread ident -> runs in progress there, for threads other than the main one
        self._worker_runs: dict[int, int] = {}
        self._workers_lock = threading.Lock()
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
        """Mark a Dagster run in progress in this thread (main thread: Dagster's handlers are in charge)."""
        if threading.current_thread() is not threading.main_thread():
            with self._running_in_worker():
                yield
            return
        self._in_run.set()
        try:
            yield
        finally:
            self._in_run.clear()

    @contextlib.contextmanager
    def _running_in_worker(self) -> Iterator[None]:
        ident = threading.get_ident()
        with self._workers_lock:
            self._worker_runs[ident] = self._worker_runs.get(ident, 0) + 1
        try:
            if self.signum is not None:  # the signal came before this run began
                raise RunInterrupted()
            yield
        finally:
            # Under the lock the watcher cannot aim at a thread that has left its run: an
            # exception it set is delivered here at the latest, inside the caller's handler.
            try:
                with self._workers_lock:
                    self._leave(ident)
            except RunInterrupted:
                with self._workers_lock:  # delivered before the count went down
                    self._leave(ident)
                raise

    def _leave(self, ident: int) -> None:
        count = self._worker_runs.pop(ident, 0) - 1
        if count > 0:
            self._worker_runs[ident] = count

    def check(self) -> None:
        """Raise :class:`Interrupted` if a stop signal arrived (checked before each new run)."""
        if self.signum is not None:
            raise Interrupted(self.signum)

    # -- signal handlers (main thread) ---------------------------------------------------------

    def _handle_stop(self, signum: int, _frame: FrameType | None) -> None:
        # The watcher notes the signal from the wakeup fd too; note it here as well so that
        # ``signum`` is set before the exception unwinds.
        self._note(signum)
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
        """After the first stop signal: stop the worker threads' runs at once and every ``grace_s``,
        the main thread's from ``grace_s`` on (at once on a repeated signal), end it at ``hard_s``."""
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
            self._stop_workers()
            main = threading.main_thread().ident
            if escalate and self._in_run.is_set() and main is not None:
                with contextlib.suppress(ProcessLookupError, OSError):
                    signal.pthread_kill(main, _ESCALATE)
            tick, escalate = now + self.grace_s, True

    def _stop_workers(self) -> None:
        """Raise :class:`RunInterrupted` in every worker thread with a run in progress."""
        with self._workers_lock:
            for ident in self._worker_runs:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(ident), ctypes.py_object(RunInterrupted)
                )

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

    Returns one :class:`SyncOutcome` per key, in the order of ``keys``. ``concurrency`` runs at
    most that many at once (never more than the instance's ``github_api`` pool limit, see
    :func:`github_pool_limit`), each in a worker thread (see :func:`_run_concurrently`); 1 (or an
    ephemeral instance, which has no ref to share) runs them one after the other in the calling
    thread. One run's failure never stops the others. With a
    ``guard``, a stop signal ends the runs in progress (their outcome ``interrupted`` unless they
    had already succeeded) and the keys not yet begun are ``not started``; the caller decides the
    exit status from ``guard.signum``. ``on_start(key)`` and ``on_done(outcome)`` are called as each
    run begins and ends (from worker threads when concurrent; ``on_done`` never by two at once).
    ``on_log(repo, message)`` receives each message the run logs (the engine's progress, such as
    ``acme/widgets: read 100 pull requests``), as the instance stores it, while the run goes on.
    """
    from prsync_dagster.definitions import defs

    guard = guard or InterruptGuard()  # never entered: hears no signal
    job = defs.resolve_job_def("github_sync")
    run_config = {
        "ops": {"sync_github_repository": {"config": {"full_refresh": full_refresh}}},
        # the CLI prints its own summary; Dagster's per-event console log is noise here
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }

    begun: set[str] = set()

    def sync_one(key: str, on: DagsterInstance) -> SyncOutcome:
        if guard.signum is not None:
            return SyncOutcome(repo=shown_name(key), result="not started")
        begun.add(key)
        if on_start:
            on_start(key)
        return _run_one(job, run_config, key, on, guard, on_log)

    limit = github_pool_limit(instance)
    if limit is not None:
        concurrency = min(concurrency, max(limit, 1))
    if concurrency <= 1 or len(keys) <= 1 or instance.is_ephemeral:
        outcomes: list[SyncOutcome] = []
        for key in keys:
            outcomes.append(sync_one(key, instance))
            if on_done:
                on_done(outcomes[-1])
        return outcomes

    def lost(key: str) -> SyncOutcome:
        """No outcome kept: never begun, or its worker thread was lost to the stop (the guard's
        exception can land after the run ended, while the outcome was being kept)."""
        if key not in begun:
            return SyncOutcome(repo=shown_name(key), result="not started")
        signum = guard.signum or signal.SIGINT
        return SyncOutcome(shown_name(key), "interrupted", error=f"interrupted by {signal_name(signum)}")

    kept = _run_concurrently(keys, min(concurrency, len(keys)), instance, sync_one, on_done)
    return [outcome or lost(key) for key, outcome in zip(keys, kept, strict=True)]


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


def _run_concurrently(
    keys: Sequence[str],
    workers: int,
    instance: DagsterInstance,
    sync_one: Callable[[str, DagsterInstance], SyncOutcome],
    on_done: Callable[[SyncOutcome], None] | None,
) -> list[SyncOutcome | None]:
    """Run ``sync_one`` for every key on ``workers`` threads, taking keys in order; outcomes in order
    (None: lost with its thread).

    Thread safety, checked rather than assumed:
    - the Dagster instance (its SQLite or Postgres run and event storage) is used from several
      threads, as Dagster's webserver does; every storage call opens its own connection;
    - its per-run logging set-up is not (see the comment below);
    - nor is its compute-log manager: the default one captures a run's stdout/stderr by pointing
      the process's file descriptors 1 and 2 at the run's log file (``os.dup2``) and restores them
      when the run ends, so overlapping runs would leave the process writing into another run's
      file. The runs therefore use a second instance on the same storage (``instance.get_ref()``)
      whose compute-log manager is Dagster's ``NoOpComputeLogManager``: the runs, their event
      logs and materializations are recorded as before; their raw stdout/stderr (a sync prints
      none; its log lines are events) is not captured;
    - the warehouse: DuckDB transactions of one process take turns per file
      (``warehouse.duckdb``), and each repository writes only its own rows; Postgres connections
      are per operation;
    - GitHub clients are made per run (``GitHubResource.client_factory``), never shared.
    The main thread only waits, so the :class:`InterruptGuard`'s signal handler can run there at
    once; its watcher stops the runs in the worker threads.
    """
    from concurrent.futures import ThreadPoolExecutor, wait

    from dagster import DagsterInstance
    from dagster._serdes import ConfigurableClassData

    ref = instance.get_ref()._replace(
        compute_logs_data=ConfigurableClassData(
            "dagster._core.storage.noop_compute_log_manager", "NoOpComputeLogManager", "{}\n"
        )
    )
    results: dict[int, SyncOutcome] = {}
    lock = threading.Lock()

    def work(index: int, key: str) -> None:
        try:
            outcome = sync_one(key, threads_instance)
        except BaseException as exc:  # never lose a repository's outcome with its thread
            stopped = isinstance(exc, KeyboardInterrupt)
            outcome = SyncOutcome(
                repo=shown_name(key),
                result="interrupted" if stopped else "failed",
                error="interrupted" if stopped else redact(f"{type(exc).__name__}: {exc}"),
            )
        with lock:
            results[index] = outcome
            if on_done:
                on_done(outcome)

    with DagsterInstance.from_ref(ref) as threads_instance:
        # Dagster builds each run's logging handlers with ``logging.config.dictConfig`` whenever
        # the instance has settings (dagster 1.13, ``get_yaml_python_handlers``); that resets the
        # logging of the whole process under logging's module lock while other runs log through
        # their handlers, and deadlocked three runs here (logging lock -> handler lock -> the
        # event storage's lock -> logging lock). Build them once, before any thread starts.
        handlers = threads_instance.get_yaml_python_handlers()
        threads_instance.get_yaml_python_handlers = lambda: handlers  # type: ignore[method-assign]
        with ThreadPoolExecutor(workers, thread_name_prefix="prsync-sync") as pool:
            futures = [pool.submit(work, index, key) for index, key in enumerate(keys)]
            while not all(future.done() for future in futures):
                # the guard's signal handler raises here; its watcher stops the runs: wait for them
                with contextlib.suppress(Interrupted):
                    wait(futures, timeout=0.2)
    return [results.get(index) for index in range(len(keys))]


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
