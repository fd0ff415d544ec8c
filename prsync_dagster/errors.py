"""Errors a user may see, each worded to say what went wrong and what to do about it.

Every message here is safe to store and show: none of them ever contains a token.
"""

from __future__ import annotations


class PrsyncError(Exception):
    """Base class of the errors prsync raises on purpose (as opposed to bugs)."""


class InvalidRepositoryName(PrsyncError, ValueError):
    """A repository name is not a valid GitHub ``owner/name``."""


class ConfigurationError(PrsyncError):
    """A setting (environment variable or resource config) is missing or malformed."""


class GitHubAuthError(PrsyncError):
    """GitHub rejected the credentials (401) or the token is missing."""


class RepositoryNotFound(PrsyncError):
    """GitHub answered 404: the repository does not exist or the token cannot see it."""


class RateLimitedError(PrsyncError):
    """GitHub's rate limit is exhausted and its reset is further away than we are willing to wait."""

    def __init__(self, message: str, *, seconds_to_wait: float) -> None:
        super().__init__(message)
        self.seconds_to_wait = seconds_to_wait


class GitHubApiError(PrsyncError):
    """GitHub answered with an error we do not handle specifically (``status`` None: no answer)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GraphQLUnavailableError(GitHubApiError):
    """The GitHub server has no usable GraphQL API (some GitHub Enterprise setups, proxies)."""


class MalformedPayloadError(PrsyncError):
    """A payload from GitHub does not have the shape of a pull request or review."""

    def __init__(self, repo: str, pr_number: object, field: str, problem: str) -> None:
        super().__init__(
            f"malformed payload from GitHub for {repo} pull request #{pr_number}: field {field!r}: {problem}"
        )
        self.repo = repo
        self.pr_number = pr_number
        self.field = field


class WarehouseLockedError(PrsyncError):
    """The DuckDB file stayed locked by another process for longer than the configured wait."""


class WarehouseError(PrsyncError):
    """The warehouse could not be opened or written."""
