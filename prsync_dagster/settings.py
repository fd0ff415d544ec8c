"""Settings read from the environment once, into one typed object (no Dagster, no I/O).

Every non-secret setting the README documents is read here, by :meth:`Settings.from_env`, when a
caller asks (a run starting, a CLI command, a sensor tick), never when a module is imported: what a
process imported is not what a later run sees (``dagster dev`` reloads code, tests change the
environment). Secrets (``GITHUB_TOKEN``, ``GITHUB_APP_PRIVATE_KEY``) are *not* read here: they
reach the code only through Dagster ``EnvVar``s in :mod:`prsync_dagster.resources`; this object
only knows whether they are set, so that the CLI can fail early in one line.

Names and defaults: ``../shared/CONTRACT.md`` ("Environment") and the README's configuration table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import urlparse

from prsync_dagster.errors import ConfigurationError, InvalidRepositoryName
from prsync_dagster.repos import parse_repo

Strategy = Literal["auto", "graphql", "rest"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)

DEFAULT_API_URL = "https://api.github.com"
#: ``prsync`` and the README use this ``DAGSTER_HOME`` (relative to the working directory) when unset.
DEFAULT_HOME = ".prsync"
WAREHOUSE_ENV_VAR = "PRSYNC_WAREHOUSE_URL"


def parse_strategy(value: str) -> Strategy:
    """``auto``, ``graphql`` or ``rest`` (case and blanks ignored); else :class:`ConfigurationError`."""
    lowered = value.strip().lower()
    if lowered not in STRATEGIES:
        raise ConfigurationError(
            f"PRSYNC_GITHUB_STRATEGY must be one of {', '.join(STRATEGIES)}, got {value!r}"
        )
    return lowered  # type: ignore[return-value]


def validate_api_url(url: str) -> str:
    """An http(s) base URL without trailing ``/``; else :class:`ConfigurationError` naming the variable."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigurationError(
            f"GITHUB_API_URL must be an http(s) URL such as https://api.github.com or "
            f"https://HOST/api/v3, got {url!r}"
        )
    return url.rstrip("/")


def warehouse_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """Only the warehouse URL (for code that needs nothing else, and must not fail on other settings)."""
    env = os.environ if environ is None else environ
    return Settings(
        warehouse_url_setting=env.get(WAREHOUSE_ENV_VAR, "").strip() or None,
        dagster_home=env.get("DAGSTER_HOME", "").strip() or None,
    ).warehouse_url


@dataclass(frozen=True)
class Settings:
    """The non-secret configuration of one process, as documented in the README.

    Build it with :meth:`from_env` (validates, raising :class:`ConfigurationError` with a one-line
    reason) or directly in tests.
    """

    #: ``GITHUB_API_URL``: REST base URL, validated, without trailing ``/``.
    github_api_url: str = DEFAULT_API_URL
    #: ``PRSYNC_GITHUB_STRATEGY``.
    strategy: Strategy = "auto"
    #: ``PRSYNC_WAREHOUSE_URL`` as set (None: the default DuckDB file, see :attr:`warehouse_url`).
    warehouse_url_setting: str | None = field(default=None, repr=False)  # may carry a password
    #: ``DAGSTER_HOME`` as set (None: unset).
    dagster_home: str | None = None
    #: ``PRSYNC_REPOS``: the entries as written (comma-separated, blanks dropped), not yet validated.
    repos_setting: tuple[str, ...] = ()
    #: ``GITHUB_APP_ID`` is set: authenticate as a GitHub App instead of with ``GITHUB_TOKEN``.
    github_app: bool = False
    #: Whether the secrets are set (their values are read only through Dagster ``EnvVar``s).
    token_set: bool = False
    app_private_key_set: bool = False
    #: ``SENTRY_DSN`` (None: no reporting) and ``SENTRY_ENVIRONMENT``.
    sentry_dsn: str | None = None
    sentry_environment: str = "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the environment (``os.environ`` unless given)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        api_url = get("GITHUB_API_URL")
        strategy = get("PRSYNC_GITHUB_STRATEGY")
        return cls(
            github_api_url=validate_api_url(api_url) if api_url else DEFAULT_API_URL,
            strategy=parse_strategy(strategy) if strategy else "auto",
            warehouse_url_setting=get(WAREHOUSE_ENV_VAR),
            dagster_home=get("DAGSTER_HOME"),
            repos_setting=tuple(
                part.strip() for part in env.get("PRSYNC_REPOS", "").split(",") if part.strip()
            ),
            github_app=get("GITHUB_APP_ID") is not None,
            token_set=get("GITHUB_TOKEN") is not None,
            app_private_key_set=get("GITHUB_APP_PRIVATE_KEY") is not None,
            sentry_dsn=get("SENTRY_DSN"),
            sentry_environment=get("SENTRY_ENVIRONMENT") or "production",
        )

    @property
    def home(self) -> Path:
        """``DAGSTER_HOME`` as an absolute path, or ``./.prsync`` when unset (the CLI's default)."""
        return Path(self.dagster_home or DEFAULT_HOME).expanduser().absolute()

    @property
    def warehouse_url(self) -> str:
        """``PRSYNC_WAREHOUSE_URL``, else ``duckdb:///$DAGSTER_HOME/prsync.duckdb`` (CONTRACT.md)."""
        if self.warehouse_url_setting:
            return self.warehouse_url_setting
        return "duckdb://" + (self.home / "prsync.duckdb").as_posix()

    def tracked_repos(self) -> tuple[list[str], list[str]]:
        """``PRSYNC_REPOS`` as (normalized ``owner/name`` keys, one-line reasons for invalid entries).

        Entries may be pasted GitHub URLs (:func:`prsync_dagster.repos.parse_repo`); duplicates
        in other spellings count once.
        """
        keys: dict[str, None] = {}  # insertion-ordered, without duplicates
        problems: list[str] = []
        for entry in self.repos_setting:
            try:
                keys[parse_repo(entry)] = None
            except InvalidRepositoryName as exc:
                problems.append(f"PRSYNC_REPOS: {exc}")
        return list(keys), problems

    def check_credentials(self) -> None:
        """Raise :class:`ConfigurationError` when no usable GitHub credentials are set."""
        if self.github_app:
            if not self.app_private_key_set:
                raise ConfigurationError("GITHUB_APP_ID is set but GITHUB_APP_PRIVATE_KEY is not")
            return
        if not self.token_set:
            raise ConfigurationError(
                "GITHUB_TOKEN is not set: export a GitHub token (or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)"
            )
