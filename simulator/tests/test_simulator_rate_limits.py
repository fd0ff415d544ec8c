"""Primary and secondary rate limits, as PyGithub's own GithubRetry experiences them."""

from __future__ import annotations

import time

import pytest
import requests
from github import GithubException, GithubRetry, RateLimitExceededException
from github_api_simulator import GitHubSimulator
from github_api_simulator.pytest_plugin import make_github


def _get(sim: GitHubSimulator, path: str, token: str | None = None) -> requests.Response:
    return requests.get(sim.url + path, headers={"Authorization": f"token {token or sim.token}"}, timeout=10)


def test_github_retry_waits_out_primary_rate_limit(simulator: GitHubSimulator) -> None:
    gh = make_github(simulator)
    gh.get_repo("Acme/Widgets")
    simulator.set_rate_limit("core", remaining=0, reset_in=2)
    refused = _get(simulator, "/repos/Acme/Widgets")
    assert refused.status_code == 403
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    reset = int(refused.headers["X-RateLimit-Reset"])
    assert 0 < reset - time.time() <= 2.5
    assert refused.json() == {
        "message": "API rate limit exceeded for user ID 1.",
        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
    }
    simulator.reset_stats()
    started = time.monotonic()
    repo = gh.get_repo("Acme/Widgets")  # GithubRetry sleeps until X-RateLimit-Reset (+1 s)
    elapsed = time.monotonic() - started
    assert repo.full_name == "Acme/Widgets"
    assert elapsed >= 1.0
    stats = simulator.stats()
    assert stats["by_status"] == {"403": 1, "200": 1}
    status = simulator.rate_limit_status()["resources"]["core"]
    assert status["used"] == 1 and status["remaining"] == status["limit"] - 1, "budget refilled after reset"
    gh.close()


def test_github_retry_honours_retry_after_of_secondary_limit(simulator: GitHubSimulator) -> None:
    gh = make_github(simulator)
    simulator.inject_secondary_rate_limit(match="GET /repos/*", retry_after=1)
    started = time.monotonic()
    repo = gh.get_repo("Acme/Widgets")
    elapsed = time.monotonic() - started
    assert repo.name == "Widgets"
    assert elapsed >= 0.9
    stats = simulator.stats()
    assert stats["by_status"] == {"403": 1, "200": 1}
    assert stats["faults_by_kind"] == {"secondary_rate_limit": 1}
    gh.close()


def test_secondary_limit_without_retry_after_uses_secondary_rate_wait(simulator: GitHubSimulator) -> None:
    gh = make_github(simulator, retry=GithubRetry(secondary_rate_wait=1.5))
    simulator.inject_secondary_rate_limit(match="*", retry_after=None)
    raw = _get(simulator, "/repos/Acme/Widgets")
    assert raw.status_code == 403 and "Retry-After" not in raw.headers
    assert not any(h.lower().startswith("x-ratelimit") for h in raw.headers)
    assert raw.json()["message"].startswith("You have exceeded a secondary rate limit.")
    simulator.inject_secondary_rate_limit(match="*", retry_after=None)
    started = time.monotonic()
    assert gh.get_repo("Acme/Widgets").name == "Widgets"
    assert time.monotonic() - started >= 1.4
    gh.close()


def test_exhausted_status_can_be_429(simulator: GitHubSimulator) -> None:
    simulator.set_rate_limit("core", remaining=0, reset_in=60, exhausted_status=429)
    raw = _get(simulator, "/repos/Acme/Widgets")
    assert raw.status_code == 429 and raw.headers["x-ratelimit-remaining"] == "0"
    gh = make_github(simulator, retry=None)
    # PyGithub 2.10 maps only 403 + rate-limit message to RateLimitExceededException; a 429 is a
    # plain GithubException (and GithubRetry does not retry 429s).
    with pytest.raises(GithubException) as info:
        gh.get_repo("Acme/Widgets")
    assert info.value.status == 429
    simulator.set_rate_limit("core", exhausted_status=403)
    with pytest.raises(RateLimitExceededException):
        gh.get_repo("Acme/Widgets")
    gh.close()


def test_budgets_are_per_token_and_rate_limit_endpoint_is_free(simulator: GitHubSimulator) -> None:
    simulator.add_token("ghp_other", login="Chen")
    for _ in range(3):
        assert _get(simulator, "/repos/Acme/Widgets").status_code == 200
    first = _get(simulator, "/rate_limit")
    second = _get(simulator, "/rate_limit")
    assert first.json()["resources"]["core"]["used"] == 3 == second.json()["rate"]["used"]
    assert second.headers["X-RateLimit-Used"] == "3" and second.headers["X-RateLimit-Resource"] == "core"
    other = _get(simulator, "/rate_limit", token="ghp_other").json()
    assert other["rate"]["used"] == 0
    ok = _get(simulator, "/repos/Acme/Widgets", token="ghp_other")
    assert ok.headers["X-RateLimit-Used"] == "1"
    assert int(ok.headers["X-RateLimit-Remaining"]) == 4999


def test_budget_refills_once_reset_passes(simulator: GitHubSimulator) -> None:
    simulator.set_rate_limit("core", limit=2, remaining=0, reset_in=1)
    assert _get(simulator, "/repos/Acme/Widgets").status_code == 403
    time.sleep(1.2)
    fresh = _get(simulator, "/repos/Acme/Widgets")
    assert fresh.status_code == 200
    assert (fresh.headers["X-RateLimit-Limit"], fresh.headers["X-RateLimit-Used"]) == ("2", "1")
    assert _get(simulator, "/repos/Acme/Widgets").status_code == 200
    assert _get(simulator, "/repos/Acme/Widgets").status_code == 403


def test_graphql_exhaustion_is_a_200_with_rate_limited_error(simulator: GitHubSimulator) -> None:
    simulator.set_rate_limit("graphql", remaining=0, reset_in=60)
    r = requests.post(
        simulator.url + "/graphql",
        json={"query": "{ viewer { login } }"},
        headers={"Authorization": f"bearer {simulator.token}"},
        timeout=10,
    )
    assert r.status_code == 200
    assert r.json() == {
        "errors": [
            {
                "type": "RATE_LIMITED",
                "code": "graphql_rate_limit",
                "message": "API rate limit already exceeded for user ID 1.",
            }
        ]
    }
    assert r.headers["X-RateLimit-Resource"] == "graphql" and r.headers["X-RateLimit-Remaining"] == "0"
    assert _get(simulator, "/repos/Acme/Widgets").status_code == 200, "REST has its own budget"
