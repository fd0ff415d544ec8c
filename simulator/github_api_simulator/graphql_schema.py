# ruff: noqa: E501, W291 - the SDL below is copied verbatim, long descriptions and trailing spaces included
"""GitHub's GraphQL schema, reduced to what the simulator serves.

The first part is copied verbatim (whole field definitions, descriptions included) from
``graphql-excerpt.graphql`` -- GitHub's public GraphQL schema via octokit/graphql-schema
(MIT license) at commit 82ff2d478008. Only the fields the simulator resolves were kept, and
``implements`` clauses were cut down to the interfaces defined here. The second part defines
types the excerpt references but does not contain (Node, RepositoryOwner, User, Organization,
Bot, Commit, PullRequestCommitEdge) with GitHub's names, reduced to the fields served.

Issue 13 added PullRequest's ``assignees``, ``comments`` (without ``orderBy``), ``labels``,
``mergeCommit``, ``reviewRequests``, ``timelineItems`` and ``totalCommentsCount`` (verbatim), the
review-request, label, user and timeline connection types, the four review-metrics events and the
whole ``PullRequestTimelineItemsItemType`` enum (verbatim, fields referencing unserved types
removed, the ``PullRequestTimelineItems`` union cut to the members served), plus hand-written
``Team``, ``Mannequin``, ``IssueComment`` and the other timeline events served.
"""

SDL = r'''
"""
The query root of GitHub's GraphQL interface.
"""
type Query {
  """
  The client's rate limit information.
  """
  rateLimit(
    """
    If true, calculate the cost for the query without evaluating it
    """
    dryRun: Boolean = false
  ): RateLimit

  """
  Lookup a given repository by the owner and repository name.
  """
  repository(
    """
    Follow repository renames. If disabled, a repository referenced by its old name will return an error.
    """
    followRenames: Boolean = true

    """
    The name of the repository
    """
    name: String!

    """
    The login field of a user or organization
    """
    owner: String!
  ): Repository

  """
  The currently authenticated user.
  """
  viewer: User!
}

"""
A repository contains the content for a project.
"""
type Repository implements Node {
  """
  Identifies the date and time when the object was created.
  """
  createdAt: DateTime!

  """
  Identifies the primary key from the database.
  """
  databaseId: Int

  """
  The description of the repository.
  """
  description: String

  """
  The Node ID of the Repository object
  """
  id: ID!

  """
  Identifies if the repository is a fork.
  """
  isFork: Boolean!

  """
  Identifies if the repository is private or internal.
  """
  isPrivate: Boolean!

  """
  The name of the repository.
  """
  name: String!

  """
  The repository's name with owner.
  """
  nameWithOwner: String!

  """
  The User owner of the repository.
  """
  owner: RepositoryOwner!

  """
  Returns a single pull request from the current repository by number.
  """
  pullRequest(
    """
    The number for the pull request to be returned.
    """
    number: Int!
  ): PullRequest

  """
  A list of pull requests that have been opened in the repository.
  """
  pullRequests(
    """
    Returns the elements in the list that come after the specified cursor.
    """
    after: String

    """
    The base ref name to filter the pull requests by.
    """
    baseRefName: String

    """
    Returns the elements in the list that come before the specified cursor.
    """
    before: String

    """
    Returns the first _n_ elements from the list.
    """
    first: Int

    """
    The head ref name to filter the pull requests by.
    """
    headRefName: String

    """
    A list of label names to filter the pull requests by.
    """
    labels: [String!]

    """
    Returns the last _n_ elements from the list.
    """
    last: Int

    """
    Ordering options for pull requests returned from the connection.
    """
    orderBy: IssueOrder

    """
    A list of states to filter the pull requests by.
    """
    states: [PullRequestState!]
  ): PullRequestConnection!

  """
  Identifies the date and time when the object was last updated.
  """
  updatedAt: DateTime!

  """
  The HTTP URL for this repository
  """
  url: URI!
}

"""
The connection type for PullRequest.
"""
type PullRequestConnection {
  """
  A list of edges.
  """
  edges: [PullRequestEdge]

  """
  A list of nodes.
  """
  nodes: [PullRequest]

  """
  Information to aid in pagination.
  """
  pageInfo: PageInfo!

  """
  Identifies the total count of items in the connection.
  """
  totalCount: Int!
}

"""
An edge in a connection.
"""
type PullRequestEdge {
  """
  A cursor for use in pagination.
  """
  cursor: String!

  """
  The item at the end of the edge.
  """
  node: PullRequest
}

"""
A repository pull request.
"""
type PullRequest implements Node {
  """
  The number of additions in this pull request.
  """
  additions: Int!

  """
  The actor who authored the comment.
  """
  author: Actor

  """
  Author's association with the subject of the comment.
  """
  authorAssociation: CommentAuthorAssociation!

  """
  Identifies the name of the base Ref associated with the pull request, even if the ref has been deleted.
  """
  baseRefName: String!

  """
  Identifies the oid of the base ref associated with the pull request, even if the ref has been deleted.
  """
  baseRefOid: GitObjectID!

  """
  The body as Markdown.
  """
  body: String!

  """
  The number of changed files in this pull request.
  """
  changedFiles: Int!

  """
  `true` if the pull request is closed
  """
  closed: Boolean!

  """
  Identifies the date and time when the object was closed.
  """
  closedAt: DateTime

  """
  A list of commits present in this pull request's head branch not present in the base branch.
  """
  commits(
    """
    Returns the elements in the list that come after the specified cursor.
    """
    after: String

    """
    Returns the elements in the list that come before the specified cursor.
    """
    before: String

    """
    Returns the first _n_ elements from the list.
    """
    first: Int

    """
    Returns the last _n_ elements from the list.
    """
    last: Int
  ): PullRequestCommitConnection!

  """
  Identifies the date and time when the object was created.
  """
  createdAt: DateTime!

  """
  Identifies the primary key from the database.
  """
  databaseId: Int @deprecated(reason: "`databaseId` will be removed because it does not support 64-bit signed integer identifiers. Use `fullDatabaseId` instead. Removal on 2024-07-01 UTC.")

  """
  The number of deletions in this pull request.
  """
  deletions: Int!

  """
  Identifies the name of the head Ref associated with the pull request, even if the ref has been deleted.
  """
  headRefName: String!

  """
  Identifies the oid of the head ref associated with the pull request, even if the ref has been deleted.
  """
  headRefOid: GitObjectID!

  """
  The Node ID of the PullRequest object
  """
  id: ID!

  """
  The head and base repositories are different.
  """
  isCrossRepository: Boolean!

  """
  Identifies if the pull request is a draft.
  """
  isDraft: Boolean!

  """
  `true` if the pull request is locked
  """
  locked: Boolean!

  """
  Whether or not the pull request was merged.
  """
  merged: Boolean!

  """
  The date and time that the pull request was merged.
  """
  mergedAt: DateTime

  """
  The actor who merged the pull request.
  """
  mergedBy: Actor

  """
  Identifies the pull request number.
  """
  number: Int!

  """
  The permalink to the pull request.
  """
  permalink: URI!

  """
  The repository associated with this node.
  """
  repository: Repository!

  """
  A list of reviews associated with the pull request.
  """
  reviews(
    """
    Returns the elements in the list that come after the specified cursor.
    """
    after: String

    """
    Filter by author of the review.
    """
    author: String

    """
    Returns the elements in the list that come before the specified cursor.
    """
    before: String

    """
    Returns the first _n_ elements from the list.
    """
    first: Int

    """
    Returns the last _n_ elements from the list.
    """
    last: Int

    """
    A list of states to filter the reviews.
    """
    states: [PullRequestReviewState!]
  ): PullRequestReviewConnection

  """
  Identifies the state of the pull request.
  """
  state: PullRequestState!

  """
  Identifies the pull request title.
  """
  title: String!

  """
  Identifies the date and time when the object was last updated.
  """
  updatedAt: DateTime!

  """
  The HTTP URL for this pull request.
  """
  url: URI!

  """
  A list of Users assigned to this object.
  """
  assignees(
    """
    Returns the elements in the list that come after the specified cursor.
    """
    after: String

    """
    Returns the elements in the list that come before the specified cursor.
    """
    before: String

    """
    Returns the first _n_ elements from the list.
    """
    first: Int

    """
    Returns the last _n_ elements from the list.
    """
    last: Int
  ): UserConnection!

  """
  A list of comments associated with the pull request.
  """
  comments(
    """
    Returns the elements in the list that come after the specified cursor.
    """
    after: String

    """
    Returns the elements in the list that come before the specified cursor.
    """
    before: String

    """
    Returns the first _n_ elements from the list.
    """
    first: Int

    """
    Returns the last _n_ elements from the list.
    """
    last: Int
  ): IssueCommentConnection!

  """
  A list of labels associated with the object.
  """
  labels(
    """
    Returns the elements in the list that come after the specified cursor.
    """
    after: String

    """
    Returns the elements in the list that come before the specified cursor.
    """
    before: String

    """
    Returns the first _n_ elements from the list.
    """
    first: Int

    """
    Returns the last _n_ elements from the list.
    """
    last: Int

    """
    Ordering options for labels returned from the connection.
    """
    orderBy: LabelOrder = {field: CREATED_AT, direction: ASC}
  ): LabelConnection

  """
  The commit that was created when this pull request was merged.
  """
  mergeCommit: Commit

  """
  A list of review requests associated with the pull request.
  """
  reviewRequests(
    """
    Returns the elements in the list that come after the specified cursor.
    """
    after: String

    """
    Returns the elements in the list that come before the specified cursor.
    """
    before: String

    """
    Returns the first _n_ elements from the list.
    """
    first: Int

    """
    Returns the last _n_ elements from the list.
    """
    last: Int
  ): ReviewRequestConnection

  """
  A list of events, comments, commits, etc. associated with the pull request.
  """
  timelineItems(
    """
    Returns the elements in the list that come after the specified cursor.
    """
    after: String

    """
    Returns the elements in the list that come before the specified cursor.
    """
    before: String

    """
    Returns the first _n_ elements from the list.
    """
    first: Int

    """
    Filter timeline items by type.
    """
    itemTypes: [PullRequestTimelineItemsItemType!]

    """
    Returns the last _n_ elements from the list.
    """
    last: Int

    """
    Filter timeline items by a `since` timestamp.
    """
    since: DateTime

    """
    Skips the first _n_ elements in the list.
    """
    skip: Int
  ): PullRequestTimelineItemsConnection!

  """
  Returns a count of how many comments this pull request has received.
  """
  totalCommentsCount: Int
}

"""
The possible states of a pull request.
"""
enum PullRequestState {
  """
  A pull request that has been closed without being merged.
  """
  CLOSED

  """
  A pull request that has been closed by being merged.
  """
  MERGED

  """
  A pull request that is still open.
  """
  OPEN
}

"""
The connection type for PullRequestCommit.
"""
type PullRequestCommitConnection {
  """
  A list of edges.
  """
  edges: [PullRequestCommitEdge]

  """
  A list of nodes.
  """
  nodes: [PullRequestCommit]

  """
  Information to aid in pagination.
  """
  pageInfo: PageInfo!

  """
  Identifies the total count of items in the connection.
  """
  totalCount: Int!
}

"""
Represents a Git commit part of a pull request.
"""
type PullRequestCommit implements Node {
  """
  The Git commit object
  """
  commit: Commit!

  """
  The Node ID of the PullRequestCommit object
  """
  id: ID!

  """
  The pull request this commit belongs to
  """
  pullRequest: PullRequest!

  """
  The HTTP URL for this pull request commit
  """
  url: URI!
}

"""
The connection type for PullRequestReview.
"""
type PullRequestReviewConnection {
  """
  A list of edges.
  """
  edges: [PullRequestReviewEdge]

  """
  A list of nodes.
  """
  nodes: [PullRequestReview]

  """
  Information to aid in pagination.
  """
  pageInfo: PageInfo!

  """
  Identifies the total count of items in the connection.
  """
  totalCount: Int!
}

"""
An edge in a connection.
"""
type PullRequestReviewEdge {
  """
  A cursor for use in pagination.
  """
  cursor: String!

  """
  The item at the end of the edge.
  """
  node: PullRequestReview
}

"""
A review object for a given pull request.
"""
type PullRequestReview implements Node {
  """
  The actor who authored the comment.
  """
  author: Actor

  """
  Author's association with the subject of the comment.
  """
  authorAssociation: CommentAuthorAssociation!

  """
  Identifies the pull request review body.
  """
  body: String!

  """
  Identifies the commit associated with this pull request review.
  """
  commit: Commit

  """
  Identifies the date and time when the object was created.
  """
  createdAt: DateTime!

  """
  Identifies the primary key from the database.
  """
  databaseId: Int @deprecated(reason: "`databaseId` will be removed because it does not support 64-bit signed integer identifiers. Use `fullDatabaseId` instead. Removal on 2024-07-01 UTC.")

  """
  The Node ID of the PullRequestReview object
  """
  id: ID!

  """
  Identifies when the comment was published at.
  """
  publishedAt: DateTime

  """
  Identifies the pull request associated with this pull request review.
  """
  pullRequest: PullRequest!

  """
  Identifies the current state of the pull request review.
  """
  state: PullRequestReviewState!

  """
  Identifies when the Pull Request Review was submitted
  """
  submittedAt: DateTime

  """
  Identifies the date and time when the object was last updated.
  """
  updatedAt: DateTime!

  """
  The HTTP URL permalink for this PullRequestReview.
  """
  url: URI!
}

"""
The possible states of a pull request review.
"""
enum PullRequestReviewState {
  """
  A review allowing the pull request to merge.
  """
  APPROVED

  """
  A review blocking the pull request from merging.
  """
  CHANGES_REQUESTED

  """
  An informational review.
  """
  COMMENTED

  """
  A review that has been dismissed.
  """
  DISMISSED

  """
  A review that has not yet been submitted.
  """
  PENDING
}

"""
A comment author association with repository.
"""
enum CommentAuthorAssociation {
  """
  Author has been invited to collaborate on the repository.
  """
  COLLABORATOR

  """
  Author has previously committed to the repository.
  """
  CONTRIBUTOR

  """
  Author has not previously committed to GitHub.
  """
  FIRST_TIMER

  """
  Author has not previously committed to the repository.
  """
  FIRST_TIME_CONTRIBUTOR

  """
  Author is a placeholder for an unclaimed user.
  """
  MANNEQUIN

  """
  Author is a member of the organization that owns the repository.
  """
  MEMBER

  """
  Author has no association with the repository.
  """
  NONE

  """
  Author is the owner of the repository.
  """
  OWNER
}

"""
Represents an object which can take actions on GitHub. Typically a User or Bot.
"""
interface Actor {
  """
  A URL pointing to the actor's public avatar.
  """
  avatarUrl(
    """
    The size of the resulting square image.
    """
    size: Int
  ): URI!

  """
  The username of the actor.
  """
  login: String!

  """
  The HTTP path for this actor.
  """
  resourcePath: URI!

  """
  The HTTP URL for this actor.
  """
  url: URI!
}

"""
Information about pagination in a connection.
"""
type PageInfo {
  """
  When paginating forwards, the cursor to continue.
  """
  endCursor: String

  """
  When paginating forwards, are there more items?
  """
  hasNextPage: Boolean!

  """
  When paginating backwards, are there more items?
  """
  hasPreviousPage: Boolean!

  """
  When paginating backwards, the cursor to continue.
  """
  startCursor: String
}

"""
Represents the client's rate limit.
"""
type RateLimit {
  """
  The point cost for the current query counting against the rate limit.
  """
  cost: Int!

  """
  The maximum number of points the client is permitted to consume in a 60 minute window.
  """
  limit: Int!

  """
  The maximum number of nodes this query may return
  """
  nodeCount: Int!

  """
  The number of points remaining in the current rate limit window.
  """
  remaining: Int!

  """
  The time at which the current rate limit window resets in UTC epoch seconds.
  """
  resetAt: DateTime!

  """
  The number of points used in the current rate limit window.
  """
  used: Int!
}

"""
Ways in which lists of issues can be ordered upon return.
"""
input IssueOrder {
  """
  The direction in which to order issues by the specified field.
  """
  direction: OrderDirection!

  """
  The field in which to order issues by.
  """
  field: IssueOrderField!
}

"""
Properties by which issue connections can be ordered.
"""
enum IssueOrderField {
  """
  Order issues by comment count
  """
  COMMENTS

  """
  Order issues by creation time
  """
  CREATED_AT

  """
  Order issues by update time
  """
  UPDATED_AT
}

"""
Possible directions in which to order a list of items when provided an `orderBy` argument.
"""
enum OrderDirection {
  """
  Specifies an ascending order for a given `orderBy` argument.
  """
  ASC

  """
  Specifies a descending order for a given `orderBy` argument.
  """
  DESC
}

"""
An ISO-8601 encoded UTC date string.
"""
scalar DateTime

"""
An RFC 3986, RFC 3987, and RFC 6570 (level 4) compliant URI string.
"""
scalar URI

"""
A Git object ID.
"""
scalar GitObjectID

# ---- Not in the excerpt: written to match GitHub's public schema, reduced to what is served ----

"""
An object with an ID.
"""
interface Node {
  """
  ID of the object.
  """
  id: ID!
}

"""
Represents an owner of a Repository.
"""
interface RepositoryOwner {
  """
  A URL pointing to the owner's public avatar.
  """
  avatarUrl(
    """
    The size of the resulting square image.
    """
    size: Int
  ): URI!

  """
  The Node ID of the RepositoryOwner object
  """
  id: ID!

  """
  The username used to login.
  """
  login: String!

  """
  The HTTP URL for the owner.
  """
  resourcePath: URI!

  """
  The HTTP URL for the owner.
  """
  url: URI!
}

"""
A user is an individual's account on GitHub that owns repositories and can make new content.
"""
type User implements Actor & Node & RepositoryOwner {
  avatarUrl(size: Int): URI!
  databaseId: Int
  id: ID!
  isSiteAdmin: Boolean!
  login: String!
  name: String
  resourcePath: URI!
  url: URI!
}

"""
An account on GitHub, with one or more owners, that has repositories, members and teams.
"""
type Organization implements Actor & Node & RepositoryOwner {
  avatarUrl(size: Int): URI!
  databaseId: Int
  id: ID!
  login: String!
  name: String
  resourcePath: URI!
  url: URI!
}

"""
A special type of user which takes actions on behalf of GitHub Apps.
"""
type Bot implements Actor & Node {
  avatarUrl(size: Int): URI!
  databaseId: Int
  id: ID!
  login: String!
  resourcePath: URI!
  url: URI!
}

"""
Represents a Git commit.
"""
type Commit implements Node {
  """
  The number of additions in this commit.
  """
  additions: Int!

  """
  The number of changed files in this commit. If GitHub is unable to calculate the number of changed files (for example due to a timeout), this will return `null`. We recommend using this field instead of `changedFiles`.
  """
  changedFilesIfAvailable: Int

  """
  The number of changed files in this commit.
  """
  changedFiles: Int! @deprecated(reason: "`changedFiles` will be removed. Use `changedFilesIfAvailable` instead. Removal on 2023-01-01 UTC.")

  """
  The datetime when this commit was committed.
  """
  committedDate: DateTime!

  """
  The number of deletions in this commit.
  """
  deletions: Int!

  """
  The Node ID of the Commit object
  """
  id: ID!

  """
  The Git commit message
  """
  message: String!

  """
  The Git object ID
  """
  oid: GitObjectID!

  """
  The HTTP URL for this commit
  """
  url: URI!
}

"""
An edge in a connection.
"""
type PullRequestCommitEdge {
  """
  A cursor for use in pagination.
  """
  cursor: String!

  """
  The item at the end of the edge.
  """
  node: PullRequestCommit
}

# ---- Added for issue 13 (review-metrics data): whole definitions copied verbatim from

# graphql-excerpt.graphql (octokit/graphql-schema at 82ff2d478008, MIT), fields and union members

# that reference types not served here removed, implements cut to the interfaces defined here ----

"""
The connection type for ReviewRequest.
"""
type ReviewRequestConnection {
  """
  A list of edges.
  """
  edges: [ReviewRequestEdge]

  """
  A list of nodes.
  """
  nodes: [ReviewRequest]

  """
  Information to aid in pagination.
  """
  pageInfo: PageInfo!

  """
  Identifies the total count of items in the connection.
  """
  totalCount: Int!
}

"""
A request for a user to review a pull request.
"""
type ReviewRequest implements Node {
  """
  Whether this request was created for a code owner
  """
  asCodeOwner: Boolean!

  """
  Identifies the primary key from the database.
  """
  databaseId: Int

  """
  The Node ID of the ReviewRequest object
  """
  id: ID!

  """
  Identifies the pull request associated with this review request.
  """
  pullRequest: PullRequest!

  """
  The reviewer that is requested.
  """
  requestedReviewer: RequestedReviewer
}

"""
Types that can be requested reviewers.
"""
union RequestedReviewer = Bot | Mannequin | Team | User

"""
The connection type for IssueComment.
"""
type IssueCommentConnection {
  """
  A list of edges.
  """
  edges: [IssueCommentEdge]

  """
  A list of nodes.
  """
  nodes: [IssueComment]

  """
  Information to aid in pagination.
  """
  pageInfo: PageInfo!

  """
  Identifies the total count of items in the connection.
  """
  totalCount: Int!
}

"""
A list of users.
"""
type UserConnection {
  """
  A list of edges.
  """
  edges: [UserEdge]

  """
  A list of nodes.
  """
  nodes: [User]

  """
  Information to aid in pagination.
  """
  pageInfo: PageInfo!

  """
  Identifies the total count of items in the connection.
  """
  totalCount: Int!
}

"""
Represents a user.
"""
type UserEdge {
  """
  A cursor for use in pagination.
  """
  cursor: String!

  """
  The item at the end of the edge.
  """
  node: User
}

"""
The connection type for Label.
"""
type LabelConnection {
  """
  A list of edges.
  """
  edges: [LabelEdge]

  """
  A list of nodes.
  """
  nodes: [Label]

  """
  Information to aid in pagination.
  """
  pageInfo: PageInfo!

  """
  Identifies the total count of items in the connection.
  """
  totalCount: Int!
}

"""
An edge in a connection.
"""
type LabelEdge {
  """
  A cursor for use in pagination.
  """
  cursor: String!

  """
  The item at the end of the edge.
  """
  node: Label
}

"""
Ways in which lists of labels can be ordered upon return.
"""
input LabelOrder {
  """
  The direction in which to order labels by the specified field.
  """
  direction: OrderDirection!

  """
  The field in which to order labels by.
  """
  field: LabelOrderField!
}

"""
Properties by which label connections can be ordered.
"""
enum LabelOrderField {
  """
  Order labels by creation time
  """
  CREATED_AT

  """
  Order labels by name 
  """
  NAME
}

"""
A label for categorizing Issues, Pull Requests, Milestones, or Discussions with a given Repository.
"""
type Label implements Node {
  """
  Identifies the label color.
  """
  color: String!

  """
  Identifies the date and time when the label was created.
  """
  createdAt: DateTime

  """
  A brief description of this label.
  """
  description: String

  """
  The Node ID of the Label object
  """
  id: ID!

  """
  Indicates whether or not this is a default label.
  """
  isDefault: Boolean!

  """
  Identifies the label name.
  """
  name: String!

  """
  The HTTP path for this label.
  """
  resourcePath: URI!

  """
  Identifies the date and time when the label was last updated.
  """
  updatedAt: DateTime

  """
  The HTTP URL for this label.
  """
  url: URI!
}

"""
The connection type for PullRequestTimelineItems.
"""
type PullRequestTimelineItemsConnection {
  """
  A list of edges.
  """
  edges: [PullRequestTimelineItemsEdge]

  """
  Identifies the count of items after applying `before` and `after` filters.
  """
  filteredCount: Int!

  """
  A list of nodes.
  """
  nodes: [PullRequestTimelineItems]

  """
  Identifies the count of items after applying `before`/`after` filters and `first`/`last`/`skip` slicing.
  """
  pageCount: Int!

  """
  Information to aid in pagination.
  """
  pageInfo: PageInfo!

  """
  Identifies the total count of items in the connection.
  """
  totalCount: Int!

  """
  Identifies the date and time when the timeline was last updated.
  """
  updatedAt: DateTime!
}

"""
An edge in a connection.
"""
type PullRequestTimelineItemsEdge {
  """
  A cursor for use in pagination.
  """
  cursor: String!

  """
  The item at the end of the edge.
  """
  node: PullRequestTimelineItems
}

"""
An item in a pull request timeline
"""
union PullRequestTimelineItems = AssignedEvent | ClosedEvent | ConvertToDraftEvent | CrossReferencedEvent | HeadRefForcePushedEvent | IssueComment | LabeledEvent | MergedEvent | PullRequestCommit | PullRequestReview | ReadyForReviewEvent | ReopenedEvent | ReviewRequestRemovedEvent | ReviewRequestedEvent | UnlabeledEvent

"""
The possible item types found in a timeline.
"""
enum PullRequestTimelineItemsItemType {
  """
  Represents an 'added_to_merge_queue' event on a given pull request.
  """
  ADDED_TO_MERGE_QUEUE_EVENT

  """
  Represents a 'added_to_project' event on a given issue or pull request.
  """
  ADDED_TO_PROJECT_EVENT

  """
  Represents an 'assigned' event on any assignable object.
  """
  ASSIGNED_EVENT

  """
  Represents a 'automatic_base_change_failed' event on a given pull request.
  """
  AUTOMATIC_BASE_CHANGE_FAILED_EVENT

  """
  Represents a 'automatic_base_change_succeeded' event on a given pull request.
  """
  AUTOMATIC_BASE_CHANGE_SUCCEEDED_EVENT

  """
  Represents a 'auto_merge_disabled' event on a given pull request.
  """
  AUTO_MERGE_DISABLED_EVENT

  """
  Represents a 'auto_merge_enabled' event on a given pull request.
  """
  AUTO_MERGE_ENABLED_EVENT

  """
  Represents a 'auto_rebase_enabled' event on a given pull request.
  """
  AUTO_REBASE_ENABLED_EVENT

  """
  Represents a 'auto_squash_enabled' event on a given pull request.
  """
  AUTO_SQUASH_ENABLED_EVENT

  """
  Represents a 'base_ref_changed' event on a given issue or pull request.
  """
  BASE_REF_CHANGED_EVENT

  """
  Represents a 'base_ref_deleted' event on a given pull request.
  """
  BASE_REF_DELETED_EVENT

  """
  Represents a 'base_ref_force_pushed' event on a given pull request.
  """
  BASE_REF_FORCE_PUSHED_EVENT

  """
  Represents a 'closed' event on any `Closable`.
  """
  CLOSED_EVENT

  """
  Represents a 'comment_deleted' event on a given issue or pull request.
  """
  COMMENT_DELETED_EVENT

  """
  Represents a 'connected' event on a given issue or pull request.
  """
  CONNECTED_EVENT

  """
  Represents a 'converted_note_to_issue' event on a given issue or pull request.
  """
  CONVERTED_NOTE_TO_ISSUE_EVENT

  """
  Represents a 'converted_to_discussion' event on a given issue.
  """
  CONVERTED_TO_DISCUSSION_EVENT

  """
  Represents a 'convert_to_draft' event on a given pull request.
  """
  CONVERT_TO_DRAFT_EVENT

  """
  Represents a mention made by one issue or pull request to another.
  """
  CROSS_REFERENCED_EVENT

  """
  Represents a 'demilestoned' event on a given issue or pull request.
  """
  DEMILESTONED_EVENT

  """
  Represents a 'deployed' event on a given pull request.
  """
  DEPLOYED_EVENT

  """
  Represents a 'deployment_environment_changed' event on a given pull request.
  """
  DEPLOYMENT_ENVIRONMENT_CHANGED_EVENT

  """
  Represents a 'disconnected' event on a given issue or pull request.
  """
  DISCONNECTED_EVENT

  """
  Represents a 'head_ref_deleted' event on a given pull request.
  """
  HEAD_REF_DELETED_EVENT

  """
  Represents a 'head_ref_force_pushed' event on a given pull request.
  """
  HEAD_REF_FORCE_PUSHED_EVENT

  """
  Represents a 'head_ref_restored' event on a given pull request.
  """
  HEAD_REF_RESTORED_EVENT

  """
  Represents a comment on an Issue.
  """
  ISSUE_COMMENT

  """
  Represents a 'labeled' event on a given issue or pull request.
  """
  LABELED_EVENT

  """
  Represents a 'locked' event on a given issue or pull request.
  """
  LOCKED_EVENT

  """
  Represents a 'marked_as_duplicate' event on a given issue or pull request.
  """
  MARKED_AS_DUPLICATE_EVENT

  """
  Represents a 'mentioned' event on a given issue or pull request.
  """
  MENTIONED_EVENT

  """
  Represents a 'merged' event on a given pull request.
  """
  MERGED_EVENT

  """
  Represents a 'milestoned' event on a given issue or pull request.
  """
  MILESTONED_EVENT

  """
  Represents a 'moved_columns_in_project' event on a given issue or pull request.
  """
  MOVED_COLUMNS_IN_PROJECT_EVENT

  """
  Represents a 'parent_issue_added' event on a given issue.
  """
  PARENT_ISSUE_ADDED_EVENT

  """
  Represents a 'parent_issue_removed' event on a given issue.
  """
  PARENT_ISSUE_REMOVED_EVENT

  """
  Represents a 'pinned' event on a given issue or pull request.
  """
  PINNED_EVENT

  """
  Represents a Git commit part of a pull request.
  """
  PULL_REQUEST_COMMIT

  """
  Represents a commit comment thread part of a pull request.
  """
  PULL_REQUEST_COMMIT_COMMENT_THREAD

  """
  A review object for a given pull request.
  """
  PULL_REQUEST_REVIEW

  """
  A threaded list of comments for a given pull request.
  """
  PULL_REQUEST_REVIEW_THREAD

  """
  Represents the latest point in the pull request timeline for which the viewer has seen the pull request's commits.
  """
  PULL_REQUEST_REVISION_MARKER

  """
  Represents a 'ready_for_review' event on a given pull request.
  """
  READY_FOR_REVIEW_EVENT

  """
  Represents a 'referenced' event on a given `ReferencedSubject`.
  """
  REFERENCED_EVENT

  """
  Represents a 'removed_from_merge_queue' event on a given pull request.
  """
  REMOVED_FROM_MERGE_QUEUE_EVENT

  """
  Represents a 'removed_from_project' event on a given issue or pull request.
  """
  REMOVED_FROM_PROJECT_EVENT

  """
  Represents a 'renamed' event on a given issue or pull request
  """
  RENAMED_TITLE_EVENT

  """
  Represents a 'reopened' event on any `Closable`.
  """
  REOPENED_EVENT

  """
  Represents a 'review_dismissed' event on a given issue or pull request.
  """
  REVIEW_DISMISSED_EVENT

  """
  Represents an 'review_requested' event on a given pull request.
  """
  REVIEW_REQUESTED_EVENT

  """
  Represents an 'review_request_removed' event on a given pull request.
  """
  REVIEW_REQUEST_REMOVED_EVENT

  """
  Represents a 'subscribed' event on a given `Subscribable`.
  """
  SUBSCRIBED_EVENT

  """
  Represents a 'sub_issue_added' event on a given issue.
  """
  SUB_ISSUE_ADDED_EVENT

  """
  Represents a 'sub_issue_removed' event on a given issue.
  """
  SUB_ISSUE_REMOVED_EVENT

  """
  Represents a 'transferred' event on a given issue or pull request.
  """
  TRANSFERRED_EVENT

  """
  Represents an 'unassigned' event on any assignable object.
  """
  UNASSIGNED_EVENT

  """
  Represents an 'unlabeled' event on a given issue or pull request.
  """
  UNLABELED_EVENT

  """
  Represents an 'unlocked' event on a given issue or pull request.
  """
  UNLOCKED_EVENT

  """
  Represents an 'unmarked_as_duplicate' event on a given issue or pull request.
  """
  UNMARKED_AS_DUPLICATE_EVENT

  """
  Represents an 'unpinned' event on a given issue or pull request.
  """
  UNPINNED_EVENT

  """
  Represents an 'unsubscribed' event on a given `Subscribable`.
  """
  UNSUBSCRIBED_EVENT

  """
  Represents a 'user_blocked' event on a given user.
  """
  USER_BLOCKED_EVENT
}

"""
Represents an 'review_requested' event on a given pull request.
"""
type ReviewRequestedEvent implements Node {
  """
  Identifies the actor who performed the event.
  """
  actor: Actor

  """
  Identifies the date and time when the object was created.
  """
  createdAt: DateTime!

  """
  The Node ID of the ReviewRequestedEvent object
  """
  id: ID!

  """
  PullRequest referenced by event.
  """
  pullRequest: PullRequest!

  """
  Identifies the reviewer whose review was requested.
  """
  requestedReviewer: RequestedReviewer
}

"""
Represents an 'review_request_removed' event on a given pull request.
"""
type ReviewRequestRemovedEvent implements Node {
  """
  Identifies the actor who performed the event.
  """
  actor: Actor

  """
  Identifies the date and time when the object was created.
  """
  createdAt: DateTime!

  """
  The Node ID of the ReviewRequestRemovedEvent object
  """
  id: ID!

  """
  PullRequest referenced by event.
  """
  pullRequest: PullRequest!

  """
  Identifies the reviewer whose review request was removed.
  """
  requestedReviewer: RequestedReviewer
}

"""
Represents a 'ready_for_review' event on a given pull request.
"""
type ReadyForReviewEvent implements Node {
  """
  Identifies the actor who performed the event.
  """
  actor: Actor

  """
  Identifies the date and time when the object was created.
  """
  createdAt: DateTime!

  """
  The Node ID of the ReadyForReviewEvent object
  """
  id: ID!

  """
  PullRequest referenced by event.
  """
  pullRequest: PullRequest!

  """
  The HTTP path for this ready for review event.
  """
  resourcePath: URI!

  """
  The HTTP URL for this ready for review event.
  """
  url: URI!
}

"""
Represents a 'convert_to_draft' event on a given pull request.
"""
type ConvertToDraftEvent implements Node {
  """
  Identifies the actor who performed the event.
  """
  actor: Actor

  """
  Identifies the date and time when the object was created.
  """
  createdAt: DateTime!

  """
  The Node ID of the ConvertToDraftEvent object
  """
  id: ID!

  """
  PullRequest referenced by event.
  """
  pullRequest: PullRequest!

  """
  The HTTP path for this convert to draft event.
  """
  resourcePath: URI!

  """
  The HTTP URL for this convert to draft event.
  """
  url: URI!
}

"""
Types that can be assigned to issues.
"""
union Assignee = Bot | Mannequin | Organization | User

# ---- Added for issue 13, not in the excerpt: written to match GitHub's public schema (same names,
# types and nullability), reduced to the fields served ----

"""
A team of users in an organization.
"""
type Team implements Node {
  avatarUrl(size: Int = 400): URI
  combinedSlug: String!
  databaseId: Int
  description: String
  id: ID!
  name: String!
  organization: Organization!
  resourcePath: URI!
  slug: String!
  url: URI!
}

"""
A placeholder user for attribution of imported data on GitHub.
"""
type Mannequin implements Actor & Node {
  avatarUrl(size: Int): URI!
  databaseId: Int
  email: String
  id: ID!
  login: String!
  resourcePath: URI!
  url: URI!
}

"""
Represents a comment on an Issue.
"""
type IssueComment implements Node {
  author: Actor
  authorAssociation: CommentAuthorAssociation!
  body: String!
  createdAt: DateTime!
  databaseId: Int
  id: ID!
  publishedAt: DateTime
  updatedAt: DateTime!
  url: URI!
}

"""
An edge in a connection.
"""
type IssueCommentEdge {
  cursor: String!
  node: IssueComment
}

"""
An edge in a connection.
"""
type ReviewRequestEdge {
  cursor: String!
  node: ReviewRequest
}

"""
Represents a 'labeled' event on a given issue or pull request.
"""
type LabeledEvent implements Node {
  actor: Actor
  createdAt: DateTime!
  id: ID!
  label: Label!
}

"""
Represents an 'unlabeled' event on a given issue or pull request.
"""
type UnlabeledEvent implements Node {
  actor: Actor
  createdAt: DateTime!
  id: ID!
  label: Label!
}

"""
Represents an 'assigned' event on any assignable object.
"""
type AssignedEvent implements Node {
  actor: Actor
  assignee: Assignee
  createdAt: DateTime!
  id: ID!
}

"""
Represents a 'head_ref_force_pushed' event on a given pull request.
"""
type HeadRefForcePushedEvent implements Node {
  actor: Actor
  createdAt: DateTime!
  id: ID!
  pullRequest: PullRequest!
}

"""
Represents a mention made by one issue or pull request to another.
"""
type CrossReferencedEvent implements Node {
  actor: Actor
  createdAt: DateTime!
  id: ID!
  isCrossRepository: Boolean!
  referencedAt: DateTime!
  url: URI!
  willCloseTarget: Boolean!
}

"""
Represents a 'merged' event on a given pull request.
"""
type MergedEvent implements Node {
  actor: Actor
  commit: Commit
  createdAt: DateTime!
  id: ID!
  mergeRefName: String!
  pullRequest: PullRequest!
  url: URI!
}

"""
Represents a 'closed' event on any `Closable`.
"""
type ClosedEvent implements Node {
  actor: Actor
  createdAt: DateTime!
  id: ID!
  url: URI!
}

"""
Represents a 'reopened' event on any `Closable`.
"""
type ReopenedEvent implements Node {
  actor: Actor
  createdAt: DateTime!
  id: ID!
}
'''
