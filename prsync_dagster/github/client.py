"""The PyGithub client of one sync: authentication, retries, rate-limit waits and request accounting.

PyGithub's ``Requester`` does the HTTP, and its ``GithubRetry`` (an urllib3 ``Retry``) waits out
rate limits. We add what a sync needs on top: a count of every request, retry, 304 and rate-limit
point, a bounded wait on primary limits that GitHub signals with 429 as well as 403, and errors
translated into :mod:`prsync_dagster.errors` with messages that never carry the token.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import requests
from github import Auth, Github, GithubException, GithubIntegration, GithubRetry
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededExceedsMaxWait,
    RateLimitExceededException,
    UnknownObjectException,
)
from github.Requester import Requester
from urllib3.response import HTTPResponse
from urllib3.util.retry import Retry

from prsync_dagster.errors import (
    ConfigurationError,
    GitHubApiError,
    GitHubAuthError,
    GraphQLUnavailableError,
    RateLimitedError,
    RepositoryNotFound,
)
from prsync_dagster.secrets import redact

DEFAULT_API_URL = "https://api.github.com"
USER_AGENT = "prsync-dagster"

#: GitHub's token formats: classic and fine-grained PATs, OAuth, user-to-server, installation
#: (server-to-server) and refresh tokens.
_TOKEN_PATTERN = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")


class RedactSecrets(logging.Filter):
    """Mask tokens in PyGithub's own log records.

    PyGithub masks the Authorization header in its debug log, but prints response bodies, and
    the body of an installation-token request *is* the token. Anything shaped like a GitHub token,
    and every secret registered with :mod:`prsync_dagster.secrets`, is replaced by ``***``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        cleaned = redact(_TOKEN_PATTERN.sub("***", message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _install_log_filter() -> None:
    """Filter at the loggers that emit (a logger's filters do not apply to its children's records)."""
    for name in ("github.Requester", "github.GithubRetry", "github.GithubIntegration"):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
            logger.addFilter(RedactSecrets())


_install_log_filter()


@dataclass
class RequestStats:
    """What one sync cost on GitHub. Thread-safe counters, read at the end of a sync."""

    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    rest_points: int = 0
    graphql_points: int = 0
    rate_limit_wait_s: float = 0.0
    rate_limit_remaining: dict[str, int] = field(default_factory=dict)
    rate_limit_reset: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_response(self, status: int, headers: dict[str, Any]) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        resource = str(lowered.get("x-ratelimit-resource", "core"))
        with self._lock:
            self.requests += 1
            if status == 304:
                self.not_modified += 1
            elif resource == "core" and 200 <= status < 300:
                self.rest_points += 1
            if "x-ratelimit-remaining" in lowered:
                self.rate_limit_remaining[resource] = int(float(lowered["x-ratelimit-remaining"]))
            if "x-ratelimit-reset" in lowered:
                self.rate_limit_reset[resource] = int(float(lowered["x-ratelimit-reset"]))

    def record_retry(self, waited_s: float) -> None:
        """A response that urllib3 retried: it never reaches :meth:`record_response`, so count it here."""
        with self._lock:
            self.requests += 1
            self.retries += 1
            self.rate_limit_wait_s += waited_s

    def record_refused(self) -> None:
        """A rate-limited response we gave up on (the wait exceeds the cap): still a request made."""
        with self._lock:
            self.requests += 1

    def record_repeat(self, waited_s: float = 0.0) -> None:
        """A request repeated by our own code after an answer already counted by :meth:`record_response`."""
        with self._lock:
            self.retries += 1
            self.rate_limit_wait_s += waited_s

    def record_graphql_cost(self, cost: int) -> None:
        with self._lock:
            self.graphql_points += cost

    @property
    def points(self) -> int:
        return self.rest_points + self.graphql_points


class AccountingRetry(GithubRetry):
    """``GithubRetry`` that counts retries and bounds every rate-limit wait.

    On top of PyGithub's retry:

    - GitHub documents both 403 and 429 for rate limits; PyGithub only understands the 403. A 429
      with ``x-ratelimit-remaining: 0`` is a primary limit (wait until ``x-ratelimit-reset``), any
      other 429 a secondary one.
    - A secondary limit without ``Retry-After`` waits ``secondary_rate_wait`` the first time and
      twice as long on each repeat, as GitHub asks ("wait at least a minute, then back off
      exponentially"); PyGithub waits the same time on every repeat.
    - Any wait beyond ``max_rate_limit_wait`` raises instead of blocking, so the caller can
      reschedule the attempt after the reset.
    """

    def __init__(self, stats: RequestStats | None = None, **kwargs: Any) -> None:
        self.stats = stats
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> AccountingRetry:
        kw["stats"] = self.stats
        return super().new(**kw)

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: HTTPResponse | None = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        limit = None
        if response is not None and response.status in (403, 429):
            limit = self._rate_limit(response, url)
        if limit is None:
            # 5xx and connection errors: urllib3's exponential backoff
            retry = super().increment(method, url, response, error, _pool, _stacktrace)
            waited = retry.get_backoff_time()
        else:
            assert response is not None
            wait, message = limit
            if self.max_rate_limit_wait is not None and wait > self.max_rate_limit_wait:
                if self.stats is not None:
                    self.stats.record_refused()
                raise RateLimitExceededExceedsMaxWait(
                    response.status, {"message": message}, dict(response.headers), wait=wait
                )
            retry = Retry.increment(self, method, url, response, error, _pool, _stacktrace)
            if _retry_after(response) is None:
                waited = max(wait, retry.get_backoff_time())
                retry.get_backoff_time = lambda: waited  # type: ignore[method-assign]
            else:
                waited = wait  # urllib3 sleeps for Retry-After itself
        if self.stats is not None:
            self.stats.record_retry(waited)
        return retry

    def _rate_limit(self, response: HTTPResponse, url: str | None) -> tuple[float, str] | None:
        """(seconds to wait, message) for a rate-limited 403/429; raises for any other 403."""
        retry_after = _retry_after(response)
        if retry_after is not None:
            return retry_after, "secondary rate limit: Retry-After exceeds the configured wait"
        headers = response.headers
        message = _body_message(response, url)
        if headers.get("X-RateLimit-Remaining") == "0" or Requester.isPrimaryRateLimitError(message):
            reset = headers.get("X-RateLimit-Reset")
            # plus 1 s: it is not clear when in that second the reset happens
            wait = max(0.0, int(reset) - time.time() + 1) if reset and reset.isdigit() else 60.0
            return wait, message or "API rate limit exceeded"
        if response.status == 429 or Requester.isSecondaryRateLimitError(message):
            repeats = sum(1 for entry in self.history if entry.status in (403, 429))
            return float(self.secondary_rate_wait) * 2**repeats, message or "secondary rate limit"
        # a 403 that is no rate limit (e.g. "Resource not accessible by integration"): no retry
        raise Requester.createException(403, dict(headers), {"message": message or "Forbidden"})


def _retry_after(response: HTTPResponse) -> float | None:
    value = response.headers.get("Retry-After")
    return float(value) if value and value.strip().isdigit() else None


def _body_message(response: HTTPResponse, url: str | None) -> str:
    """The ``message`` of an error body (a retried answer's body is read here and then discarded)."""
    try:
        content = json.loads(GithubRetry.get_content(response, url or ""))
    except (ValueError, TypeError):
        return ""
    message = content.get("message") if isinstance(content, dict) else None
    return str(message) if message else ""


@dataclass(frozen=True)
class GitHubCredentials:
    """A personal/installation token, or a GitHub App (id + private key) that finds its installation."""

    token: str | None = None
    app_id: str | None = None
    app_private_key: str | None = None

    def __post_init__(self) -> None:
        if not self.token and not (self.app_id and self.app_private_key):
            raise ConfigurationError(
                "no GitHub credentials: set GITHUB_TOKEN (or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)"
            )

    def __repr__(self) -> str:  # never show secrets, even in debug output
        kind = "token" if self.token else f"app {self.app_id}"
        return f"GitHubCredentials({kind})"


@dataclass(frozen=True)
class ClientSettings:
    """How to reach GitHub and how patient to be with it."""

    api_url: str = DEFAULT_API_URL
    timeout_s: int = 30
    max_retries: int = 8
    backoff_factor: float = 1.0
    #: Longest wait for a primary or secondary rate limit before giving up the attempt.
    max_rate_limit_wait_s: float = 300.0
    #: Minimum wait on a secondary limit without ``Retry-After`` (then exponential).
    secondary_rate_wait_s: float = 60.0

    def __post_init__(self) -> None:
        validate_api_url(self.api_url)


def validate_api_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigurationError(
            f"GITHUB_API_URL must be an http(s) URL such as https://api.github.com or "
            f"https://HOST/api/v3, got {url!r}"
        )
    return url.rstrip("/")


_installation_cache: dict[tuple[str, str, str], int] = {}
_installation_lock = threading.Lock()


#: Asks GitHub for global node ids in the next format on REST and GraphQL alike, so both APIs
#: name an object (a timeline event) the same way; without it GitHub picks the format by the
#: object's age (docs.github.com, "Migrating GraphQL global node IDs").
NEXT_GLOBAL_ID = {"X-Github-Next-Global-ID": "1"}


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, Any]
    data: Any

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")


class GitHubClient:
    """One sync's connection to GitHub for one repository owner. Not shared between syncs."""

    def __init__(self, credentials: GitHubCredentials, settings: ClientSettings, owner: str) -> None:
        self.stats = RequestStats()
        self.settings = settings
        auth = _auth_for_owner(credentials, settings, owner)
        self._rest = self._connect(auth, retry_statuses=[*range(500, 600), 429])
        # GitHub ends GraphQL queries that run over 10 s with 502/504: the fetcher shrinks its
        # page instead of repeating the same query; 501 means no GraphQL API here (auto falls
        # back to REST). Neither is retried as such.
        self._graphql = self._connect(auth, retry_statuses=[500, 503, *range(505, 600), 429])

    def _connect(self, auth: Auth.Auth, retry_statuses: list[int]) -> Requester:
        retry = AccountingRetry(
            stats=self.stats,
            total=self.settings.max_retries,
            backoff_factor=self.settings.backoff_factor,
            max_rate_limit_wait=self.settings.max_rate_limit_wait_s,
            secondary_rate_wait=self.settings.secondary_rate_wait_s,
            status_forcelist=retry_statuses,
            backoff_jitter=0.5,
        )
        github = Github(
            auth=auth,
            base_url=self.settings.api_url,
            timeout=self.settings.timeout_s,
            user_agent=USER_AGENT,
            per_page=100,
            retry=retry,
            lazy=True,
            # GitHub asks for serial requests, not for a fixed pause; a sync is serial already.
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        return github.requester

    def close(self) -> None:
        self._rest.close()
        self._graphql.close()

    def get(self, path: str, params: dict[str, Any] | None = None, etag: str | None = None) -> Response:
        """GET a REST resource; with ``etag`` the request is conditional and a 304 costs nothing."""
        headers = {**NEXT_GLOBAL_ID, **({"If-None-Match": etag} if etag else {})}
        with translate_errors(path):
            status, resp_headers, body = self._rest.requestJson("GET", path, params, headers)
        self.stats.record_response(status, resp_headers)
        data = self._check(status, resp_headers, body, path)
        return Response(status, resp_headers, data)

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """POST a GraphQL query; returns ``data`` and accounts the query's ``rateLimit.cost``.

        GitHub answers an exhausted GraphQL budget with HTTP 200 and an error of type
        ``RATE_LIMITED``, which no HTTP retry sees: wait here when the reset is within
        ``max_rate_limit_wait_s``, else raise :class:`RateLimitedError`.
        """
        for attempt in range(self.settings.max_retries + 1):
            try:
                return self._graphql_once(query, variables)
            except RateLimitedError as exc:
                wait = exc.seconds_to_wait
                if attempt >= self.settings.max_retries or wait > self.settings.max_rate_limit_wait_s:
                    raise
                time.sleep(wait)
                self.stats.record_repeat(wait)
        raise AssertionError("unreachable")

    def _graphql_once(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        with translate_errors("graphql"):
            status, resp_headers, body = self._graphql.requestJson(
                "POST",
                self._graphql.graphql_url,
                input={"query": query, "variables": variables},
                headers=dict(NEXT_GLOBAL_ID),
            )
        self.stats.record_response(status, resp_headers)
        if status in (404, 410, 501):
            # The endpoint itself is missing (GraphQL reports its own errors with HTTP 200).
            raise GraphQLUnavailableError(
                f"GitHub's GraphQL API is not available at {self._graphql.graphql_url} (HTTP {status}); "
                "set PRSYNC_GITHUB_STRATEGY=rest or auto",
                status=status,
            )
        payload = self._check(status, resp_headers, body, "graphql")
        if not isinstance(payload, dict):
            raise GitHubApiError("GitHub GraphQL answered with a body that is not a JSON object")
        data: dict[str, Any] = payload.get("data") or {}
        rate = data.get("rateLimit")
        if isinstance(rate, dict) and isinstance(rate.get("cost"), int):
            self.stats.record_graphql_cost(rate["cost"])
            if isinstance(rate.get("remaining"), int):
                self.stats.rate_limit_remaining["graphql"] = rate["remaining"]
        if payload.get("errors"):
            raise_graphql_errors(payload["errors"], resp_headers)
        return data

    def _check(self, status: int, headers: dict[str, Any], body: str, what: str) -> Any:
        try:
            data = json.loads(body) if body else None
        except ValueError:
            if status < 400:
                raise GitHubApiError(
                    f"GitHub answered {status} for {what} with a body that is not JSON"
                ) from None
            data = {"message": body[:200]}
        if status >= 400:
            with translate_errors(what):
                raise Requester.createException(status, headers, data or {})
        return data


def raise_graphql_errors(errors: list[dict[str, Any]], headers: dict[str, Any]) -> None:
    """GitHub answers GraphQL errors with HTTP 200; turn the ones we know into specific errors."""
    types = {str(error.get("type")) for error in errors}
    message = "; ".join(str(error.get("message")) for error in errors)[:500]
    if "RATE_LIMITED" in types:
        wait = _seconds_until_reset(headers)
        raise RateLimitedError(
            f"GitHub GraphQL rate limit exhausted ({message}); reset in {wait:.0f}s", seconds_to_wait=wait
        )
    if "NOT_FOUND" in types:
        raise RepositoryNotFound(f"repository not found or no access (GitHub GraphQL: {message})")
    raise GitHubApiError(f"GitHub GraphQL answered with errors: {message}")


@contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Map PyGithub and requests exceptions to our errors, with messages free of secrets."""
    try:
        yield
    except BadCredentialsException:
        raise GitHubAuthError("GitHub rejected the token: 401 Bad credentials") from None
    except RateLimitExceededException as exc:  # includes RateLimitExceededExceedsMaxWait
        wait = getattr(exc, "wait", None) or _seconds_until_reset(exc.headers or {})
        raise RateLimitedError(
            f"GitHub rate limit exhausted ({_message(exc)}); reset in {wait:.0f}s", seconds_to_wait=wait
        ) from None
    except UnknownObjectException:
        message = f"repository not found or no access (GitHub answered 404 for {what})"
        raise RepositoryNotFound(message) from None
    except GithubException as exc:
        if exc.status == 429:  # PyGithub maps only a 403 to RateLimitExceededException
            wait = _seconds_until_reset(exc.headers or {})
            raise RateLimitedError(
                f"GitHub rate limit exhausted ({_message(exc)}); reset in {wait:.0f}s", seconds_to_wait=wait
            ) from None
        if exc.status == 401:
            raise GitHubAuthError(f"GitHub rejected the token: 401 {_message(exc)}") from None
        message = f"GitHub answered {exc.status} for {what}: {_message(exc)}"
        raise GitHubApiError(message, status=exc.status) from None
    except requests.exceptions.RetryError as exc:
        status = _status_of_retry_error(exc)
        raise GitHubApiError(
            f"GitHub kept failing for {what} after retries (last status {status})", status=status
        ) from None
    except requests.exceptions.RequestException as exc:
        raise GitHubApiError(f"could not reach GitHub for {what}: {type(exc).__name__}") from None


def _status_of_retry_error(exc: requests.exceptions.RetryError) -> int | None:
    reason = exc.args[0] if exc.args else None
    text = str(getattr(reason, "reason", reason))
    for code in ("500", "502", "503", "504", "429", "403"):
        if f"{code} error" in text:
            return int(code)
    return None


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])[:300]
    return exc.message or "no message"


def _seconds_until_reset(headers: dict[str, Any]) -> float:
    lowered = {k.lower(): v for k, v in headers.items()}
    if "retry-after" in lowered and str(lowered["retry-after"]).isdigit():
        return float(lowered["retry-after"])
    reset = lowered.get("x-ratelimit-reset")
    if reset is not None and str(reset).isdigit():
        return max(1.0, int(reset) - time.time() + 1)
    return 60.0


def _auth_for_owner(credentials: GitHubCredentials, settings: ClientSettings, owner: str) -> Auth.Auth:
    """A token as is; a GitHub App finds (once per process) its installation on ``owner``."""
    if credentials.token:
        return Auth.Token(credentials.token)
    assert credentials.app_id and credentials.app_private_key
    app_auth = Auth.AppAuth(credentials.app_id, credentials.app_private_key)
    key = (settings.api_url, credentials.app_id, owner.lower())
    with _installation_lock:
        installation_id = _installation_cache.get(key)
    if installation_id is None:
        integration = GithubIntegration(auth=app_auth, base_url=settings.api_url, user_agent=USER_AGENT)
        with translate_errors(f"the GitHub App installation of {owner}"):
            installation_id = _find_installation(integration, owner)
        with _installation_lock:
            _installation_cache[key] = installation_id
    # PyGithub refreshes the installation token before it expires.
    return Auth.AppInstallationAuth(app_auth, installation_id)


def _find_installation(integration: GithubIntegration, owner: str) -> int:
    for lookup in (integration.get_org_installation, integration.get_user_installation):
        try:
            return int(lookup(owner).id)
        except UnknownObjectException:
            continue
    raise RepositoryNotFound(f"the GitHub App is not installed on {owner!r}")


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
