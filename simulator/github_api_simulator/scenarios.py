"""Deterministic scenarios: the same (scenario, seed) always yields the same world.

Histories lie entirely in the past (2023-01-01 .. 2025-06-30 UTC) so runs are reproducible;
only mutations use the real clock. Ids are assigned in creation order across the whole world,
like GitHub's, and are not contiguous. The data includes real-world oddities: drafts,
closed-unmerged and merged PRs, deleted authors (``user: null``), deleted forks (``head.repo``,
``head.user`` and ``head.label`` null), bot authors, cross-repository PRs from forks, null bodies,
PENDING reviews (no ``submitted_at``), CHANGES_REQUESTED, DISMISSED and COMMENTED reviews, and
one PR per scenario with more than 100 reviews (review pagination).

Review-metrics data (issue 13) comes from a second random stream, so adding it left the rest of
every world unchanged: drafts later marked ready for review (some converted back), user and team
review requests (most reviewers were asked first; some requests withdrawn; team requests only in
organization repositories, often still pending after merge as on GitHub), labels and assignees
with their events, force pushes and cross-references mixed in, merged/closed events, and some
bodies in other scripts and with emoji.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from github_api_simulator._util import legacy_node_id, node_id, sha1_hex
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

START = datetime(2023, 1, 1, tzinfo=UTC)
END = datetime(2025, 6, 30, 23, 59, 59, tzinfo=UTC)
_START_TS = int(START.timestamp())
_END_TS = int(END.timestamp())
_DAY = 86_400

DEFAULT_VIEWER_LOGIN = "prsync-sim"
DEFAULT_VIEWER_ID = 1


@dataclass(frozen=True)
class RepoSpec:
    """One repository to generate."""

    owner: str
    name: str
    prs: int
    issues: int
    reviews_per_pr: float
    heavy_reviews: int = 0
    owner_type: str = "Organization"


@dataclass(frozen=True)
class ScenarioSpec:
    """A named set of repositories plus the size of the people pool."""

    name: str
    repos: tuple[RepoSpec, ...]
    people: int = 40


def small() -> ScenarioSpec:
    """3 repos x 120 PRs (+30 plain issues each), ~1,000 reviews, one PR with 120 reviews."""
    return ScenarioSpec(
        "small",
        (
            RepoSpec("Acme", "Widgets", 120, 30, 2.7, heavy_reviews=120),
            RepoSpec("Acme", "gadget-Service", 120, 30, 2.7),
            RepoSpec("jDoe-Dev", "sprocket.js", 120, 30, 2.7, owner_type="User"),
        ),
        people=30,
    )


def tiny() -> ScenarioSpec:
    """1 repo x 10 PRs: the smallest world that still has reviews and an issue."""
    return ScenarioSpec("tiny", (RepoSpec("Acme", "Tiny", 10, 3, 2.0),), people=6)


_WORDS_A = [
    "billing", "auth", "search", "payments", "infra", "mobile", "web", "data", "ml", "docs",
    "gateway", "notifications", "ledger", "catalog", "inventory", "analytics", "identity",
]  # fmt: skip
_WORDS_B = ["service", "API", "app", "tools", "worker", "sdk", "ui", "pipeline", "cli", "core"]


def team() -> ScenarioSpec:
    """50 repos, ~15,000 PRs, ~45,000 reviews: three repos of 2,000+ PRs and many small ones."""
    rng = random.Random("team-layout")
    repos = [
        RepoSpec("Acme", "Monolith", 2600, 650, 3.3, heavy_reviews=150),
        RepoSpec("Acme", "Platform-API", 2200, 550, 3.3),
        RepoSpec("OctoLabs", "Mobile-App", 2000, 500, 3.3),
    ]
    remaining = 15_000 - sum(r.prs for r in repos)
    weights = [rng.lognormvariate(0, 1.0) for _ in range(47)]
    scale = remaining / sum(weights)
    sizes = [max(5, round(w * scale)) for w in weights]
    sizes[0] += remaining - sum(sizes)
    owners = ["Acme", "OctoLabs", "acme-data"]
    used: set[str] = {r.name.lower() for r in repos}
    for i, size in enumerate(sizes):
        while True:
            a, b = rng.choice(_WORDS_A), rng.choice(_WORDS_B)
            name = f"{a.capitalize() if i % 3 == 0 else a}-{b}" if i % 4 else f"{a}.{b.lower()}"
            if name.lower() not in used:
                used.add(name.lower())
                break
        repos.append(RepoSpec(owners[i % 3], name, size, size // 4, 3.3))
    return ScenarioSpec("team", tuple(repos), people=300)


def custom(
    repos: int = 1,
    prs_per_repo: int = 3000,
    reviews_per_pr: float = 3.0,
    issues_per_repo: int | None = None,
) -> ScenarioSpec:
    """A parametrised world for benchmarks, e.g. ``custom(1, 3000, 3)``: one repo of 3,000 PRs."""
    specs = tuple(
        RepoSpec(
            "Bench",
            f"Repo-{i + 1:03d}",
            prs_per_repo,
            prs_per_repo // 4 if issues_per_repo is None else issues_per_repo,
            reviews_per_pr,
            heavy_reviews=120 if i == 0 and prs_per_repo >= 10 else 0,
        )
        for i in range(repos)
    )
    name = f"custom:repos={repos},prs_per_repo={prs_per_repo},reviews_per_pr={reviews_per_pr}"
    return ScenarioSpec(name, specs, people=max(20, min(300, repos * prs_per_repo // 50)))


SCENARIOS = {"small": small, "tiny": tiny, "team": team}


def get_scenario(scenario: str | ScenarioSpec) -> ScenarioSpec:
    """Resolve ``"small"``, ``"team"``, ``"tiny"`` or ``"custom:repos=1,prs_per_repo=3000,..."``."""
    if isinstance(scenario, ScenarioSpec):
        return scenario
    if scenario in SCENARIOS:
        return SCENARIOS[scenario]()
    if scenario.startswith("custom"):
        _, _, params = scenario.partition(":")
        kwargs: dict[str, float | int] = {}
        for part in filter(None, params.split(",")):
            key, _, value = part.partition("=")
            key = key.strip()
            if key not in ("repos", "prs_per_repo", "reviews_per_pr", "issues_per_repo"):
                raise ValueError(f"unknown custom scenario parameter {key!r}")
            kwargs[key] = float(value) if key == "reviews_per_pr" else int(value)
        return custom(**kwargs)  # type: ignore[arg-type]
    raise ValueError(f"unknown scenario {scenario!r}; use small, team, tiny or custom:...")


# ---- generation ---------------------------------------------------------------------------

_FIRST = [
    "alice", "Bob", "carol", "Dave", "erin", "Frank", "grace", "Heidi", "ivan", "Judy", "mallory",
    "Niaj", "olivia", "Peggy", "rupert", "Sybil", "trent", "Victor", "walter", "Yuki", "zoe",
    "Amara", "bilal", "Chen", "dmitri", "Esther", "farah", "Goran", "hana", "Ines",
]  # fmt: skip
_SUFFIX = ["", "-dev", "-gh", "42", "-codes", "-x", "-oss", "-1"]
_VERBS = ["Fix", "Add", "Refactor", "Remove", "Update", "Improve", "Document", "Bump", "Speed up", "Revert"]
_THINGS = [
    "retry logic", "rate limiter", "login flow", "CSV export", "cache eviction", "flaky test",
    "error messages", "dark mode", "pagination", "webhook handler", "schema migration",
    "timezone handling", "build script", "dependency pins", "README", "type hints",
]  # fmt: skip
_PLACES = ["in billing", "for mobile", "on startup", "under load", "in CI", "for admins", "", "", ""]
_EMOJI = ["", "", "", "", "✨ ", "🐛 ", "📝 ", "⬆️ "]
_TEAMS = ["backend", "frontend", "platform-reviewers", "docs", "security"]
_UNICODE_BODIES = [
    "修复分页错误，详见 #12。\n\n- [x] 测试",
    "Ünïcödé: naïve café, résumé — “quoted” 👍🏽",
    "إصلاح ترقيم الصفحات (RTL text) ✔",
    "🚀🔥✨ emoji-only description 🧪",
    "Combining e\u0301 and zero\u200bwidth space; Ελληνικά; русский",
]
_LABELS = [
    ("bug", "d73a4a", "Something isn't working", True),
    ("enhancement", "a2eeef", "New feature or request", True),
    ("documentation", "0075ca", "Improvements or additions to documentation", True),
    ("dependencies", "0366d6", "Pull requests that update a dependency file", False),
    ("needs review", "fbca04", "Waiting for a maintainer", False),
]


def _title(rng: random.Random) -> str:
    place = rng.choice(_PLACES)
    text = f"{rng.choice(_EMOJI)}{rng.choice(_VERBS)} {rng.choice(_THINGS)}"
    return f"{text} {place}" if place else text


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(int(ts), UTC)


class _Builder:
    """Generates one world; kept as a class so the many small steps share the RNG and pools."""

    def __init__(self, spec: ScenarioSpec, seed: int, viewer: Account) -> None:
        self.spec = spec
        self.rng = random.Random(f"{spec.name}:{seed}")
        # Review-metrics data draws from its own stream so the rest of the world stays as it was.
        self.rich = random.Random(f"{spec.name}:{seed}:rich")
        self.world = World(viewer)
        self.events: list[tuple[Repo, PullRequest, TimelineEvent]] = []
        self.teams: list[Team] = []
        self.pulls: list[tuple[Repo, PullRequest]] = []
        self.issue_like: list[tuple[Repo, PullRequest | Issue]] = []
        self.reviews: list[tuple[Repo, Review]] = []
        self.member_ids: set[int] = set()

    def people(self) -> list[Account]:
        rng, world = self.rng, self.world
        logins: list[str] = []
        seen: set[str] = set()
        while len(logins) < self.spec.people:
            login = rng.choice(_FIRST) + rng.choice(_SUFFIX)
            if len(seen) >= len(_FIRST) * len(_SUFFIX) - 5:
                login += str(len(logins))
            if login.lower() not in seen:
                seen.add(login.lower())
                logins.append(login)
        return [world.account(login) for login in logins]

    def build(self) -> World:
        world = self.world
        people = self.people()
        bots = [world.account("dependabot[bot]", "Bot"), world.account("renovate[bot]", "Bot")]
        for spec in self.spec.repos:
            self.repo(spec, people, bots)
        # Ids in creation order across the world, with gaps, like GitHub's global sequences.
        self._assign_ids()
        return world

    def repo(self, spec: RepoSpec, people: list[Account], bots: list[Account]) -> None:
        rng, world = self.rng, self.world
        owner = world.account(spec.owner, spec.owner_type)
        rid = world.next_id("repo") + rng.randint(0, 5000)
        world.reserve_ids("repo", rid + 1)
        labels = {}
        for name, color, desc, default in _LABELS:
            lid = world.next_id("label")
            labels[name] = Label(lid, node_id("LA", rid, lid), name, color, desc, default)
        created = _dt(_START_TS - rng.randint(30, 900) * _DAY)
        repo = Repo(
            id=rid,
            node_id=node_id("R", rid),
            owner=owner,
            name=spec.name,
            description=f"{spec.name} — simulated repository",
            created_at=created,
            updated_at=END,
            pushed_at=END,
            language=rng.choice(["Python", "TypeScript", "Go", "Rust", None]),
            topics=sorted(rng.sample(["api", "backend", "internal", "python", "web"], 2)),
            labels=labels,
            stargazers=rng.randint(0, 400),
            forks_count=rng.randint(0, 40),
        )
        members = people[: max(3, len(people) // 3)]
        self.member_ids = {m.id for m in members}
        self.teams = [world.team(owner, slug) for slug in _TEAMS] if owner.type == "Organization" else []
        total = spec.prs + spec.issues
        times = sorted(rng.uniform(_START_TS, _END_TS - 3600) for _ in range(total))
        kinds = [True] * spec.prs + [False] * spec.issues
        rng.shuffle(kinds)
        heavy_at = -1
        if spec.heavy_reviews:
            pr_positions = [i for i, k in enumerate(kinds) if k]
            heavy_at = pr_positions[len(pr_positions) // 3]
        label_list = list(labels.values())
        for idx, (ts, is_pr) in enumerate(zip(times, kinds, strict=True)):
            number = idx + 1
            if is_pr:
                self.pull(repo, number, ts, people, bots, members, label_list, heavy_at == idx, spec)
            else:
                self.issue(repo, number, ts, people, members, label_list)
        repo.next_number = total + 1
        world.add_repo(repo)

    def pull(
        self,
        repo: Repo,
        number: int,
        ts: float,
        people: list[Account],
        bots: list[Account],
        members: list[Account],
        labels: list[Label],
        heavy: bool,
        spec: RepoSpec,
    ) -> None:
        rng = self.rng
        roll = rng.random()
        author: Account | None
        if roll < 0.02:
            author = None  # deleted account ("ghost"): REST user null, GraphQL author null
        elif roll < 0.10:
            author = rng.choice(bots)
        else:
            author = rng.choice(people)
        p_open = 0.6 if _END_TS - ts < 14 * _DAY else 0.12
        outcome = rng.random()
        if heavy:
            state = "merged"
        elif outcome < p_open:
            state = "open"
        elif outcome < p_open + (1 - p_open) * 0.75:
            state = "merged"
        else:
            state = "closed"
        close_ts: float | None = None
        if state != "open":
            span = 40 * _DAY if heavy else rng.expovariate(1 / (3 * _DAY)) + 600
            close_ts = min(ts + span, _END_TS - 60)
        commits = rng.randint(1, 12)
        shas: dict[int, str] = {}

        def sha(i: int) -> str:
            if i not in shas:
                shas[i] = sha1_hex(repo.id, number, "commit", i)
            return shas[i]

        fork: Fork | None = None
        deleted_fork = author is None
        if author is not None and author.type == "User" and rng.random() < 0.25:
            fid = self.world.next_id("repo")
            fork = Fork(fid, node_id("R", fid), author, repo.name, _dt(ts - _DAY))
            deleted_fork = state != "open" and rng.random() < 0.1
        head_ref = (
            f"dependabot/pip/lib-{rng.randint(1, 99)}"
            if author is not None and author.type == "Bot"
            else f"{rng.choice(['fix', 'feature', 'chore'])}/{number}-{rng.choice(_THINGS).replace(' ', '-')}"
        )
        member_ids = self.member_ids
        assoc = "NONE" if author is None else ("MEMBER" if author.id in member_ids else "CONTRIBUTOR")
        if author is not None and author.type == "Bot":
            assoc = "CONTRIBUTOR"
        pr = PullRequest(
            number=number,
            id=0,
            issue_id=0,
            node_id="",
            title=_title(rng),
            body=None
            if rng.random() < 0.1
            else f"This change addresses #{max(1, number - 3)}.\r\n\r\n- [x] tests",
            author=author,
            author_association=assoc,
            state="open" if state == "open" else "closed",
            draft=state == "open" and rng.random() < 0.3,
            merged=state == "merged",
            created_at=_dt(ts),
            updated_at=_dt(ts),
            closed_at=_dt(close_ts) if close_ts is not None else None,
            merged_at=_dt(close_ts) if state == "merged" and close_ts is not None else None,
            merged_by=rng.choice(members) if state == "merged" else None,
            closed_by=None,
            base_ref=repo.default_branch if rng.random() < 0.92 else "release/1.x",
            base_sha=sha1_hex(repo.id, number, "base"),
            head_ref=head_ref,
            head_sha=sha(commits - 1),
            merge_commit_sha=sha1_hex(repo.id, number, "merge"),
            fork=fork,
            head_repo_deleted=deleted_fork,
            labels=rng.sample(labels, rng.choice([0, 0, 1, 1, 2])),
            requested_reviewers=[],
            comments=rng.randint(0, 8),
            review_comments=0,
            commits=commits,
            additions=rng.randint(1, 800),
            deletions=rng.randint(0, 400),
            changed_files=rng.randint(1, 30),
        )
        pr.closed_by = pr.merged_by if state == "merged" else (rng.choice(members) if close_ts else None)
        if rng.random() < 0.3:
            pr.assignees = [author if author is not None and author.type == "User" else rng.choice(members)]

        def other() -> Account:
            while True:
                pick = rng.choice(people)
                if pick is not author:
                    return pick

        if state == "open":
            pr.requested_reviewers = list({other().id: other() for _ in range(rng.randint(0, 2))}.values())
        # reviews
        if heavy:
            k = spec.heavy_reviews
        elif author is not None and author.type == "Bot":
            k = rng.randint(0, 1)
        else:
            k = round(rng.gammavariate(2.0, spec.reviews_per_pr / 2.0))
        window_end = close_ts if close_ts is not None else _END_TS - 60
        last_activity = ts
        if k:
            stamps = sorted(rng.uniform(ts + 60, max(ts + 120, window_end)) for _ in range(k))
            for i, rts in enumerate(stamps):
                pending = state == "open" and i == k - 1 and rng.random() < 0.2
                if pending:
                    rstate = "PENDING"
                elif state == "merged" and i == k - 1 and rng.random() < 0.8:
                    rstate = "APPROVED"
                else:
                    r = rng.random()
                    rstate = (
                        "APPROVED"
                        if r < 0.38
                        else "COMMENTED"
                        if r < 0.75
                        else "CHANGES_REQUESTED"
                        if r < 0.92
                        else "DISMISSED"
                    )
                reviewer = None if rng.random() < 0.02 else other()
                commit = sha(min(commits - 1, int((rts - ts) / max(1.0, window_end - ts) * commits)))
                review = Review(
                    id=0,
                    node_id="",
                    pr_number=number,
                    author=reviewer,
                    body=""
                    if rstate == "APPROVED" and rng.random() < 0.6
                    else "Looks reasonable; see comments.",
                    state=rstate,
                    submitted_at=None if pending else _dt(rts),
                    created_at=_dt(rts),
                    commit_id=commit,
                    author_association="MEMBER" if reviewer and reviewer.id in member_ids else "CONTRIBUTOR",
                )
                if reviewer is None:
                    review.author_association = "NONE"
                pr.reviews.append(review)
                self.reviews.append((repo, review))
                if not pending:
                    last_activity = max(last_activity, rts)
                    pr.review_comments += rng.randint(0, 2)
        end_activity = max(last_activity, close_ts or ts)
        room = max(0.0, _END_TS - 1 - end_activity)
        upd = end_activity + rng.uniform(0, min(5 * _DAY if state == "open" else 3600, room))
        pr.updated_at = _dt(upd)
        self.enrich(repo, pr, people, members, heavy)
        repo.pulls[number] = pr
        self.pulls.append((repo, pr))
        self.issue_like.append((repo, pr))

    def enrich(
        self, repo: Repo, pr: PullRequest, people: list[Account], members: list[Account], heavy: bool = False
    ) -> None:
        """Review requests, draft history, labels, assignees and their timeline events.

        The heavy PR (the one with 100+ reviews) also gets 60 request/withdraw cycles, so its
        review-metrics timeline (120+ events) overflows any one GraphQL or REST page.
        """
        rng = self.rich
        t0 = pr.created_at.timestamp()
        t_end = pr.updated_at.timestamp()
        events: list[TimelineEvent] = []
        author = pr.author
        human_author = author is not None and author.type == "User"

        def at(lo: float, hi: float) -> datetime:
            lo = min(max(lo, t0), t_end)
            hi = min(max(lo, hi), t_end)
            return _dt(rng.uniform(lo, hi) if hi > lo else lo)

        def add(kind: str, when: datetime, who: Account | None, **kw: Any) -> None:
            ev = TimelineEvent(0, kind, when, who or rng.choice(members), **kw)
            events.append(ev)

        def requester() -> Account:
            return author if human_author and author is not None else rng.choice(members)

        submitted = [r for r in pr.reviews if r.submitted_at is not None]
        first_review = min((r.submitted_at.timestamp() for r in submitted if r.submitted_at), default=t_end)
        # draft history
        if pr.draft:
            if rng.random() < 0.25:
                ready = at(t0 + 60, t0 + (t_end - t0) / 2)
                add("ready_for_review", ready, requester())
                add("convert_to_draft", at(ready.timestamp() + 60, t_end), requester())
        elif human_author and rng.random() < 0.22:
            ready = at(t0 + 300, min(first_review - 60, t0 + 5 * _DAY))
            add("ready_for_review", ready, requester())
            if rng.random() < 0.15:
                back = at(ready.timestamp() + 60, ready.timestamp() + 2 * _DAY)
                add("convert_to_draft", back, requester())
                add("ready_for_review", at(back.timestamp() + 60, back.timestamp() + _DAY), requester())
        # user review requests: most reviewers were asked before their first review
        first_by: dict[int, float] = {}
        for r in submitted:
            if r.author is not None and r.author is not author and r.submitted_at is not None:
                first_by.setdefault(r.author.id, r.submitted_at.timestamp())
        reviewers = {r.author.id: r.author for r in submitted if r.author is not None}
        for rid, when in first_by.items():
            if rng.random() < 0.7:
                who = reviewers[rid]
                add("review_requested", at(t0 + 30, when - 30), requester(), requested_reviewer=who)
        for who in pr.requested_reviewers:
            after = max(
                (r.submitted_at.timestamp() for r in submitted if r.author is who and r.submitted_at),
                default=t0,
            )
            add("review_requested", at(after + 30, t_end), requester(), requested_reviewer=who)
        if rng.random() < 0.08:
            candidates = [p for p in people if p is not author and p not in pr.requested_reviewers]
            who = rng.choice(candidates)
            asked = at(t0 + 30, t_end)
            add("review_requested", asked, requester(), requested_reviewer=who)
            add(
                "review_request_removed",
                at(asked.timestamp() + 60, t_end),
                requester(),
                requested_reviewer=who,
            )
        if heavy:
            for _ in range(60):
                who = rng.choice([p for p in people if p is not author])
                asked = at(t0 + 60, t_end - 120)
                add("review_requested", asked, requester(), requested_reviewer=who)
                add(
                    "review_request_removed",
                    at(asked.timestamp() + 1, asked.timestamp() + 3600),
                    requester(),
                    requested_reviewer=who,
                )
        # team review requests (organization repositories only)
        if self.teams and rng.random() < 0.15:
            team = rng.choice(self.teams)
            asked = at(t0 + 30, min(first_review, t_end))
            add("review_requested", asked, requester(), requested_team=team)
            if rng.random() < 0.2:
                add(
                    "review_request_removed",
                    at(asked.timestamp() + 60, t_end),
                    requester(),
                    requested_team=team,
                )
            else:
                pr.requested_teams.append(team)
        # labels and assignees
        for lab in pr.labels:
            add("labeled", at(t0, t0 + 3600), requester(), label=lab)
        if rng.random() < 0.05:
            extra = rng.choice(list(repo.labels.values()))
            if extra not in pr.labels:
                put = at(t0, t_end)
                add("labeled", put, requester(), label=extra)
                add("unlabeled", at(put.timestamp() + 60, t_end), requester(), label=extra)
        if pr.assignees and rng.random() < 0.1:
            second = rng.choice(members)
            if second not in pr.assignees:
                pr.assignees.append(second)
        for who in pr.assignees:
            add("assigned", at(t0, t0 + 2 * _DAY), requester(), assignee=who)
        # other kinds GitHub mixes in
        if human_author and rng.random() < 0.1:
            add("head_ref_force_pushed", at(t0 + 600, first_review), author)
        if rng.random() < 0.05:
            issues = [n for n in repo.issues if n < pr.number]
            if issues:
                add("cross-referenced", at(t0, t_end), rng.choice(people), source_number=rng.choice(issues))
        if pr.merged and pr.merged_at is not None:
            add("merged", pr.merged_at, pr.merged_by)
            add("closed", pr.merged_at, pr.merged_by)
        elif pr.state == "closed" and pr.closed_at is not None:
            add("closed", pr.closed_at, pr.closed_by)
        if pr.body and rng.random() < 0.08:
            pr.body = rng.choice(_UNICODE_BODIES)
        pr.timeline = events
        self.events.extend((repo, pr, ev) for ev in events)

    def issue(
        self,
        repo: Repo,
        number: int,
        ts: float,
        people: list[Account],
        members: list[Account],
        labels: list[Label],
    ) -> None:
        rng = self.rng
        author = None if rng.random() < 0.03 else rng.choice(people)
        closed = rng.random() < 0.6 and _END_TS - ts > 2 * _DAY
        close_ts = min(ts + rng.expovariate(1 / (10 * _DAY)) + 3600, _END_TS - 60) if closed else None
        last = close_ts or ts
        upd = last + rng.uniform(0, min(2 * _DAY, max(0.0, _END_TS - 1 - last)))
        issue = Issue(
            number=number,
            id=0,
            node_id="",
            title=_title(rng).replace("Bump", "Question about"),
            body=None if rng.random() < 0.15 else "Steps to reproduce:\n1. ...",
            author=author,
            author_association=(
                "NONE" if author is None else ("MEMBER" if author.id in self.member_ids else "CONTRIBUTOR")
            ),
            state="closed" if closed else "open",
            state_reason=(("completed" if rng.random() < 0.8 else "not_planned") if closed else None),
            created_at=_dt(ts),
            updated_at=_dt(upd),
            closed_at=_dt(close_ts) if close_ts is not None else None,
            closed_by=rng.choice(members) if closed else None,
            labels=rng.sample(labels, rng.choice([0, 1, 1, 2])),
            comments=rng.randint(0, 12),
        )
        if rng.random() < 0.3:
            issue.assignee = rng.choice(members)
        repo.issues[number] = issue
        self.issue_like.append((repo, issue))

    def _assign_ids(self) -> None:
        rng, world = self.rng, self.world
        self.pulls.sort(key=lambda t: (t[1].created_at, t[0].id, t[1].number))
        for repo, pr in self.pulls:
            pr.id = world.next_id("pull")
            world.reserve_ids("pull", pr.id + rng.randint(1, 40))
            pr.node_id = node_id("PR", repo.id, pr.id)
        self.issue_like.sort(key=lambda t: (t[1].created_at, t[0].id, t[1].number))
        for repo, item in self.issue_like:
            iid = world.next_id("issue")
            world.reserve_ids("issue", iid + rng.randint(1, 60))
            if isinstance(item, PullRequest):
                item.issue_id = iid
            else:
                item.id = iid
                item.node_id = node_id("I", repo.id, iid)
        self.reviews.sort(key=lambda t: (t[1].created_at, t[0].id, t[1].pr_number))
        for repo, review in self.reviews:
            review.id = world.next_id("review")
            world.reserve_ids("review", review.id + rng.randint(1, 30))
            review.node_id = node_id("PRR", repo.id, review.id)
        self.events.sort(key=lambda t: (t[2].created_at, t[0].id, t[1].number))
        event_id, gap = world.next_id("event"), self.rich.random
        for _repo, _pr, ev in self.events:  # ~120,000 in the team world: no per-event calls
            ev.id = event_id
            event_id += 1 + int(gap() * 50)
        world.reserve_ids("event", event_id)
        for repo in world.repos.values():
            for pr in repo.pulls.values():
                pr.reviews.sort(key=lambda r: r.id)
                pr.timeline.sort(key=lambda e: (e.created_at, e.id))
            world.touch(repo)
            repo.meta_version = repo.data_version


def build_world(
    scenario: str | ScenarioSpec,
    seed: int = 7,
    viewer_login: str = DEFAULT_VIEWER_LOGIN,
    viewer_id: int = DEFAULT_VIEWER_ID,
) -> World:
    """Generate the world for a scenario; same inputs, same world."""
    spec = get_scenario(scenario)
    viewer = Account(viewer_login, viewer_id, "User", legacy_node_id("User", viewer_id))
    return _Builder(spec, seed, viewer).build()
