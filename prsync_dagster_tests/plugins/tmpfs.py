"""Temporary files in memory: the tests' ``tmp_path`` directories on ``/dev/shm`` where it exists.

Every Dagster run in a test appends its events to SQLite files in the test's ``DAGSTER_HOME``
and commits each event (SQLite fsyncs its journal and database on every commit), and every
DuckDB session checkpoints its file: on this project's 2-core machine's disk an ``fsync`` takes
about 6 ms, and a single sync run stores ~25 events, so the default tier spent much of its wall
time waiting for the disk. On a tmpfs ``fsync`` returns at once. Nothing a test here claims
depends on data reaching a disk (the kill -9 tests kill a process, not the machine; the page
cache survives that either way), so the files are the same files, only not flushed.

How: before pytest picks its base temporary directory, ``tempfile.tempdir`` is set to
``/dev/shm`` (Python's documented default for ``tempfile``'s ``dir``; pytest builds
``pytest-of-<user>/pytest-<n>`` under ``tempfile.gettempdir()``, and pytest-xdist hands each worker
a directory below the controller's). Not done when ``TMPDIR`` or ``--basetemp`` is given (the user
chose), or where ``/dev/shm`` is missing, not writable or small (macOS, containers): then pytest's
usual place is used. ``tmp_path_retention_policy = "failed"`` (pyproject) keeps only failed
tests' directories, so a passing session leaves nothing in memory.

The Postgres tests' database gets the same treatment on the server side:
``synchronous_commit = off`` (see :mod:`prsync_dagster_tests.plugins.warehouse`).
"""

from __future__ import annotations

import os
import tempfile

import pytest

#: A tmpfs on Linux (glibc's POSIX shared memory); the place for files that need no disk.
MEMORY_TEMP_ROOT = "/dev/shm"

#: Free space ``/dev/shm`` must have to be used: containers often mount a 64 MB one (Docker's
#: default ``--shm-size``), which a test session's DuckDB files and Dagster homes would fill.
MIN_FREE_BYTES = 2 * 1024**3


def _roomy(path: str) -> bool:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize >= MIN_FREE_BYTES


def pytest_configure(config: pytest.Config) -> None:
    if config.option.basetemp or os.environ.get("TMPDIR") or os.environ.get("PYTEST_DEBUG_TEMPROOT"):
        return
    usable = os.path.isdir(MEMORY_TEMP_ROOT) and os.access(MEMORY_TEMP_ROOT, os.W_OK | os.X_OK)
    if usable and _roomy(MEMORY_TEMP_ROOT):
        tempfile.tempdir = MEMORY_TEMP_ROOT
