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
class Team:
    """An organization team that can be asked for a review (``requested_teams``)."""

    id: int
    slug: str
    name: str
    description: str | None
    org: Account
    privacy: str = "closed"

    @property
    def next_node_id(self) -> str:
        """Next-format id ``T_kwDO...`` = msgpack([0, org id, team id])."""
        return node_id("T", self.org.id, self.id)

    @property
    def legacy_node_id(self) -> str:
        return legacy_node_id("Team", self.id)


# REST ``event`` name -> (GraphQL type name, next-format node id prefix). Prefixes are GitHub's
# (recordings: RRE_, RRRE_, LE_, CE_, ME_; GitHub's web UI selectors: RFRE_, CTDE_, HRFPE_, CRE_).
EVENT_TYPES: dict[str, tuple[str, str]] = {
    "review_requested": ("ReviewRequestedEvent", "RRE"),
    "review_request_removed": ("ReviewRequestRemovedEvent", "RRRE"),
    "ready_for_review": ("ReadyForReviewEvent", "RFRE"),
    "convert_to_draft": ("ConvertToDraftEvent", "CTDE"),
    "labeled": ("LabeledEvent", "LE"),
    "unlabeled": ("UnlabeledEvent", "UNLE"),
    "assigned": ("AssignedEvent", "AE"),
    "head_ref_force_pushed": ("HeadRefForcePushedEvent", "HRFPE"),
    "cross-referenced": ("CrossReferencedEvent", "CRE"),
    "merged": ("MergedEvent", "ME"),
    "closed": ("ClosedEvent", "CE"),
    "reopened": ("ReopenedEvent", "REE"),
}
# The timeline kinds the review-metrics contract stores (truth reports only these).
CONTRACT_EVENTS = ("review_requested", "review_request_removed", "ready_for_review", "convert_to_draft")


@dataclass(slots=True, eq=False)
class TimelineEvent:
    """One stored issue event of a pull request's timeline (``id`` is the issue-event id).

    Comments, commits and reviews also appear in the timeline; they are derived from the pull
    request (its ``comments`` count, ``commits`` count and ``reviews``) when rendered.
    """

    id: int
    event: str
    created_at: datetime
    actor: Account | None
    requested_reviewer: Account | None = None
    requested_team: Team | None = None
    review_requester: Account | None = None
    label: Label | None = None
    assignee: Account | None = None
    source_number: int | None = None  # cross-referenced: the referencing issue's number

    def next_node_id(self, repo: Repo, pr: PullRequest) -> str:
        """Next-format id: prefix + msgpack([0, repository id, issue id, event id]) (recordings)."""
        return node_id(EVENT_TYPES[self.event][1], repo.id, pr.issue_id, self.id)

    def legacy_node_id(self) -> str:
        return legacy_node_id(EVENT_TYPES[self.event][0], self.id)


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
    assignees: list[Account] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    requested_teams: list[Team] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    version: int = 0

    is_pull = True

    @property
    def assignee(self) -> Account | None:
        """REST's singular ``assignee``: the first of ``assignees``."""
        return self.assignees[0] if self.assignees else None

    @property
    def is_cross_repository(self) -> bool:
        """The head branch lives in another repository (a fork, possibly deleted since)."""
        return self.fork is not None or self.head_repo_deleted

    @property
    def ready_for_review_at(self) -> datetime | None:
        """Time of the first ``ready_for_review`` event (None if the PR never left draft)."""
        return next((e.created_at for e in self.timeline if e.event == "ready_for_review"), None)


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
    #: ``fork``/``archived`` as listed by ``GET /orgs/{org}/repos`` (set them, then bump data_version).
    fork: bool = False
    archived: bool = False

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


def rest_login(acc: Account | None) -> str | None:
    """The login as REST spells it (bots keep ``[bot]``); None for deleted accounts."""
    return acc.login if acc is not None else None


def pull_truth(repo: Repo, pr: PullRequest) -> dict[str, Any]:
    """The warehouse-shaped row for one pull request (timezone-aware datetimes).

    The review-metrics keys (issue 13) use the column names of CONTRACT.md; see the package
    README ("Ground truth") for how each maps onto REST and GraphQL fields.
    """
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
        "node_id": pr.node_id,
        "body": pr.body or None,
        "additions": pr.additions,
        "deletions": pr.deletions,
        "changed_files": pr.changed_files,
        "commits": pr.commits,
        "comments": pr.comments,
        "labels": sorted(lab.name for lab in pr.labels),
        "assignees": sorted(a.login for a in pr.assignees),
        "requested_reviewers": sorted(a.login for a in pr.requested_reviewers),
        "requested_teams": sorted(t.slug for t in pr.requested_teams),
        "merged_by_login": rest_login(pr.merged_by) if pr.merged else None,
        "merge_commit_sha": pr.merge_commit_sha if pr.merged else None,
        "head_sha": pr.head_sha,
        "base_sha": pr.base_sha,
        "author_association": pr.author_association,
        "is_cross_repository": pr.is_cross_repository,
        "ready_for_review_at": pr.ready_for_review_at,
    }


def timeline_truth(repo: Repo, pr: PullRequest) -> list[dict[str, Any]]:
    """The contract's timeline rows of one pull request, in timeline order."""
    return [
        {
            "pr_number": pr.number,
            "node_id": ev.next_node_id(repo, pr),
            "event": ev.event,
            "actor_login": rest_login(ev.actor),
            "requested_reviewer": rest_login(ev.requested_reviewer),
            "requested_team": ev.requested_team.slug if ev.requested_team is not None else None,
            "created_at": ev.created_at,
        }
        for ev in pr.timeline
        if ev.event in CONTRACT_EVENTS
    ]


def review_truth(review: Review) -> dict[str, Any]:
    """The warehouse-shaped row for one review."""
    return {
        "pr_number": review.pr_number,
        "id": review.id,
        "author_login": review.author.login if review.author else None,
        "state": review.state,
        "submitted_at": review.submitted_at,
        "commit_id": review.commit_id,
        "body": review.body,
        "author_association": review.author_association,
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
            "event": 9_100_000_000,
            "team": 4_600_000,
        }
        self.teams: dict[tuple[str, str], Team] = {}
        # legacy id -> next-format id, filled by payloads.next_format_ids (ids never change)
        self.next_id_cache: dict[str, str] = {}
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

    def team(self, org: Account, slug: str, name: str | None = None) -> Team:
        """The team ``slug`` of organization ``org``; created on first use (slugs are lower case)."""
        key = (org.login.lower(), slug.lower())
        found = self.teams.get(key)
        if found is None:
            found = Team(self.next_id("team"), slug.lower(), name or slug, f"The {slug} team", org)
            self.teams[key] = found
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
                "timeline": [row for p in pulls for row in timeline_truth(repo, p)],
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
            self._event(pr, "closed", pr.closed_by, now)
            self.touch(r, pr)
            return {"op": "close_pull", "repo": r.full_name, "pull_request": pull_truth(r, pr)}

    def reopen_pull(self, repo: str, number: int, by: str | None = None) -> dict[str, Any]:
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
            self._event(pr, "reopened", self._actor(by), now)
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
            # GitHub keeps pending review requests on merged PRs (pull_538_merged.json,
            # pull_requested_team_labels.json), and records merged + closed events.
            self._event(pr, "merged", who, now)
            self._event(pr, "closed", who, now)
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
                # A requested reviewer who submits a review leaves requested_reviewers (GitHub
                # lists only reviews still awaited there; no review_request_removed event).
                pr.requested_reviewers = [a for a in pr.requested_reviewers if a is not review.author]
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

    # ---- review requests, labels, assignees, draft state (issue 13) --------------------
    # Each records the timeline event GitHub records and bumps the PR's updated_at.

    def _event(
        self, pr: PullRequest, kind: str, actor: Account | None, at: datetime, **kw: Any
    ) -> TimelineEvent:
        ev = TimelineEvent(self.next_id("event"), kind, at, actor, **kw)
        pr.timeline.append(ev)
        return ev

    def _changed(self, r: Repo, pr: PullRequest, op: str, ev: TimelineEvent | None) -> dict[str, Any]:
        self.touch(r, pr)
        out: dict[str, Any] = {"op": op, "repo": r.full_name, "pull_request": pull_truth(r, pr)}
        if ev is not None:
            out["event"] = {
                "id": ev.id,
                "node_id": ev.next_node_id(r, pr),
                "event": ev.event,
                "created_at": ev.created_at,
            }
        return out

    def _request_target(
        self, r: Repo, pr: PullRequest, reviewer: str | None, team: str | None
    ) -> tuple[Account | None, Team | None]:
        if (reviewer is None) == (team is None):
            raise SimulatorError("give exactly one of reviewer (a login) or team (a team slug)")
        if team is not None:
            if r.owner.type != "Organization":
                raise SimulatorError("Team review requests are only possible in organization repositories")
            return None, self.team(r.owner, team)
        assert reviewer is not None
        return self.account(reviewer), None

    def request_review(
        self,
        repo: str,
        number: int,
        reviewer: str | None = None,
        team: str | None = None,
        by: str | None = None,
    ) -> dict[str, Any]:
        """Request a review from a user (``reviewer`` login) or a team (``team`` slug).

        Like ``POST /pulls/{n}/requested_reviewers``: the author cannot be asked (422), a request
        already pending is left alone (no event), otherwise a ``review_requested`` event.
        """
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            who, squad = self._request_target(r, pr, reviewer, team)
            if who is not None and who is pr.author:
                raise SimulatorError("Review cannot be requested from pull request author.")
            if (who is not None and who in pr.requested_reviewers) or (
                squad is not None and squad in pr.requested_teams
            ):
                return self._changed(r, pr, "request_review", None)
            now = utcnow()
            actor = self._actor(by)
            if who is not None:
                pr.requested_reviewers.append(who)
            else:
                assert squad is not None
                pr.requested_teams.append(squad)
            ev = self._event(
                pr,
                "review_requested",
                actor,
                now,
                requested_reviewer=who,
                requested_team=squad,
                review_requester=actor,
            )
            pr.updated_at = now
            return self._changed(r, pr, "request_review", ev)

    def remove_review_request(
        self,
        repo: str,
        number: int,
        reviewer: str | None = None,
        team: str | None = None,
        by: str | None = None,
    ) -> dict[str, Any]:
        """Withdraw a pending review request: a ``review_request_removed`` event."""
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            who, squad = self._request_target(r, pr, reviewer, team)
            if who is not None:
                if who not in pr.requested_reviewers:
                    raise SimulatorError(f"{who.login} is not a requested reviewer of #{number}")
                pr.requested_reviewers.remove(who)
            else:
                assert squad is not None
                if squad not in pr.requested_teams:
                    raise SimulatorError(f"team {squad.slug} is not a requested reviewer of #{number}")
                pr.requested_teams.remove(squad)
            now = utcnow()
            actor = self._actor(by)
            ev = self._event(
                pr,
                "review_request_removed",
                actor,
                now,
                requested_reviewer=who,
                requested_team=squad,
                review_requester=actor,
            )
            pr.updated_at = now
            return self._changed(r, pr, "remove_review_request", ev)

    def add_label(self, repo: str, number: int, label: str, by: str | None = None) -> dict[str, Any]:
        """Add a label (created in the repository if missing, as the REST API does): ``labeled``."""
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            lab = r.labels.get(label)
            if lab is None:
                lid = self.next_id("label")
                lab = Label(lid, node_id("LA", r.id, lid), label, "ededed", None)
                r.labels[label] = lab
            if lab in pr.labels:
                return self._changed(r, pr, "add_label", None)
            now = utcnow()
            pr.labels.append(lab)
            ev = self._event(pr, "labeled", self._actor(by), now, label=lab)
            pr.updated_at = now
            return self._changed(r, pr, "add_label", ev)

    def remove_label(self, repo: str, number: int, label: str, by: str | None = None) -> dict[str, Any]:
        """Remove a label the PR carries (404 otherwise, like GitHub): ``unlabeled``."""
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            lab = next((x for x in pr.labels if x.name == label), None)
            if lab is None:
                raise NotFound("Label does not exist")
            now = utcnow()
            pr.labels.remove(lab)
            ev = self._event(pr, "unlabeled", self._actor(by), now, label=lab)
            pr.updated_at = now
            return self._changed(r, pr, "remove_label", ev)

    def assign(self, repo: str, number: int, assignee: str, by: str | None = None) -> dict[str, Any]:
        """Add an assignee (GitHub allows up to 10): ``assigned``."""
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            who = self.account(assignee)
            if who in pr.assignees:
                return self._changed(r, pr, "assign", None)
            if len(pr.assignees) >= 10:
                raise SimulatorError("An issue or pull request can have at most 10 assignees")
            now = utcnow()
            pr.assignees.append(who)
            ev = self._event(pr, "assigned", self._actor(by), now, assignee=who)
            pr.updated_at = now
            return self._changed(r, pr, "assign", ev)

    def mark_ready_for_review(self, repo: str, number: int, by: str | None = None) -> dict[str, Any]:
        """A draft becomes ready for review: ``ready_for_review`` (422 unless an open draft)."""
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            if pr.state != "open" or not pr.draft:
                raise SimulatorError(f"pull request #{number} is not an open draft")
            now = utcnow()
            pr.draft = False
            ev = self._event(pr, "ready_for_review", self._actor(by), now)
            pr.updated_at = now
            return self._changed(r, pr, "mark_ready_for_review", ev)

    def convert_to_draft(self, repo: str, number: int, by: str | None = None) -> dict[str, Any]:
        """An open pull request goes back to draft: ``convert_to_draft`` (422 otherwise)."""
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            if pr.state != "open" or pr.draft:
                raise SimulatorError(f"pull request #{number} is not an open, non-draft pull request")
            now = utcnow()
            pr.draft = True
            ev = self._event(pr, "convert_to_draft", self._actor(by), now)
            pr.updated_at = now
            return self._changed(r, pr, "convert_to_draft", ev)

    def push_commits(
        self,
        repo: str,
        number: int,
        commits: int = 1,
        additions: int = 10,
        deletions: int = 0,
        changed_files: int = 1,
        force: bool = False,
        by: str | None = None,
    ) -> dict[str, Any]:
        """Push to the head branch: new head sha, size and commit count grow by the given amounts.

        ``force=True`` rewrites the branch instead (``commits`` becomes the new total, sizes are
        replaced) and records a ``head_ref_force_pushed`` event, as GitHub does.
        """
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            if pr.state != "open":
                raise SimulatorError(f"pull request #{number} is closed")
            now = utcnow()
            if force:
                pr.commits, pr.additions, pr.deletions = max(1, commits), additions, deletions
                pr.changed_files = changed_files
                self._event(pr, "head_ref_force_pushed", self._actor(by), now)
            else:
                pr.commits += commits
                pr.additions += additions
                pr.deletions += deletions
                pr.changed_files += changed_files
            pr.head_sha = sha1_hex(r.id, number, "head", now.isoformat(), pr.commits)
            pr.updated_at = r.pushed_at = now
            return self._changed(r, pr, "push_commits", None)

    def add_comment(self, repo: str, number: int) -> dict[str, Any]:
        """Add an issue comment to a pull request (``comments`` + 1, bumps updated_at)."""
        with self.lock:
            r = self.resolve(repo)
            pr = self.pull(r, number)
            pr.comments += 1
            pr.updated_at = utcnow()
            return self._changed(r, pr, "add_comment", None)

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
        "request_review",
        "remove_review_request",
        "add_label",
        "remove_label",
        "assign",
        "mark_ready_for_review",
        "convert_to_draft",
        "push_commits",
        "add_comment",
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
