"""A fresh Dagster instance per test without creating its SQLite storage every time.

Creating a default (SQLite) instance runs Dagster's ``CREATE TABLE``/``CREATE INDEX`` statements
for the run, event-log and schedule databases and stamps their Alembic revisions: about a second
per instance on a busy 2-core machine, in well over a hundred tests. Each worker creates each kind
of instance once (``dagster_storage_template``, ``instance_storage_template``) and every test copies
its closed, empty storage files into its own directory, which is exactly what Dagster would have
created there; the instance the test gets is otherwise the one ``dagster.instance_for_test`` builds
(same config, same classes but the event log storage's, below).

- ``new_instance(overrides=None, home=None)``: a context manager yielding that instance
  (``instance_for_test`` on a seeded directory: ``home``, or a new one under the session's temp dir).
- ``seed_dagster_home(home)``: copy the storage into ``home`` (a ``DAGSTER_HOME`` the CLI or
  ``DagsterInstance.get()`` will open); ``home`` may already hold a ``dagster.yaml``.

The instances ``new_instance`` builds keep their event log in one SQLite database
(``ConsolidatedSqliteEventLogStorage``, Dagster's own class, under ``history/consolidated``) instead
of one database per run: the default creates and migrates a new database for every run (about
0.08 s of CPU per run here, in hundreds of runs). The event log's API, records and concurrency
pools (``concurrency_limits`` table) are the same; only where the rows are kept differs. A test can
still choose another storage through ``overrides``. Homes seeded for the CLI keep Dagster's
default, as a user's ``DAGSTER_HOME`` does.

Tests of what happens in an empty ``DAGSTER_HOME`` (the CLI's first run, the demo, child
processes) do not use these.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, instance_for_test


@pytest.fixture(scope="session")
def dagster_storage_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The storage directories of a closed, never used default instance (no ``dagster.yaml``)."""
    directory = tmp_path_factory.mktemp("dagster_storage_template")
    with instance_for_test(temp_dir=str(directory)):
        pass
    (directory / "dagster.yaml").unlink(missing_ok=True)
    return directory


def consolidated_event_log(home: Path) -> dict[str, Any]:
    """``event_log_storage`` config: one SQLite event log database under ``home/history/consolidated``."""
    return {
        "event_log_storage": {
            "module": "dagster._core.storage.event_log",
            "class": "ConsolidatedSqliteEventLogStorage",
            "config": {"base_dir": str(home / "history" / "consolidated")},
        }
    }


@pytest.fixture(scope="session")
def instance_storage_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The storage directories of a closed, never used ``new_instance`` instance (no ``dagster.yaml``)."""
    directory = tmp_path_factory.mktemp("instance_storage_template")
    with instance_for_test(overrides=consolidated_event_log(directory), temp_dir=str(directory)):
        pass
    (directory / "dagster.yaml").unlink(missing_ok=True)
    return directory


@pytest.fixture
def seed_dagster_home(dagster_storage_template: Path) -> Callable[[Path], Path]:
    def seed(home: Path) -> Path:
        shutil.copytree(dagster_storage_template, home, dirs_exist_ok=True)
        return home

    return seed


NewInstance = Callable[..., AbstractContextManager[DagsterInstance]]


@pytest.fixture
def new_instance(instance_storage_template: Path, tmp_path_factory: pytest.TempPathFactory) -> NewInstance:
    def make(
        overrides: Mapping[str, Any] | None = None, home: Path | None = None
    ) -> AbstractContextManager[DagsterInstance]:
        directory = home or tmp_path_factory.mktemp("dagster_home")
        shutil.copytree(instance_storage_template, directory, dirs_exist_ok=True)
        config = {**consolidated_event_log(directory), **(overrides or {})}
        return instance_for_test(overrides=config, temp_dir=str(directory))

    return make


@pytest.fixture
def instance(new_instance: NewInstance) -> Iterator[DagsterInstance]:
    """A fresh instance (SQLite storage in its own directory, one event log database),
    ``DAGSTER_HOME`` set to it."""
    with new_instance() as created:
        yield created
