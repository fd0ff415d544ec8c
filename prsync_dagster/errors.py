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
    """GitHub answered with an error we do not handle specifically, or did not answer in time."""


class GraphQLUnavailableError(GitHubApiError):
    """The GitHub server has no usable GraphQL API (some GitHub Enterprise setups, proxies)."""


class GitHubUnreachableError(GitHubApiError):
    """No answer from GitHub at all (connection refused, DNS, TLS): the message names URL and cause."""


class GraphQLTooBigError(GitHubApiError):
    """GitHub gave up on a GraphQL query as too big or too slow (502/504, or a 200 timeout error)."""


class GraphQLPartialDataError(GitHubApiError):
    """A GraphQL answer carried ``data`` and errors (e.g. ``FORBIDDEN`` on some nodes): incomplete."""


class MalformedPayloadError(PrsyncError):
    """A payload from GitHub does not have the shape of a pull request or review."""

    def __init__(self, repo: str, pr_number: object, field: str, problem: str) -> None:
        super().__init__(
            f"malformed payload from GitHub for {repo} pull request #{pr_number}: field {field!r}: {problem}"
        )


class WarehouseLockedError(PrsyncError):
    """The DuckDB file stayed locked by another process for longer than the configured wait."""


class WarehouseError(PrsyncError):
    """The warehouse could not be opened or written."""


#: Errors that another attempt cannot fix (the asset fails at once with the reason, no retries):
#: bad input and settings, credentials GitHub rejects, a repository that is not there, payloads that
#: are not what GitHub documents, GitHub unreachable at the connection level (refused, DNS, TLS:
#: already retried for ``connect_retry_s``; issue 9.2), GraphQL partial data under the ``graphql``
#: strategy (issue 9.4).
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    InvalidRepositoryName,
    RepositoryNotFound,
    GitHubAuthError,
    GraphQLUnavailableError,
    GraphQLPartialDataError,
    GitHubUnreachableError,
    ConfigurationError,
    MalformedPayloadError,
)


def is_permanent(exc: BaseException) -> bool:
    """Whether no retry can fix ``exc``: one of :data:`PERMANENT_ERRORS`, or a database refusing a
    value or a constraint (issue 9.6: DuckDB ``ConstraintException``/``ConversionException``,
    psycopg ``DataError``/``IntegrityError``), also when wrapped in a :class:`WarehouseError`."""
    import duckdb
    import psycopg

    storage = (
        duckdb.ConstraintException,
        duckdb.ConversionException,
        psycopg.errors.DataError,
        psycopg.errors.IntegrityError,
    )
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (*PERMANENT_ERRORS, *storage)):
            return True
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    return False
