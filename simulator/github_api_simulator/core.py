"""Request processing behind the HTTP server: routing, auth, rate limits, ETags, Links, faults.

``SimulatorCore`` is transport-free: the HTTP layer turns each request into a :class:`Request`
and writes back the :class:`Response`. Control operations (mutations, faults, tokens...) are
plain methods, exposed over HTTP by name under ``/_simulator/`` (see the package docstring).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlencode

from github_api_simulator._util import (
    API_PLACEHOLDER,
    http_date,
    iso,
    jsonable,
    parse_http_date,
    parse_iso,
    utcnow,
)
from github_api_simulator.apps import (
    App,
    AppRegistry,
    JWTRejected,
    generate_app_key_pair,
    new_installation_token,
    public_key_of,
    token_expiry,
)
from github_api_simulator.graphql_api import Ctx, GraphQLAPI, Prepared, RateSnapshot, Viewer
from github_api_simulator.model import (
    DIRECTIONS,
    ISSUE_SORTS,
    PULL_SORTS,
    PULL_STATES,
    NotFound,
    PullRequest,
    Repo,
    SimulatorError,
    World,
)
from github_api_simulator.payloads import (
    RATE_RESOURCES,
    Renderer,
    dumps,
    error_body,
    full_repository,
    next_format_ids,
    team,
    timeline_entries,
    timeline_item,
    user,
    validation_failed,
)
from github_api_simulator.runtime import (
    Faults,
    RateLimiter,
    Scripted,
    Stats,
    TokenInfo,
    Trigger,
    route_matches,
)
from github_api_simulator.scenarios import (
    DEFAULT_VIEWER_ID,
    DEFAULT_VIEWER_LOGIN,
    ScenarioSpec,
    build_world,
)

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "ghp_simulator000000000000000000000000"
DOCS = "https://docs.github.com/rest"
RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "For more on scraping GitHub and how it may affect your rights, please review our Terms of Service "
    "(https://docs.github.com/en/site-policy/github-terms/github-terms-of-service) If you reach out to "
    "GitHub Support for help, please include the request ID {request_id}."
)
REDIRECT_DOCS = "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects"
GRAPHQL_DOCS = "https://docs.github.com/graphql"
LIST_DOCS = {
    "pulls": "https://docs.github.com/rest/pulls/pulls#list-pull-requests",
    "issues": "https://docs.github.com/rest/issues/issues#list-repository-issues",
    "reviews": "https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request",
    "timeline": "https://docs.github.com/rest/issues/timeline#list-timeline-events-for-an-issue",
}
VARY_OK = "Accept, Authorization, Cookie, X-GitHub-OTP,Accept-Encoding, Accept, X-Requested-With"
VARY_ERR = "Accept-Encoding, Accept, X-Requested-With"
EXPOSE = (
    "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, "
    "X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, "
    "X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset"
)
STATIC_HEADERS = [
    ("Access-Control-Expose-Headers", EXPOSE),
    ("Access-Control-Allow-Origin", "*"),
    ("Strict-Transport-Security", "max-age=31536000; includeSubdomains; preload"),
    ("X-Frame-Options", "deny"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-XSS-Protection", "0"),
    ("Referrer-Policy", "origin-when-cross-origin, strict-origin-when-cross-origin"),
    ("Content-Security-Policy", "default-src 'none'"),
]
STATUS_MESSAGES = {
    400: "Problems parsing JSON",
    401: "Bad credentials",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Validation Failed",
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
    504: "We couldn't respond to your request in time. Sorry about that. Please try resubmitting "
    "your request and contact us if the problem persists.",
}


@dataclass
class Request:
    """One HTTP request, transport-independent. Header names are lower case."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    origin: str

    def arg(self, name: str) -> str | None:
        """Last value of a query parameter (Rails semantics)."""
        found = None
        for key, value in self.query:
            if key == name:
                found = value
        return found

    def query_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.query}


@dataclass
class Response:
    """What the HTTP layer writes back."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    disconnect: bool = False


@dataclass
class Result:
    """A handler's answer before headers, conditional checks and charging are applied."""

    status: int
    text: str
    last_modified: datetime | None = None
    link: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    cacheable: bool = True


@dataclass
class Route:
    """A matched route: template (for stats), kind (dispatch key) and path parameters."""

    template: str
    kind: str
    params: dict[str, str]


_REPO_SUFFIXES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^$"), "", "repo"),
    (re.compile(r"^/pulls$"), "/pulls", "pulls"),
    (re.compile(r"^/pulls/(?P<number>\d+)$"), "/pulls/{number}", "pull"),
    (re.compile(r"^/pulls/(?P<number>\d+)/reviews$"), "/pulls/{number}/reviews", "reviews"),
    (
        re.compile(r"^/pulls/(?P<number>\d+)/requested_reviewers$"),
        "/pulls/{number}/requested_reviewers",
        "requested_reviewers",
    ),
    (
        re.compile(r"^/pulls/(?P<number>\d+)/reviews/(?P<review_id>\d+)$"),
        "/pulls/{number}/reviews/{review_id}",
        "review",
    ),
    (re.compile(r"^/issues$"), "/issues", "issues"),
    (re.compile(r"^/issues/(?P<number>\d+)$"), "/issues/{number}", "issue"),
    (re.compile(r"^/issues/(?P<number>\d+)/timeline$"), "/issues/{number}/timeline", "timeline"),
    (re.compile(r"^/installation$"), "/installation", "repo_installation"),
]
_REPOS = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)(?P<rest>/.*)?$")
_REPOSITORIES = re.compile(r"^/repositories/(?P<repo_id>\d+)(?P<rest>/.*)?$")
_SIMPLE: list[tuple[str, re.Pattern[str], str, str]] = [
    ("GET", re.compile(r"^/rate_limit$"), "GET /rate_limit", "rate_limit"),
    ("GET", re.compile(r"^/user$"), "GET /user", "user"),
    ("POST", re.compile(r"^/graphql$"), "POST /graphql", "graphql"),
    ("GET", re.compile(r"^/app$"), "GET /app", "app"),
    ("GET", re.compile(r"^/app/installations$"), "GET /app/installations", "app_installations"),
    (
        "GET",
        re.compile(r"^/app/installations/(?P<installation_id>\d+)$"),
        "GET /app/installations/{installation_id}",
        "app_installation",
    ),
    (
        "POST",
        re.compile(r"^/app/installations/(?P<installation_id>\d+)/access_tokens$"),
        "POST /app/installations/{installation_id}/access_tokens",
        "access_token",
    ),
    (
        "GET",
        re.compile(r"^/orgs/(?P<login>[^/]+)/installation$"),
        "GET /orgs/{org}/installation",
        "owner_installation",
    ),
    (
        "GET",
        re.compile(r"^/users/(?P<login>[^/]+)/installation$"),
        "GET /users/{username}/installation",
        "owner_installation",
    ),
    (
        "GET",
        re.compile(r"^/orgs/(?P<login>[^/]+)/repos$"),
        "GET /orgs/{org}/repos",
        "owner_repos",
    ),
    (
        "GET",
        re.compile(r"^/users/(?P<login>[^/]+)/repos$"),
        "GET /users/{username}/repos",
        "owner_repos",
    ),
    (
        "GET",
        re.compile(r"^/installation/repositories$"),
        "GET /installation/repositories",
        "installation_repos",
    ),
]
_JWT_KINDS = {
    "app",
    "app_installations",
    "app_installation",
    "access_token",
    "owner_installation",
    "repo_installation",
}


def match_route(method: str, path: str) -> Route | None:
    """Find the route for a request; ``/repositories/{id}/...`` maps to the same templates."""
    for verb, pattern, template, kind in _SIMPLE:
        m = pattern.match(path)
        if m and verb == method:
            return Route(template, kind, m.groupdict())
    for prefix_re, template_prefix in (
        (_REPOS, "/repos/{owner}/{repo}"),
        (_REPOSITORIES, "/repos/{owner}/{repo}"),
    ):
        m = prefix_re.match(path)
        if not m or method != "GET":
            continue
        rest = m.group("rest") or ""
        for suffix_re, suffix_template, kind in _REPO_SUFFIXES:
            sm = suffix_re.match(rest)
            if sm:
                params = {k: v for k, v in m.groupdict().items() if k != "rest" and v is not None}
                params.update(sm.groupdict())
                params["suffix"] = rest
                return Route(f"GET {template_prefix}{suffix_template}", kind, params)
    return None


def _wants_next_ids(req: Request) -> bool:
    """``X-Github-Next-Global-ID: 1`` asks for next-format global ids (GitHub's migration header)."""
    return req.headers.get("x-github-next-global-id", "").strip() == "1"


def weak_etag(body: bytes) -> str:
    return 'W/"' + hashlib.sha256(body).hexdigest() + '"'


def etag_matches(header: str, etag: str) -> bool:
    """``If-None-Match`` comparison (weak: the ``W/`` prefix is ignored, ``*`` matches)."""
    target = etag.removeprefix("W/")
    for candidate in header.split(","):
        c = candidate.strip()
        if c == "*" or c.removeprefix("W/") == target:
            return True
    return False


class SimulatorCore:
    """All simulator behaviour except sockets. Thread-safe: one world lock plus one state lock."""

    def __init__(
        self,
        scenario: str | ScenarioSpec = "small",
        seed: int = 7,
        token: str = DEFAULT_TOKEN,
        latency_ms: float = 0,
        rate_limit: int = 5000,
        graphql_rate_limit: int = 5000,
        rate_limit_window: int = 3600,
        exhausted_status: int = 403,
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.world: World = build_world(scenario, seed)
        self.renderer = Renderer(self.world)
        self.graphql = GraphQLAPI()
        self._state = threading.Lock()
        self.token = token
        self.tokens: dict[str, TokenInfo] = {}
        self.add_token(token)
        self.rates = RateLimiter(rate_limit_window, rate_limit, graphql_rate_limit)
        self.rates.exhausted_status = exhausted_status
        self.faults = Faults(latency_ms)
        self.statistics = Stats()
        self._triggers: list[Trigger] = []
        self._trigger_ids = itertools.count(1)
        self._callbacks: list[Callable[[str, str, dict[str, str]], None]] = []
        self.apps = AppRegistry()
        self._request_ids = itertools.count(random.randint(0x1000, 0xFFFF))

    # ================================================================ control operations
    # Each public method below is also reachable over HTTP at /_simulator/<method name>.

    def repos(self) -> list[str]:
        """Full names of all repositories, as GitHub spells them."""
        with self.world.lock:
            return self.world.full_names()

    def truth(self, repo: str) -> dict[str, Any]:
        """Ground truth for one repository (case-insensitive name; old names follow renames)."""
        return self.world.truth(repo)

    def stats(self) -> dict[str, Any]:
        """Request statistics since the last reset."""
        with self._state:
            return self.statistics.snapshot()

    def reset_stats(self) -> None:
        with self._state:
            self.statistics.reset()

    def mutate(self, op: str, **kwargs: Any) -> dict[str, Any]:
        """Apply a named mutation (see :data:`World.MUTATIONS`); returns what changed."""
        return self.world.mutate(op, **kwargs)

    def update_pull(
        self, repo: str, number: int, title: str | None = None, body: str | None = None
    ) -> dict[str, Any]:
        return self.world.update_pull(repo, number, title=title, body=body)

    def open_pull(
        self, repo: str, title: str = "New pull request", author: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        return self.world.open_pull(repo, title=title, author=author, **kw)

    def close_pull(self, repo: str, number: int, by: str | None = None) -> dict[str, Any]:
        return self.world.close_pull(repo, number, by=by)

    def reopen_pull(self, repo: str, number: int, by: str | None = None) -> dict[str, Any]:
        return self.world.reopen_pull(repo, number, by=by)

    def merge_pull(self, repo: str, number: int, merged_by: str | None = None) -> dict[str, Any]:
        return self.world.merge_pull(repo, number, merged_by=merged_by)

    def add_review(
        self, repo: str, number: int, state: str = "APPROVED", author: str | None = None, body: str = ""
    ) -> dict[str, Any]:
        return self.world.add_review(repo, number, state=state, author=author, body=body)

    def dismiss_review(self, repo: str, number: int, review_id: int, touch_pr: bool = True) -> dict[str, Any]:
        return self.world.dismiss_review(repo, number, review_id, touch_pr=touch_pr)

    def request_review(
        self,
        repo: str,
        number: int,
        reviewer: str | None = None,
        team: str | None = None,
        by: str | None = None,
    ) -> dict[str, Any]:
        """Ask a user (login) or a team (slug) for a review: a ``review_requested`` event."""
        return self.world.request_review(repo, number, reviewer=reviewer, team=team, by=by)

    def remove_review_request(
        self,
        repo: str,
        number: int,
        reviewer: str | None = None,
        team: str | None = None,
        by: str | None = None,
    ) -> dict[str, Any]:
        """Withdraw a pending request: a ``review_request_removed`` event."""
        return self.world.remove_review_request(repo, number, reviewer=reviewer, team=team, by=by)

    def add_label(self, repo: str, number: int, label: str, by: str | None = None) -> dict[str, Any]:
        return self.world.add_label(repo, number, label, by=by)

    def remove_label(self, repo: str, number: int, label: str, by: str | None = None) -> dict[str, Any]:
        return self.world.remove_label(repo, number, label, by=by)

    def assign(self, repo: str, number: int, assignee: str, by: str | None = None) -> dict[str, Any]:
        return self.world.assign(repo, number, assignee, by=by)

    def mark_ready_for_review(self, repo: str, number: int, by: str | None = None) -> dict[str, Any]:
        return self.world.mark_ready_for_review(repo, number, by=by)

    def convert_to_draft(self, repo: str, number: int, by: str | None = None) -> dict[str, Any]:
        return self.world.convert_to_draft(repo, number, by=by)

    def push_commits(self, repo: str, number: int, **kw: Any) -> dict[str, Any]:
        """Push to the head branch (``commits``, ``additions``, ``deletions``, ``changed_files``,
        ``force``, ``by``)."""
        return self.world.push_commits(repo, number, **kw)

    def add_comment(self, repo: str, number: int) -> dict[str, Any]:
        return self.world.add_comment(repo, number)

    def update_issue(self, repo: str, number: int, **kw: Any) -> dict[str, Any]:
        return self.world.update_issue(repo, number, **kw)

    def open_issue(self, repo: str, title: str = "New issue", author: str | None = None) -> dict[str, Any]:
        return self.world.open_issue(repo, title=title, author=author)

    def rename_repo(self, repo: str, new_name: str, new_owner: str | None = None) -> dict[str, Any]:
        return self.world.rename_repo(repo, new_name, new_owner=new_owner)

    def delete_repo(self, repo: str) -> dict[str, Any]:
        return self.world.delete_repo(repo)

    def mutate_repo(
        self,
        repo: str,
        seed: int = 0,
        updated_fraction: float = 0.05,
        new_prs: int = 3,
        new_reviews: int = 10,
        dismissals: int = 2,
    ) -> dict[str, Any]:
        return self.world.mutate_repo(repo, seed, updated_fraction, new_prs, new_reviews, dismissals)

    def reset_world(self, scenario: str | None = None, seed: int | None = None) -> dict[str, Any]:
        """Regenerate the world (same scenario/seed unless given); tokens, limits and faults stay."""
        world = build_world(scenario or self.scenario, self.seed if seed is None else seed)
        with self.world.lock:
            self.world = world
            self.renderer = Renderer(world)
            if scenario:
                self.scenario = scenario
            if seed is not None:
                self.seed = seed
        return {"scenario": str(self.scenario), "seed": self.seed, "repos": world.full_names()}

    def add_token(self, token: str, login: str | None = None, user_id: int | None = None) -> dict[str, Any]:
        """Accept another personal access token (default: the scenario's viewer account)."""
        login = login or DEFAULT_VIEWER_LOGIN
        if user_id is None:
            with self.world.lock:
                user_id = DEFAULT_VIEWER_ID if login == DEFAULT_VIEWER_LOGIN else self.world.account(login).id
        with self._state:
            self.tokens[token] = TokenInfo(token, login, user_id)
        return {"token": token, "login": login, "user_id": user_id}

    def revoke_token(self, token: str) -> dict[str, Any]:
        """Stop accepting a token: its next request answers 401 Bad credentials."""
        with self._state:
            known = self.tokens.pop(token, None) is not None
        return {"token": token, "revoked": known}

    def set_rate_limit(
        self,
        resource: str = "core",
        limit: int | None = None,
        remaining: int | None = None,
        reset_in: float | None = None,
        token: str | None = None,
        window_seconds: int | None = None,
        exhausted_status: int | None = None,
    ) -> list[dict[str, Any]]:
        """Change a budget. ``remaining=0, reset_in=2`` exhausts it until 2 s from now.

        ``token=None`` applies to every accepted token. ``exhausted_status`` (403 or 429) is what
        REST answers once a budget is exhausted.
        """
        if resource not in RATE_RESOURCES:
            raise SimulatorError(f"unknown rate-limit resource {resource!r}")
        with self._state:
            keys = [token] if token else list(self.tokens)
            return self.rates.configure(
                keys, resource, limit, remaining, reset_in, window_seconds, exhausted_status
            )

    def rate_limit_status(self, token: str | None = None) -> dict[str, Any]:
        """Budgets of one token (default: the main token), as /rate_limit reports them."""
        with self._state:
            return self._rate_limit_payload(token or self.token)

    def set_latency(self, ms: float) -> None:
        """Delay every API request by ``ms`` milliseconds (0 removes it)."""
        with self._state:
            self.faults.latency_ms = float(ms)

    def set_error_rate(
        self, rate: float, statuses: list[int] | None = None, seed: int = 0, match: str = "*"
    ) -> None:
        """Answer a seeded random fraction of matching requests with one of ``statuses``."""
        with self._state:
            self.faults.set_error_rate(rate, statuses, seed, match)

    def script_responses(self, match: str, responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Queue answers for the next requests matching ``match`` (e.g. ``"GET */pulls"``).

        Each entry: ``{"status": 503}``, optionally ``"body"``, ``"headers"``, ``"retry_after"``
        and ``"kind"`` (``error`` | ``secondary_rate_limit`` | ``disconnect``).
        """
        answers = [Scripted(**r) for r in responses]
        with self._state:
            self.faults.script(match, answers)
            return self.faults.pending()

    def fail_next(self, match: str = "*", status: int = 503, times: int = 1) -> list[dict[str, Any]]:
        """Shorthand: the next ``times`` matching requests answer ``status``."""
        return self.script_responses(match, [{"status": status} for _ in range(times)])

    def inject_secondary_rate_limit(
        self, match: str = "*", retry_after: int | None = 60, times: int = 1, status: int = 403
    ) -> list[dict[str, Any]]:
        """The next matching requests hit GitHub's secondary rate limit (``retry_after=None``: no header)."""
        answer = {"status": status, "kind": "secondary_rate_limit", "retry_after": retry_after}
        return self.script_responses(match, [dict(answer) for _ in range(times)])

    def set_graphql_timeout(self, node_threshold: int | None) -> None:
        """GraphQL queries that may return more than ``node_threshold`` nodes answer 502 (timeout)."""
        with self._state:
            self.faults.graphql_node_threshold = node_threshold

    def clear_faults(self) -> None:
        """Remove scripted answers, error rate, GraphQL timeout and extra latency."""
        with self._state:
            self.faults.clear()

    def add_trigger(
        self, match: str, after: int, op: str, args: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Apply mutation ``op(**args)`` right after the ``after``-th matching request is answered."""
        if op not in World.MUTATIONS:
            raise SimulatorError(f"unknown mutation {op!r}")
        if after < 1:
            raise SimulatorError("after must be >= 1")
        with self._state:
            trig = Trigger(next(self._trigger_ids), match, after, op, dict(args or {}))
            self._triggers.append(trig)
            return trig.describe()

    def triggers(self) -> list[dict[str, Any]]:
        with self._state:
            return [jsonable(t.describe()) for t in self._triggers]

    def register_app(
        self,
        app_id: int = 1001,
        private_key: str | None = None,
        public_key: str | None = None,
        slug: str = "prsync-sim-app",
        name: str | None = None,
        owner: str = "Acme",
    ) -> dict[str, Any]:
        """Register a GitHub App by its key (public or private PEM; a new pair when neither).

        Returns the app payload plus ``private_key`` when the simulator generated the pair.
        """
        generated: str | None = None
        if public_key is None and private_key is None:
            generated, public_key = generate_app_key_pair()
        elif public_key is None and private_key is not None:
            public_key = public_key_of(private_key)
        assert public_key is not None
        with self.world.lock:
            owner_acc = self.world.account(owner, "Organization")
            bot = self.world.account(f"{slug}[bot]", "Bot")
        app = App(int(app_id), slug, name or slug, owner_acc, bot, public_key, utcnow())
        with self._state:
            self.apps.register(app)
            out = app.payload(0)
        if generated:
            out["private_key"] = generated
        return out

    def install_app(
        self,
        app_id: int,
        owner: str,
        installation_id: int | None = None,
        repositories: list[str] | None = None,
    ) -> dict[str, Any]:
        """Install an app on ``owner``; ``repositories`` (names) limits it to selected repositories."""
        with self.world.lock:
            account = self.world.accounts.get(owner.lower())
            if account is None:
                raise NotFound(f"account {owner!r} not found")
            repo_ids = None
            if repositories is not None:
                repo_ids = frozenset(
                    self.world.resolve(r if "/" in r else f"{owner}/{r}").id for r in repositories
                )
        with self._state:
            try:
                inst = self.apps.install(int(app_id), account, installation_id, repo_ids)
            except KeyError as exc:
                raise NotFound(str(exc)) from exc
            return inst.payload()

    def set_installation_token_ttl(self, seconds: float) -> None:
        """Lifetime of installation tokens issued from now on (GitHub: one hour)."""
        with self._state:
            self.apps.token_ttl = timedelta(seconds=seconds)

    def on_request(self, callback: Callable[[str, str, dict[str, str]], None]) -> None:
        """In-process hook: ``callback(method, path, query)`` runs after each API request is
        answered but before the answer is sent, so a mutation it makes is in place before the
        client can ask for the next page."""
        with self._state:
            self._callbacks.append(callback)

    # ================================================================ request processing

    def handle(self, req: Request) -> Response:
        """Serve one API request (not the control API)."""
        route = match_route(req.method, req.path)
        template = route.template if route else f"{req.method} (unmatched)"
        with self._state:
            latency = self.faults.latency_ms
        if latency > 0:
            time.sleep(latency / 1000.0)
        request_id = self._request_id()
        with self._state:
            scripted = self.faults.take(req.method, req.path, template)
            if scripted is not None:
                self.statistics.faults[
                    scripted.kind if scripted.kind != "error" else str(scripted.status)
                ] += 1
        if scripted is not None:
            resp = self._scripted(scripted, request_id)
        else:
            try:
                resp = self._serve(req, route, request_id)
            except Exception:  # pragma: no cover - a bug in the simulator itself
                log.exception("simulator failed on %s %s", req.method, req.path)
                resp = self._json(500, error_body("Server Error"), request_id)
        with self._state:
            self.statistics.record(template, resp.status)
            callbacks = list(self._callbacks)
            due = []
            for trig in self._triggers:
                if not trig.fired and route_matches(trig.match, req.method, req.path, template):
                    trig.seen += 1
                    if trig.seen >= trig.after:
                        trig.fired = True
                        due.append(trig)
        for trig in due:
            try:
                trig.result = jsonable(self.world.mutate(trig.op, **trig.args))
            except Exception as exc:  # the trigger reports it; the request itself is unaffected
                trig.error = f"{type(exc).__name__}: {exc}"
        query = req.query_dict()
        for cb in callbacks:
            try:
                cb(req.method, req.path, query)
            except Exception:
                log.exception("on_request callback failed")
        return resp

    def _request_id(self) -> str:
        n = next(self._request_ids)
        parts = (n & 0xFFFF, (n * 7919) & 0xFFFFFF, (n * 104729) & 0xFFFFFFF, n, int(time.time()))
        return "{:04X}:{:X}:{:X}:{:X}:{:X}".format(*parts)

    # ---- responses ----------------------------------------------------------------------

    def _base_headers(self, request_id: str, content_type: bool = True) -> list[tuple[str, str]]:
        headers = [("Content-Type", "application/json; charset=utf-8")] if content_type else []
        headers += [
            ("X-GitHub-Media-Type", "github.v3; format=json"),
            ("x-github-api-version-selected", "2022-11-28"),
        ]
        headers += STATIC_HEADERS
        headers.append(("X-GitHub-Request-Id", request_id))
        return headers

    def _json(
        self,
        status: int,
        body: Any,
        request_id: str,
        extra: list[tuple[str, str]] | None = None,
        vary: str = VARY_ERR,
    ) -> Response:
        data = dumps(body).encode()
        headers = self._base_headers(request_id) + [("Vary", vary)] + list(extra or [])
        return Response(status, data, headers)

    def _rate_headers(self, bucket_key: str, resource: str) -> list[tuple[str, str]]:
        b = self.rates.bucket(bucket_key, resource)
        return [
            ("X-RateLimit-Limit", str(b.limit)),
            ("X-RateLimit-Remaining", str(b.remaining)),
            ("X-RateLimit-Reset", str(b.reset)),
            ("X-RateLimit-Used", str(b.used)),
            ("X-RateLimit-Resource", resource),
        ]

    def _scripted(self, s: Scripted, request_id: str) -> Response:
        if s.kind == "disconnect":
            return Response(0, disconnect=True)
        extra = list(s.headers.items())
        if s.kind == "secondary_rate_limit":
            body = s.body or {
                "documentation_url": SECONDARY_DOCS,
                "message": SECONDARY_MESSAGE.format(request_id=request_id),
            }
            if s.retry_after is not None:
                extra.append(("Retry-After", str(s.retry_after)))
            return self._json(s.status, body, request_id, extra)
        if s.retry_after is not None:
            extra.append(("Retry-After", str(s.retry_after)))
        body = s.body if s.body is not None else error_body(STATUS_MESSAGES.get(s.status, "Error"))
        return self._json(s.status, body, request_id, extra)

    # ---- auth ---------------------------------------------------------------------------

    @staticmethod
    def _credential(req: Request) -> tuple[str, str] | None:
        """(scheme, secret) from the Authorization header; Basic uses the password as token."""
        raw = req.headers.get("authorization", "").strip()
        if not raw:
            return None
        scheme, _, value = raw.partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "basic":
            import base64

            try:
                decoded = base64.b64decode(value).decode()
            except (ValueError, UnicodeDecodeError):
                return ("basic", "")
            return ("token", decoded.partition(":")[2])
        return (scheme, value)

    def _token_info(self, req: Request) -> TokenInfo | None:
        cred = self._credential(req)
        if cred is None or cred[0] not in ("token", "bearer"):
            return None
        info = self.tokens.get(cred[1])
        if info is None:
            return None
        if info.expires_at is not None and info.expires_at <= datetime.now(UTC):
            return None
        return info

    # ---- dispatch -----------------------------------------------------------------------

    def _serve(self, req: Request, route: Route | None, request_id: str) -> Response:
        if route is not None and route.kind in _JWT_KINDS:
            return self._serve_app(req, route, request_id)
        with self._state:
            auth = self._token_info(req)
        is_graphql = route is not None and route.kind == "graphql"
        if auth is None:
            if is_graphql and self._credential(req) is None:
                body = error_body(
                    "This endpoint requires you to be authenticated.",
                    "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql",
                )
            else:
                body = error_body("Bad credentials", GRAPHQL_DOCS if is_graphql else DOCS)
            return self._json(401, body, request_id)
        if is_graphql:
            return self._serve_graphql(req, auth, request_id)
        if route is not None and route.kind == "rate_limit":
            with self._state:
                payload = self._rate_limit_payload(auth.token)
                rate_headers = self._rate_headers(auth.token, "core")
            data = dumps(payload).encode()
            headers = self._base_headers(request_id) + [("Cache-Control", "no-cache"), ("Vary", VARY_ERR)]
            return Response(200, data, headers + rate_headers)
        # Reserve one core point up front (atomic check-and-charge); refunded for 304s.
        with self._state:
            bucket = self.rates.bucket(auth.token, "core")
            if bucket.remaining <= 0:
                headers = self._rate_headers(auth.token, "core")
                body = error_body(f"API rate limit exceeded for {auth.subject()}.", RATE_DOCS)
                return self._json(self.rates.exhausted_status, body, request_id, headers)
            bucket.used += 1
            self.statistics.points["core"] += 1
        result = self._dispatch_rest(req, route, auth)
        text = result.text
        if _wants_next_ids(req) and result.status == 200:
            with self.world.lock:
                text = next_format_ids(text, self.world)
        data = text.replace(API_PLACEHOLDER, req.origin).encode()
        headers = self._base_headers(request_id)
        refund = False
        if result.status == 200 and result.cacheable:
            etag = weak_etag(data)
            inm = req.headers.get("if-none-match")
            ims = req.headers.get("if-modified-since")
            not_modified = False
            if inm is not None:
                not_modified = etag_matches(inm, etag)
            elif ims is not None and result.last_modified is not None:
                since = parse_http_date(ims)
                not_modified = since is not None and result.last_modified <= since
            headers += [
                ("Cache-Control", "private, max-age=60, s-maxage=60"),
                ("Vary", VARY_OK),
                ("ETag", etag),
            ]
            if result.last_modified is not None:
                headers.append(("Last-Modified", http_date(result.last_modified)))
            if auth.kind == "user":
                headers += [("X-OAuth-Scopes", auth.scopes), ("X-Accepted-OAuth-Scopes", "repo")]
            if not_modified:
                refund = True
                headers = [h for h in headers if h[0] != "Content-Type"]
                data = b""
            elif result.link:
                headers.append(("Link", result.link))
        else:
            headers.append(("Vary", VARY_ERR))
        headers += result.headers
        with self._state:
            if refund:
                self.rates.bucket(auth.token, "core").used -= 1
                self.statistics.points["core"] -= 1
            headers += self._rate_headers(auth.token, "core")
        return Response(304 if refund else result.status, data, headers)

    def _dispatch_rest(self, req: Request, route: Route | None, auth: TokenInfo) -> Result:
        if route is None:
            return Result(404, dumps(error_body("Not Found")), cacheable=False)
        if route.kind == "user":
            return self._h_user(auth)
        if route.kind == "installation_repos":
            return self._h_installation_repos(req, auth)
        if route.kind == "owner_repos":
            return self._h_owner_repos(req, route, auth)
        with self.world.lock:
            found = self._resolve_repo(req, route, auth)
            if isinstance(found, Result):
                return found
            repo = found
            handler = getattr(self, f"_h_{route.kind}")
            out: Result = handler(req, route, repo)
            if out.status == 200:
                out.text = self.renderer.splice(repo, out.text)
            return out

    def _resolve_repo(self, req: Request, route: Route, auth: TokenInfo) -> Repo | Result:
        world = self.world
        not_found = Result(404, dumps(error_body("Not Found", self._docs_for(route))), cacheable=False)
        if "repo_id" in route.params:
            repo = world.repo_by_id(int(route.params["repo_id"]))
            if repo is None:
                return not_found
        else:
            owner, name = unquote(route.params["owner"]), unquote(route.params["repo"])
            repo, moved = world.find_repo(owner, name)
            if repo is None:
                return not_found
            if moved and self._visible(repo, auth):
                qs = urlencode(req.query)
                location = f"{req.origin}/repositories/{repo.id}{route.params['suffix']}" + (
                    f"?{qs}" if qs else ""
                )
                body = error_body("Moved Permanently", REDIRECT_DOCS, url=location)
                return Result(301, dumps(body), headers=[("Location", location)], cacheable=False)
        if not self._visible(repo, auth):
            return not_found
        return repo

    @staticmethod
    def _visible(repo: Repo, auth: TokenInfo) -> bool:
        if auth.kind != "installation":
            return True
        if repo.owner.login.lower() != (auth.owner or ""):
            return False
        return auth.repository_ids is None or repo.id in auth.repository_ids

    @staticmethod
    def _docs_for(route: Route) -> str:
        return {
            "repo": "https://docs.github.com/rest/repos/repos#get-a-repository",
            "pulls": LIST_DOCS["pulls"],
            "pull": "https://docs.github.com/rest/pulls/pulls#get-a-pull-request",
            "reviews": LIST_DOCS["reviews"],
            "review": "https://docs.github.com/rest/pulls/reviews#get-a-review-for-a-pull-request",
            "issues": LIST_DOCS["issues"],
            "issue": "https://docs.github.com/rest/issues/issues#get-an-issue",
            "timeline": LIST_DOCS["timeline"],
            "requested_reviewers": "https://docs.github.com/rest/pulls/review-requests"
            "#get-all-requested-reviewers-for-a-pull-request",
        }.get(route.kind, DOCS)

    # ---- parameter validation and pagination ---------------------------------------------

    @staticmethod
    def _choice(
        req: Request, name: str, allowed: tuple[str, ...], default: str, resource: str, docs: str
    ) -> str | Result:
        value = req.arg(name)
        if value is None or value == "":
            return default
        if value not in allowed:
            return Result(422, dumps(validation_failed(resource, name, value, docs)), cacheable=False)
        return value

    @staticmethod
    def _paging(req: Request, resource: str, docs: str) -> tuple[int, int] | Result:
        out = []
        for name, default in (("page", 1), ("per_page", 30)):
            raw = req.arg(name)
            if raw is None or raw == "":
                out.append(default)
                continue
            try:
                value = int(raw)
            except ValueError:
                return Result(422, dumps(validation_failed(resource, name, raw, docs)), cacheable=False)
            # GitHub clamps per_page to 100 and treats page 0 as page 1.
            value = max(1, value) if name == "page" else (default if value < 1 else min(value, 100))
            out.append(value)
        return out[0], out[1]

    def _page(
        self,
        req: Request,
        route: Route,
        repo: Repo,
        items: list[Any],
        page: int,
        per_page: int,
        render: Callable[[Any], str],
    ) -> Result:
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        text = "[" + ",".join(render(i) for i in chunk) + "]"
        base = f"{req.origin}/repositories/{repo.id}{route.params['suffix']}"
        link = self._link(base, req.query, page, last) if items else None
        return Result(200, text, link=link)

    @staticmethod
    def _link(base: str, query: list[tuple[str, str]], page: int, last: int) -> str | None:
        """GitHub's Link header: absolute ``/repositories/{id}`` URLs, rels prev, next, last, first.

        The original query parameters keep their order; ``page`` is replaced in place or appended.
        """
        if last <= 1 and page <= 1:
            return None

        def url(p: int) -> str:
            pairs: list[tuple[str, str]] = []
            placed = False
            for k, v in query:
                if k == "page":
                    if not placed:
                        pairs.append(("page", str(p)))
                        placed = True
                    continue
                pairs.append((k, v))
            if not placed:
                pairs.append(("page", str(p)))
            return f"<{base}?{urlencode(pairs)}>"

        parts = []
        if page > 1:
            parts.append(f'{url(page - 1)}; rel="prev"')
        if page < last:
            parts.append(f'{url(page + 1)}; rel="next"')
            parts.append(f'{url(last)}; rel="last"')
        if page > 1:
            parts.append(f'{url(1)}; rel="first"')
        return ", ".join(parts) or None

    # ---- REST handlers (world lock held) -------------------------------------------------

    def _h_repo(self, req: Request, route: Route, repo: Repo) -> Result:
        return Result(200, dumps(full_repository(repo, viewer_can_push=True)), last_modified=repo.updated_at)

    def _h_pulls(self, req: Request, route: Route, repo: Repo) -> Result:
        docs = LIST_DOCS["pulls"]
        state = self._choice(req, "state", PULL_STATES, "open", "PullRequest", docs)
        sort = self._choice(req, "sort", PULL_SORTS, "created", "PullRequest", docs)
        if isinstance(state, Result):
            return state
        if isinstance(sort, Result):
            return sort
        direction = self._choice(
            req, "direction", DIRECTIONS, "desc" if sort == "created" else "asc", "PullRequest", docs
        )
        if isinstance(direction, Result):
            return direction
        paging = self._paging(req, "PullRequest", docs)
        if isinstance(paging, Result):
            return paging
        items = self.world.list_pulls(repo, state, sort, direction)
        base, head = req.arg("base"), req.arg("head")
        if base:
            items = [p for p in items if p.base_ref == base]
        if head:
            owner, _, ref = head.rpartition(":")
            items = [
                p
                for p in items
                if p.head_ref == ref
                and (
                    not owner or owner.lower() == (p.fork.owner.login if p.fork else repo.owner.login).lower()
                )
            ]
        return self._page(req, route, repo, items, *paging, lambda p: self.renderer.pull_simple(repo, p))

    def _pull_or_404(self, route: Route, repo: Repo) -> PullRequest | Result:
        pr = repo.pulls.get(int(route.params["number"]))
        if pr is None:
            return Result(404, dumps(error_body("Not Found", self._docs_for(route))), cacheable=False)
        return pr

    def _h_pull(self, req: Request, route: Route, repo: Repo) -> Result:
        pr = self._pull_or_404(route, repo)
        if isinstance(pr, Result):
            return pr
        return Result(200, self.renderer.pull_full(repo, pr), last_modified=pr.updated_at)

    def _h_requested_reviewers(self, req: Request, route: Route, repo: Repo) -> Result:
        """``GET /pulls/{n}/requested_reviewers``: ``{"users": [...], "teams": [...]}`` (pending)."""
        pr = self._pull_or_404(route, repo)
        if isinstance(pr, Result):
            return pr
        body = {
            "users": [user(a) for a in pr.requested_reviewers],
            "teams": [team(t) for t in pr.requested_teams],
        }
        return Result(200, dumps(body))

    def _h_reviews(self, req: Request, route: Route, repo: Repo) -> Result:
        pr = self._pull_or_404(route, repo)
        if isinstance(pr, Result):
            return pr
        paging = self._paging(req, "PullRequestReview", LIST_DOCS["reviews"])
        if isinstance(paging, Result):
            return paging
        reviews = sorted(pr.reviews, key=lambda r: r.id)
        return self._page(req, route, repo, reviews, *paging, lambda r: self.renderer.review(repo, pr, r))

    def _h_review(self, req: Request, route: Route, repo: Repo) -> Result:
        pr = self._pull_or_404(route, repo)
        if isinstance(pr, Result):
            return pr
        rid = int(route.params["review_id"])
        review = next((r for r in pr.reviews if r.id == rid), None)
        if review is None:
            return Result(404, dumps(error_body("Not Found", self._docs_for(route))), cacheable=False)
        return Result(200, self.renderer.review(repo, pr, review))

    def _h_issues(self, req: Request, route: Route, repo: Repo) -> Result:
        docs = LIST_DOCS["issues"]
        state = self._choice(req, "state", PULL_STATES, "open", "Issue", docs)
        sort = self._choice(req, "sort", ISSUE_SORTS, "created", "Issue", docs)
        direction = self._choice(req, "direction", DIRECTIONS, "desc", "Issue", docs)
        for choice in (state, sort, direction):
            if isinstance(choice, Result):
                return choice
        assert isinstance(state, str) and isinstance(sort, str) and isinstance(direction, str)
        since = None
        raw_since = req.arg("since")
        if raw_since:
            try:
                since = parse_iso(raw_since)
            except ValueError:
                return Result(
                    422, dumps(validation_failed("Issue", "since", raw_since, docs)), cacheable=False
                )
        paging = self._paging(req, "Issue", docs)
        if isinstance(paging, Result):
            return paging
        items = self.world.list_issues(repo, state, sort, direction, since)
        return self._page(req, route, repo, items, *paging, lambda i: self.renderer.issue(repo, i))

    def _h_issue(self, req: Request, route: Route, repo: Repo) -> Result:
        item = self.world.item(repo, int(route.params["number"]))
        if item is None:
            return Result(404, dumps(error_body("Not Found", self._docs_for(route))), cacheable=False)
        return Result(200, self.renderer.issue(repo, item), last_modified=item.updated_at)

    def _h_timeline(self, req: Request, route: Route, repo: Repo) -> Result:
        """``GET /issues/{n}/timeline``: a pull request's events, comments, commits and reviews."""
        number = int(route.params["number"])
        item = self.world.item(repo, number)
        if item is None:
            return Result(404, dumps(error_body("Not Found", self._docs_for(route))), cacheable=False)
        paging = self._paging(req, "Issue", LIST_DOCS["timeline"])
        if isinstance(paging, Result):
            return paging
        if not isinstance(item, PullRequest):
            return self._page(req, route, repo, [], *paging, lambda e: "")
        pr = item
        nxt = _wants_next_ids(req)
        entries = timeline_entries(repo, pr)
        return self._page(
            req, route, repo, entries, *paging, lambda e: timeline_item(self.renderer, repo, pr, e, nxt)
        )

    def _h_user(self, auth: TokenInfo) -> Result:
        if auth.kind == "installation":
            body = error_body(
                "Resource not accessible by integration",
                "https://docs.github.com/rest/users/users#get-the-authenticated-user",
            )
            return Result(403, dumps(body), cacheable=False)
        with self.world.lock:
            acc = self.world.account(auth.login)
            body = user(acc) or {}
            body.update(
                {
                    "name": acc.login,
                    "company": None,
                    "blog": "",
                    "location": None,
                    "email": None,
                    "hireable": None,
                    "bio": None,
                    "twitter_username": None,
                    "notification_email": None,
                    "public_repos": 0,
                    "public_gists": 0,
                    "followers": 0,
                    "following": 0,
                    "created_at": "2020-01-01T00:00:00Z",
                    "updated_at": "2025-06-01T00:00:00Z",
                }
            )
        return Result(200, dumps(body))

    def _h_owner_repos(self, req: Request, route: Route, auth: TokenInfo) -> Result:
        """``GET /orgs/{org}/repos`` and ``GET /users/{username}/repos``: the owner's repositories
        (``type=forks``/``sources`` filter forks), sorted by full name, paginated with ``Link``.
        An organisation's route answers 404 for a user and vice versa, as GitHub does."""
        login = route.params["login"].lower()
        is_org = route.template.startswith("GET /orgs/")
        paging = self._paging(
            req, "Repository", "https://docs.github.com/rest/repos/repos#list-organization-repositories"
        )
        if isinstance(paging, Result):
            return paging
        page, per_page = paging
        kind = dict(req.query).get("type", "all")
        with self.world.lock:
            account = self.world.accounts.get(login)
            if account is None or (account.type == "Organization") != is_org:
                return Result(404, dumps(error_body("Not Found")), cacheable=False)
            repos = [
                r for r in self.world.repos.values()
                if r.owner.login.lower() == login and self._visible(r, auth)
                and (kind != "forks" or r.fork) and (kind != "sources" or not r.fork)
            ]  # fmt: skip
            repos.sort(key=lambda r: r.full_name.lower())
            last = max(1, -(-len(repos) // per_page))
            chunk = repos[(page - 1) * per_page : page * per_page]
            text = "[" + ",".join(self.renderer.repo_json(r) for r in chunk) + "]"
        base = f"{req.origin}{'/orgs' if is_org else '/users'}/{route.params['login']}/repos"
        return Result(200, text, link=self._link(base, req.query, page, last) if repos else None)

    def _h_installation_repos(self, req: Request, auth: TokenInfo) -> Result:
        if auth.kind != "installation":
            body = error_body(
                "You must authenticate with an installation access token in order to list repositories "
                "for an installation.",
                "https://docs.github.com/rest/apps/installations"
                "#list-repositories-accessible-to-the-app-installation",
            )
            return Result(403, dumps(body), cacheable=False)
        with self.world.lock:
            repos = [r for r in self.world.repos.values() if self._visible(r, auth)]
            repos.sort(key=lambda r: r.id)
            text = dumps(
                {
                    "total_count": len(repos),
                    "repository_selection": "all" if auth.repository_ids is None else "selected",
                    "repositories": [json.loads(self.renderer.repo_json(r)) for r in repos],
                }
            )
        return Result(200, text)

    def _rate_limit_payload(self, key: str) -> dict[str, Any]:
        resources = {}
        for name in RATE_RESOURCES:
            b = self.rates.bucket(key, name)
            resources[name] = {"limit": b.limit, "used": b.used, "remaining": b.remaining, "reset": b.reset}
        return {"resources": resources, "rate": dict(resources["core"])}

    # ---- GraphQL ------------------------------------------------------------------------

    def _serve_graphql(self, req: Request, auth: TokenInfo, request_id: str) -> Response:
        def answer(status: int, body: Any) -> Response:
            headers = self._base_headers(request_id)
            headers = [(k, "github.v4; format=json" if k == "X-GitHub-Media-Type" else v) for k, v in headers]
            headers.append(("Vary", VARY_ERR))
            with self._state:
                headers += self._rate_headers(auth.token, "graphql")
            return Response(status, dumps(body).encode(), headers)

        try:
            payload = json.loads(req.body or b"null")
        except ValueError:
            return answer(400, error_body("Problems parsing JSON", GRAPHQL_DOCS))
        prepared = self.graphql.prepare(payload)
        if not isinstance(prepared, Prepared):
            return answer(200, prepared)
        with self._state:
            self.statistics.graphql_queries += 1
            threshold = self.faults.graphql_node_threshold
            if threshold is not None and prepared.cost.nodes > threshold:
                self.statistics.faults["graphql_timeout"] += 1
                timeout = {
                    "data": None,
                    "errors": [
                        {
                            "message": "Something went wrong while executing your query. This may be the "
                            "result of a timeout, or it could be a GitHub bug. Please include "
                            f"`{request_id}` when reporting this issue."
                        }
                    ],
                }
                timed_out = True
            else:
                timed_out = False
            bucket = self.rates.bucket(auth.token, "graphql")
            points = prepared.cost.points
            limited = not timed_out and bucket.remaining < points
            if not timed_out and not limited:
                bucket.used += points
                self.statistics.points["graphql"] += points
            snapshot = RateSnapshot(
                points,
                bucket.limit,
                bucket.remaining,
                bucket.used,
                datetime.fromtimestamp(bucket.reset, UTC),
                prepared.cost.nodes,
            )
        if timed_out:
            return answer(502, timeout)
        if limited:
            wording = "already exceeded" if bucket.remaining == 0 else "exceeded"
            body = {
                "errors": [
                    {
                        "type": "RATE_LIMITED",
                        "code": "graphql_rate_limit",
                        "message": f"API rate limit {wording} for {auth.subject()}.",
                    }
                ]
            }
            return answer(200, body)
        with self.world.lock:
            viewer = Viewer(
                self.world.account(auth.login, "Bot" if auth.kind == "installation" else "User"),
                auth.owner if auth.kind == "installation" else None,
                auth.repository_ids,
            )
            body = self.graphql.run(prepared, Ctx(self.world, viewer, snapshot))
            if _wants_next_ids(req):
                return answer(200, json.loads(next_format_ids(dumps(body), self.world)))
        return answer(200, body)

    # ---- GitHub App endpoints ------------------------------------------------------------

    def _serve_app(self, req: Request, route: Route, request_id: str) -> Response:
        cred = self._credential(req)
        if cred is None or cred[0] != "bearer" or cred[1].count(".") != 2:
            msg = "A JSON web token could not be decoded"
            if cred is None:
                msg = "You must authenticate with a JSON web token (JWT) to access this endpoint."
            return self._json(401, error_body(msg, DOCS), request_id)
        with self._state:
            try:
                app = self.apps.verify(cred[1])
            except JWTRejected as exc:
                return self._json(401, error_body(str(exc), DOCS), request_id)
            status, body = self._app_route(req, route, app)
        text = dumps(body).replace(API_PLACEHOLDER, req.origin).encode()
        headers = self._base_headers(request_id) + [("Vary", VARY_OK if status < 300 else VARY_ERR)]
        if status == 200:
            headers += [("Cache-Control", "private, max-age=60, s-maxage=60"), ("ETag", weak_etag(text))]
        return Response(status, text, headers)

    def _app_route(self, req: Request, route: Route, app: App) -> tuple[int, Any]:
        """App endpoints (state lock held)."""
        installs = [i for i in self.apps.installations.values() if i.app is app]
        not_found = error_body("Not Found", DOCS)
        if route.kind == "app":
            return 200, app.payload(len(installs))
        if route.kind == "app_installations":
            return 200, [i.payload() for i in sorted(installs, key=lambda i: i.id)]
        if route.kind in ("app_installation", "access_token"):
            inst = self.apps.installations.get(int(route.params["installation_id"]))
            if inst is None or inst.app is not app:
                return 404, not_found
            if route.kind == "app_installation":
                return 200, inst.payload()
            token = new_installation_token()
            expires = token_expiry(self.apps.token_ttl)
            self.tokens[token] = TokenInfo(
                token,
                app.bot.login,
                app.bot.id,
                kind="installation",
                installation_id=inst.id,
                owner=inst.account.login.lower(),
                repository_ids=inst.repository_ids,
                expires_at=expires,
                scopes="",
            )
            body: dict[str, Any] = {
                "token": token,
                "expires_at": iso(expires),
                "permissions": app.permissions,
                "repository_selection": inst.repository_selection,
            }
            return 201, body
        # installation lookups by owner
        if route.kind == "repo_installation":
            with self.world.lock:
                if "repo_id" in route.params:
                    repo = self.world.repo_by_id(int(route.params["repo_id"]))
                else:
                    repo, _ = self.world.find_repo(
                        unquote(route.params["owner"]), unquote(route.params["repo"])
                    )
                login = repo.owner.login if repo is not None else None
                inst = self.apps.for_owner(app, login) if login else None
                if (
                    inst is not None
                    and repo is not None
                    and inst.repository_ids is not None
                    and repo.id not in inst.repository_ids
                ):
                    inst = None
        else:
            inst = self.apps.for_owner(app, unquote(route.params["login"]))
        if inst is None:
            return 404, not_found
        return 200, inst.payload()

    # ================================================================ control API (HTTP)

    CONTROL_GET = ("health", "repos", "truth", "stats", "triggers", "rate_limit_status")
    CONTROL_POST = (
        "reset_stats",
        "mutate",
        *World.MUTATIONS,
        "reset_world",
        "add_token",
        "revoke_token",
        "set_rate_limit",
        "set_latency",
        "set_error_rate",
        "script_responses",
        "fail_next",
        "inject_secondary_rate_limit",
        "set_graphql_timeout",
        "clear_faults",
        "add_trigger",
        "register_app",
        "install_app",
        "set_installation_token_ttl",
    )

    def health(self) -> dict[str, Any]:
        return {"ok": True, "scenario": str(self.scenario), "seed": self.seed, "token": self.token}

    def control(self, method: str, path: str, query: list[tuple[str, str]], body: bytes) -> Response:
        """Serve ``/_simulator/<op>``: GET ops take query parameters, POST ops a JSON object."""
        op = path.removeprefix("/_simulator").strip("/")
        rid = self._request_id()
        if op == "":
            listing = {"get": list(self.CONTROL_GET), "post": list(self.CONTROL_POST)}
            return self._json(200, listing, rid)
        allowed = self.CONTROL_GET if method == "GET" else self.CONTROL_POST if method == "POST" else ()
        if op not in allowed:
            return self._json(404, error_body(f"Unknown control operation {method} {op}"), rid)
        kwargs: dict[str, Any]
        if method == "GET":
            kwargs = {k: v for k, v in query}
        else:
            try:
                parsed = json.loads(body or b"{}")
            except ValueError:
                return self._json(400, error_body("Problems parsing JSON"), rid)
            if not isinstance(parsed, dict):
                return self._json(400, error_body("Body must be a JSON object"), rid)
            kwargs = parsed
        try:
            result = getattr(self, op)(**kwargs)
        except NotFound as exc:
            return self._json(404, error_body(str(exc)), rid)
        except (SimulatorError, ValueError, TypeError, KeyError) as exc:
            return self._json(422, error_body(str(exc)), rid)
        return self._json(200, {"result": jsonable(result)}, rid)
