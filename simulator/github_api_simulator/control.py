"""A small HTTP client for the simulator's control API, for out-of-process users.

Method names and arguments match :class:`~github_api_simulator.GitHubSimulator`'s, so code can
drive an in-process simulator or one started with ``python -m github_api_simulator`` alike.
Timestamps come back as ISO ``Z`` strings (not datetimes).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode


class ControlError(RuntimeError):
    """The control API refused an operation; ``status`` is the HTTP status (404, 422...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class SimulatorControl:
    """Drive a running simulator over HTTP (``/_simulator/...``; no auth needed)."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, op: str, params: dict[str, Any] | None = None) -> Any:
        params = (
            {k: v for k, v in (params or {}).items() if v is not None} if method == "GET" else params or {}
        )
        target = f"{self.url}/_simulator/{op}"
        data = None
        headers = {"Accept": "application/json"}
        if method == "GET":
            if params:
                target += "?" + urlencode(params)
        else:
            data = json.dumps(params).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(target, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                payload = json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("message", "")
            except ValueError:
                message = exc.reason
            raise ControlError(exc.code, str(message)) from exc
        if op == "" or not isinstance(payload, dict):
            return payload
        return payload.get("result")

    # ---- reading ------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._call("GET", "health")

    def repos(self) -> list[str]:
        return self._call("GET", "repos")

    def truth(self, repo: str) -> dict[str, Any]:
        return self._call("GET", "truth", {"repo": repo})

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "stats")

    def triggers(self) -> list[dict[str, Any]]:
        return self._call("GET", "triggers")

    def rate_limit_status(self, token: str | None = None) -> dict[str, Any]:
        return self._call("GET", "rate_limit_status", {"token": token})

    def reset_stats(self) -> None:
        self._call("POST", "reset_stats")

    # ---- mutations ----------------------------------------------------------------------

    def mutate(self, op: str, **kwargs: Any) -> dict[str, Any]:
        return self._call("POST", "mutate", {"op": op, **kwargs})

    def update_pull(
        self, repo: str, number: int, title: str | None = None, body: str | None = None
    ) -> dict[str, Any]:
        return self._call(
            "POST", "update_pull", {"repo": repo, "number": number, "title": title, "body": body}
        )

    def open_pull(
        self, repo: str, title: str = "New pull request", author: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        return self._call("POST", "open_pull", {"repo": repo, "title": title, "author": author, **kw})

    def close_pull(self, repo: str, number: int, by: str | None = None) -> dict[str, Any]:
        return self._call("POST", "close_pull", {"repo": repo, "number": number, "by": by})

    def reopen_pull(self, repo: str, number: int, by: str | None = None) -> dict[str, Any]:
        return self._call("POST", "reopen_pull", {"repo": repo, "number": number, "by": by})

    def merge_pull(self, repo: str, number: int, merged_by: str | None = None) -> dict[str, Any]:
        return self._call("POST", "merge_pull", {"repo": repo, "number": number, "merged_by": merged_by})

    def add_review(
        self, repo: str, number: int, state: str = "APPROVED", author: str | None = None, body: str = ""
    ) -> dict[str, Any]:
        args = {"repo": repo, "number": number, "state": state, "author": author, "body": body}
        return self._call("POST", "add_review", args)

    def dismiss_review(self, repo: str, number: int, review_id: int, touch_pr: bool = True) -> dict[str, Any]:
        args = {"repo": repo, "number": number, "review_id": review_id, "touch_pr": touch_pr}
        return self._call("POST", "dismiss_review", args)

    def request_review(
        self,
        repo: str,
        number: int,
        reviewer: str | None = None,
        team: str | None = None,
        by: str | None = None,
    ) -> dict[str, Any]:
        args = {"repo": repo, "number": number, "reviewer": reviewer, "team": team, "by": by}
        return self._call("POST", "request_review", args)

    def remove_review_request(
        self,
        repo: str,
        number: int,
        reviewer: str | None = None,
        team: str | None = None,
        by: str | None = None,
    ) -> dict[str, Any]:
        args = {"repo": repo, "number": number, "reviewer": reviewer, "team": team, "by": by}
        return self._call("POST", "remove_review_request", args)

    def add_label(self, repo: str, number: int, label: str, by: str | None = None) -> dict[str, Any]:
        return self._call("POST", "add_label", {"repo": repo, "number": number, "label": label, "by": by})

    def remove_label(self, repo: str, number: int, label: str, by: str | None = None) -> dict[str, Any]:
        return self._call("POST", "remove_label", {"repo": repo, "number": number, "label": label, "by": by})

    def assign(self, repo: str, number: int, assignee: str, by: str | None = None) -> dict[str, Any]:
        return self._call("POST", "assign", {"repo": repo, "number": number, "assignee": assignee, "by": by})

    def mark_ready_for_review(self, repo: str, number: int, by: str | None = None) -> dict[str, Any]:
        return self._call("POST", "mark_ready_for_review", {"repo": repo, "number": number, "by": by})

    def convert_to_draft(self, repo: str, number: int, by: str | None = None) -> dict[str, Any]:
        return self._call("POST", "convert_to_draft", {"repo": repo, "number": number, "by": by})

    def push_commits(self, repo: str, number: int, **kw: Any) -> dict[str, Any]:
        return self._call("POST", "push_commits", {"repo": repo, "number": number, **kw})

    def add_comment(self, repo: str, number: int) -> dict[str, Any]:
        return self._call("POST", "add_comment", {"repo": repo, "number": number})

    def update_issue(self, repo: str, number: int, **kw: Any) -> dict[str, Any]:
        return self._call("POST", "update_issue", {"repo": repo, "number": number, **kw})

    def open_issue(self, repo: str, title: str = "New issue", author: str | None = None) -> dict[str, Any]:
        return self._call("POST", "open_issue", {"repo": repo, "title": title, "author": author})

    def rename_repo(self, repo: str, new_name: str, new_owner: str | None = None) -> dict[str, Any]:
        return self._call("POST", "rename_repo", {"repo": repo, "new_name": new_name, "new_owner": new_owner})

    def delete_repo(self, repo: str) -> dict[str, Any]:
        return self._call("POST", "delete_repo", {"repo": repo})

    def mutate_repo(
        self,
        repo: str,
        seed: int = 0,
        updated_fraction: float = 0.05,
        new_prs: int = 3,
        new_reviews: int = 10,
        dismissals: int = 2,
    ) -> dict[str, Any]:
        args = {
            "repo": repo,
            "seed": seed,
            "updated_fraction": updated_fraction,
            "new_prs": new_prs,
            "new_reviews": new_reviews,
            "dismissals": dismissals,
        }
        return self._call("POST", "mutate_repo", args)

    def reset_world(self, scenario: str | None = None, seed: int | None = None) -> dict[str, Any]:
        return self._call("POST", "reset_world", {"scenario": scenario, "seed": seed})

    # ---- credentials and limits ---------------------------------------------------------

    def add_token(self, token: str, login: str | None = None, user_id: int | None = None) -> dict[str, Any]:
        return self._call("POST", "add_token", {"token": token, "login": login, "user_id": user_id})

    def revoke_token(self, token: str) -> dict[str, Any]:
        return self._call("POST", "revoke_token", {"token": token})

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
        args = {
            "resource": resource,
            "limit": limit,
            "remaining": remaining,
            "reset_in": reset_in,
            "token": token,
            "window_seconds": window_seconds,
            "exhausted_status": exhausted_status,
        }
        return self._call("POST", "set_rate_limit", args)

    # ---- faults and triggers ------------------------------------------------------------

    def set_latency(self, ms: float) -> None:
        self._call("POST", "set_latency", {"ms": ms})

    def set_error_rate(
        self, rate: float, statuses: list[int] | None = None, seed: int = 0, match: str = "*"
    ) -> None:
        self._call(
            "POST", "set_error_rate", {"rate": rate, "statuses": statuses, "seed": seed, "match": match}
        )

    def script_responses(self, match: str, responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._call("POST", "script_responses", {"match": match, "responses": responses})

    def fail_next(self, match: str = "*", status: int = 503, times: int = 1) -> list[dict[str, Any]]:
        return self._call("POST", "fail_next", {"match": match, "status": status, "times": times})

    def inject_secondary_rate_limit(
        self, match: str = "*", retry_after: int | None = 60, times: int = 1, status: int = 403
    ) -> list[dict[str, Any]]:
        args = {"match": match, "retry_after": retry_after, "times": times, "status": status}
        return self._call("POST", "inject_secondary_rate_limit", args)

    def set_graphql_timeout(self, node_threshold: int | None) -> None:
        self._call("POST", "set_graphql_timeout", {"node_threshold": node_threshold})

    def clear_faults(self) -> None:
        self._call("POST", "clear_faults")

    def add_trigger(
        self, match: str, after: int, op: str, args: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return self._call(
            "POST", "add_trigger", {"match": match, "after": after, "op": op, "args": args or {}}
        )

    # ---- GitHub Apps --------------------------------------------------------------------

    def register_app(
        self,
        app_id: int = 1001,
        private_key: str | None = None,
        public_key: str | None = None,
        slug: str = "prsync-sim-app",
        name: str | None = None,
        owner: str = "Acme",
    ) -> dict[str, Any]:
        args = {
            "app_id": app_id,
            "private_key": private_key,
            "public_key": public_key,
            "slug": slug,
            "name": name,
            "owner": owner,
        }
        return self._call("POST", "register_app", args)

    def install_app(
        self,
        app_id: int,
        owner: str,
        installation_id: int | None = None,
        repositories: list[str] | None = None,
    ) -> dict[str, Any]:
        args = {
            "app_id": app_id,
            "owner": owner,
            "installation_id": installation_id,
            "repositories": repositories,
        }
        return self._call("POST", "install_app", args)

    def set_installation_token_ttl(self, seconds: float) -> None:
        self._call("POST", "set_installation_token_ttl", {"seconds": seconds})
