"""Server-side state that is not GitHub data: tokens, rate-limit budgets, faults, triggers, stats."""

from __future__ import annotations

import fnmatch
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from github_api_simulator.payloads import RATE_RESOURCES


@dataclass
class TokenInfo:
    """A credential the simulator accepts."""

    token: str
    login: str
    user_id: int
    kind: str = "user"  # "user" (personal access token) | "installation"
    installation_id: int | None = None
    owner: str | None = None  # installation account login, lower case
    repository_ids: frozenset[int] | None = None
    expires_at: datetime | None = None
    scopes: str = "repo, read:org"

    def subject(self) -> str:
        """How GitHub names the rate-limited party in its messages."""
        if self.kind == "installation":
            return f"installation ID {self.installation_id}"
        return f"user ID {self.user_id}"


@dataclass
class Bucket:
    """One rate-limit budget (per token, per resource)."""

    limit: int
    used: int
    reset: int  # epoch seconds

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


class RateLimiter:
    """Per-token, per-resource budgets that refill when their reset time passes."""

    def __init__(self, window_seconds: int = 3600, core_limit: int = 5000, graphql_limit: int = 5000) -> None:
        self.window = window_seconds
        self.limits = dict(RATE_RESOURCES)
        self.limits["core"] = core_limit
        self.limits["graphql"] = graphql_limit
        self.exhausted_status = 403
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def bucket(self, key: str, resource: str) -> Bucket:
        """The current budget, refilled (new window) if its reset time has passed."""
        now = int(time.time())
        found = self._buckets.get((key, resource))
        if found is None:
            found = Bucket(self.limits.get(resource, 5000), 0, now + self.window)
            self._buckets[(key, resource)] = found
        elif now >= found.reset:
            found.used = 0
            found.reset = now + self.window
        return found

    def charge(self, key: str, resource: str, points: int) -> Bucket:
        bucket = self.bucket(key, resource)
        bucket.used += points
        return bucket

    def configure(
        self,
        keys: list[str],
        resource: str = "core",
        limit: int | None = None,
        remaining: int | None = None,
        reset_in: float | None = None,
        window_seconds: int | None = None,
        exhausted_status: int | None = None,
    ) -> list[dict[str, Any]]:
        """Change limits/budgets for ``keys`` (tokens); returns the resulting budgets."""
        if window_seconds is not None:
            self.window = int(window_seconds)
        if exhausted_status is not None:
            if exhausted_status not in (403, 429):
                raise ValueError("exhausted_status must be 403 or 429")
            self.exhausted_status = exhausted_status
        if limit is not None:
            self.limits[resource] = int(limit)
        out = []
        for key in keys:
            b = self.bucket(key, resource)
            if limit is not None:
                b.limit = int(limit)
            if remaining is not None:
                b.used = max(0, b.limit - int(remaining))
            if reset_in is not None:
                b.reset = int(time.time() + reset_in)
            out.append({"resource": resource, "limit": b.limit, "remaining": b.remaining, "reset": b.reset})
        return out

    def reset(self) -> None:
        self._buckets.clear()


def route_matches(pattern: str, method: str, path: str, template: str) -> bool:
    """fnmatch ``pattern`` against ``"METHOD /path"`` and ``"METHOD /route/{template}"``.

    A pattern without a space matches the path (or template) whatever the method. Matching is
    case-insensitive and ``*`` also matches ``/``, so ``"GET */pulls"`` matches both
    ``/repos/acme/widgets/pulls`` and the ``/repositories/{id}/pulls`` pages GitHub links to.
    """
    pat = pattern.lower()
    route = template.split(" ", 1)[1] if " " in template else template
    if " " in pat:
        candidates = [f"{method} {path}".lower(), template.lower()]
    else:
        candidates = [path.lower(), route.lower()]
    return any(fnmatch.fnmatchcase(c, pat) for c in candidates)


@dataclass
class Scripted:
    """One injected answer. ``kind``: error | secondary_rate_limit | disconnect."""

    status: int = 503
    kind: str = "error"
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: int | None = None


class Faults:
    """Injectable failures: scripted answers, a seeded error rate, latency, GraphQL timeouts."""

    def __init__(self, latency_ms: float = 0.0) -> None:
        self.base_latency_ms = float(latency_ms)
        self.latency_ms = float(latency_ms)
        self.error_rate = 0.0
        self.error_statuses: list[int] = [502, 503]
        self.error_match = "*"
        self._rng = random.Random(0)
        self.scripts: list[tuple[str, deque[Scripted]]] = []
        self.graphql_node_threshold: int | None = None

    def clear(self) -> None:
        self.error_rate = 0.0
        self.scripts.clear()
        self.graphql_node_threshold = None
        self.latency_ms = self.base_latency_ms

    def set_error_rate(self, rate: float, statuses: list[int] | None, seed: int, match: str) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        self.error_rate = float(rate)
        self.error_statuses = list(statuses or [502, 503])
        self.error_match = match
        self._rng = random.Random(seed)

    def script(self, match: str, answers: list[Scripted]) -> None:
        self.scripts.append((match, deque(answers)))

    def take(self, method: str, path: str, template: str) -> Scripted | None:
        """The injected answer for this request, if any (scripts first, then the error rate)."""
        for pattern, queue in self.scripts:
            if queue and route_matches(pattern, method, path, template):
                answer = queue.popleft()
                self.scripts = [(p, q) for p, q in self.scripts if q]
                return answer
        if self.error_rate > 0 and route_matches(self.error_match, method, path, template):
            # One draw per matching request: the failure sequence is fixed by the seed.
            draw = self._rng.random()
            status = self._rng.choice(self.error_statuses)
            if draw < self.error_rate:
                return Scripted(status=status)
        return None

    def pending(self) -> list[dict[str, Any]]:
        return [{"match": p, "remaining": len(q)} for p, q in self.scripts]


@dataclass
class Trigger:
    """Apply ``op(**args)`` right after the ``after``-th request matching ``match`` is answered."""

    id: int
    match: str
    after: int
    op: str
    args: dict[str, Any]
    seen: int = 0
    fired: bool = False
    result: Any = None
    error: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "match": self.match,
            "after": self.after,
            "op": self.op,
            "args": self.args,
            "seen": self.seen,
            "fired": self.fired,
            "result": self.result,
            "error": self.error,
        }


class Stats:
    """Request statistics; every counter is resettable."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total = 0
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.by_route_status: dict[str, Counter[str]] = {}
        self.not_modified = 0
        self.points: Counter[str] = Counter({"core": 0, "graphql": 0})
        self.faults: Counter[str] = Counter()
        self.graphql_queries = 0

    def record(self, template: str, status: int) -> None:
        self.total += 1
        self.by_route[template] += 1
        self.by_status[str(status)] += 1
        self.by_route_status.setdefault(template, Counter())[str(status)] += 1
        if status == 304:
            self.not_modified += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "total_requests": self.total,
            "by_route": dict(self.by_route),
            "by_status": dict(self.by_status),
            "by_route_status": {k: dict(v) for k, v in self.by_route_status.items()},
            "not_modified": self.not_modified,
            "points_used": dict(self.points),
            "faults_injected": sum(self.faults.values()),
            "faults_by_kind": dict(self.faults),
            "graphql_queries": self.graphql_queries,
        }
