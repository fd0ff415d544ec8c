"""The simulated world: repositories, pull requests, reviews and plain issues, behind one lock.

Everything the HTTP layer serves is derived from these objects. Each object carries a
``version`` that changes on every mutation, so rendered payloads can be cached per object and
invalidated precisely, and each repository carries a ``data_version`` so sorted listings can be
cached per repository.
"""

from __future__ import annotations

import inspect
import itertools
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from github_api_simulator._util import HTML_ORIGIN, legacy_node_id, node_id, sha1_hex, utcnow

PULL_STATES = ("open", "closed", "all")
PULL_SORTS = ("created", "updated", "popularity", "long-running")
ISSUE_SORTS = ("created", "updated", "comments")
DIRECTIONS = ("asc", "desc")
REVIEW_STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING")


class SimulatorError(Exception):
    """A control operation that GitHub would refuse (maps to HTTP 422 on the control API)."""


class NotFound(SimulatorError):
    """The named repository, pull request, issue or review does not exist (HTTP 404)."""


@dataclass(slots=True, eq=False)
class Account:
    """A user, organization or bot. ``login`` is spelled as GitHub spells it (mixed case)."""

    login: str
    id: int
    type: str = "User"
    node_id: str = ""
    site_admin: bool = False

    @property
    def graphql_login(self) -> str:
        """GraphQL's ``Bot.login`` drops the ``[bot]`` suffix that REST's ``user.login`` keeps."""
        if self.type == "Bot" and self.login.endswith("[bot]"):
            return self.login[: -len("[bot]")]
        return self.login


@dataclass(slots=True, eq=False)
class Label:
    """A repository label (rendered inside pulls and issues)."""

    id: int
    node_id: str
    name: str
    color: str
    description: str | None
    default: bool = False


@dataclass(slots=True, eq=False)
class Fork:
    """The head repository of a cross-repository pull request (a fork owned by the author)."""

    id: int
    node_id: str
    owner: Account
    name: str
    created_at: datetime


@dataclass(slots=True, eq=False)
class Review:
    """A pull request review; ``submitted_at`` is None while PENDING."""

    id: int
    node_id: str
    pr_number: int
    author: Account | None
    body: str
    state: str
    submitted_at: datetime | None
    created_at: datetime
    commit_id: str
    author_association: str
    version: int = 0


@dataclass(slots=True, eq=False)
class PullRequest:
    """A pull request. ``id`` is the pulls-endpoint id; ``issue_id`` the issues-endpoint id."""

    number: int
    id: int
    issue_id: int
    node_id: str
    title: str
    body: str | None
    author: Account | None
    author_association: str
    state: str
    draft: bool
    merged: bool
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    merged_at: datetime | None
    merged_by: Account | None
    closed_by: Account | None
    base_ref: str
    base_sha: str
    head_ref: str
    head_sha: str
    merge_commit_sha: str | None
    fork: Fork | None
    head_repo_deleted: bool
    labels: list[Label]
    requested_reviewers: list[Account]
    comments: int
    review_comments: int
    commits: int
    additions: int
    deletions: int
    changed_files: int
    locked: bool = False
    assignee: Account | None = None
    reviews: list[Review] = field(default_factory=list)
    version: int = 0

    is_pull = True


@dataclass(slots=True, eq=False)
class Issue:
    """A plain issue; it shares the repository's number sequence with pull requests."""

    number: int
    id: int
    node_id: str
    title: str
    body: str | None
    author: Account | None
    author_association: str
    state: str
    state_reason: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    closed_by: Account | None
    labels: list[Label]
    comments: int
    locked: bool = False
    assignee: Account | None = None
    version: int = 0

    is_pull = False


@dataclass(slots=True, eq=False)
class Repo:
    """A repository with its pulls and issues keyed by number."""

    id: int
    node_id: str
    owner: Account
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    pushed_at: datetime
    language: str | None
    topics: list[str]
    labels: dict[str, Label]
    default_branch: str = "main"
    private: bool = False
    pulls: dict[int, PullRequest] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    next_number: int = 1
    meta_version: int = 0
    data_version: int = 0
    stargazers: int = 0
    forks_count: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def html_url(self) -> str:
        return f"{HTML_ORIGIN}/{self.full_name}"

    @property
    def open_issues_count(self) -> int:
        """GitHub counts open issues *and* open pull requests here."""
        return sum(1 for p in self.pulls.values() if p.state == "open") + sum(
            1 for i in self.issues.values() if i.state == "open"
        )


Item = PullRequest | Issue


def pull_truth(repo: Repo, pr: PullRequest) -> dict[str, Any]:
    """The warehouse-shaped row for one pull request (timezone-aware datetimes)."""
    return {
        "number": pr.number,
        "id": pr.id,
        "title": pr.title,
        "state": pr.state,
        "draft": pr.draft,
        "merged": pr.merged,
        "author_login": pr.author.login if pr.author else None,
        "created_at": pr.created_at,
        "updated_at": pr.updated_at,
        "closed_at": pr.closed_at,
        "merged_at": pr.merged_at,
        "base_ref": pr.base_ref,
        "head_ref": pr.head_ref,
        "html_url": f"{repo.html_url}/pull/{pr.number}",
    }


def review_truth(review: Review) -> dict[str, Any]:
    """The warehouse-shaped row for one review."""
    return {
        "pr_number": review.pr_number,
        "id": review.id,
        "author_login": review.author.login if review.author else None,
        "state": review.state,
        "submitted_at": review.submitted_at,
        "commit_id": review.commit_id,
    }


def issue_truth(repo: Repo, issue: Issue) -> dict[str, Any]:
    """Row for a plain issue (not part of the warehouse, handy for issues-endpoint tests)."""
    return {
        "number": issue.number,
        "id": issue.id,
        "title": issue.title,
        "state": issue.state,
        "author_login": issue.author.login if issue.author else None,
        "created_at": issue.created_at,
        "updated_at": issue.updated_at,
        "closed_at": issue.closed_at,
        "html_url": f"{repo.html_url}/issues/{issue.number}",
    }


class World:
    """All simulated GitHub state. Callers take ``lock`` around reads that must be consistent."""

    def __init__(self, viewer: Account) -> None:
        self.lock = threading.RLock()
        self.viewer = viewer
        self.repos: dict[int, Repo] = {}
        self.accounts: dict[str, Account] = {viewer.login.lower(): viewer}
        self._names: dict[str, int] = {}
        self._moved: dict[str, int] = {}
        self._versions = itertools.count(1)
        self._next_ids: dict[str, int] = {
            "account": 9_000_000,
            "repo": 700_000_000,
            "pull": 1_400_000_000,
            "issue": 2_500_000_000,
            "review": 1_800_000_000,
            "label": 5_100_000_000,
        }
        self._list_cache: dict[tuple[Any, ...], list[Any]] = {}

    # ---- ids and versions ---------------------------------------------------------------

    def next_id(self, kind: str) -> int:
        """Allocate the next id of a kind; ids only grow, like GitHub's."""
        value = self._next_ids[kind]
        self._next_ids[kind] = value + 1
        return value

    def reserve_ids(self, kind: str, at_least: int) -> None:
        """Make sure future ids of ``kind`` are above ones a scenario assigned itself."""
        self._next_ids[kind] = max(self._next_ids[kind], at_least)

    def bump(self) -> int:
        """A fresh version stamp (globally increasing)."""
        return next(self._versions)

    def touch(self, repo: Repo, item: Item | Review | None = None) -> None:
        """Record that ``item`` (and so ``repo``'s listings) changed."""
        stamp = self.bump()
        if item is not None:
            item.version = stamp
        repo.data_version = stamp

    # ---- accounts and repositories ------------------------------------------------------

    def account(self, login: str, kind: str = "User") -> Account:
        """The account with this login (case-insensitive); created on first use."""
        found = self.accounts.get(login.lower())
        if found is None:
            ident = self.next_id("account")
            legacy = "Bot" if kind == "Bot" else ("Organization" if kind == "Organization" else "User")
            found = Account(login, ident, kind, legacy_node_id(legacy, ident))
            self.accounts[login.lower()] = found
        return found

    def add_repo(self, repo: Repo) -> None:
        """Register a repository under its current name."""
        self.repos[repo.id] = repo
        self._names[repo.full_name.lower()] = repo.id
        self.reserve_ids("repo", repo.id + 1)

    def find_repo(self, owner: str, name: str) -> tuple[Repo | None, bool]:
        """Case-insensitive lookup; returns (repo, moved) where moved means an old name was used."""
        key = f"{owner}/{name}".lower()
        rid = self._names.get(key)
        if rid is not None:
            return self.repos[rid], False
        rid = self._moved.get(key)
        if rid is not None and rid in self.repos:
            return self.repos[rid], True
        return None, False

    def repo_by_id(self, repo_id: int) -> Repo | None:
        return self.repos.get(repo_id)

    def resolve(self, full_name: str) -> Repo:
        """A repository by ``owner/name`` (any case, old names followed) or NotFound."""
        owner, _, name = full_name.strip("/").partition("/")
        repo, _moved = self.find_repo(owner, name)
        if repo is None:
            raise NotFound(f"repository {full_name!r} not found")
        return repo

    def full_names(self) -> list[str]:
        return [r.full_name for r in sorted(self.repos.values(), key=lambda r: r.id)]

    def item(self, repo: Repo, number: int) -> Item | None:
        return repo.pulls.get(number) or repo.issues.get(number)

    def pull(self, repo: Repo, number: int) -> PullRequest:
        pr = repo.pulls.get(int(number))
        if pr is None:
            raise NotFound(f"pull request #{number} not found in {repo.full_name}")
        return pr

    # ---- ground truth -------------------------------------------------------------------

    def truth(self, full_name: str) -> dict[str, Any]:
        """Warehouse-shaped ground truth for one repository."""
        with self.lock:
            repo = self.resolve(full_name)
            pulls = [repo.pulls[n] for n in sorted(repo.pulls)]
            return {
                "repo_id": repo.id,
                "full_name": repo.full_name,
                "pull_requests": [pull_truth(repo, p) for p in pulls],
                "reviews": [review_truth(r) for p in pulls for r in sorted(p.reviews, key=lambda r: r.id)],
                "issues": [issue_truth(repo, repo.issues[n]) for n in sorted(repo.issues)],
            }

    # ---- listings -----------------------------------------------------------------------

    def list_pulls(self, repo: Repo, state: str, sort: str, direction: str) -> list[PullRequest]:
        """Pulls as ``GET /repos/{o}/{r}/pulls`` orders them; ties broken by number."""
        if sort == "long-running":
            now = utcnow()
            month = timedelta(days=30)
            items = [
                p
                for p in repo.pulls.values()
                if p.state == "open" and p.created_at <= now - month and p.updated_at >= now - month
            ]
            items.sort(key=lambda p: (p.created_at, p.number), reverse=direction == "desc")
            return items
        key = ("pulls", repo.id, repo.data_version, state, sort, direction)
        cached = self._list_cache.get(key)
        if cached is not None:
            return cached
        items = [p for p in repo.pulls.values() if state == "all" or p.state == state]
        sort_key: Callable[[PullRequest], Any]
        if sort == "created":
            sort_key = lambda p: (p.created_at, p.number)  # noqa: E731
        elif sort == "updated":
            sort_key = lambda p: (p.updated_at, p.number)  # noqa: E731
        else:
            sort_key = lambda p: (p.comments, p.number)  # noqa: E731
        items.sort(key=sort_key, reverse=direction == "desc")
        self._remember(key, items)
        return items

    def list_issues(
        self, repo: Repo, state: str, sort: str, direction: str, since: datetime | None
    ) -> list[Item]:
        """Issues and pulls-as-issues as ``GET /repos/{o}/{r}/issues`` orders them."""
        key = ("issues", repo.id, repo.data_version, state, sort, direction, since)
        cached = self._list_cache.get(key)
        if cached is not None:
            return cached
        pool: Iterable[Item] = itertools.chain(repo.pulls.values(), repo.issues.values())
        items = [
            i
            for i in pool
            if (state == "all" or i.state == state) and (since is None or i.updated_at >= since)
        ]
        sort_key: Callable[[Item], Any]
        if sort == "created":
            sort_key = lambda i: (i.created_at, i.number)  # noqa: E731
        elif sort == "updated":
            sort_key = lambda i: (i.updated_at, i.number)  # noqa: E731
        else:
            sort_key = lambda i: (i.comments, i.number)  # noqa: E731
        items.sort(key=sort_key, reverse=direction == "desc")
        self._remember(key, items)
        return items

    def _remember(self, key: tuple[Any, ...], items: list[Any]) -> None:
        if len(self._list_cache) > 512:
            self._list_cache.clear()
        self._list_cache[key] = items

    # ---- mutations ----------------------------------------------------------------------
    # Every mutation stamps touched items with updated_at = now (second precision, UTC) and
    # returns a description of what changed, using the same row shapes as truth().

    def _actor(self, login: str | None) -> Account:
        return self.account(login) if login else self.viewer

    def update_pull(
        self, repo: str, number: int, title: str | None = None, body: str | None = None
    ) -> dict[str, Any]:
        """Edit a pull request's title and/or body."""
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            if title is not None:
                pr.title = title
            if body is not None:
                pr.body = body
            pr.updated_at = utcnow()
            self.touch(r, pr)
            return {"op": "update_pull", "repo": r.full_name, "pull_request": pull_truth(r, pr)}

    def open_pull(
        self,
        repo: str,
        title: str = "New pull request",
        author: str | None = None,
        body: str | None = "",
        draft: bool = False,
        base: str | None = None,
        head: str | None = None,
    ) -> dict[str, Any]:
        """Open a new pull request; it takes the next number of the repository's sequence."""
        with self.lock:
            r = self.resolve(repo)
            now = utcnow()
            number = r.next_number
            r.next_number += 1
            who = self._actor(author)
            pid = self.next_id("pull")
            pr = PullRequest(
                number=number,
                id=pid,
                issue_id=self.next_id("issue"),
                node_id=node_id("PR", r.id, pid),
                title=title,
                body=body,
                author=who,
                author_association="MEMBER" if who is not r.owner else "OWNER",
                state="open",
                draft=draft,
                merged=False,
                created_at=now,
                updated_at=now,
                closed_at=None,
                merged_at=None,
                merged_by=None,
                closed_by=None,
                base_ref=base or r.default_branch,
                base_sha=sha1_hex(r.id, "base", number),
                head_ref=head or f"feature/pr-{number}",
                head_sha=sha1_hex(r.id, number, "head", 0),
                merge_commit_sha=sha1_hex(r.id, number, "merge"),
                fork=None,
                head_repo_deleted=False,
                labels=[],
                requested_reviewers=[],
                comments=0,
                review_comments=0,
                commits=1,
                additions=10,
                deletions=2,
                changed_files=1,
            )
            r.pulls[number] = pr
            r.pushed_at = now
            self.touch(r, pr)
            return {"op": "open_pull", "repo": r.full_name, "pull_request": pull_truth(r, pr)}

    def close_pull(self, repo: str, number: int, by: str | None = None) -> dict[str, Any]:
        """Close a pull request without merging it."""
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            if pr.state == "closed":
                raise SimulatorError(f"pull request #{number} is already closed")
            now = utcnow()
            pr.state, pr.closed_at, pr.updated_at = "closed", now, now
            pr.closed_by = self._actor(by)
            self.touch(r, pr)
            return {"op": "close_pull", "repo": r.full_name, "pull_request": pull_truth(r, pr)}

    def reopen_pull(self, repo: str, number: int) -> dict[str, Any]:
        """Reopen a closed, unmerged pull request."""
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            if pr.state == "open":
                raise SimulatorError(f"pull request #{number} is already open")
            if pr.merged:
                raise SimulatorError(f"pull request #{number} is merged and cannot be reopened")
            now = utcnow()
            pr.state, pr.closed_at, pr.closed_by, pr.updated_at = "open", None, None, now
            self.touch(r, pr)
            return {"op": "reopen_pull", "repo": r.full_name, "pull_request": pull_truth(r, pr)}

    def merge_pull(self, repo: str, number: int, merged_by: str | None = None) -> dict[str, Any]:
        """Merge an open, non-draft pull request."""
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            if pr.state != "open":
                raise SimulatorError("Pull Request is not mergeable")
            if pr.draft:
                raise SimulatorError("Pull Request is still a draft")
            now = utcnow()
            who = self._actor(merged_by)
            pr.state, pr.merged, pr.merged_at, pr.closed_at, pr.updated_at = "closed", True, now, now, now
            pr.merged_by = pr.closed_by = who
            pr.merge_commit_sha = sha1_hex(r.id, number, "merged", now.isoformat())
            pr.requested_reviewers = []
            r.pushed_at = now
            self.touch(r, pr)
            return {"op": "merge_pull", "repo": r.full_name, "pull_request": pull_truth(r, pr)}

    def add_review(
        self,
        repo: str,
        number: int,
        state: str = "APPROVED",
        author: str | None = None,
        body: str = "",
        commit_id: str | None = None,
    ) -> dict[str, Any]:
        """Submit a review (or leave a PENDING one); a submitted review bumps the PR's updated_at."""
        state = state.upper()
        if state not in REVIEW_STATES:
            raise SimulatorError(f"invalid review state {state!r}")
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            now = utcnow()
            rid = self.next_id("review")
            review = Review(
                id=rid,
                node_id=node_id("PRR", r.id, rid),
                pr_number=pr.number,
                author=self._actor(author),
                body=body,
                state=state,
                submitted_at=None if state == "PENDING" else now,
                created_at=now,
                commit_id=commit_id or pr.head_sha,
                author_association="MEMBER",
            )
            pr.reviews.append(review)
            self.touch(r, review)
            if state != "PENDING":
                pr.updated_at = now
            self.touch(r, pr)
            return {
                "op": "add_review",
                "repo": r.full_name,
                "review": review_truth(review),
                "pull_request": pull_truth(r, pr),
            }

    def dismiss_review(self, repo: str, number: int, review_id: int, touch_pr: bool = True) -> dict[str, Any]:
        """Dismiss a review (state -> DISMISSED). GitHub does not promise this bumps the PR."""
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            review = next((rv for rv in pr.reviews if rv.id == int(review_id)), None)
            if review is None:
                raise NotFound(f"review {review_id} not found on #{number}")
            if review.state == "PENDING":
                raise SimulatorError("Can not dismiss a pending pull request review")
            review.state = "DISMISSED"
            self.touch(r, review)
            if touch_pr:
                pr.updated_at = utcnow()
            self.touch(r, pr)
            return {
                "op": "dismiss_review",
                "repo": r.full_name,
                "review": review_truth(review),
                "pull_request": pull_truth(r, pr),
            }

    def update_issue(
        self,
        repo: str,
        number: int,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
        state_reason: str | None = None,
    ) -> dict[str, Any]:
        """Edit (and optionally close or reopen) a plain issue."""
        with self.lock:
            r = self.resolve(repo)
            issue = r.issues.get(int(number))
            if issue is None:
                raise NotFound(f"issue #{number} not found in {r.full_name}")
            now = utcnow()
            if title is not None:
                issue.title = title
            if body is not None:
                issue.body = body
            if state is not None and state != issue.state:
                if state == "closed":
                    issue.state, issue.closed_at, issue.closed_by = "closed", now, self.viewer
                    issue.state_reason = state_reason or "completed"
                elif state == "open":
                    issue.state, issue.closed_at, issue.closed_by = "open", None, None
                    issue.state_reason = "reopened"
                else:
                    raise SimulatorError(f"invalid issue state {state!r}")
            issue.updated_at = now
            self.touch(r, issue)
            return {"op": "update_issue", "repo": r.full_name, "issue": issue_truth(r, issue)}

    def open_issue(
        self, repo: str, title: str = "New issue", author: str | None = None, body: str | None = ""
    ) -> dict[str, Any]:
        """Open a plain issue; it takes the next number of the shared sequence."""
        with self.lock:
            r = self.resolve(repo)
            now = utcnow()
            number = r.next_number
            r.next_number += 1
            iid = self.next_id("issue")
            issue = Issue(
                number=number,
                id=iid,
                node_id=node_id("I", r.id, iid),
                title=title,
                body=body,
                author=self._actor(author),
                author_association="MEMBER",
                state="open",
                state_reason=None,
                created_at=now,
                updated_at=now,
                closed_at=None,
                closed_by=None,
                labels=[],
                comments=0,
            )
            r.issues[number] = issue
            self.touch(r, issue)
            return {"op": "open_issue", "repo": r.full_name, "issue": issue_truth(r, issue)}

    def rename_repo(self, repo: str, new_name: str, new_owner: str | None = None) -> dict[str, Any]:
        """Rename (or transfer) a repository; the old name then answers 301 (REST) / follows (GraphQL)."""
        with self.lock:
            r = self.resolve(repo)
            old = r.full_name
            owner = self.account(new_owner, "Organization") if new_owner else r.owner
            target = f"{owner.login}/{new_name}".lower()
            if target in self._names and self._names[target] != r.id:
                raise SimulatorError(f"name already exists on this account: {new_name}")
            del self._names[old.lower()]
            self._moved[old.lower()] = r.id
            self._moved.pop(target, None)
            r.owner, r.name = owner, new_name
            self._names[target] = r.id
            r.updated_at = utcnow()
            r.meta_version = self.bump()
            self.touch(r)
            return {"op": "rename_repo", "repo": r.full_name, "old_full_name": old, "repo_id": r.id}

    def delete_repo(self, repo: str) -> dict[str, Any]:
        """Delete a repository: every name and id of it answers 404 afterwards."""
        with self.lock:
            r = self.resolve(repo)
            del self.repos[r.id]
            self._names = {k: v for k, v in self._names.items() if v != r.id}
            self._moved = {k: v for k, v in self._moved.items() if v != r.id}
            return {"op": "delete_repo", "repo": r.full_name, "repo_id": r.id}

    def mutate_repo(
        self,
        repo: str,
        seed: int = 0,
        updated_fraction: float = 0.05,
        new_prs: int = 3,
        new_reviews: int = 10,
        dismissals: int = 2,
    ) -> dict[str, Any]:
        """A burst of realistic activity (benchmarks use it to measure incremental syncs)."""
        with self.lock:
            r = self.resolve(repo)
            rng = random.Random(f"{seed}:{r.id}")
            numbers = sorted(r.pulls)
            k = min(len(numbers), round(len(numbers) * updated_fraction)) if updated_fraction > 0 else 0
            if updated_fraction > 0 and numbers:
                k = max(k, 1)
            updated = sorted(rng.sample(numbers, k))
            for n in updated:
                self.update_pull(r.full_name, n, title=f"{r.pulls[n].title.split(' (rev')[0]} (rev {seed})")
            opened = [
                self.open_pull(r.full_name, title=f"Benchmark change {seed}-{i}")["pull_request"]["number"]
                for i in range(new_prs)
            ]
            logins = [a.login for a in self.accounts.values() if a.type == "User"]
            pool = sorted(r.pulls)
            added: list[int] = []
            for _ in range(new_reviews if pool else 0):
                n = rng.choice(pool)
                state = rng.choice(["APPROVED", "COMMENTED", "CHANGES_REQUESTED"])
                res = self.add_review(r.full_name, n, state=state, author=rng.choice(logins))
                added.append(res["review"]["id"])
            candidates = [
                (p.number, rv.id)
                for p in r.pulls.values()
                for rv in p.reviews
                if rv.state in ("APPROVED", "CHANGES_REQUESTED")
            ]
            candidates.sort()
            dismissed = []
            for n, rid in rng.sample(candidates, min(dismissals, len(candidates))):
                self.dismiss_review(r.full_name, n, rid)
                dismissed.append(rid)
            return {
                "op": "mutate_repo",
                "repo": r.full_name,
                "updated": updated,
                "opened": opened,
                "reviews_added": added,
                "reviews_dismissed": dismissed,
            }

    MUTATIONS = (
        "update_pull",
        "open_pull",
        "close_pull",
        "reopen_pull",
        "merge_pull",
        "add_review",
        "dismiss_review",
        "update_issue",
        "open_issue",
        "rename_repo",
        "delete_repo",
        "mutate_repo",
    )

    def mutate(self, op: str, **kwargs: Any) -> dict[str, Any]:
        """Apply a named mutation (the control API and triggers use this)."""
        if op not in self.MUTATIONS:
            raise SimulatorError(f"unknown mutation {op!r}; known: {', '.join(self.MUTATIONS)}")
        method: Callable[..., dict[str, Any]] = getattr(self, op)
        try:
            inspect.signature(method).bind(**kwargs)
        except TypeError as exc:
            raise SimulatorError(f"bad arguments for {op}: {exc}") from exc
        return method(**kwargs)
