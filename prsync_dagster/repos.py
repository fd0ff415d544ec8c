"""What a repository name is: the one place every entry point asks (no Dagster, no I/O).

Dagster accepts any string as a dynamic partition key, and people paste names in many forms, so the
CLI, ``PRSYNC_REPOS``, the asset, the schedules, sensors, the freshness check and ``prsync status``
all run names through :func:`parse_repo` (pasted URLs allowed) or :func:`normalize_repo` (the
``owner/name`` form only) before trusting them.

GitHub's rules, as documented:

- owner (user or organisation): 1-39 characters, letters, digits and ``-``, not starting with ``-``
  ("Username may only contain alphanumeric characters or single hyphens, and cannot begin or end
  with a hyphen"; older accounts break the double/trailing-hyphen rule, so we accept those).
  Enterprise Managed Users are ``handle_shortcode``, so ``_`` is allowed too
  (https://docs.github.com/en/enterprise-cloud@latest/admin/managing-iam/iam-configuration-reference/username-considerations-for-external-authentication).
- repository: 1-100 characters of letters, digits, ``.``, ``_`` and ``-``, not ``.`` or ``..``
  (GitHub replaces any other character with ``-`` when a repository is created).
- names are case-insensitive on GitHub, hence the lower-cased partition key (CONTRACT.md).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from prsync_dagster.errors import InvalidRepositoryName

_OWNER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,38}")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
#: ``git@github.com:owner/name.git`` (scp-like SSH syntax, as GitHub's "Code" button shows it).
_SCP = re.compile(r"^[A-Za-z0-9_.-]+@[A-Za-z0-9.-]+:(?P<path>[^/].*)$")


def _shown(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def normalize_repo(value: str) -> str:
    """``owner/name`` lower-cased, the partition key and the warehouse's ``repo`` column.

    Raises :class:`InvalidRepositoryName` with a one-line reason for anything else (URLs included:
    use :func:`parse_repo` where people paste).
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidRepositoryName("repository name is empty; expected OWNER/NAME")
    text = value.strip()
    parts = text.split("/")
    if len(parts) != 2:
        raise InvalidRepositoryName(
            f"invalid repository {_shown(text)!r}: expected exactly one '/' (OWNER/NAME)"
        )
    owner, name = parts
    if not _OWNER.fullmatch(owner):
        raise InvalidRepositoryName(
            f"invalid repository {_shown(text)!r}: owner must be 1-39 characters of letters, digits, "
            "'-' and '_' (Enterprise Managed Users), not starting with '-'"
        )
    if not _NAME.fullmatch(name) or name in (".", ".."):
        raise InvalidRepositoryName(
            f"invalid repository {_shown(text)!r}: name must be 1-100 characters of letters, digits, "
            "'.', '_' and '-', and not '.' or '..'"
        )
    return f"{owner}/{name}".lower()


def parse_repo(value: str) -> str:
    """Like :func:`normalize_repo`, but also accepts what people paste from GitHub.

    Accepted: ``owner/name``, ``https://github.com/owner/name`` (any host, so GitHub Enterprise
    works; trailing ``/``, ``.git`` and deeper paths such as ``/pull/12`` are dropped),
    ``github.com/owner/name``, ``git@github.com:owner/name.git`` and ``ssh://git@host/owner/name.git``.
    Raises :class:`InvalidRepositoryName` with a one-line reason.
    """
    if not isinstance(value, str):
        raise InvalidRepositoryName("repository name is empty; expected OWNER/NAME")
    text = value.strip()
    path: str | None = None
    scp = _SCP.match(text)
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https", "ssh", "git") or not parts.netloc:
            raise InvalidRepositoryName(
                f"invalid repository URL {_shown(text)!r}: expected https://HOST/OWNER/NAME"
            )
        path = parts.path
    elif scp:
        path = scp.group("path")
    elif text.count("/") >= 2 and "." in text.split("/", 1)[0]:
        path = text.split("/", 1)[1]  # github.com/owner/name
    if path is None:
        return normalize_repo(text)
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) < 2:
        raise InvalidRepositoryName(f"invalid repository URL {_shown(text)!r}: it names no OWNER/NAME")
    owner, name = segments[0], segments[1]
    if name.lower().endswith(".git"):
        name = name[: -len(".git")]
    return normalize_repo(f"{owner}/{name}")
