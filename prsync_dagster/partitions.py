"""The ``repositories`` dynamic partitions (Dagster side).

Dagster accepts any string as a dynamic partition key, so every entry point runs keys through
:func:`prsync_dagster.repos.normalize_repo` (the one, Dagster-free place for name rules) first.
"""

from __future__ import annotations

from dagster import DynamicPartitionsDefinition

#: Name of the dynamic partitions definition (instance API calls take the name).
REPOSITORIES = "repositories"
repositories = DynamicPartitionsDefinition(name=REPOSITORIES)
