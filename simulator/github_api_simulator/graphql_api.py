"""``POST /graphql``: execution with graphql-core, GitHub's cost formula, errors shaped like GitHub's.

Cost (https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api):
every connection needs one request per parent node, i.e. the product of the ``first``/``last``
of all enclosing connections; the sum of those requests divided by 100, rounded to the nearest
whole number, with a minimum of 1, is the point cost. ``nodeCount`` is the number of nodes the
query may return (the same products including each connection's own page size); more than
500,000 is refused like GitHub does.

Cursors are keyset-based like GitHub's (``cursor:v2:`` + msgpack of the ordering key), so an
item that is updated while a client pages by ``UPDATED_AT DESC`` moves to the front and is not
returned again, while the items after the cursor key continue.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute,
    get_named_type,
    get_operation_ast,
    parse,
    validate,
    value_from_ast_untyped,
)
from graphql.error import GraphQLSyntaxError

from github_api_simulator._util import (
    HTML_ORIGIN,
    decode_cursor,
    encode_cursor,
    iso,
    node_id,
    parse_iso,
    sha1_hex,
)
from github_api_simulator.graphql_schema import SDL
from github_api_simulator.model import (
    EVENT_TYPES,
    Account,
    Label,
    PullRequest,
    Repo,
    Review,
    Team,
    TimelineEvent,
    World,
)
from github_api_simulator.payloads import comment_ids, timeline_entries

MAX_NODES = 500_000
MAX_PAGE = 100
DOCS = "https://docs.github.com/graphql"


@dataclass
class QueryCost:
    """Static analysis of one operation."""

    requests: int
    nodes: int
    too_many_nodes_at: str | None = None

    @property
    def points(self) -> int:
        return max(1, math.floor(self.requests / 100 + 0.5))


@dataclass
class RateSnapshot:
    """What ``rateLimit { ... }`` reports for the current query (after charging it)."""

    cost: int
    limit: int
    remaining: int
    used: int
    reset_at: datetime
    node_count: int


@dataclass
class Viewer:
    """Who is asking: the token's account plus, for installation tokens, the visible owner."""

    account: Account
    installation_owner: str | None = None
    repository_ids: frozenset[int] | None = None

    def can_see(self, repo: Repo) -> bool:
        if self.installation_owner is None:
            return True
        if repo.owner.login.lower() != self.installation_owner:
            return False
        return self.repository_ids is None or repo.id in self.repository_ids


class GitHubError(GraphQLError):
    """A field error carrying GitHub's top-level ``type`` (NOT_FOUND, MISSING_PAGINATION_BOUNDARIES...)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message, extensions={"type": kind})


# ---- static analysis ------------------------------------------------------------------------


def analyze(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: dict[str, Any]
) -> QueryCost:
    """Requests and node count of the chosen operation, per GitHub's documented formula."""
    operation = get_operation_ast(document, operation_name)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    result = QueryCost(0, 0)
    if operation is None:
        return result
    root = schema.get_root_type(operation.operation)
    if root is None:
        return result

    def page_size(node: FieldNode) -> int:
        for name in ("first", "last"):
            for arg in node.arguments or ():
                if arg.name.value == name:
                    value = value_from_ast_untyped(arg.value, variables)
                    if isinstance(value, int) and value > 0:
                        return value
        return 0

    def walk(selection_set: SelectionSetNode, parent: GraphQLNamedType, mult: int, depth: int) -> None:
        if depth > 64:
            return
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                fields = getattr(parent, "fields", None)
                name = sel.name.value
                if fields is None or name not in fields:
                    continue
                target = get_named_type(fields[name].type)
                child = mult
                if target.name.endswith("Connection"):
                    result.requests += mult
                    child = mult * page_size(sel)
                    result.nodes += child
                    if result.nodes > MAX_NODES and result.too_many_nodes_at is None:
                        result.too_many_nodes_at = name
                if sel.selection_set is not None:
                    walk(sel.selection_set, target, child, depth + 1)
            elif isinstance(sel, InlineFragmentNode):
                cond = schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
                walk(sel.selection_set, cond or parent, mult, depth + 1)
            elif isinstance(sel, FragmentSpreadNode):
                frag = fragments.get(sel.name.value)
                if frag is not None:
                    cond = schema.get_type(frag.type_condition.name.value)
                    walk(frag.selection_set, cond or parent, mult, depth + 1)

    walk(operation.selection_set, root, 1, 0)
    return result


# ---- pagination -----------------------------------------------------------------------------


def _selects_items(info: Any) -> bool:
    """True when the connection field selects ``nodes`` or ``edges`` (then first/last is required)."""
    for node in info.field_nodes:
        stack = [node.selection_set] if node.selection_set else []
        while stack:
            sel_set = stack.pop()
            for sel in sel_set.selections:
                if isinstance(sel, FieldNode) and sel.name.value in ("nodes", "edges"):
                    return True
                if isinstance(sel, InlineFragmentNode):
                    stack.append(sel.selection_set)
                if isinstance(sel, FragmentSpreadNode):
                    frag = info.fragments.get(sel.name.value)
                    if frag is not None:
                        stack.append(frag.selection_set)
    return False


def paginate(
    info: Any,
    field_name: str,
    items: Sequence[Any],
    key: Callable[[Any], list[Any]],
    wrap: Callable[[Any], Any],
    descending: bool,
    first: int | None,
    last: int | None,
    after: str | None,
    before: str | None,
    skip: int | None = None,
) -> dict[str, Any]:
    """A Relay connection over ``items`` (already ordered), with keyset cursors."""
    if first is None and last is None and _selects_items(info):
        raise GitHubError(
            "MISSING_PAGINATION_BOUNDARIES",
            f"You must provide a `first` or `last` value to properly paginate the `{field_name}` connection.",
        )
    for arg, value in (("first", first), ("last", last)):
        if value is not None and value > MAX_PAGE:
            raise GitHubError(
                "EXCESSIVE_PAGINATION",
                f"Requesting {value} records on the `{field_name}` connection exceeds the "
                f"`{arg}` limit of {MAX_PAGE} records.",
            )
        if value is not None and value < 0:
            raise GitHubError(
                "INVALID_ARGUMENTS", f"`{arg}` on the `{field_name}` connection cannot be negative."
            )
    keys = [key(i) for i in items]
    # Order-preserving comparable keys: negate nothing, just compare in the list's own order.
    sort_keys = [_Comparable(k, descending) for k in keys]
    start, end = 0, len(items)
    for cursor, is_after in ((after, True), (before, False)):
        if cursor is None:
            continue
        try:
            ckey = decode_cursor(cursor)
            if len(ckey) != len(keys[0] if keys else ckey):
                raise ValueError("cursor shape")
            probe = _Comparable(ckey, descending)
            if is_after:
                start = max(start, bisect.bisect_right(sort_keys, probe))
            else:
                end = min(end, bisect.bisect_left(sort_keys, probe))
        except (ValueError, TypeError) as exc:
            raise GitHubError(
                "INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor."
            ) from exc
    window = list(range(start, max(start, end)))
    filtered = len(window)
    if skip:
        window = window[skip:]
    if first is not None:
        window = window[:first]
    if last is not None:
        window = window[-last:] if last else []
    page = [items[i] for i in window]
    cursors = [encode_cursor(keys[i]) for i in window]
    return {
        "totalCount": len(items),
        "filteredCount": filtered,
        "pageCount": len(page),
        "pageInfo": {
            "hasNextPage": bool(window) and window[-1] < len(items) - 1,
            "hasPreviousPage": (window[0] > 0) if window else start > 0,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
        # lazy: only built when selected
        "nodes": lambda info: [wrap(i) for i in page],
        "edges": lambda info: [{"cursor": c, "node": wrap(i)} for c, i in zip(cursors, page, strict=True)],
    }


class _Comparable:
    """Wraps a key so bisect works on lists ordered ascending or descending."""

    __slots__ = ("desc", "key")

    def __init__(self, key: list[Any], desc: bool) -> None:
        self.key = key
        self.desc = desc

    def __lt__(self, other: _Comparable) -> bool:
        return bool(self.key > other.key) if self.desc else bool(self.key < other.key)


def _ts(value: datetime) -> str:
    """Timestamp inside cursors, in the offset form GitHub's cursors carry."""
    return value.isoformat()


# ---- object wrappers (field names are GraphQL's) -------------------------------------------


class Ctx:
    """Per-request context: the world, the viewer and the rate-limit snapshot."""

    def __init__(self, world: World, viewer: Viewer, rate: RateSnapshot) -> None:
        self.world = world
        self.viewer = viewer
        self.rate = rate


def actor(acc: Account | None) -> dict[str, Any] | None:
    """User, Bot or Organization; None for deleted accounts (GitHub's ``author: null``)."""
    if acc is None:
        return None
    login = acc.graphql_login
    typename = {"Bot": "Bot", "Organization": "Organization"}.get(acc.type, "User")
    path = f"/apps/{login}" if acc.type == "Bot" else f"/{login}"
    avatar = f"https://avatars.githubusercontent.com/u/{acc.id}?v=4"
    return {
        "__typename": typename,
        "id": acc.node_id,
        "databaseId": acc.id,
        "login": login,
        "name": None,
        "resourcePath": path,
        "url": f"{HTML_ORIGIN}{path}",
        "avatarUrl": lambda info, size=None: avatar if size is None else f"{avatar}&s={size}",
        "isSiteAdmin": acc.site_admin,
    }


def team_node(team: Team) -> dict[str, Any]:
    """Team (a ``RequestedReviewer``)."""
    path = f"/orgs/{team.org.login}/teams/{team.slug}"
    return {
        "__typename": "Team",
        "id": team.next_node_id,
        "databaseId": team.id,
        "slug": team.slug,
        "name": team.name,
        "combinedSlug": f"{team.org.login}/{team.slug}",
        "description": team.description,
        "organization": actor(team.org),
        "resourcePath": path,
        "url": f"{HTML_ORIGIN}{path}",
        "avatarUrl": lambda info, size=400: f"https://avatars.githubusercontent.com/t/{team.id}?s={size}&v=4",
    }


def label_node(repo: Repo, lab: Label) -> dict[str, Any]:
    path = f"/{repo.full_name}/labels/{lab.name}"
    return {
        "__typename": "Label",
        "id": lab.node_id,
        "name": lab.name,
        "color": lab.color,
        "description": lab.description,
        "isDefault": lab.default,
        "createdAt": iso(repo.created_at),
        "updatedAt": iso(repo.created_at),
        "resourcePath": path,
        "url": f"{HTML_ORIGIN}{path}",
    }


def _item_type(typename: str) -> str:
    """``ReviewRequestedEvent`` -> ``REVIEW_REQUESTED_EVENT`` (PullRequestTimelineItemsItemType)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", typename).upper()


class GqlRepo:
    """Repository."""

    def __init__(self, ctx: Ctx, repo: Repo) -> None:
        self.ctx = ctx
        self.repo = repo
        self.id = repo.node_id
        self.databaseId = repo.id
        self.name = repo.name
        self.nameWithOwner = repo.full_name
        self.owner = actor(repo.owner)
        self.url = repo.html_url
        self.description = repo.description
        self.isPrivate = repo.private
        self.isFork = False
        self.createdAt = iso(repo.created_at)
        self.updatedAt = iso(repo.updated_at)

    def pullRequest(self, info: Any, number: int) -> GqlPull | None:
        pr = self.repo.pulls.get(number)
        if pr is None:
            raise GitHubError("NOT_FOUND", f"Could not resolve to a PullRequest with the number of {number}.")
        return GqlPull(self.ctx, self.repo, pr)

    def pullRequests(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
        orderBy: dict[str, str] | None = None,
        states: list[str] | None = None,
        labels: list[str] | None = None,
        baseRefName: str | None = None,
        headRefName: str | None = None,
    ) -> dict[str, Any]:
        field = (orderBy or {}).get("field")
        descending = (orderBy or {}).get("direction") == "DESC"
        pulls = list(self.repo.pulls.values())
        if states:
            wanted = set(states)
            pulls = [p for p in pulls if _pr_state(p) in wanted]
        if labels:
            names = set(labels)
            pulls = [p for p in pulls if names & {lab.name for lab in p.labels}]
        if baseRefName is not None:
            pulls = [p for p in pulls if p.base_ref == baseRefName]
        if headRefName is not None:
            pulls = [p for p in pulls if p.head_ref == headRefName]
        key: Callable[[PullRequest], list[Any]]
        if field == "CREATED_AT":
            key = lambda p: [_ts(p.created_at), p.id]  # noqa: E731
        elif field == "UPDATED_AT":
            key = lambda p: [_ts(p.updated_at), p.id]  # noqa: E731
        elif field == "COMMENTS":
            key = lambda p: [p.comments, p.id]  # noqa: E731
        else:
            key = lambda p: [p.id]  # noqa: E731
            descending = False
        pulls.sort(key=key, reverse=descending)
        return paginate(
            info,
            "pullRequests",
            pulls,
            key,
            lambda p: GqlPull(self.ctx, self.repo, p),
            descending,
            first,
            last,
            after,
            before,
        )


def _pr_state(pr: PullRequest) -> str:
    if pr.merged:
        return "MERGED"
    return "OPEN" if pr.state == "open" else "CLOSED"


class GqlPull:
    """PullRequest (fields are computed only when selected)."""

    def __init__(self, ctx: Ctx, repo: Repo, pr: PullRequest) -> None:
        self.ctx, self.repo_obj, self.pr = ctx, repo, pr
        self.id = pr.node_id
        self.databaseId = pr.id
        self.number = pr.number
        self.title = pr.title
        self.isDraft = pr.draft
        self.merged = pr.merged
        self.locked = pr.locked
        self.baseRefName = pr.base_ref
        self.baseRefOid = pr.base_sha
        self.headRefName = pr.head_ref
        self.headRefOid = pr.head_sha
        self.additions = pr.additions
        self.deletions = pr.deletions
        self.changedFiles = pr.changed_files
        self.authorAssociation = pr.author_association

    body = property(lambda self: self.pr.body or "")
    state = property(lambda self: _pr_state(self.pr))
    closed = property(lambda self: self.pr.state == "closed")
    createdAt = property(lambda self: iso(self.pr.created_at))
    updatedAt = property(lambda self: iso(self.pr.updated_at))
    closedAt = property(lambda self: iso(self.pr.closed_at))
    mergedAt = property(lambda self: iso(self.pr.merged_at))
    author = property(lambda self: actor(self.pr.author))
    mergedBy = property(lambda self: actor(self.pr.merged_by))
    isCrossRepository = property(lambda self: self.pr.fork is not None or self.pr.head_repo_deleted)
    url = property(lambda self: f"{self.repo_obj.html_url}/pull/{self.pr.number}")
    permalink = url

    def repository(self, info: Any) -> GqlRepo:
        return GqlRepo(self.ctx, self.repo_obj)

    def reviews(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
        states: list[str] | None = None,
        author: str | None = None,
    ) -> dict[str, Any]:
        items = sorted(self.pr.reviews, key=lambda r: r.id)
        if states:
            wanted = set(states)
            items = [r for r in items if r.state in wanted]
        if author is not None:
            items = [
                r for r in items if r.author is not None and r.author.graphql_login.lower() == author.lower()
            ]
        return paginate(
            info,
            "reviews",
            items,
            lambda r: [r.id],
            lambda r: GqlReview(self.ctx, self.repo_obj, self.pr, r),
            False,
            first,
            last,
            after,
            before,
        )

    def commits(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> dict[str, Any]:
        n = max(1, self.pr.commits)
        return paginate(
            info,
            "commits",
            list(range(n)),
            lambda i: [i],
            lambda i: _pull_commit(self, i),
            False,
            first,
            last,
            after,
            before,
        )

    @property
    def mergeCommit(self) -> dict[str, Any] | None:
        pr = self.pr
        if not pr.merged or pr.merge_commit_sha is None:
            return None
        return _commit(self.repo_obj, pr.merge_commit_sha, pr.merged_at or pr.updated_at)

    totalCommentsCount = property(lambda self: self.pr.comments + self.pr.review_comments)

    def labels(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
        orderBy: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        labs = sorted(self.pr.labels, key=lambda lab: lab.id)
        return paginate(
            info,
            "labels",
            labs,
            lambda lab: [lab.id],
            lambda lab: label_node(self.repo_obj, lab),
            False,
            first,
            last,
            after,
            before,
        )

    def assignees(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> dict[str, Any]:
        people = list(self.pr.assignees)
        return paginate(
            info,
            "assignees",
            list(range(len(people))),
            lambda i: [i],
            lambda i: actor(people[i]),
            False,
            first,
            last,
            after,
            before,
        )

    def reviewRequests(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> dict[str, Any]:
        pr, repo = self.pr, self.repo_obj
        targets: list[Account | Team] = [*pr.requested_reviewers, *pr.requested_teams]

        def wrap(i: int) -> dict[str, Any]:
            target = targets[i]
            ident = target.id if isinstance(target, Team) else target.id + 1_000_000_000
            return {
                "__typename": "ReviewRequest",
                "id": node_id("RR", repo.id, pr.id, ident),
                "databaseId": (pr.id * 31 + ident) % 2_000_000_000,
                "asCodeOwner": False,
                "pullRequest": self,
                "requestedReviewer": team_node(target) if isinstance(target, Team) else actor(target),
            }

        return paginate(
            info,
            "reviewRequests",
            list(range(len(targets))),
            lambda i: [i],
            wrap,
            False,
            first,
            last,
            after,
            before,
        )

    def comments(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> dict[str, Any]:
        pr, repo = self.pr, self.repo_obj
        entries = {e[3]: e[0] for e in timeline_entries(repo, pr) if e[2] == "commented"}

        def wrap(cid: int) -> dict[str, Any]:
            return _issue_comment(repo, pr, cid, entries[cid])

        return paginate(
            info, "comments", comment_ids(pr), lambda c: [c], wrap, False, first, last, after, before
        )

    def timelineItems(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
        itemTypes: list[str] | None = None,
        since: str | None = None,
        skip: int | None = None,
    ) -> dict[str, Any]:
        pr, repo = self.pr, self.repo_obj
        entries = timeline_entries(repo, pr)
        if itemTypes:
            wanted = set(itemTypes)
            entries = [e for e in entries if _item_type(_entry_typename(e)) in wanted]
        if since:
            cutoff = parse_iso(since)
            entries = [e for e in entries if e[0] >= cutoff]
        if skip is not None and skip < 0:
            raise GitHubError(
                "INVALID_ARGUMENTS", "`skip` on the `timelineItems` connection cannot be negative."
            )
        conn = paginate(
            info,
            "timelineItems",
            entries,
            lambda e: [int(e[0].timestamp() * 1000), e[1]],
            lambda e: self._timeline_node(e),
            False,
            first,
            last,
            after,
            before,
            skip,
        )
        conn["updatedAt"] = iso(pr.updated_at)
        return conn

    def _timeline_node(self, entry: tuple[datetime, int, str, Any]) -> Any:
        at, _, kind, obj = entry
        pr, repo = self.pr, self.repo_obj
        if kind == "committed":
            return _pull_commit(self, obj)
        if kind == "commented":
            return _issue_comment(repo, pr, obj, at)
        if kind == "reviewed":
            return GqlReview(self.ctx, repo, pr, obj)
        return _event_node(self, obj)


def _commit(repo: Repo, oid: str, when: datetime | None) -> dict[str, Any]:
    """Commit (only the fields served)."""
    return {
        "id": node_id("C", repo.id, int(oid[:12], 16)),
        "oid": oid,
        "additions": 0,
        "deletions": 0,
        "changedFiles": 0,
        "changedFilesIfAvailable": 0,
        "committedDate": iso(when),
        "message": "",
        "url": f"{repo.html_url}/commit/{oid}",
    }


def _pull_commit(gpull: GqlPull, i: int) -> dict[str, Any]:
    """PullRequestCommit number ``i`` of a pull request (its last one is the head commit)."""
    pr, repo = gpull.pr, gpull.repo_obj
    n = max(1, pr.commits)
    oid = pr.head_sha if i == n - 1 else sha1_hex(repo.id, pr.number, "commit", i)
    share = pr.additions // n + (pr.additions % n if i == n - 1 else 0)
    cut = pr.deletions // n + (pr.deletions % n if i == n - 1 else 0)
    files = max(1, min(pr.changed_files, 1 + i % max(1, pr.changed_files)))
    commit = _commit(repo, oid, pr.created_at)
    commit.update(
        {
            "additions": share,
            "deletions": cut,
            "changedFiles": files,
            "changedFilesIfAvailable": files,
            "message": f"Commit {i + 1} of #{pr.number}",
        }
    )
    return {
        "__typename": "PullRequestCommit",
        "id": node_id("PURC", repo.id, pr.id, i),
        "commit": commit,
        "pullRequest": gpull,
        "url": f"{repo.html_url}/pull/{pr.number}/commits/{oid}",
    }


def _issue_comment(repo: Repo, pr: PullRequest, cid: int, at: datetime) -> dict[str, Any]:
    """IssueComment (bodies and authors as the REST timeline renders them)."""
    return {
        "__typename": "IssueComment",
        "id": node_id("IC", repo.id, cid),
        "databaseId": cid,
        "author": actor(pr.author),
        "authorAssociation": pr.author_association,
        "body": "Thanks, updated.",
        "createdAt": iso(at),
        "publishedAt": iso(at),
        "updatedAt": iso(at),
        "url": f"{repo.html_url}/pull/{pr.number}#issuecomment-{cid}",
    }


def _entry_typename(entry: tuple[datetime, int, str, Any]) -> str:
    kind = entry[2]
    if kind == "committed":
        return "PullRequestCommit"
    if kind == "commented":
        return "IssueComment"
    if kind == "reviewed":
        return "PullRequestReview"
    ev: TimelineEvent = entry[3]
    return EVENT_TYPES[ev.event][0]


def _event_node(gpull: GqlPull, ev: TimelineEvent) -> dict[str, Any]:
    """A stored issue event as its GraphQL type (ReviewRequestedEvent, LabeledEvent, ...)."""
    pr, repo = gpull.pr, gpull.repo_obj
    typename = EVENT_TYPES[ev.event][0]
    requested: dict[str, Any] | None = None
    if ev.requested_team is not None:
        requested = team_node(ev.requested_team)
    elif ev.requested_reviewer is not None:
        requested = actor(ev.requested_reviewer)
    url = f"{repo.html_url}/pull/{pr.number}#event-{ev.id}"
    node: dict[str, Any] = {
        "__typename": typename,
        "id": ev.next_node_id(repo, pr),
        "createdAt": iso(ev.created_at),
        "actor": actor(ev.actor),
        "pullRequest": gpull,
        "url": url,
        "resourcePath": url.removeprefix(HTML_ORIGIN),
        "requestedReviewer": requested,
        "label": label_node(repo, ev.label) if ev.label is not None else None,
        "assignee": actor(ev.assignee),
        "isCrossRepository": False,
        "referencedAt": iso(ev.created_at),
        "willCloseTarget": False,
        "mergeRefName": pr.base_ref,
        "commit": _commit(repo, pr.merge_commit_sha, pr.merged_at)
        if ev.event == "merged" and pr.merge_commit_sha
        else None,
    }
    return node


class GqlReview:
    """PullRequestReview (fields are computed only when selected)."""

    __typename = "PullRequestReview"  # read by graphql-core's default type resolver (unions)

    def __init__(self, ctx: Ctx, repo: Repo, pr: PullRequest, review: Review) -> None:
        self.ctx, self.repo_obj, self.pr_obj, self.review = ctx, repo, pr, review
        self.id = review.node_id
        self.databaseId = review.id
        self.state = review.state
        self.body = review.body
        self.authorAssociation = review.author_association

    author = property(lambda self: actor(self.review.author))
    submittedAt = property(lambda self: iso(self.review.submitted_at))
    publishedAt = submittedAt
    createdAt = property(lambda self: iso(self.review.created_at))
    updatedAt = property(lambda self: iso(self.review.submitted_at or self.review.created_at))
    url = property(
        lambda self: f"{self.repo_obj.html_url}/pull/{self.pr_obj.number}#pullrequestreview-{self.review.id}"
    )

    @property
    def commit(self) -> dict[str, Any]:
        oid = self.review.commit_id
        return {
            "id": node_id("C", self.repo_obj.id, int(oid[:12], 16)),
            "oid": oid,
            "additions": 0,
            "deletions": 0,
            "changedFiles": 0,
            "changedFilesIfAvailable": 0,
            "committedDate": iso(self.review.created_at),
            "message": "",
            "url": f"{self.repo_obj.html_url}/commit/{oid}",
        }

    def pullRequest(self, info: Any) -> GqlPull:
        return GqlPull(self.ctx, self.repo_obj, self.pr_obj)


class RootQuery:
    """Query."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    def repository(self, info: Any, owner: str, name: str, followRenames: bool = True) -> GqlRepo | None:
        world = self.ctx.world
        repo, moved = world.find_repo(owner, name)
        if repo is None or (moved and not followRenames) or not self.ctx.viewer.can_see(repo):
            raise GitHubError(
                "NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'."
            )
        return GqlRepo(self.ctx, repo)

    def viewer(self, info: Any) -> dict[str, Any] | None:
        return actor(self.ctx.viewer.account)

    def rateLimit(self, info: Any, dryRun: bool = False) -> dict[str, Any]:
        rate = self.ctx.rate
        return {
            "cost": rate.cost,
            "limit": rate.limit,
            "remaining": rate.remaining,
            "used": rate.used,
            "resetAt": iso(rate.reset_at),
            "nodeCount": rate.node_count,
        }


# ---- error formatting -----------------------------------------------------------------------

_UNDEFINED_FIELD = re.compile(r"Cannot query field '(?P<field>[^']+)' on type '(?P<type>[^']+)'\.")


def format_error(err: GraphQLError) -> dict[str, Any]:
    """GitHub's error shape: ``type``, ``path``, ``locations``, ``message`` (in that order)."""
    out: dict[str, Any] = {}
    ext = dict(err.extensions or {})
    message = err.message
    match = _UNDEFINED_FIELD.match(message)
    if match:
        message = f"Field '{match['field']}' doesn't exist on type '{match['type']}'"
        ext = {"code": "undefinedField", "typeName": match["type"], "fieldName": match["field"]}
    if "type" in ext:
        out["type"] = ext.pop("type")
    if err.path:
        out["path"] = list(err.path)
    if ext:
        out["extensions"] = ext
    if err.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in err.locations]
    out["message"] = message
    return out


@dataclass
class Prepared:
    """A parsed and validated request, ready to be costed and executed."""

    document: DocumentNode
    operation_name: str | None
    variables: dict[str, Any]
    cost: QueryCost


class GraphQLAPI:
    """Schema plus the prepare/execute steps the HTTP layer calls around rate limiting."""

    def __init__(self) -> None:
        self.schema = build_schema(SDL)
        query_type = self.schema.query_type
        assert isinstance(query_type, GraphQLObjectType)

    def prepare(self, payload: Any) -> Prepared | dict[str, Any]:
        """Parse and validate; returns a GitHub-shaped error body instead when that fails."""
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            return {"errors": [{"message": "Variables are invalid JSON."}]}
        operation_name = payload.get("operationName") or None
        try:
            document = parse(payload["query"])
        except GraphQLSyntaxError as exc:
            return {"errors": [format_error(exc)]}
        errors = validate(self.schema, document)
        if errors:
            return {"errors": [format_error(e) for e in errors]}
        operation = get_operation_ast(document, operation_name)
        if not isinstance(operation, OperationDefinitionNode):
            return {"errors": [{"message": "An operation name is required"}]}
        if operation.operation.value != "query":
            return {"errors": [{"message": f"Schema is not configured for {operation.operation.value}s"}]}
        cost = analyze(self.schema, document, operation_name, variables)
        if cost.too_many_nodes_at is not None:
            return {
                "errors": [
                    {
                        "type": "MAX_NODE_LIMIT_EXCEEDED",
                        "message": f"By the time this query traverses to the {cost.too_many_nodes_at} "
                        f"connection, it is requesting up to {cost.nodes:,} possible nodes which exceeds "
                        f"the maximum limit of {MAX_NODES:,}.",
                    }
                ]
            }
        return Prepared(document, operation_name, variables, cost)

    def run(self, prepared: Prepared, ctx: Ctx) -> dict[str, Any]:
        """Execute against the world (the caller holds the world lock)."""
        result = execute(
            self.schema,
            prepared.document,
            root_value=RootQuery(ctx),
            context_value=ctx,
            variable_values=prepared.variables,
            operation_name=prepared.operation_name,
        )
        if not isinstance(result, ExecutionResult):  # pragma: no cover - resolvers are synchronous
            raise RuntimeError("async execution is not supported")
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [format_error(e) for e in result.errors]
        return body
