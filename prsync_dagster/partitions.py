"""The ``repositories`` dynamic partitions (Dagster side).

Dagster accepts any string as a dynamic partition key, so every entry point runs keys through
:func:`prsync_dagster.repos.normalize_repo` (the one, Dagster-free place for name rules) first.
"""

from __future__ import annotations

from dagster import DagsterInstance, DynamicPartitionsDefinition

from prsync_dagster.errors import InvalidRepositoryName
from prsync_dagster.repos import normalize_repo

#: Name of the dynamic partitions definition (instance API calls take the name).
REPOSITORIES = "repositories"
repositories = DynamicPartitionsDefinition(name=REPOSITORIES)


def checked_name(key: str) -> str | InvalidRepositoryName:
    """A partition key's normalized repository name, or why it is none (the error, not raised)."""
    try:
        return normalize_repo(key)
    except InvalidRepositoryName as exc:
        return exc


def registered_repositories(instance: DagsterInstance) -> dict[str, str]:
    """Registered repositories: normalized ``owner/name`` -> the partition key to run.

    The UI's "Add partition" accepts any spelling (``Octo-Org/Hello-World``); the asset stores rows
    under the lower-cased name, so a repository counts once whatever its key's spelling (the
    lower-case key wins if both exist). Keys that are not repository names are left out (see
    :func:`invalid_partition_keys`). Every tick runs the partition key returned here, never the
    normalized name, which need not exist as a partition (issue 9.3).
    """
    registered: dict[str, str] = {}
    for key in sorted(instance.get_dynamic_partitions(REPOSITORIES)):
        name = checked_name(key)
        if isinstance(name, str) and (name not in registered or key == name):
            registered[name] = key
    return registered


def invalid_partition_keys(instance: DagsterInstance) -> dict[str, str]:
    """Registered keys that are no repository name -> the one-line reason (from :mod:`repos`)."""
    names = {key: checked_name(key) for key in sorted(instance.get_dynamic_partitions(REPOSITORIES))}
    return {key: str(name) for key, name in names.items() if isinstance(name, InvalidRepositoryName)}
