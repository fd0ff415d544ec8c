"""DuckDB backend: one file, one process at a time.

DuckDB lets a single process open a database file for writing (it takes an OS lock on the file;
read-only openers are excluded too while a writer holds it). Dagster runs each partition's sync in
its own process, and ``prsync status`` reads from yet another, so this backend never keeps the file
open: every operation connects, runs one transaction and closes. prsync's processes first take
turns through a lock file next to it (``FILE.lock``, :meth:`DuckDBWarehouse._turn`); a process
that still finds the file locked (another program has it open) retries
(:meth:`prsync_dagster.retrying.RetryPolicy.lock_wait`: exponential backoff with jitter, each wait
counted in ``lock_retries``) until ``lock_timeout_s`` and then gives up with
:class:`~prsync_dagster.errors.WarehouseLockedError` naming the process that holds the lock.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
from filelock import FileLock, Timeout

from prsync_dagster.errors import WarehouseError, WarehouseLockedError
from prsync_dagster.retrying import RetryPolicy, Transient
from prsync_dagster.warehouse.sql import SqlWarehouse

_LOCK_MESSAGE = "Could not set lock on file"
_HOLDER = re.compile(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


class _DuckDBExecutor:
    """Runs the shared ``%s``-style SQL on a DuckDB connection (which wants ``?``)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Raises ``KeyboardInterrupt`` where a signal interrupted the query: DuckDB runs the
        signal's Python handler, drops what it raised (Ctrl-C's ``KeyboardInterrupt``, Dagster's
        ``DagsterExecutionInterruptedError`` on run termination) and raises
        ``RuntimeError("Query interrupted")`` instead, which would pass for a transient error and
        be retried (duckdb 2.0.1)."""
        try:
            if params is None:
                return self._connection.execute(sql).fetchall()
            return self._connection.execute(sql.replace("%s", "?"), params).fetchall()
        except RuntimeError as exc:
            if str(exc) == "Query interrupted":
                raise KeyboardInterrupt("a signal interrupted a DuckDB query") from exc
            raise


class DuckDBWarehouse(SqlWarehouse):
    """The warehouse in a DuckDB file (the default: no server to run)."""

    kind = "duckdb"
    list_from_json = "CAST(CAST({} AS JSON) AS VARCHAR[])"

    def __init__(self, path: Path, *, lock_timeout_s: float = 60.0) -> None:
        if not path.is_absolute():
            raise ValueError(f"DuckDB path must be absolute, got {str(path)!r}")
        self.path = path
        self.location = str(path)
        self.lock_timeout_s = lock_timeout_s
        #: Waits for the file lock go through the one retry policy (its sleep can be replaced).
        self.retry_policy = RetryPolicy()

    @contextmanager
    def _session(self, what: str) -> Iterator[_DuckDBExecutor]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(
                f"could not {what}: cannot create the directory of {self.path}: {exc}"
            ) from exc
        with self._turn(what):
            connection = self._connect(what)
            try:
                try:
                    connection.execute("BEGIN TRANSACTION")
                    yield _DuckDBExecutor(connection)
                    connection.execute("COMMIT")
                except BaseException:
                    with suppress(duckdb.Error):
                        connection.execute("ROLLBACK")
                    raise
            except duckdb.Error as exc:
                raise self._error(exc, what) from exc
            finally:
                connection.close()

    def _connect(self, what: str) -> duckdb.DuckDBPyConnection:
        """Open the file, waiting (backoff + jitter) while another process holds its lock."""
        started = time.monotonic()

        def attempt() -> duckdb.DuckDBPyConnection:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                message = str(exc)
                if _LOCK_MESSAGE not in message:
                    raise self._error(exc, what) from exc
                waited = time.monotonic() - started
                raise Transient("lock", lambda _: self._locked(message, waited, what)) from exc
            except duckdb.Error as exc:
                raise self._error(exc, what) from exc

        return self.retry_policy.lock_wait(self.lock_timeout_s, self._count_lock_retry)(attempt)

    @contextmanager
    def _turn(self, what: str) -> Iterator[None]:
        """This process's (and thread's) turn at the file among prsync's: a lock on ``FILE.lock``.

        ``flock``-based (filelock's ``UnixFileLock``), so two threads of one process take turns too:
        their connections to one file would share a DuckDB instance, which has no file lock to
        wait on but fails concurrent transactions with write-write conflicts.

        Why besides DuckDB's own lock: waiting on that one means opening the file again and again
        (a failed ``duckdb.connect`` costs ~4 ms of CPU) with a backoff that oversleeps a release
        by tens of milliseconds, and every session of a sync opens the file; forked ``prsync
        sync -j`` runs and the daemon's runs would spend more time waiting than working. This lock
        is polled every 5 ms for a few microseconds each. A wait here is queueing behind another prsync
        process (a concurrent run, ``prsync status``), not trouble, so it is not counted in
        ``lock_retries``. Processes that do not take it (a ``duckdb`` shell) are still waited for
        through DuckDB's lock (:meth:`_connect`), and those waits are counted.
        """
        lock = FileLock(self.path.with_name(self.path.name + ".lock"), poll_interval=0.005)
        started = time.monotonic()
        try:
            lock.acquire(timeout=self.lock_timeout_s)
        except Timeout:
            raise WarehouseLockedError(
                f"could not {what}: the DuckDB file {self.path} is in use by another prsync "
                f"process (it holds {lock.lock_file}); waited {time.monotonic() - started:.1f} s. "
                "Let that process finish (or stop it), or raise the lock timeout (lock_timeout_s)."
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _count_lock_retry(self, waited_s: float) -> None:
        self.lock_retries += 1

    def _locked(self, message: str, waited_s: float, what: str) -> WarehouseLockedError:
        holder = _HOLDER.search(message)
        by = f" (PID {holder['pid']}, {holder['program']})" if holder else ""
        return WarehouseLockedError(
            f"could not {what}: the DuckDB file {self.path} is locked by another process{by}; "
            f"waited {waited_s:.1f} s. DuckDB allows one process at a time per file: let that process "
            "finish (or stop it), or raise the lock timeout (lock_timeout_s) if such waits are expected."
        )

    def _error(self, exc: duckdb.Error, what: str) -> WarehouseError:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        hint = ""
        if isinstance(exc, duckdb.CatalogException) and "github" in str(exc):
            hint = " (is the schema missing? run Warehouse.migrate() first)"
        return WarehouseError(f"could not {what} in DuckDB file {self.path}: {message}{hint}")
