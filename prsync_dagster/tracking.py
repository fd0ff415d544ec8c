"""What ``PRSYNC_REPOS`` asks to track, with ``owner/*`` entries discovered on GitHub (issue 11).

The ``tracked_repositories`` sensor ticks every minute; listing an organisation costs a point per
100 repositories, so discovery runs at most every :data:`DISCOVERY_INTERVAL_S` and its result
(per pattern, the keys found) is kept in the sensor's cursor. A repository that a pattern found
before and no longer finds (deleted, archived, made a fork, access lost) is *disappeared*: the
sensor stops scheduling it (removes its partition; stored rows are kept, as with
``prsync repos remove``) and says so in its log, unless ``PRSYNC_REPOS`` also names it explicitly.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from prsync_dagster.errors import InvalidRepositoryName
from prsync_dagster.github.discovery import OwnerPattern, discover, parse_owner_pattern
from prsync_dagster.repos import parse_repo
from prsync_dagster.resources import GitHubResource
from prsync_dagster.settings import Settings
from prsync_dagster.sync import describe_error

#: Seconds between two listings of the same owners (GitHub's repository lists change rarely).
DISCOVERY_INTERVAL_S = 3600.0


@dataclass
class Tracked:
    """Keys to keep registered, keys that disappeared from a pattern, problems to log, new cursor."""

    keys: list[str] = field(default_factory=list)
    disappeared: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    cursor: str | None = None


def tracked(settings: Settings, github: GitHubResource, cursor: str | None) -> Tracked:
    """Resolve ``PRSYNC_REPOS`` (explicit names, pasted URLs and ``owner/*`` patterns).

    A pattern whose listing fails keeps its previous keys (a GitHub outage must not unregister an
    organisation) and the failure is reported in ``problems``.
    """
    now = time.time()
    state: dict[str, Any] = json.loads(cursor) if cursor else {}
    previous: dict[str, list[str]] = state.get("discovered", {})
    patterns: list[OwnerPattern] = []
    explicit: list[str] = []
    result = Tracked()
    for entry in settings.repos_setting:
        try:
            pattern = parse_owner_pattern(entry)
            if pattern is None:
                explicit.append(parse_repo(entry))
            else:
                patterns.append(pattern)
        except InvalidRepositoryName as exc:
            result.problems.append(f"PRSYNC_REPOS: {exc}")
    # what each pattern found last time, replaced by a new listing when one is due and succeeds
    discovered = {str(pattern): previous.get(str(pattern), []) for pattern in patterns}
    due = bool(patterns) and now - float(state.get("at", 0)) >= DISCOVERY_INTERVAL_S
    if due:
        factory = github.client_factory(settings)
        for pattern in patterns:
            client = factory(pattern.owner)
            try:
                discovered[str(pattern)] = discover(client, pattern)
            except Exception as exc:
                result.problems.append(f"PRSYNC_REPOS: could not list {pattern}: {describe_error(exc)}")
            finally:
                client.close()
    result.keys = list(dict.fromkeys([*explicit, *(key for found in discovered.values() for key in found)]))
    # only patterns still configured: dropping a pattern from PRSYNC_REPOS unregisters nothing
    before = {key for name, found in previous.items() if name in discovered for key in found}
    result.disappeared = sorted(before - set(result.keys))
    result.cursor = json.dumps({"at": now if due else state.get("at", 0), "discovered": discovered})
    return result
