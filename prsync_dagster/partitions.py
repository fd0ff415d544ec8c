"""The ``repositories`` dynamic partitions and the one place repository names are validated.

Dagster accepts any string as a dynamic partition key, so every entry point (CLI, sensor, asset,
UI-added partitions) runs names through :func:`normalize_repo` before trusting them.
"""

from __future__ import annotations

import re

from dagster import DynamicPartitionsDefinition

from prsync_dagster.errors import InvalidRepositoryName

#: Name of the dynamic partitions definition (instance API calls take the name).
REPOSITORIES = "repositories"
repositories = DynamicPartitionsDefinition(name=REPOSITORIES)

_OWNER = re.compile(r"[A-Za-z0-9-]{1,39}")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


def normalize_repo(value: str) -> str:
    """Return ``owner/name`` lower-cased, or raise :class:`InvalidRepositoryName` with a one-line reason."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRepositoryName("repository name is empty; expected OWNER/NAME")
    text = value.strip()
    shown = text if len(text) <= 80 else text[:77] + "..."
    parts = text.split("/")
    if len(parts) != 2:
        raise InvalidRepositoryName(f"invalid repository {shown!r}: expected exactly one '/' (OWNER/NAME)")
    owner, name = parts
    if not _OWNER.fullmatch(owner):
        raise InvalidRepositoryName(
            f"invalid repository {shown!r}: owner must be 1-39 characters of letters, digits and '-'"
        )
    if not _NAME.fullmatch(name) or name in (".", ".."):
        raise InvalidRepositoryName(
            f"invalid repository {shown!r}: name must be 1-100 characters of letters, digits, '.', '_' "
            "and '-', and not '.' or '..'"
        )
    return f"{owner}/{name}".lower()
