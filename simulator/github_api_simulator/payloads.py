"""REST JSON rendering, shaped key-for-key like GitHub's recorded responses.

Key order follows the most recent real recording of each kind (``pull.json`` 2026 for pulls,
``issues_list_paginated.json`` 2024 for issues, ``pull_review_approved.json`` for reviews).
Rendering is lazy and cached per object: each cached JSON string is keyed by the object's
version, and API URLs inside it use :data:`API_PLACEHOLDER`, which the server replaces with the
origin the client used. The repository object embedded in every pull request (``base.repo``
and usually ``head.repo``) is spliced in at assembly time from a per-repository cache, so a
change to the repository (e.g. ``open_issues_count``) does not invalidate every pull payload.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from github_api_simulator._util import API_PLACEHOLDER, HTML_ORIGIN, iso, node_id, sha1_hex
from github_api_simulator.model import (
    Account,
    Fork,
    Issue,
    Label,
    PullRequest,
    Repo,
    Review,
    Team,
    TimelineEvent,
    World,
)

API = API_PLACEHOLDER
DOCS = "https://docs.github.com/rest"
# A JSON string value that never occurs in real data; replaced by the embedded repository JSON.
_REPO_MARK = "\u0000simrepo\u0000"
_REPO_MARK_JSON = json.dumps(_REPO_MARK)


_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(value: Any) -> str:
    """Compact JSON like GitHub's (no spaces, UTF-8 kept).

    Unpaired surrogates (text a client may have stored on GitHub) cannot be encoded as UTF-8, so
    they are written as ``\\udXXX`` escapes, which is valid JSON and decodes back to the same text.
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if _SURROGATE.search(text):
        text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


# ---- global node ids: legacy vs next format ------------------------------------------------

_ACCOUNT_PREFIX = {"User": "U", "Bot": "BOT", "Organization": "O"}
_LEGACY_ID = re.compile(r'"(node_id|id)":"(MD[A-Za-z0-9+/]+={0,2})"')
_LEGACY_BODY = re.compile(r"0(\d+):")


def account_next_id(acc: Account) -> str:
    """An account's next-format id, e.g. ``U_kgDOADP9xw`` = prefix + msgpack([0, id])."""
    return node_id(_ACCOUNT_PREFIX.get(acc.type, "U"), acc.id)


def next_format_ids(text: str, world: World) -> str:
    """Rewrite legacy ids (accounts, teams) in a rendered payload to the next format.

    Serves ``X-Github-Next-Global-ID: 1``: legacy ids are base64 of ``"0<len>:<Type><id>"``
    (all start ``MD``); the next id of an account needs only its id, a team's also its org's id.
    """
    if '":"MD' not in text:
        return text
    cache = world.next_id_cache

    def convert(legacy: str) -> str:
        try:
            raw = base64.b64decode(legacy).decode()
        except (ValueError, UnicodeDecodeError):
            return legacy
        head = _LEGACY_BODY.match(raw)
        if head is None:
            return legacy
        size = int(head.group(1))
        kind = raw[head.end() : head.end() + size]
        ident = raw[head.end() + size :]
        if not ident.isdigit():
            return legacy
        if kind in _ACCOUNT_PREFIX:
            return node_id(_ACCOUNT_PREFIX[kind], int(ident))
        if kind == "Team":
            team = next((t for t in world.teams.values() if t.id == int(ident)), None)
            return team.next_node_id if team is not None else legacy
        return legacy

    def swap(m: re.Match[str]) -> str:
        legacy = m.group(2)
        new = cache.get(legacy)
        if new is None:
            new = cache[legacy] = convert(legacy)
        return f'"{m.group(1)}":"{new}"'

    return _LEGACY_ID.sub(swap, text)


def user(acc: Account | None) -> dict[str, Any] | None:
    """A simple-user object; None for deleted accounts (GitHub renders ``null``)."""
    if acc is None:
        return None
    path = quote(acc.login)
    if acc.type == "Bot":
        app = acc.login.removesuffix("[bot]")
        html = f"{HTML_ORIGIN}/apps/{app}"
        avatar = f"https://avatars.githubusercontent.com/in/{acc.id % 100000}?v=4"
    else:
        html = f"{HTML_ORIGIN}/{acc.login}"
        avatar = f"https://avatars.githubusercontent.com/u/{acc.id}?v=4"
    base = f"{API}/users/{path}"
    return {
        "login": acc.login,
        "id": acc.id,
        "node_id": acc.node_id,
        "avatar_url": avatar,
        "gravatar_id": "",
        "url": base,
        "html_url": html,
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": acc.type,
        "user_view_type": "public",
        "site_admin": acc.site_admin,
    }


def label(repo: Repo, lab: Label) -> dict[str, Any]:
    return {
        "id": lab.id,
        "node_id": lab.node_id,
        "url": f"{API}/repos/{repo.full_name}/labels/{quote(lab.name, errors='surrogatepass')}",
        "name": lab.name,
        "color": lab.color,
        "default": lab.default,
        "description": lab.description,
    }


def team(t: Team, nxt: bool = False, full: bool = False) -> dict[str, Any]:
    """A team object in the recordings' key order plus the keys today's schema adds.

    ``requested_teams`` items are team-simple (pull_requested_reviewers_and_team.json); a
    timeline ``requested_team`` is a full team with ``permissions`` (timeline_pr_team_review_request.json).
    """
    base = f"{API}/organizations/{t.org.id}/team/{t.id}"
    body: dict[str, Any] = {
        "name": t.name,
        "id": t.id,
        "node_id": t.next_node_id if nxt else t.legacy_node_id,
        "slug": t.slug,
        "description": t.description,
        "privacy": t.privacy,
        "url": base,
        "html_url": f"{HTML_ORIGIN}/orgs/{t.org.login}/teams/{t.slug}",
        "members_url": f"{base}/members{{/member}}",
        "repositories_url": f"{base}/repos",
        "permission": "pull",
    }
    if full:
        body["permissions"] = {
            "admin": False,
            "maintain": False,
            "push": False,
            "triage": False,
            "pull": True,
        }
    body.update(
        {
            "parent": None,
            "notification_setting": "notifications_enabled",
            "type": "organization",
            "organization_id": t.org.id,
        }
    )
    return body


def repository(
    repo_id: int,
    node: str,
    owner: Account,
    name: str,
    *,
    description: str | None,
    fork: bool,
    created_at: str | None,
    updated_at: str | None,
    pushed_at: str | None,
    language: str | None,
    topics: list[str],
    default_branch: str,
    private: bool,
    stargazers: int,
    forks_count: int,
    open_issues: int,
    archived: bool = False,
) -> dict[str, Any]:
    """The ``repository`` object (as embedded in pull ``head``/``base``), in GitHub's key order."""
    full = f"{owner.login}/{name}"
    base = f"{API}/repos/{full}"
    return {
        "id": repo_id,
        "node_id": node,
        "name": name,
        "full_name": full,
        "private": private,
        "owner": user(owner),
        "html_url": f"{HTML_ORIGIN}/{full}",
        "description": description,
        "fork": fork,
        "url": base,
        "forks_url": f"{base}/forks",
        "keys_url": f"{base}/keys{{/key_id}}",
        "collaborators_url": f"{base}/collaborators{{/collaborator}}",
        "teams_url": f"{base}/teams",
        "hooks_url": f"{base}/hooks",
        "issue_events_url": f"{base}/issues/events{{/number}}",
        "events_url": f"{base}/events",
        "assignees_url": f"{base}/assignees{{/user}}",
        "branches_url": f"{base}/branches{{/branch}}",
        "tags_url": f"{base}/tags",
        "blobs_url": f"{base}/git/blobs{{/sha}}",
        "git_tags_url": f"{base}/git/tags{{/sha}}",
        "git_refs_url": f"{base}/git/refs{{/sha}}",
        "trees_url": f"{base}/git/trees{{/sha}}",
        "statuses_url": f"{base}/statuses/{{sha}}",
        "languages_url": f"{base}/languages",
        "stargazers_url": f"{base}/stargazers",
        "contributors_url": f"{base}/contributors",
        "subscribers_url": f"{base}/subscribers",
        "subscription_url": f"{base}/subscription",
        "commits_url": f"{base}/commits{{/sha}}",
        "git_commits_url": f"{base}/git/commits{{/sha}}",
        "comments_url": f"{base}/comments{{/number}}",
        "issue_comment_url": f"{base}/issues/comments{{/number}}",
        "contents_url": f"{base}/contents/{{+path}}",
        "compare_url": f"{base}/compare/{{base}}...{{head}}",
        "merges_url": f"{base}/merges",
        "archive_url": f"{base}/{{archive_format}}{{/ref}}",
        "downloads_url": f"{base}/downloads",
        "issues_url": f"{base}/issues{{/number}}",
        "pulls_url": f"{base}/pulls{{/number}}",
        "milestones_url": f"{base}/milestones{{/number}}",
        "notifications_url": f"{base}/notifications{{?since,all,participating}}",
        "labels_url": f"{base}/labels{{/name}}",
        "releases_url": f"{base}/releases{{/id}}",
        "deployments_url": f"{base}/deployments",
        "created_at": created_at,
        "updated_at": updated_at,
        "pushed_at": pushed_at,
        "git_url": f"git://github.com/{full}.git",
        "ssh_url": f"git@github.com:{full}.git",
        "clone_url": f"{HTML_ORIGIN}/{full}.git",
        "svn_url": f"{HTML_ORIGIN}/{full}",
        "homepage": None,
        "size": 1024 + repo_id % 50_000,
        "stargazers_count": stargazers,
        "watchers_count": stargazers,
        "language": language,
        "has_issues": True,
        "has_projects": True,
        "has_downloads": True,
        "has_wiki": False,
        "has_pages": False,
        "has_discussions": False,
        "forks_count": forks_count,
        "mirror_url": None,
        "archived": archived,
        "disabled": False,
        "open_issues_count": open_issues,
        "license": None,
        "allow_forking": True,
        "is_template": False,
        "web_commit_signoff_required": False,
        "topics": topics,
        "visibility": "private" if private else "public",
        "forks": forks_count,
        "open_issues": open_issues,
        "watchers": stargazers,
        "default_branch": default_branch,
    }


def repo_object(repo: Repo) -> dict[str, Any]:
    """The embedded repository object for a simulated repository (live counts)."""
    return repository(
        repo.id,
        repo.node_id,
        repo.owner,
        repo.name,
        description=repo.description,
        fork=repo.fork,
        archived=repo.archived,
        created_at=iso(repo.created_at),
        updated_at=iso(repo.updated_at),
        pushed_at=iso(repo.pushed_at),
        language=repo.language,
        topics=repo.topics,
        default_branch=repo.default_branch,
        private=repo.private,
        stargazers=repo.stargazers,
        forks_count=repo.forks_count,
        open_issues=repo.open_issues_count,
    )


def fork_object(repo: Repo, fork: Fork) -> dict[str, Any]:
    """The head repository of a cross-repository pull request."""
    return repository(
        fork.id,
        fork.node_id,
        fork.owner,
        fork.name,
        description=repo.description,
        fork=True,
        created_at=iso(fork.created_at),
        updated_at=iso(fork.created_at),
        pushed_at=iso(fork.created_at),
        language=repo.language,
        topics=[],
        default_branch=repo.default_branch,
        private=False,
        stargazers=0,
        forks_count=0,
        open_issues=0,
    )


def full_repository(repo: Repo, viewer_can_push: bool) -> dict[str, Any]:
    """``GET /repos/{owner}/{repo}``: the repository object plus full-repository keys."""
    body = repo_object(repo)
    body["permissions"] = {
        "admin": False,
        "maintain": False,
        "push": viewer_can_push,
        "triage": viewer_can_push,
        "pull": True,
    }
    body["temp_clone_token"] = ""
    if repo.owner.type == "Organization":
        body["organization"] = user(repo.owner)
    body["network_count"] = repo.forks_count
    body["subscribers_count"] = max(1, repo.stargazers // 10)
    return body


def _links(repo: Repo, pr: PullRequest) -> dict[str, Any]:
    base = f"{API}/repos/{repo.full_name}"
    return {
        "self": {"href": f"{base}/pulls/{pr.number}"},
        "html": {"href": f"{repo.html_url}/pull/{pr.number}"},
        "issue": {"href": f"{base}/issues/{pr.number}"},
        "comments": {"href": f"{base}/issues/{pr.number}/comments"},
        "review_comments": {"href": f"{base}/pulls/{pr.number}/comments"},
        "review_comment": {"href": f"{base}/pulls/comments{{/number}}"},
        "commits": {"href": f"{base}/pulls/{pr.number}/commits"},
        "statuses": {"href": f"{base}/statuses/{pr.head_sha}"},
    }


def _mergeability(pr: PullRequest) -> tuple[bool | None, bool | None, str]:
    """Deterministic mergeable / rebaseable / mergeable_state (closed PRs: null, null, unknown)."""
    if pr.state != "open":
        return None, None, "unknown"
    if pr.draft:
        return True, True, "draft"
    bucket = pr.id % 5
    if bucket == 0:
        return False, False, "dirty"
    return True, True, ("clean", "blocked", "unstable", "clean")[bucket - 1]


class Renderer:
    """Caches rendered JSON per object version; all methods expect the world lock to be held."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._cache: dict[tuple[str, int], tuple[tuple[int, ...], str]] = {}

    def _cached(self, kind: str, ident: int, stamp: tuple[int, ...], build: Callable[[], Any]) -> str:
        hit = self._cache.get((kind, ident))
        if hit is not None and hit[0] == stamp:
            return hit[1]
        text = dumps(build())
        self._cache[(kind, ident)] = (stamp, text)
        return text

    def repo_json(self, repo: Repo) -> str:
        return self._cached("repo", repo.id, (repo.data_version,), lambda: repo_object(repo))

    def splice(self, repo: Repo, text: str) -> str:
        """Put the current embedded repository JSON where pull payloads reference it."""
        if _REPO_MARK_JSON in text:
            return text.replace(_REPO_MARK_JSON, self.repo_json(repo))
        return text

    def _pull_dict(self, repo: Repo, pr: PullRequest, full: bool) -> dict[str, Any]:
        base = f"{API}/repos/{repo.full_name}"
        number = pr.number
        if pr.head_repo_deleted:
            head: dict[str, Any] = {
                "label": None,
                "ref": pr.head_ref,
                "sha": pr.head_sha,
                "user": None,
                "repo": None,
            }
        elif pr.fork is not None:
            head = {
                "label": f"{pr.fork.owner.login}:{pr.head_ref}",
                "ref": pr.head_ref,
                "sha": pr.head_sha,
                "user": user(pr.fork.owner),
                "repo": fork_object(repo, pr.fork),
            }
        else:
            head = {
                "label": f"{repo.owner.login}:{pr.head_ref}",
                "ref": pr.head_ref,
                "sha": pr.head_sha,
                "user": user(repo.owner),
                "repo": _REPO_MARK,
            }
        body: dict[str, Any] = {
            "url": f"{base}/pulls/{number}",
            "id": pr.id,
            "node_id": pr.node_id,
            "html_url": f"{repo.html_url}/pull/{number}",
            "diff_url": f"{repo.html_url}/pull/{number}.diff",
            "patch_url": f"{repo.html_url}/pull/{number}.patch",
            "issue_url": f"{base}/issues/{number}",
            "number": number,
            "state": pr.state,
            "locked": pr.locked,
            "title": pr.title,
            "user": user(pr.author),
            "body": pr.body,
            "created_at": iso(pr.created_at),
            "updated_at": iso(pr.updated_at),
            "closed_at": iso(pr.closed_at),
            "merged_at": iso(pr.merged_at),
            "merge_commit_sha": pr.merge_commit_sha,
            "assignee": user(pr.assignee),
            "assignees": [user(a) for a in pr.assignees],
            "requested_reviewers": [user(a) for a in pr.requested_reviewers],
            "requested_teams": [team(t) for t in pr.requested_teams],
            "labels": [label(repo, lab) for lab in pr.labels],
            "milestone": None,
            "draft": pr.draft,
            "commits_url": f"{base}/pulls/{number}/commits",
            "review_comments_url": f"{base}/pulls/{number}/comments",
            "review_comment_url": f"{base}/pulls/comments{{/number}}",
            "comments_url": f"{base}/issues/{number}/comments",
            "statuses_url": f"{base}/statuses/{pr.head_sha}",
            "head": head,
            "base": {
                "label": f"{repo.owner.login}:{pr.base_ref}",
                "ref": pr.base_ref,
                "sha": pr.base_sha,
                "user": user(repo.owner),
                "repo": _REPO_MARK,
            },
            "_links": _links(repo, pr),
            "author_association": pr.author_association,
            "auto_merge": None,
            "active_lock_reason": None,
        }
        if full:
            mergeable, rebaseable, mergeable_state = _mergeability(pr)
            body.update(
                {
                    "merged": pr.merged,
                    "mergeable": mergeable,
                    "rebaseable": rebaseable,
                    "mergeable_state": mergeable_state,
                    "merged_by": user(pr.merged_by),
                    "comments": pr.comments,
                    "review_comments": pr.review_comments,
                    "maintainer_can_modify": pr.fork is not None and pr.state == "open",
                    "commits": pr.commits,
                    "additions": pr.additions,
                    "deletions": pr.deletions,
                    "changed_files": pr.changed_files,
                }
            )
        return body

    def pull_simple(self, repo: Repo, pr: PullRequest) -> str:
        """A pull-request-simple item of ``GET /pulls`` (repository spliced in by the caller)."""
        return self._cached(
            "pull-simple", pr.id, (pr.version, repo.meta_version), lambda: self._pull_dict(repo, pr, False)
        )

    def pull_full(self, repo: Repo, pr: PullRequest) -> str:
        """The pull-request object of ``GET /pulls/{number}`` (repository spliced in by the caller)."""
        return self._cached(
            "pull-full", pr.id, (pr.version, repo.meta_version), lambda: self._pull_dict(repo, pr, True)
        )

    def _issue_dict(self, repo: Repo, item: PullRequest | Issue) -> dict[str, Any]:
        base = f"{API}/repos/{repo.full_name}"
        number = item.number
        is_pull = isinstance(item, PullRequest)
        body: dict[str, Any] = {
            "url": f"{base}/issues/{number}",
            "repository_url": base,
            "labels_url": f"{base}/issues/{number}/labels{{/name}}",
            "comments_url": f"{base}/issues/{number}/comments",
            "events_url": f"{base}/issues/{number}/events",
            "html_url": f"{repo.html_url}/{'pull' if is_pull else 'issues'}/{number}",
            "id": item.issue_id if isinstance(item, PullRequest) else item.id,
            "node_id": item.node_id,
            "number": number,
            "title": item.title,
            "user": user(item.author),
            "labels": [label(repo, lab) for lab in item.labels],
            "state": item.state,
            "locked": item.locked,
            "assignee": user(item.assignee),
            "assignees": [user(a) for a in item.assignees]
            if isinstance(item, PullRequest)
            else ([user(item.assignee)] if item.assignee else []),
            "milestone": None,
            "comments": item.comments,
            "created_at": iso(item.created_at),
            "updated_at": iso(item.updated_at),
            "closed_at": iso(item.closed_at),
            "author_association": item.author_association,
            "active_lock_reason": None,
        }
        if isinstance(item, PullRequest):
            body["draft"] = item.draft
            body["pull_request"] = {
                "url": f"{base}/pulls/{number}",
                "html_url": f"{repo.html_url}/pull/{number}",
                "diff_url": f"{repo.html_url}/pull/{number}.diff",
                "patch_url": f"{repo.html_url}/pull/{number}.patch",
                "merged_at": iso(item.merged_at),
            }
        body["body"] = item.body
        body["closed_by"] = user(item.closed_by) if item.state == "closed" else None
        body["reactions"] = {
            "url": f"{base}/issues/{number}/reactions",
            "total_count": 0,
            "+1": 0,
            "-1": 0,
            "laugh": 0,
            "hooray": 0,
            "confused": 0,
            "heart": 0,
            "rocket": 0,
            "eyes": 0,
        }
        body["timeline_url"] = f"{base}/issues/{number}/timeline"
        body["performed_via_github_app"] = None
        body["state_reason"] = None if isinstance(item, PullRequest) else item.state_reason
        return body

    def issue(self, repo: Repo, item: PullRequest | Issue) -> str:
        """An issue object (pulls appear with a ``pull_request`` key)."""
        kind = "issue-pr" if isinstance(item, PullRequest) else "issue"
        return self._cached(
            kind, item.id, (item.version, repo.meta_version), lambda: self._issue_dict(repo, item)
        )

    def _review_dict(self, repo: Repo, pr: PullRequest, review: Review) -> dict[str, Any]:
        html = f"{repo.html_url}/pull/{pr.number}#pullrequestreview-{review.id}"
        api_pr = f"{API}/repos/{repo.full_name}/pulls/{pr.number}"
        body: dict[str, Any] = {
            "id": review.id,
            "node_id": review.node_id,
            "user": user(review.author),
            "body": review.body,
            "state": review.state,
            "html_url": html,
            "pull_request_url": api_pr,
            "author_association": review.author_association,
            "_links": {"html": {"href": html}, "pull_request": {"href": api_pr}},
        }
        if review.submitted_at is not None:
            body["submitted_at"] = iso(review.submitted_at)
        body["commit_id"] = review.commit_id
        return body

    def review(self, repo: Repo, pr: PullRequest, review: Review) -> str:
        """A pull-request-review object; PENDING reviews have no ``submitted_at`` key."""
        return self._cached(
            "review",
            review.id,
            (review.version, repo.meta_version),
            lambda: self._review_dict(repo, pr, review),
        )


def error_body(message: str, documentation_url: str = DOCS, **extra: Any) -> dict[str, Any]:
    """GitHub's basic-error shape."""
    return {"message": message, **extra, "documentation_url": documentation_url}


def validation_failed(resource: str, field: str, value: Any, documentation_url: str) -> dict[str, Any]:
    """GitHub's 422 validation-error shape for one invalid parameter."""
    return {
        "message": "Validation Failed",
        "errors": [{"value": value, "resource": resource, "field": field, "code": "invalid"}],
        "documentation_url": documentation_url,
    }


RATE_RESOURCES: dict[str, int] = {
    "core": 5000,
    "search": 30,
    "graphql": 5000,
    "integration_manifest": 5000,
    "source_import": 100,
    "code_scanning_upload": 1000,
    "actions_runner_registration": 10000,
    "scim": 15000,
    "dependency_snapshots": 100,
    "code_search": 10,
    "audit_log": 1750,
}


# ---- issue timeline (GET /repos/{o}/{r}/issues/{n}/timeline) ------------------------------
# Shapes and key orders follow timeline_pr_review_requests.json (2022), timeline_pr_recorded_2025.json
# and timeline_pr_team_review_request.json: issue events carry id/node_id/url/actor/event/commit_id/
# commit_url/created_at + kind keys + performed_via_github_app; ``committed`` items have no id
# (keyed by sha); ``reviewed`` items have user/submitted_at/state (lower case); ``commented`` items
# are issue comments plus ``event``/``actor``; ``cross-referenced`` items have no id.

_STATE_REASON_KINDS = ("closed", "reopened")


def timeline_event(repo: Repo, pr: PullRequest, ev: TimelineEvent, nxt: bool) -> dict[str, Any]:
    """One stored issue event as the timeline endpoint renders it."""
    if ev.event == "cross-referenced":
        return {
            "actor": user(ev.actor),
            "created_at": iso(ev.created_at),
            "updated_at": iso(ev.created_at),
            "source": {"type": "issue", "issue": "\u0000source\u0000"},
            "event": ev.event,
        }
    base = f"{API}/repos/{repo.full_name}"
    commit_id = pr.merge_commit_sha if ev.event == "merged" else None
    body: dict[str, Any] = {
        "id": ev.id,
        "node_id": ev.next_node_id(repo, pr) if nxt else ev.legacy_node_id(),
        "url": f"{base}/issues/events/{ev.id}",
        "actor": user(ev.actor),
        "event": ev.event,
        "commit_id": commit_id,
        "commit_url": f"{base}/commits/{commit_id}" if commit_id else None,
        "created_at": iso(ev.created_at),
    }
    if ev.event in ("review_requested", "review_request_removed"):
        body["review_requester"] = user(ev.review_requester or ev.actor)
        if ev.requested_team is not None:
            body["requested_team"] = team(ev.requested_team, nxt, full=True)
        else:
            body["requested_reviewer"] = user(ev.requested_reviewer)
    elif ev.event in ("labeled", "unlabeled") and ev.label is not None:
        body["label"] = {"name": ev.label.name, "color": ev.label.color}
    elif ev.event == "assigned":
        body["assignee"] = user(ev.assignee)
    elif ev.event in _STATE_REASON_KINDS:
        body["state_reason"] = None
    body["performed_via_github_app"] = None
    return body


def _spread(start: datetime, end: datetime, i: int, n: int) -> datetime:
    """The i-th of n instants strictly inside (start, end), whole seconds."""
    span = max(0.0, (end - start).total_seconds())
    return start + timedelta(seconds=int(span * (i + 1) / (n + 1)))


def comment_ids(pr: PullRequest) -> list[int]:
    """Issue-comment ids of a pull request (derived from its ``comments`` count; unique per world)."""
    return [pr.issue_id * 100 + i for i in range(pr.comments)]


def timeline_entries(repo: Repo, pr: PullRequest) -> list[tuple[datetime, int, str, Any]]:
    """Every timeline item of a pull request as (time, order, kind, object), in timeline order."""
    out: list[tuple[datetime, int, str, Any]] = []
    n = max(1, pr.commits)
    for i in range(n):
        out.append((pr.created_at, i, "committed", i))
    for i, cid in enumerate(comment_ids(pr)):
        out.append((_spread(pr.created_at, pr.updated_at, i, pr.comments), cid, "commented", cid))
    for rv in pr.reviews:
        if rv.submitted_at is not None:
            out.append((rv.submitted_at, rv.id, "reviewed", rv))
    for ev in pr.timeline:
        out.append((ev.created_at, ev.id, "event", ev))
    out.sort(key=lambda t: (t[0], t[1]))
    return out


def _committed(repo: Repo, pr: PullRequest, i: int) -> dict[str, Any]:
    n = max(1, pr.commits)
    sha = pr.head_sha if i == n - 1 else sha1_hex(repo.id, pr.number, "commit", i)
    parent = pr.base_sha if i == 0 else sha1_hex(repo.id, pr.number, "commit", i - 1)
    who = pr.author.login if pr.author is not None else "ghost"
    person = {"name": who, "email": f"{who}@users.noreply.github.com", "date": iso(pr.created_at)}
    git = f"{API}/repos/{repo.full_name}/git"
    return {
        "sha": sha,
        "node_id": node_id("C", repo.id, int(sha[:12], 16)),
        "url": f"{git}/commits/{sha}",
        "html_url": f"{repo.html_url}/commit/{sha}",
        "author": person,
        "committer": dict(person),
        "tree": {"sha": sha1_hex(sha, "tree"), "url": f"{git}/trees/{sha1_hex(sha, 'tree')}"},
        "message": f"Commit {i + 1} of #{pr.number}",
        "parents": [
            {"sha": parent, "url": f"{git}/commits/{parent}", "html_url": f"{repo.html_url}/commit/{parent}"}
        ],
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
        "event": "committed",
    }


def _commented(repo: Repo, pr: PullRequest, cid: int, at: datetime) -> dict[str, Any]:
    base = f"{API}/repos/{repo.full_name}"
    return {
        "url": f"{base}/issues/comments/{cid}",
        "html_url": f"{repo.html_url}/pull/{pr.number}#issuecomment-{cid}",
        "issue_url": f"{base}/issues/{pr.number}",
        "id": cid,
        "node_id": node_id("IC", repo.id, cid),
        "user": user(pr.author),
        "created_at": iso(at),
        "updated_at": iso(at),
        "author_association": pr.author_association,
        "body": "Thanks, updated.",
        "reactions": {
            "url": f"{base}/issues/comments/{cid}/reactions",
            "total_count": 0,
            "+1": 0,
            "-1": 0,
            "laugh": 0,
            "hooray": 0,
            "confused": 0,
            "heart": 0,
            "rocket": 0,
            "eyes": 0,
        },
        "performed_via_github_app": None,
        "event": "commented",
        "actor": user(pr.author),
    }


def _reviewed(repo: Repo, pr: PullRequest, review: Review) -> dict[str, Any]:
    html = f"{repo.html_url}/pull/{pr.number}#pullrequestreview-{review.id}"
    api_pr = f"{API}/repos/{repo.full_name}/pulls/{pr.number}"
    return {
        "id": review.id,
        "node_id": review.node_id,
        "user": user(review.author),
        "body": review.body,
        "commit_id": review.commit_id,
        "submitted_at": iso(review.submitted_at),
        "state": review.state.lower(),
        "html_url": html,
        "pull_request_url": api_pr,
        "author_association": review.author_association,
        "_links": {"html": {"href": html}, "pull_request": {"href": api_pr}},
        "event": "reviewed",
    }


def timeline_item(
    renderer: Renderer, repo: Repo, pr: PullRequest, entry: tuple[datetime, int, str, Any], nxt: bool
) -> str:
    """Render one entry of :func:`timeline_entries` as JSON."""
    at, _, kind, obj = entry
    if kind == "committed":
        return dumps(_committed(repo, pr, obj))
    if kind == "commented":
        return dumps(_commented(repo, pr, obj, at))
    if kind == "reviewed":
        return dumps(_reviewed(repo, pr, obj))
    text = dumps(timeline_event(repo, pr, obj, nxt))
    if obj.event == "cross-referenced":
        source = repo.issues.get(obj.source_number or 0) or repo.pulls.get(obj.source_number or 0)
        text = text.replace(
            json.dumps("\u0000source\u0000"), renderer.issue(repo, source) if source else "null"
        )
    return text
