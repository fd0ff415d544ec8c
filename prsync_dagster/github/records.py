"""Validated pull-request and review records, built from REST or GraphQL payloads.

One record shape serves both API styles so that the warehouse is filled identically whichever
strategy ran. Parsers tolerate the nulls GitHub really sends (deleted users, deleted forks,
PENDING reviews without ``submitted_at``) and reject anything else with a message that names the
repository, the pull request and the field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

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

_R = TypeVar("_R")

ReviewState = Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]


class PullRequestRecord(BaseModel):
    """One row of ``github.pull_requests``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    repo: str
    repo_id: int
    number: int
    id: int
    title: str
    state: Literal["open", "closed"]
    draft: bool
    merged: bool
    author_login: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    closed_at: UtcDatetime | None
    merged_at: UtcDatetime | None
    base_ref: str
    head_ref: str
    html_url: str

    @classmethod
    def from_rest(cls, payload: dict[str, Any], *, repo: str, repo_id: int) -> PullRequestRecord:
        """Parse a pull-request-simple (list) or pull-request (single) REST payload."""
        number = payload.get("number") if isinstance(payload, dict) else None

        def parse() -> PullRequestRecord:
            user = payload.get("user")
            merged_at = payload.get("merged_at")
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
                merged=payload.get("merged", merged_at is not None),
                author_login=user.get("login") if user else None,
                created_at=payload["created_at"],
                updated_at=payload["updated_at"],
                closed_at=payload.get("closed_at"),
                merged_at=merged_at,
                base_ref=payload["base"]["ref"],
                head_ref=payload["head"]["ref"],
                html_url=payload["html_url"],
            )

        return _parse(parse, repo=repo, pr_number=number)

    @classmethod
    def from_graphql(cls, node: dict[str, Any], *, repo: str, repo_id: int) -> PullRequestRecord:
        """Parse a GraphQL ``PullRequest`` node (the fields of ``graphql.PULL_REQUEST_FIELDS``)."""
        number = node.get("number") if isinstance(node, dict) else None

        def parse() -> PullRequestRecord:
            author = node.get("author")
            state = node["state"]
            if state not in ("OPEN", "CLOSED", "MERGED"):
                raise KeyError("state")
            return cls(
                repo=repo,
                repo_id=repo_id,
                number=node["number"],
                id=node["databaseId"],
                title=node["title"],
                state="open" if state == "OPEN" else "closed",
                draft=node["isDraft"],
                merged=node["merged"],
                author_login=graphql_login(author),
                created_at=node["createdAt"],
                updated_at=node["updatedAt"],
                closed_at=node.get("closedAt"),
                merged_at=node.get("mergedAt"),
                base_ref=node["baseRefName"],
                head_ref=node["headRefName"],
                html_url=node["url"],
            )

        return _parse(parse, repo=repo, pr_number=number)


class ReviewRecord(BaseModel):
    """One row of ``github.pull_request_reviews``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    repo: str
    repo_id: int
    pr_number: int
    id: int
    author_login: str | None
    state: ReviewState
    submitted_at: UtcDatetime | None
    commit_id: str | None

    @classmethod
    def from_rest(cls, payload: dict[str, Any], *, repo: str, repo_id: int, pr_number: int) -> ReviewRecord:
        def parse() -> ReviewRecord:
            user = payload.get("user")
            return cls(
                repo=repo,
                repo_id=repo_id,
                pr_number=pr_number,
                id=payload["id"],
                author_login=user.get("login") if user else None,
                state=payload["state"],
                submitted_at=payload.get("submitted_at"),
                commit_id=payload.get("commit_id"),
            )

        return _parse(parse, repo=repo, pr_number=pr_number, what="review")

    @classmethod
    def from_graphql(cls, node: dict[str, Any], *, repo: str, repo_id: int, pr_number: int) -> ReviewRecord:
        def parse() -> ReviewRecord:
            author = node.get("author")
            commit = node.get("commit")
            return cls(
                repo=repo,
                repo_id=repo_id,
                pr_number=pr_number,
                id=node["databaseId"],
                author_login=graphql_login(author),
                state=node["state"],
                submitted_at=node.get("submittedAt"),
                commit_id=commit.get("oid") if commit else None,
            )

        return _parse(parse, repo=repo, pr_number=pr_number, what="review")


class PullRequestWithReviews(BaseModel):
    """A changed pull request and its complete current review list (stored reviews are replaced)."""

    model_config = ConfigDict(frozen=True)

    pull_request: PullRequestRecord
    reviews: tuple[ReviewRecord, ...]


def graphql_login(actor: dict[str, Any] | None) -> str | None:
    """The REST spelling of a GraphQL actor's login: GraphQL names a bot ``renovate`` where REST
    says ``renovate[bot]``; both strategies must fill the tables identically."""
    if not actor:
        return None
    login = actor["login"]
    if actor.get("__typename") == "Bot" and isinstance(login, str) and not login.endswith("[bot]"):
        return f"{login}[bot]"
    return login


def _parse(parse: Callable[[], _R], *, repo: str, pr_number: object, what: str = "pull request") -> _R:
    """Run a parser and turn any shape problem into one error naming repository, PR and field."""
    try:
        return parse()
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
