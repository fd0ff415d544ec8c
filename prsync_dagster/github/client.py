"""The PyGithub client of one sync: authentication, retries, rate-limit waits and request accounting.

PyGithub's ``Requester`` does the HTTP (auth, App token refresh, redirects). Every repeat is decided
by the one :class:`~prsync_dagster.retrying.RetryPolicy` (5xx, connection failures, primary and
secondary rate limits signalled with 403 or 429, GraphQL ``RATE_LIMITED``). We add a count of every
request, retry, 304 and rate-limit point, and errors translated into :mod:`prsync_dagster.errors`
with one-line messages that never carry the token.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import requests
from github import Auth, Github, GithubException, GithubIntegration
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)
from github.Requester import Requester

from prsync_dagster.errors import (
    ConfigurationError,
    GitHubApiError,
    GitHubAuthError,
    GitHubUnreachableError,
    GraphQLPartialDataError,
    GraphQLTooBigError,
    GraphQLUnavailableError,
    RateLimitedError,
    RepositoryNotFound,
)
from prsync_dagster.retrying import RetryPolicy, Transient, real_clock
from prsync_dagster.secrets import redact
from prsync_dagster.settings import DEFAULT_API_URL, validate_api_url

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


# Filter at the loggers that emit (a logger's filters do not apply to its children's records).
for _logger in ("github.Requester", "github.GithubRetry", "github.GithubIntegration"):
    logging.getLogger(_logger).addFilter(RedactSecrets())


@dataclass
class RequestStats:
    """What one sync cost on GitHub. Thread-safe counters, read at the end of a sync."""

    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    rest_points: int = 0
    graphql_points: int = 0
    rate_limit_remaining: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_response(self, status: int, headers: dict[str, Any]) -> None:
        """Every answer GitHub gave, retried or not (a 2xx core answer costs a point, a 304 none)."""
        resource = str(headers.get("x-ratelimit-resource", "core"))
        with self._lock:
            self.requests += 1
            if status == 304:
                self.not_modified += 1
            elif resource == "core" and 200 <= status < 300:
                self.rest_points += 1
            if "x-ratelimit-remaining" in headers:
                self.rate_limit_remaining[resource] = int(float(headers["x-ratelimit-remaining"]))

    def record_no_answer(self) -> None:
        """A request that got no answer (connection refused, DNS, timeout): still a request made."""
        with self._lock:
            self.requests += 1

    def record_retry(self, waited_s: float = 0.0) -> None:
        """A repeat decided by the retry policy (``waited_s`` before it; not kept, for the callback)."""
        with self._lock:
            self.retries += 1

    def record_graphql_cost(self, cost: int) -> None:
        with self._lock:
            self.graphql_points += cost

    @property
    def points(self) -> int:
        return self.rest_points + self.graphql_points


def _rate_limit(
    status: int, headers: dict[str, Any], message: str, clock: Callable[[], float]
) -> Transient | None:
    """The rate limit a 403/429 signals, as a :class:`Transient` to wait out, or None (no limit).

    GitHub documents both 403 and 429 for rate limits ("Rate limits for the REST API"): with
    ``x-ratelimit-remaining: 0`` (or the primary-limit message) it is the primary limit, to wait
    until ``x-ratelimit-reset``; a ``Retry-After`` header is to be honoured as is; any other 429,
    or the secondary-limit message, is a secondary limit (first wait ``secondary_rate_wait_s``,
    then doubling, per GitHub's "wait at least one minute ... increase exponentially").
    """
    retry_after = str(headers.get("retry-after", "")).strip()
    if retry_after.isdigit():
        wait = float(retry_after)
        return Transient("secondary", _rate_limited(message, wait), wait)
    if str(headers.get("x-ratelimit-remaining")) == "0" or Requester.isPrimaryRateLimitError(message):
        wait = _seconds_until_reset(headers, clock)
        return Transient("rate_limit", _rate_limited(message or "API rate limit exceeded", wait), wait)
    if status == 429 or Requester.isSecondaryRateLimitError(message):
        return Transient("secondary", partial(_rate_limited, message or "secondary rate limit"))
    return None


def _rate_limited(message: str, wait: float) -> RateLimitedError:
    return RateLimitedError(
        f"GitHub rate limit exhausted ({message}); reset in {wait:.0f}s", seconds_to_wait=wait
    )


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
class ClientSettings(RetryPolicy):
    """How to reach GitHub, and how patient to be with it: the client's :class:`RetryPolicy`
    (retries, backoff, rate-limit waits, injectable ``sleep`` and ``clock``) plus the address."""

    api_url: str = DEFAULT_API_URL
    #: Seconds to wait for a connection or an answer (requests' timeout).
    timeout_s: float = 30

    def __post_init__(self) -> None:
        validate_api_url(self.api_url)


#: (API URL, App id, owner lower-cased) -> installation id, found once per process. Single dict
#: reads and writes are atomic; two first syncs of one owner at once may both look it up.
_installation_cache: dict[tuple[str, str, str], int] = {}


#: Asks GitHub for global node ids in the next format on REST and GraphQL alike, so both APIs
#: name an object (a timeline event) the same way; without it GitHub picks the format by the
#: object's age (docs.github.com, "Migrating GraphQL global node IDs").
NEXT_GLOBAL_ID = {"X-Github-Next-Global-ID": "1"}


@dataclass(frozen=True)
class Response:
    """One answer: status, headers (names lower-cased, as PyGithub's ``Requester`` returns them)
    and the decoded JSON body."""

    status: int
    headers: dict[str, Any]
    data: Any

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")


#: GitHub's words for a GraphQL query stopped for taking too long ("Something went wrong while
#: executing your query. This may be the result of a timeout, or it could be a GitHub bug."),
#: sent with HTTP 200 and ``data: null`` (issue 9.4).
_GRAPHQL_TIMEOUT_WORDS = ("this may be the result of a timeout", "timedout", "timed out")


class GitHubClient:
    """One sync's connection to GitHub for one repository owner. Not shared between syncs.

    PyGithub's ``Requester`` does the HTTP (authentication, App token refresh, redirects) with
    its own retries switched off; every repeat is decided by :class:`RetryPolicy` and counted.
    """

    def __init__(self, credentials: GitHubCredentials, settings: ClientSettings, owner: str) -> None:
        self.stats = RequestStats()
        self.settings = settings
        self.credentials = credentials
        self._requester: Requester = Github(
            auth=_auth_for_owner(credentials, settings, owner),
            base_url=settings.api_url,
            timeout=int(max(1, settings.timeout_s)),
            user_agent=USER_AGENT,
            retry=0,  # the retry policy decides, see RetryPolicy
            # GitHub asks for serial requests, not for a fixed pause; a sync is serial already.
            seconds_between_requests=None,
            seconds_between_writes=None,
        ).requester

    def close(self) -> None:
        self._requester.close()

    def installation_repositories(self) -> list[Any]:
        """Every repository of every installation of the GitHub App, as GitHub's JSON objects
        (``GET /app/installations``, then ``GET /installation/repositories`` with each
        installation's token, https://docs.github.com/en/rest/apps/installations). Raises
        :class:`ConfigurationError` without App credentials (a token has no installations)."""
        if not (self.credentials.app_id and self.credentials.app_private_key):
            raise ConfigurationError(
                "'*/*' lists a GitHub App's installations: set GITHUB_APP_ID and its key"
            )
        auth = Auth.AppAuth(self.credentials.app_id, self.credentials.app_private_key)
        integration = GithubIntegration(auth=auth, base_url=self.settings.api_url, user_agent=USER_AGENT)
        with translate_errors("the GitHub App's installations"):
            return [repo.raw_data for inst in integration.get_installations() for repo in inst.get_repos()]

    def get(self, path: str, params: dict[str, Any] | None = None, etag: str | None = None) -> Response:
        """GET a REST resource; with ``etag`` the request is conditional and a 304 costs nothing.

        Raises the errors of :mod:`prsync_dagster.errors` (see :meth:`_send`).
        """
        headers = {"If-None-Match": etag} if etag else {}

        def once() -> tuple[int, dict[str, Any], str]:
            answer = self._send("GET", path, params, headers, None)
            self._raise_transient(answer, path)
            return answer

        status, resp_headers, body = self.settings.call(once, self.stats.record_retry)
        data = self._check(status, resp_headers, body, path)
        return Response(status, resp_headers, data)

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """POST a GraphQL query; returns ``data`` and accounts the query's ``rateLimit.cost``.

        GitHub answers GraphQL errors with HTTP 200 (https://docs.github.com/en/graphql/overview/
        rate-limits-and-query-limits-for-the-graphql-api). Handled here:

        - ``RATE_LIMITED``: waited out like a REST limit (:class:`RetryPolicy`);
        - 502/504, or 200 with "This may be the result of a timeout": :class:`GraphQLTooBigError`
          (the stream shrinks its page; repeating the same query would time out again);
        - 404/410/501: :class:`GraphQLUnavailableError` (no GraphQL API on this server);
        - ``data`` present *and* errors (e.g. ``FORBIDDEN`` on some nodes: SAML, IP allow lists,
          an App without a permission): :class:`GraphQLPartialDataError`, never used as if complete;
        - ``NOT_FOUND``: :class:`RepositoryNotFound`; anything else: :class:`GitHubApiError`.
        """
        url = self._requester.graphql_url

        def once() -> dict[str, Any]:
            answer = self._send("POST", url, None, {}, {"query": query, "variables": variables})
            status, headers, body = answer
            if status in (502, 504):
                raise GraphQLTooBigError(
                    f"GitHub's GraphQL API gave up on a query (HTTP {status}: too big or too slow)"
                )
            if status in (404, 410, 501):
                # The endpoint itself is missing (GraphQL reports its own errors with HTTP 200).
                raise GraphQLUnavailableError(
                    f"GitHub's GraphQL API is not available at {url} (HTTP {status}); "
                    "set PRSYNC_GITHUB_STRATEGY=rest or auto"
                )
            self._raise_transient(answer, "graphql")
            payload = self._check(status, headers, body, "graphql")
            if not isinstance(payload, dict):
                raise GitHubApiError("GitHub GraphQL answered with a body that is not a JSON object")
            data = payload.get("data")
            rate = data.get("rateLimit") if isinstance(data, dict) else None
            if isinstance(rate, dict) and isinstance(rate.get("cost"), int):
                self.stats.record_graphql_cost(rate["cost"])
                if isinstance(rate.get("remaining"), int):
                    self.stats.rate_limit_remaining["graphql"] = rate["remaining"]
            errors = payload.get("errors")
            if errors:
                raise_graphql_errors(errors, headers, data, self.settings.clock)
            return data if isinstance(data, dict) else {}

        return self.settings.call(once, self.stats.record_retry)

    def _url(self, path: str) -> str:
        return path if "://" in path else self.settings.api_url + path

    def _send(
        self,
        verb: str,
        path: str,
        params: dict[str, Any] | None,
        headers: dict[str, str],
        body: dict[str, Any] | None,
    ) -> tuple[int, dict[str, Any], str]:
        """One HTTP exchange, counted. No answer at all becomes a one-line error naming the URL
        (never a token: tokens travel in headers): connection refused and DNS failures are
        :class:`Transient` (kind ``connect``), timeouts kind ``server``, TLS failures final."""
        headers = {**NEXT_GLOBAL_ID, **headers}
        try:
            status, resp_headers, text = self._requester.requestJson(verb, path, params, headers, body)
        except requests.exceptions.SSLError as exc:
            self.stats.record_no_answer()
            raise GitHubUnreachableError(
                f"could not reach GitHub at {self._url(path)}: TLS failed ({_cause(exc)})"
            ) from None
        except requests.exceptions.ConnectionError as exc:
            self.stats.record_no_answer()
            final = GitHubUnreachableError(
                f"could not reach GitHub at {self._url(path)}: {_cause(exc)} "
                f"(retried for {self.settings.connect_retry_s:g} s)"
            )
            raise Transient("connect", final) from None
        except requests.exceptions.Timeout:
            self.stats.record_no_answer()
            timeout = GitHubApiError(
                f"GitHub did not answer {verb} {self._url(path)} within {self.settings.timeout_s:g} s "
                "(after retries)"
            )
            raise Transient("server", timeout) from None
        self.stats.record_response(status, resp_headers)
        return status, resp_headers, text

    def _raise_transient(self, answer: tuple[int, dict[str, Any], str], what: str) -> None:
        """Raise :class:`Transient` for answers worth repeating: 5xx, rate limits (403/429)."""
        status, headers, body = answer
        if 500 <= status < 600:
            final = GitHubApiError(f"GitHub kept failing for {what} after retries (last status {status})")
            raise Transient("server", final)
        if status in (403, 429):
            limit = _rate_limit(status, headers, _body_message(body), self.settings.clock)
            if limit is not None:
                raise limit

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


def raise_graphql_errors(
    errors: list[dict[str, Any]],
    headers: dict[str, Any],
    data: Any,
    clock: Callable[[], float] = real_clock,
) -> None:
    """GitHub answers GraphQL errors with HTTP 200; turn each kind into its error (see
    :meth:`GitHubClient.graphql`)."""
    types = {str(error.get("type")) for error in errors if isinstance(error, dict)}
    message = "; ".join(str(error.get("message")) for error in errors if isinstance(error, dict))[:500]
    if "RATE_LIMITED" in types:
        wait = _seconds_until_reset(headers, clock)
        text = f"GitHub GraphQL rate limit exhausted ({message}); reset in {wait:.0f}s"
        raise Transient("rate_limit", RateLimitedError(text, seconds_to_wait=wait), wait)
    if any(words in message.lower() for words in _GRAPHQL_TIMEOUT_WORDS):
        raise GraphQLTooBigError(f"GitHub's GraphQL API gave up on a query (too big or too slow: {message})")
    repository = data.get("repository") if isinstance(data, dict) else None
    if "NOT_FOUND" in types and not repository:
        raise RepositoryNotFound(f"repository not found or no access (GitHub GraphQL: {message})")
    if isinstance(repository, dict):
        raise GraphQLPartialDataError(
            f"GitHub GraphQL answered with partial data and errors ({', '.join(sorted(types))}): {message}"
        )
    raise GitHubApiError(f"GitHub GraphQL answered with errors: {message}")


_DNS_WORDS = ("name or service not known", "failed to resolve", "nodename nor servname", "name resolution")


def _cause(exc: BaseException) -> str:
    """The reason a connection failed, in a few words (the deepest cause urllib3 wrapped)."""
    text = str(exc)
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if any(words in lowered for words in _DNS_WORDS):
        return "DNS lookup failed (no such host)"
    if "certificate" in lowered or "ssl" in lowered:
        match = re.search(r"certificate verify failed: ([^(\]')\"]+)", text, re.IGNORECASE)
        return f"certificate verify failed: {match.group(1).strip()}" if match else "TLS handshake failed"
    if "aborted" in lowered or "reset by peer" in lowered or "remote end closed" in lowered:
        return "the connection was closed without an answer"
    return type(exc).__name__


@contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Map PyGithub and requests exceptions to our errors, with messages free of secrets."""
    try:
        yield
    except BadCredentialsException:
        raise GitHubAuthError("GitHub rejected the token: 401 Bad credentials") from None
    except UnknownObjectException:
        message = f"repository not found or no access (GitHub answered 404 for {what})"
        raise RepositoryNotFound(message) from None
    except GithubException as exc:
        # PyGithub maps only a 403 to RateLimitExceededException; GitHub also limits with 429
        if isinstance(exc, RateLimitExceededException) or exc.status == 429:
            raise _rate_limited(_message(exc), _seconds_until_reset(exc.headers or {})) from None
        if exc.status == 401:
            raise GitHubAuthError(f"GitHub rejected the token: 401 {_message(exc)}") from None
        raise GitHubApiError(f"GitHub answered {exc.status} for {what}: {_message(exc)}") from None
    except requests.exceptions.RequestException as exc:
        raise GitHubUnreachableError(f"could not reach GitHub for {what}: {_cause(exc)}") from None


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])[:300]
    return exc.message or "no message"


def _body_message(body: str) -> str:
    """The ``message`` of an error body, or ''."""
    try:
        content = json.loads(body) if body else None
    except ValueError:
        return ""
    message = content.get("message") if isinstance(content, dict) else None
    return str(message) if message else ""


def _seconds_until_reset(headers: dict[str, Any], clock: Callable[[], float] = real_clock) -> float:
    """Seconds until GitHub's ``Retry-After`` / ``x-ratelimit-reset`` (plus 1 s: it is not clear
    when in that second the reset happens); 60 s when neither is given."""
    if str(headers.get("retry-after")).isdigit():
        return float(headers["retry-after"])
    reset = headers.get("x-ratelimit-reset")
    if reset is not None and str(reset).isdigit():
        return max(1.0, int(reset) - clock() + 1)
    return 60.0


def _auth_for_owner(credentials: GitHubCredentials, settings: ClientSettings, owner: str) -> Auth.Auth:
    """A token as is; a GitHub App finds (once per process) its installation on ``owner``
    (owner ``*``: the App itself, see :meth:`GitHubClient.installation_repositories`)."""
    if credentials.token:
        return Auth.Token(credentials.token)
    assert credentials.app_id and credentials.app_private_key
    app_auth = Auth.AppAuth(credentials.app_id, credentials.app_private_key)
    if owner == "*":
        return app_auth
    key = (settings.api_url, credentials.app_id, owner.lower())
    if key not in _installation_cache:
        integration = GithubIntegration(auth=app_auth, base_url=settings.api_url, user_agent=USER_AGENT)
        with translate_errors(f"the GitHub App installation of {owner}"):
            _installation_cache[key] = _find_installation(integration, owner)
    # PyGithub refreshes the installation token before it expires.
    return Auth.AppInstallationAuth(app_auth, _installation_cache[key])


def _find_installation(integration: GithubIntegration, owner: str) -> int:
    for lookup in (integration.get_org_installation, integration.get_user_installation):
        try:
            return int(lookup(owner).id)
        except UnknownObjectException:
            continue
    raise RepositoryNotFound(f"the GitHub App is not installed on {owner!r}")
