"""Validated pull-request and review records, built from REST or GraphQL payloads.

One record shape serves both API styles so that the warehouse is filled identically whichever
strategy ran. Parsers tolerate the nulls GitHub really sends (deleted users, deleted forks,
PENDING reviews without ``submitted_at``) and reject anything else with a message that names the
repository, the pull request and the field.

Where the two APIs spell the same fact differently, the records fix one spelling (issue 13:
"identical tables whichever strategy"):

- an empty PR description is ``None`` (REST sends ``null``, GraphQL ``""``); a review's body is
  text, ``""`` when empty (both APIs send ``""``);
- ``merge_commit_sha`` is set only for merged PRs: REST's ``merge_commit_sha`` of an open PR is
  GitHub's *test* merge commit (REST docs, "Get a pull request"), GraphQL's ``mergeCommit`` is
  null until the merge;
- bots are ``name[bot]`` (REST's spelling; GraphQL says ``name``);
- lists (labels, assignees, requested reviewers and teams) are sorted tuples, never None.

Text a warehouse cannot store is cleaned here, in one place, the same way for both backends
(:func:`clean_text`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from prsync_dagster.errors import MalformedPayloadError


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp has no time zone")
    return value.astimezone(UTC)


def _timestamp_text(value: object) -> object:
    """GitHub sends ISO 8601 text; a number would otherwise pass as seconds since 1970."""
    if isinstance(value, int | float):
        raise ValueError("expected an ISO 8601 timestamp, got a number")
    return value


UtcDatetime = Annotated[datetime, BeforeValidator(_timestamp_text), AfterValidator(_as_utc)]

#: Characters no backend stores: NUL (Postgres ``text`` rejects ``\u0000``, "invalid byte sequence
#: for encoding UTF8: 0x00") and UTF-16 surrogates, which JSON can carry unpaired (``"\ud800"``) and
#: Python then holds as lone code points that neither psycopg nor DuckDB can encode as UTF-8.
#: A paired surrogate in JSON is already one character after decoding, so any left are unpaired.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

#: What replaces an unstorable character: U+FFFD, as a UTF-8 decoder marks invalid input.
REPLACEMENT_CHARACTER = "\ufffd"


def clean_text(value: str) -> str:
    """``value`` with each NUL and each unpaired UTF-16 surrogate replaced by U+FFFD.

    Issue 13 item 6: such text (seen in real PR bodies pasted from binary logs) made Postgres
    refuse the whole batch, so one bad title blocked its repository for good, while DuckDB stored
    it; cleaning in the record makes both backends store the same, visible, marker. Every text
    field of every record passes through here (titles, bodies, refs, logins, labels, slugs).
    """
    return _UNSTORABLE.sub(REPLACEMENT_CHARACTER, value)


def _clean(value: object) -> object:
    return clean_text(value) if isinstance(value, str) else value


#: Text as stored: cleaned of what a backend cannot hold (see :func:`clean_text`).
Text = Annotated[str, BeforeValidator(_clean)]


def _sorted_names(value: object) -> object:
    """Lists are stored sorted (code-point order) so both APIs' orders give the same row."""
    if isinstance(value, list | tuple):
        return tuple(sorted(_clean(item) for item in value))  # type: ignore[type-var]
    return value


#: A list column: sorted, never None (the warehouse stores a native array, ``[]`` when empty).
NameList = Annotated[tuple[Text, ...], BeforeValidator(_sorted_names)]

ReviewState = Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]


class _Row(BaseModel):
    """What every row starts with: the partition key and GitHub's id of the repository."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    repo: str
    repo_id: int


class PullRequestRecord(_Row):
    """One row of ``github.pull_requests`` (columns: CONTRACT.md, "Review-metrics data").

    The review-metrics fields default to "unknown" (None, or ``()`` for lists) so that rows
    written before migration 0002 read back; every sync since fills them all.
    """

    number: int
    id: int
    title: Text
    state: Literal["open", "closed"]
    draft: bool
    merged: bool
    author_login: Text | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    closed_at: UtcDatetime | None
    merged_at: UtcDatetime | None
    base_ref: Text
    head_ref: Text
    html_url: Text
    body: Text | None = None
    additions: int | None = None
    deletions: int | None = None
    changed_files: int | None = None
    commits: int | None = None
    #: Issue comments (the conversation), not review comments: REST ``comments``, GraphQL
    #: ``comments.totalCount``.
    comments: int | None = None
    labels: NameList = ()
    assignees: NameList = ()
    #: Pending review requests only (GitHub drops a request once that reviewer reviews).
    requested_reviewers: NameList = ()
    requested_teams: NameList = ()
    merged_by_login: Text | None = None
    merge_commit_sha: Text | None = None
    head_sha: Text | None = None
    base_sha: Text | None = None
    author_association: Text | None = None
    is_cross_repository: bool | None = None
    #: Time of the FIRST ``ready_for_review`` timeline event; None when the PR never was a draft.
    ready_for_review_at: UtcDatetime | None = None

    @classmethod
    def from_rest(
        cls, payload: dict[str, Any], *, repo: str, repo_id: int, full: dict[str, Any] | None = None
    ) -> PullRequestRecord:
        """Parse a pull-request-simple (list) payload, completed by the full ``GET /pulls/{n}`` one.

        The list item gives everything but size, counts and ``merged_by`` (GitHub's list omits
        them: see the recording ``pulls_list.json`` vs ``pull.json``); those come from ``full``
        when given. ``updated_at`` always comes from ``payload``, the list the cursor was read
        from: a PR that changed between the two requests is then seen again by the next sync.
        """
        number = payload.get("number") if isinstance(payload, dict) else None
        with _parsing(repo=repo, pr_number=number):
            merged_at = payload.get("merged_at")
            merged = payload.get("merged", merged_at is not None)
            detail = full if full is not None else {}
            head, base = payload["head"], payload["base"]
            return cls(
                repo=repo,
                repo_id=repo_id,
                number=payload["number"],
                id=payload["id"],
                title=payload["title"],
                state=payload["state"],
                # Payloads recorded before drafts existed (2019) have no `draft` key.
                draft=payload.get("draft") or False,
                # The list payload has no `merged`; `merged_at` is set exactly when a PR was merged.
                merged=merged,
                author_login=(payload.get("user") or {}).get("login"),
                created_at=payload["created_at"],
                updated_at=payload["updated_at"],
                closed_at=payload.get("closed_at"),
                merged_at=merged_at,
                base_ref=base["ref"],
                head_ref=head["ref"],
                html_url=payload["html_url"],
                body=payload.get("body") or None,
                additions=detail.get("additions"),
                deletions=detail.get("deletions"),
                changed_files=detail.get("changed_files"),
                commits=detail.get("commits"),
                comments=detail.get("comments"),
                labels=[label["name"] for label in payload.get("labels") or ()],
                assignees=[user["login"] for user in payload.get("assignees") or ()],
                requested_reviewers=[user["login"] for user in payload.get("requested_reviewers") or ()],
                requested_teams=[team["slug"] for team in payload.get("requested_teams") or ()],
                merged_by_login=_rest_login(detail.get("merged_by")),
                merge_commit_sha=payload.get("merge_commit_sha") if merged else None,
                head_sha=head.get("sha"),
                base_sha=base.get("sha"),
                author_association=payload.get("author_association"),
                is_cross_repository=_rest_cross_repository(head, base),
            )

    @classmethod
    def from_graphql(cls, node: dict[str, Any], *, repo: str, repo_id: int) -> PullRequestRecord:
        """Parse a GraphQL ``PullRequest`` node (the fields of ``graphql.PULL_REQUEST_FIELDS``).

        Lists are read from the node's first page; the stream passes the completed lists in
        ``node`` when a connection overflowed (see ``GraphQLPullRequestStream``).
        """
        number = node.get("number") if isinstance(node, dict) else None
        with _parsing(repo=repo, pr_number=number):
            state = node["state"]
            if state not in ("OPEN", "CLOSED", "MERGED"):
                raise KeyError("state")
            merge_commit = node.get("mergeCommit")
            requests = [
                request.get("requestedReviewer") for request in _connection_nodes(node, "reviewRequests")
            ]
            return cls(
                repo=repo,
                repo_id=repo_id,
                number=node["number"],
                id=node["databaseId"],
                title=node["title"],
                state="open" if state == "OPEN" else "closed",
                draft=node["isDraft"],
                merged=node["merged"],
                author_login=graphql_login(node.get("author")),
                created_at=node["createdAt"],
                updated_at=node["updatedAt"],
                closed_at=node.get("closedAt"),
                merged_at=node.get("mergedAt"),
                base_ref=node["baseRefName"],
                head_ref=node["headRefName"],
                html_url=node["url"],
                body=node.get("body") or None,
                additions=node["additions"],
                deletions=node["deletions"],
                changed_files=node["changedFiles"],
                commits=node["commits"]["totalCount"],
                comments=node["comments"]["totalCount"],
                labels=[label["name"] for label in _connection_nodes(node, "labels")],
                assignees=[user["login"] for user in _connection_nodes(node, "assignees")],
                requested_reviewers=[
                    login for reviewer in requests if (login := _reviewer_login(reviewer)) is not None
                ],
                requested_teams=[slug for reviewer in requests if (slug := _team_slug(reviewer)) is not None],
                merged_by_login=graphql_login(node.get("mergedBy")),
                merge_commit_sha=merge_commit.get("oid") if merge_commit and node["merged"] else None,
                head_sha=node.get("headRefOid"),
                base_sha=node.get("baseRefOid"),
                author_association=node.get("authorAssociation"),
                is_cross_repository=node.get("isCrossRepository"),
            )


class ReviewRecord(_Row):
    """One row of ``github.pull_request_reviews``."""

    pr_number: int
    id: int
    author_login: Text | None
    state: ReviewState
    submitted_at: UtcDatetime | None
    commit_id: Text | None
    #: ``""`` when the review has no text (both APIs send ``""``); None only for rows stored
    #: before migration 0002.
    body: Text | None = None
    author_association: Text | None = None

    @classmethod
    def from_rest(cls, payload: dict[str, Any], *, repo: str, repo_id: int, pr_number: int) -> ReviewRecord:
        with _parsing(repo=repo, pr_number=pr_number, what="review"):
            return cls(
                repo=repo,
                repo_id=repo_id,
                pr_number=pr_number,
                id=payload["id"],
                author_login=(payload.get("user") or {}).get("login"),
                state=payload["state"],
                submitted_at=payload.get("submitted_at"),
                commit_id=payload.get("commit_id"),
                body=payload.get("body") or "",
                author_association=payload.get("author_association"),
            )

    @classmethod
    def from_graphql(cls, node: dict[str, Any], *, repo: str, repo_id: int, pr_number: int) -> ReviewRecord:
        with _parsing(repo=repo, pr_number=pr_number, what="review"):
            return cls(
                repo=repo,
                repo_id=repo_id,
                pr_number=pr_number,
                id=node["databaseId"],
                author_login=graphql_login(node.get("author")),
                state=node["state"],
                submitted_at=node.get("submittedAt"),
                commit_id=(node.get("commit") or {}).get("oid"),
                body=node.get("body") or "",
                author_association=node.get("authorAssociation"),
            )


TimelineEvent = Literal["review_requested", "review_request_removed", "ready_for_review", "convert_to_draft"]

#: REST timeline ``event`` values kept (everything else on the timeline is skipped).
TIMELINE_EVENTS: tuple[str, ...] = get_args(TimelineEvent)

#: GraphQL ``PullRequestTimelineItemsItemType`` values of the same four kinds, and the
#: ``__typename`` of each item (GitHub's public GraphQL schema).
GRAPHQL_TIMELINE_ITEM_TYPES = (
    "REVIEW_REQUESTED_EVENT",
    "REVIEW_REQUEST_REMOVED_EVENT",
    "READY_FOR_REVIEW_EVENT",
    "CONVERT_TO_DRAFT_EVENT",
)
GRAPHQL_TIMELINE_TYPENAMES: dict[str, TimelineEvent] = {
    "ReviewRequestedEvent": "review_requested",
    "ReviewRequestRemovedEvent": "review_request_removed",
    "ReadyForReviewEvent": "ready_for_review",
    "ConvertToDraftEvent": "convert_to_draft",
}


class TimelineRecord(_Row):
    """One row of ``github.pull_request_timeline``: a review-request or draft-state event.

    ``node_id`` is GitHub's global node id in the *next* format: REST returns it when asked with
    ``X-Github-Next-Global-ID: 1`` (the client always sends it), GraphQL's ``id`` is the same
    id, so both strategies key the same event the same way.
    """

    pr_number: int
    node_id: Text
    event: TimelineEvent
    actor_login: Text | None
    requested_reviewer: Text | None
    requested_team: Text | None
    created_at: UtcDatetime

    @classmethod
    def from_rest(
        cls, payload: dict[str, Any], *, repo: str, repo_id: int, pr_number: int
    ) -> TimelineRecord | None:
        """Parse an item of ``GET /issues/{n}/timeline``; None for the kinds not kept.

        Items of other kinds have other shapes (``committed`` has no id nor ``created_at``), so
        only the ``event`` key is read before deciding.
        """
        if not isinstance(payload, dict) or payload.get("event") not in TIMELINE_EVENTS:
            return None

        with _parsing(repo=repo, pr_number=pr_number, what="timeline item"):
            team = payload.get("requested_team")
            return cls(
                repo=repo,
                repo_id=repo_id,
                pr_number=pr_number,
                node_id=payload["node_id"],
                event=payload["event"],
                actor_login=_rest_login(payload.get("actor")),
                requested_reviewer=_rest_login(payload.get("requested_reviewer")),
                requested_team=team["slug"] if team else None,
                created_at=payload["created_at"],
            )

    @classmethod
    def from_graphql(
        cls, node: dict[str, Any], *, repo: str, repo_id: int, pr_number: int
    ) -> TimelineRecord | None:
        """Parse a ``timelineItems`` node (one of the four event types); None for other types."""
        if not isinstance(node, dict) or node.get("__typename") not in GRAPHQL_TIMELINE_TYPENAMES:
            return None

        with _parsing(repo=repo, pr_number=pr_number, what="timeline item"):
            reviewer = node.get("requestedReviewer")
            return cls(
                repo=repo,
                repo_id=repo_id,
                pr_number=pr_number,
                node_id=node["id"],
                event=GRAPHQL_TIMELINE_TYPENAMES[node["__typename"]],
                actor_login=graphql_login(node.get("actor")),
                requested_reviewer=_reviewer_login(reviewer),
                requested_team=_team_slug(reviewer),
                created_at=node["createdAt"],
            )


class PullRequestWithReviews(BaseModel):
    """A changed pull request with its complete current reviews and timeline events.

    Stored reviews and timeline rows of the PR are replaced by these. Build it with
    :meth:`build`, which also derives ``ready_for_review_at`` from the timeline.
    """

    model_config = ConfigDict(frozen=True)

    pull_request: PullRequestRecord
    reviews: tuple[ReviewRecord, ...]
    timeline: tuple[TimelineRecord, ...] = ()
    #: GitHub answered the conditional reviews request 304: the stored reviews are current and
    #: are kept (``reviews`` is then empty and means nothing).
    reviews_unchanged: bool = False
    #: ETag of the PR's REST review list when it fit one page (stored for the next conditional
    #: request); None when the reviews came from GraphQL or several pages.
    reviews_etag: str | None = None

    @classmethod
    def build(
        cls,
        pull_request: PullRequestRecord,
        reviews: Iterable[ReviewRecord] | None,
        timeline: Iterable[TimelineRecord],
        reviews_etag: str | None = None,
    ) -> PullRequestWithReviews:
        """The PR with ``ready_for_review_at`` set from its timeline (CONTRACT.md: the FIRST
        ``ready_for_review`` event; None when there is none, i.e. the PR never was a draft).

        Events are deduplicated by node id (a timeline page boundary can repeat one). ``reviews``
        None means GitHub said they did not change (304): the stored ones are kept.
        """
        events = tuple({event.node_id: event for event in timeline}.values())
        ready = [event.created_at for event in events if event.event == "ready_for_review"]
        pull_request = pull_request.model_copy(update={"ready_for_review_at": min(ready) if ready else None})
        return cls(
            pull_request=pull_request,
            reviews=tuple(reviews or ()),
            timeline=events,
            reviews_unchanged=reviews is None,
            reviews_etag=reviews_etag,
        )


def graphql_login(actor: dict[str, Any] | None) -> str | None:
    """The REST spelling of a GraphQL actor's login: GraphQL names a bot ``renovate`` where REST
    says ``renovate[bot]``; both strategies must fill the tables identically."""
    if not actor:
        return None
    login = actor["login"]
    if actor.get("__typename") == "Bot" and isinstance(login, str) and not login.endswith("[bot]"):
        return f"{login}[bot]"
    return login


@contextmanager
def _parsing(*, repo: str, pr_number: object, what: str = "pull request") -> Iterator[None]:
    """Turn any shape problem met while parsing into one error naming repository, PR and field."""
    try:
        yield
    except KeyError as exc:
        raise MalformedPayloadError(repo, pr_number, f"{what}.{exc.args[0]}", "missing") from None
    except (TypeError, AttributeError) as exc:
        raise MalformedPayloadError(repo, pr_number, what, f"unexpected shape ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or what
        raise MalformedPayloadError(
            repo, pr_number, f"{what}.{field}", f"{first['msg']} (got {first.get('input')!r})"
        ) from None


def _rest_login(user: dict[str, Any] | None) -> str | None:
    """A REST user object's login (None for a deleted account, GitHub's ``ghost``-less null)."""
    if not user:
        return None
    login = user["login"]
    return login if isinstance(login, str) else None


def _rest_cross_repository(head: dict[str, Any], base: dict[str, Any]) -> bool:
    """Whether the head branch lives in another repository (a fork), as GraphQL's ``isCrossRepository``.

    A deleted fork leaves ``head.repo`` null (recording ``pull_head_repo_deleted.json``); only a
    fork can be deleted while its base repository lives, so that counts as cross-repository.
    """
    head_repo, base_repo = head.get("repo"), base.get("repo")
    if not head_repo:
        return True
    if not base_repo:
        return False
    return bool(head_repo.get("id") != base_repo.get("id"))


def _reviewer_login(reviewer: dict[str, Any] | None) -> str | None:
    """The login of a GraphQL ``RequestedReviewer`` (User, Bot, Mannequin); None for a Team."""
    if not reviewer or reviewer.get("__typename") == "Team":
        return None
    return graphql_login(reviewer)


def _team_slug(reviewer: dict[str, Any] | None) -> str | None:
    """The slug of a GraphQL ``RequestedReviewer`` that is a Team; None for anyone else."""
    return reviewer["slug"] if reviewer and reviewer.get("__typename") == "Team" else None


def _connection_nodes(node: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The nodes of a nested connection (a missing connection is a shape error)."""
    nodes = node[name]["nodes"]
    if not isinstance(nodes, list):
        raise TypeError(f"{name}.nodes is not a list")
    return [item for item in nodes if item is not None]
