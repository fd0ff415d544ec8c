"""Organisation discovery (issue 11): ``owner/*`` means every repository of that owner the token sees.

An entry ``owner/*`` (in ``PRSYNC_REPOS``) lists the owner's repositories with
``GET /orgs/{owner}/repos?type=all`` ("List organization repositories",
https://docs.github.com/en/rest/repos/repos#list-organization-repositories), or, when ``owner`` is
a user (GitHub answers 404 for the organisation route), ``GET /users/{owner}/repos?type=owner``
("List repositories for a user"), 100 per page following the ``Link`` header. Archived
repositories and forks are left out unless asked: ``owner/*?archived=1&forks=1`` (either
option alone works too). A list costs one rate-limit point per 100 repositories.

``*/*`` (GitHub App authentication only) means every repository of every installation of the App
(:meth:`~prsync_dagster.github.client.GitHubClient.installation_repositories`), same options.

Names come back as GitHub spells them and are returned as partition keys (lower-cased).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from prsync_dagster.errors import InvalidRepositoryName, RepositoryNotFound
from prsync_dagster.github.client import GitHubClient
from prsync_dagster.github.rest import following
from prsync_dagster.repos import normalize_repo

_PATTERN = re.compile(r"^(?P<owner>\*|[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38}))/\*(?:\?(?P<query>.*))?$")
_TRUE = {"1", "true", "yes"}


@dataclass(frozen=True)
class OwnerPattern:
    """``owner/*`` with its options: include forks, include archived repositories."""

    owner: str
    forks: bool = False
    archived: bool = False

    def __str__(self) -> str:
        options = [name for name, on in (("forks", self.forks), ("archived", self.archived)) if on]
        return f"{self.owner.lower()}/*" + ("?" + "&".join(f"{o}=1" for o in options) if options else "")


def parse_owner_pattern(entry: str) -> OwnerPattern | None:
    """``owner/*`` (optionally ``?forks=1&archived=1``) -> :class:`OwnerPattern`; anything else None.

    Raises :class:`InvalidRepositoryName` for an unknown option (a typo must not widen or narrow
    what is synced silently).
    """
    match = _PATTERN.match(entry.strip())
    if match is None:
        return None
    options = parse_qs(match.group("query") or "", keep_blank_values=True)
    unknown = set(options) - {"forks", "archived"}
    if unknown:
        raise InvalidRepositoryName(
            f"{entry.strip()!r}: unknown option {', '.join(sorted(unknown))} "
            "(owner/* takes forks=1, archived=1)"
        )

    def flag(name: str) -> bool:
        return any(value.strip().lower() in _TRUE for value in options.get(name, []))

    return OwnerPattern(match.group("owner"), forks=flag("forks"), archived=flag("archived"))


def discover(client: GitHubClient, pattern: OwnerPattern) -> list[str]:
    """Partition keys of ``pattern.owner``'s repositories (sorted), forks and archived ones as asked.

    Raises :class:`RepositoryNotFound` when neither an organisation nor a user of that name is
    visible, and the client's errors otherwise.
    """
    if pattern.owner == "*":
        items = client.installation_repositories()
    else:
        try:
            items = _list_all(client, f"/orgs/{pattern.owner}/repos", {"type": "all", "per_page": 100})
        except RepositoryNotFound:
            try:
                items = _list_all(client, f"/users/{pattern.owner}/repos", {"type": "owner", "per_page": 100})
            except RepositoryNotFound:
                raise RepositoryNotFound(
                    f"no organisation or user {pattern.owner!r} visible to the token"
                ) from None
    keys = set()
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("full_name"), str):
            continue
        if (item.get("fork") and not pattern.forks) or (item.get("archived") and not pattern.archived):
            continue
        try:
            keys.add(normalize_repo(item["full_name"]))
        except InvalidRepositoryName:
            continue
    return sorted(keys)


def _list_all(client: GitHubClient, path: str, params: dict[str, Any]) -> list[Any]:
    pages = following(client, client.get(path, params))
    return [item for page in pages if isinstance(page.data, list) for item in page.data]
