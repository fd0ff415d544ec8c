"""Launch sync runs from a foreground command: the ``prsync`` CLI and the demo (neither imports the other).

Each repository is one run of the ``github_sync`` job (``job.execute_in_process`` on the instance in
``$DAGSTER_HOME``, in a process forked for it), so CLI syncs show up in the Dagster UI like
scheduled ones. This module also owns what an operator expects of a foreground command on Ctrl-C
(issue 9.1): SIGINT or SIGTERM stops the runs in progress within seconds, never waits for a step
retry, never starts the next repository, and the command exits ``128 + signal`` (130, 143), as
shells report a signal death.

Why more than a signal handler: while a run executes, Dagster replaces the SIGINT and SIGTERM
handlers of its process with its own (``dagster._utils.interrupts.capture_interrupts``); it raises
the interrupt only inside user code (where the step's ``RetryPolicy`` then turns it into a retry)
and merely records it while its executor sleeps before a retry or waits for a pool slot. So a
signal can be swallowed for minutes. Each run therefore executes in a process of its own, and
``prsync`` (whose handlers stay its own, :class:`InterruptGuard`) passes the signal on, then, if
the run has not ended ``grace_s`` later, sends it SIGUSR1 (SIGUSR2 for SIGTERM), which Dagster
leaves alone and the run's process turns into ``KeyboardInterrupt`` wherever Dagster waits
(Dagster then ends the run as failed). As a last resort it kills the run's process ``hard_s``
after the signal: every warehouse write is one transaction, so that is as safe for data and cursor
as ``kill -9`` (tested), only untidier.
"""

from __future__ import annotations

import contextlib
import gc
import math
import multiprocessing
import os
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

#: The signals that stop ``prsync sync`` in an orderly way -> the signal that makes a run's process
#: raise ``KeyboardInterrupt`` for it where Dagster only records the first (see the module's doc).
ESCALATIONS: dict[int, int] = {signal.SIGINT: signal.SIGUSR1, signal.SIGTERM: signal.SIGUSR2}

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
    """While active (a context manager, main thread only), SIGINT and SIGTERM are noted here.

    ``signum`` is the first stop signal received (None: none), ``received`` every one in order.
    Outside :meth:`deferred` the handler also raises :class:`Interrupted`, ending what the process
    was doing (checking repositories, say); :func:`run_syncs` defers it and stops its runs itself,
    within ``grace_s`` of a signal (at once on a repeated one) and by force after ``hard_s``.
    ``on_signal(signum)`` is called on the first. Entered outside the main thread (no signal
    handlers can be installed there) the guard does nothing.
    """

    def __init__(
        self, grace_s: float = 1.0, hard_s: float = 4.5, on_signal: Callable[[int], None] | None = None
    ) -> None:
        self.grace_s = grace_s
        self.hard_s = hard_s
        self.on_signal = on_signal
        self.signum: int | None = None
        self.received: list[int] = []
        self._deferred = False
        self._previous: dict[int, Any] = {}

    @property
    def exit_code(self) -> int:
        """``128 + signal`` (130 for SIGINT, 143 for SIGTERM); 0 when no signal arrived."""
        return 128 + self.signum if self.signum else 0

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            self._previous = {signum: signal.signal(signum, self._handle) for signum in ESCALATIONS}
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Only note stop signals, raise nothing: for a loop that polls :attr:`received` itself."""
        self._deferred = True
        try:
            yield
        finally:
            self._deferred = False

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signum)
        if self.signum is None:
            self.signum = signum
            if self.on_signal is not None:
                with contextlib.suppress(Exception):
                    self.on_signal(signum)
        if not self._deferred:
            raise Interrupted(signum)


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
    Processes rather than threads: each run gets Dagster's signal handling and stdout/stderr
    capture as a run in a main thread does, a run is stopped through its process's signals
    instead of an exception injected into a thread, and the runs' CPU (Dagster's bookkeeping)
    spreads over the cores instead of sharing one interpreter lock. One run's failure never stops
    the others. A fork copies only the calling thread: no other thread of the caller may be
    writing to stdout/stderr then (such as rich's auto-refreshing progress display), or a run's
    process could inherit the stream's lock held.

    With a ``guard`` (entered by the caller), a stop signal is passed on to every run in progress
    and escalated as the module's doc says (outcome ``interrupted`` unless it had already
    succeeded) and the keys not yet begun are ``not started``; the caller decides the
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
    stopping_since = escalate_at = math.inf  # when the first stop signal came; the next escalation

    def signal_runs(signum: int) -> None:
        for _, _, process in running.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signum)

    with guard.deferred():
        while running or (waiting and guard.signum is None):
            while waiting and len(running) < workers and guard.signum is None:
                index, key = waiting.pop(0)
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(
                    target=_run_in_child,
                    args=(sender, job, run_config, key, instance, on_log is not None),
                    name=f"prsync-sync {shown_name(key)}",
                )
                process.start()
                sender.close()
                running[receiver] = (index, key, process)
                if on_start:
                    on_start(key)
            now = time.monotonic()
            for signum in guard.received[forwarded:]:  # the runs have their own process group
                signal_runs(signum)
                escalate_at = min(escalate_at, now + guard.grace_s) if forwarded == 0 else now
                stopping_since, forwarded = min(stopping_since, now), forwarded + 1
            if guard.signum is not None and now >= escalate_at:
                signal_runs(ESCALATIONS[guard.signum])
                escalate_at = now + guard.grace_s
            if now >= stopping_since + guard.hard_s:
                signal_runs(signal.SIGKILL)
            ready = wait(list(running), timeout=0.1)
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
                    outcome = payload[0]
                    if guard.signum is not None and not outcome.success:  # stopped, whatever it says
                        error = f"interrupted by {signal_name(guard.signum)}"
                        outcome = SyncOutcome(outcome.repo, "interrupted", outcome.run_id, error)
                    finish(index, outcome)
    return [
        outcomes.get(index) or SyncOutcome(shown_name(key), "not started") for index, key in enumerate(keys)
    ]


def _run_in_child(
    sender: Any,
    job: Any,
    run_config: dict[str, Any],
    key: str,
    instance: DagsterInstance,
    forward_logs: bool,
) -> None:
    """A forked run process: one run, its outcome (and log messages) sent to the parent, then exit.

    Its own process group, so that a terminal's Ctrl-C reaches only the parent, which passes each
    stop signal on once. Before the run and wherever Dagster does not handle them, a stop signal
    and its escalation (:data:`ESCALATIONS`) raise :class:`Interrupted`. The instance is the
    parent's: Dagster's SQLite and Postgres storages open a connection per operation (SQLAlchemy
    ``NullPool``), so nothing open is shared. Ends with ``os._exit``: the parent's atexit handlers
    and any thread Dagster left behind are not ours to run or wait for.
    """
    os.setpgid(0, 0)
    stopped = interrupt_on_stop_signals()
    try:
        on_log = (lambda repo, message: sender.send(("log", repo, message))) if forward_logs else None
        outcome = _run_one(job, run_config, key, instance, stopped, on_log)
    except BaseException as exc:  # never leave the parent without an outcome
        interrupted = isinstance(exc, KeyboardInterrupt)
        error = "interrupted" if interrupted else redact(f"{type(exc).__name__}: {exc}")
        outcome = SyncOutcome(shown_name(key), "interrupted" if interrupted else "failed", error=error)
    for signum in (*ESCALATIONS, *ESCALATIONS.values()):  # the run is over: keep its outcome
        signal.signal(signum, signal.SIG_IGN)
    with contextlib.suppress(Exception):
        sender.send(("outcome", outcome))
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(0)


def interrupt_on_stop_signals() -> list[int]:
    """Make SIGINT, SIGTERM and their escalations (:data:`ESCALATIONS`) raise :class:`Interrupted`
    in this process (a run's); returns the list of stop signals raised for, filled in as they come.
    During a run Dagster replaces the handlers of SIGINT and SIGTERM, not those of the escalations."""
    stopped: list[int] = []

    def interrupt(stop: int) -> Callable[[int, FrameType | None], None]:
        def handler(_signum: int, _frame: FrameType | None) -> None:
            stopped.append(stop)
            raise Interrupted(stop)

        return handler

    for stop, escalation in ESCALATIONS.items():
        signal.signal(stop, interrupt(stop))
        signal.signal(escalation, interrupt(stop))
    return stopped


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
    stopped: list[int],
    on_log: Callable[[str, str], None] | None,
) -> SyncOutcome:
    """One partition's run, and what became of it (never raises for a failed or interrupted run).

    ``stopped``: the stop signals raised for in this process so far (filled in by its handlers).
    """
    from dagster._core.utils import make_new_run_id

    from prsync_dagster.warehouse import open_warehouse

    repo = shown_name(key)
    run_id = make_new_run_id()
    started_at = datetime.now(UTC)
    result: Any = None
    if on_log is not None:
        instance.add_event_listener(run_id, _log_forwarder(repo, on_log))
    try:
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
        if not stopped:
            raise
    if result is None or (stopped and not result.success):
        signum = stopped[0] if stopped else signal.SIGINT
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
