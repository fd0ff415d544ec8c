"""``prsync``: register repositories, sync them through Dagster, and read their status.

The CLI is a thin client of the Dagster instance in ``$DAGSTER_HOME``: repositories are the
``repositories`` dynamic partitions, and ``prsync sync`` launches the same ``github_sync`` job
the schedule and the UI launch (through :mod:`prsync_dagster.runs`), so every run shows up in the
Dagster UI with its figures.

Conventions (README, "CLI"): results on stdout, progress and errors on stderr; a failure is one
line ``prsync: error: REASON`` and exit status 1; an interrupt (SIGINT, SIGTERM) stops within
seconds with exit status 130 or 143 (``128 + signal``, as shells report it).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from prsync_dagster import runs
from prsync_dagster.errors import InvalidRepositoryName, PrsyncError, RepositoryNotFound
from prsync_dagster.partitions import REPOSITORIES, checked_name
from prsync_dagster.report import report_command
from prsync_dagster.repos import parse_repo
from prsync_dagster.runs import (
    Interrupted,
    InterruptGuard,
    SyncOutcome,
    run_syncs,
    signal_name,
    sync_summary_table,
)
from prsync_dagster.secrets import redact
from prsync_dagster.settings import Settings

if TYPE_CHECKING:
    from dagster import DagsterInstance

    from prsync_dagster.warehouse.base import SyncState

app = typer.Typer(
    name="prsync",
    help="Keep a warehouse copy of GitHub pull requests and reviews current, through Dagster.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
repos_app = typer.Typer(
    help="Register and list tracked repositories (Dagster partitions).", no_args_is_help=True
)
app.add_typer(repos_app, name="repos")

#: Width of output that goes to a file or pipe: no terminal to fit (``COLUMNS`` is a terminal's
#: setting and is ignored then), so wide enough that no table is cut or wrapped in logs and
#: scripts (``prsync status`` needs ~150).
PIPE_WIDTH = 200


def _console(stderr: bool) -> Console:
    """A console of the terminal's width (rich reads ``COLUMNS``), or :data:`PIPE_WIDTH` wide."""
    width = None if Console(stderr=stderr).is_terminal else PIPE_WIDTH
    return Console(stderr=stderr, highlight=False, width=width)


out = _console(stderr=False)
err = _console(stderr=True)


@app.callback()
def _setup() -> None:
    """Size the consoles for this invocation (its terminal or a pipe), not for import time."""
    global out, err
    out = _console(stderr=False)
    err = _console(stderr=True)


class CliError(Exception):
    """A failure to report as one line on stderr with a non-zero exit status."""


def fail(message: str) -> NoReturn:
    err.print(f"prsync: error: {redact(message)}", markup=False, soft_wrap=True)
    raise typer.Exit(1)


def guarded(function: Callable[..., None]) -> Callable[..., None]:
    """Turn our own errors into one line on stderr instead of a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            function(*args, **kwargs)
        except (PrsyncError, CliError) as exc:
            fail(str(exc))

    return wrapper


def dagster_instance() -> AbstractContextManager[DagsterInstance]:
    """The Dagster instance of ``$DAGSTER_HOME`` (:func:`prsync_dagster.runs.dagster_instance`),
    the default home announced on stderr."""
    return runs.dagster_instance(announce=lambda text: err.print(text, markup=False))


def parse_all(names: Sequence[str]) -> list[str]:
    """Each name (``owner/name`` or a pasted GitHub URL) as its key, duplicates dropped, in order.

    Raises :class:`InvalidRepositoryName` for the first invalid one: a command that names an
    invalid repository changes nothing.
    """
    return list(dict.fromkeys(parse_repo(name) for name in names))


@dataclass
class Registered:
    """The ``repositories`` partitions, read the way every entry point reads them (repos.py).

    ``keys``: normalized ``owner/name`` -> the partition keys registered for it (usually just the
    normalized one; a key added from the UI may be spelled differently). ``invalid``: registered
    keys that are no repository name -> the one-line reason.
    """

    keys: dict[str, list[str]] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, instance: DagsterInstance) -> Registered:
        registered = cls()
        for partition_key in sorted(instance.get_dynamic_partitions(REPOSITORIES)):
            name = checked_name(partition_key)
            if isinstance(name, InvalidRepositoryName):
                registered.invalid[partition_key] = str(name)
            else:
                registered.keys.setdefault(name, []).append(partition_key)
        return registered

    def partition_key(self, key: str) -> str:
        """The partition to run for ``key``: the normalized spelling if registered (or if ``key`` is
        not registered at all), else another."""
        spellings = self.keys.get(key, [key])
        return key if key in spellings else spellings[0]


def verify_repositories(keys: Sequence[str], settings: Settings) -> dict[str, str]:
    """Check that each repository exists and this token can read it: one ``GET /repos/{owner}/{name}``.

    Returns key -> GitHub's current ``full_name`` (it differs after a rename). Raises
    :class:`CliError` naming the first repository (in the order given) that is not readable, with
    the reason (GitHub answers 404 both for a missing repository and for one the token may not
    see, on purpose: https://docs.github.com/en/rest/repos/repos#get-a-repository). No retries: a
    typo should not cost minutes; ``--no-verify`` skips the check when offline. Up to
    ``DEFAULT_CONCURRENCY`` checks at once, as ``sync -j`` runs syncs: each waits a round trip.
    """
    from prsync_dagster.github.client import ClientSettings, GitHubClient
    from prsync_dagster.resources import GitHubResource

    settings.check_credentials()
    credentials = GitHubResource().credentials(settings)  # secrets through EnvVar, as in a run
    once = ClientSettings(api_url=settings.github_api_url, max_retries=0, connect_retry_s=0)

    def full_name(key: str) -> str:
        owner, name = key.split("/")
        try:
            with closing(GitHubClient(credentials, once, owner)) as client:
                response = client.get(f"/repos/{owner}/{name}")
        except RepositoryNotFound:
            raise CliError(
                f"{key}: not found or not visible to this token (GitHub answered 404); "
                "check the spelling, or the token's access to it"
            ) from None
        except PrsyncError as exc:
            raise CliError(
                f"{key}: could not check it on GitHub: {exc} (--no-verify skips the check)"
            ) from None
        data = response.data if isinstance(response.data, dict) else {}
        return str(data.get("full_name") or key)

    with ThreadPoolExecutor(max_workers=max(1, min(DEFAULT_CONCURRENCY, len(keys)))) as pool:
        return dict(zip(keys, pool.map(full_name, keys), strict=True))


def discover_patterns(names: Sequence[str]) -> dict[str, list[str]]:
    """``OWNER/*`` entries of ``names`` -> the repository keys GitHub lists for them
    (:mod:`prsync_dagster.github.discovery`); raises :class:`CliError` when one cannot be listed."""
    from prsync_dagster.github.discovery import discover, parse_owner_pattern
    from prsync_dagster.resources import GitHubResource

    patterns = {name: pattern for name in names if (pattern := parse_owner_pattern(name)) is not None}
    if not patterns:
        return {}
    settings = Settings.from_env()
    settings.check_credentials()
    factory = GitHubResource().client_factory(settings)
    listed: dict[str, list[str]] = {}
    for name, pattern in patterns.items():
        try:
            with closing(factory(pattern.owner)) as client:
                listed[name] = discover(client, pattern)
        except PrsyncError as exc:
            raise CliError(f"{pattern}: could not list its repositories: {exc}") from None
        if not listed[name]:
            err.print(
                f"{pattern}: no repositories found (archived ones and forks are left out)", markup=False
            )
    return listed


Names = Annotated[list[str], typer.Argument(metavar="OWNER/NAME|URL...")]
NoVerify = Annotated[
    bool,
    typer.Option("--no-verify", help="Do not check on GitHub that the repositories exist (offline use)."),
]


@repos_app.command("add")
@guarded
def repos_add(names: Names, no_verify: NoVerify = False) -> None:
    """Register repositories (adds Dagster partitions; the next schedule tick syncs them).

    Each is checked on GitHub first (one request); a pasted GitHub URL is accepted. ``OWNER/*``
    registers every repository of that organisation or user the token sees, archived ones and
    forks excluded unless asked (``OWNER/*?forks=1&archived=1``; quote it for the shell).
    """
    listed = discover_patterns(names)  # owner/* -> the keys GitHub listed (issue 11)
    keys = parse_all([key for name in names for key in listed.get(name, [name])])
    with dagster_instance() as instance:
        registered = Registered.read(instance)
        new = [key for key in keys if key not in registered.keys]
        found = {key for found in listed.values() for key in found}
        check = [key for key in new if key not in found]  # listed ones exist: GitHub just said so
        full_names = {} if no_verify or not check else verify_repositories(check, Settings.from_env())
        if new:
            instance.add_dynamic_partitions(REPOSITORIES, new)
    for key in keys:
        if key in new:
            renamed = full_names.get(key, key)
            note = f" (GitHub calls it {renamed} now)" if renamed.lower() != key else ""
            out.print(f"added: {key}{note}", markup=False)
        else:
            spellings = registered.keys[key]
            note = "" if key in spellings else f" (as {', '.join(spellings)})"
            out.print(f"already registered: {key}{note}", markup=False)


@repos_app.command("remove")
@guarded
def repos_remove(names: Names) -> None:
    """Unregister repositories (stops syncing them; their stored rows are kept).

    Removes every registered spelling of each repository; an invalid registered key can be
    removed by giving it exactly as listed.
    """
    with dagster_instance() as instance:
        registered = Registered.read(instance)
        for name in names:
            invalid = name in registered.invalid  # removed by its exact key, its only spelling
            key = name if invalid else parse_repo(name)
            spellings = [name] if invalid else registered.keys.get(key, [])
            for spelling in spellings:
                instance.delete_dynamic_partition(REPOSITORIES, spelling)
            note = "an invalid key" if invalid else "stored rows are kept"
            out.print(f"removed: {key} ({note})" if spellings else f"not registered: {key}", markup=False)


@repos_app.command("list")
@guarded
def repos_list() -> None:
    """List registered repositories (one key per line, as registered)."""
    with dagster_instance() as instance:
        for key in sorted(instance.get_dynamic_partitions(REPOSITORIES)):
            out.print(key, markup=False)


def check_environment(settings: Settings) -> None:
    """Fail early, in one line, on settings a sync cannot work without."""
    from prsync_dagster.warehouse import open_warehouse

    settings.check_credentials()
    with open_warehouse(settings.warehouse_url) as warehouse:
        warehouse.migrate()


#: ``prsync sync --concurrency``'s default: dagster.yaml's ``max_concurrent_runs``.
DEFAULT_CONCURRENCY = 4

#: The engine's progress message while it reads a repository (``sync.RepositorySync``).
READ_PULL_REQUESTS = re.compile(r": read (\d+) pull requests")


class SyncProgress(Progress):
    """``prsync sync``'s progress on stderr: repositories done / total and PRs fetched so far.

    A live bar on a terminal, one line per finished repository either way, so a log of a
    non-interactive run says the same. With concurrent syncs the bar names every repository in
    progress. The bar is redrawn as the runs report (no refresh thread): runs are forked from
    this process, and a fork while a thread is writing to the terminal could leave the child
    with the output's lock held.
    """

    def __init__(self, console: Console, total: int | None = None) -> None:
        super().__init__(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("repositories, {task.fields[prs]} PRs fetched"),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
            transient=True,
            auto_refresh=False,
        )
        #: PRs of the repositories done
        self.pull_requests = 0
        #: repository -> PRs read so far, for those in progress
        self.reading: dict[str, int] = {}
        #: repository -> its outcome, for those done
        self.results: dict[str, SyncOutcome] = {}
        self.task = self.add_task("syncing", total=total, prs=0)

    def _show(self, advance: int = 0) -> None:
        reading = dict(self.reading)
        self.update(
            self.task,
            description=f"syncing {', '.join(reading)}" if reading else "syncing",
            prs=self.pull_requests + sum(reading.values()),
            advance=advance,
            refresh=True,
        )

    def started(self, key: str) -> None:
        self.reading[runs.shown_name(key)] = 0
        self._show()

    def logged(self, repo: str, message: str) -> None:
        """The engine's progress messages: ``OWNER/NAME: read N pull requests`` (every 100)."""
        found = READ_PULL_REQUESTS.search(message)
        if found:
            self.reading[repo] = int(found.group(1))
            self._show()

    def done(self, outcome: SyncOutcome) -> None:
        report = outcome.report
        self.results[outcome.repo] = outcome  # before it leaves `reading`: outcomes() always knows it
        self.reading.pop(outcome.repo, None)
        if outcome.success:
            self.pull_requests += int(report.get("pull_requests") or 0)
            line = (
                f"{outcome.repo}: {report.get('pull_requests')} PRs, {report.get('reviews')} reviews, "
                f"{report.get('requests')} requests, {report.get('points')} points"
            )
        else:
            line = f"{outcome.repo}: {outcome.result}: {outcome.error}"
        self.console.print(line, markup=False, soft_wrap=True)
        self._show(advance=1)

    def outcomes(self, keys: Sequence[str]) -> list[SyncOutcome]:
        """Every repository of ``keys``, in order: its outcome, else interrupted (begun) or not started."""
        return [
            self.results.get(repo)
            or SyncOutcome(repo, "interrupted" if repo in self.reading else "not started")
            for repo in map(runs.shown_name, keys)
        ]


def interruption_line(signum: int, outcomes: Sequence[SyncOutcome]) -> str:
    """The one line ``prsync sync`` ends with after SIGINT/SIGTERM."""
    interrupted = [outcome.repo for outcome in outcomes if outcome.result == "interrupted"]
    skipped = [outcome.repo for outcome in outcomes if outcome.result == "not started"]
    parts = [f"prsync: interrupted by {signal_name(signum)}"]
    parts.append(f"interrupted: {', '.join(interrupted) or 'none'}")
    if skipped:
        parts.append(f"not started: {', '.join(skipped)}")
    return "; ".join(parts)


@app.command("sync")
@guarded
def sync(
    names: Annotated[list[str] | None, typer.Argument(metavar="[OWNER/NAME|URL...]")] = None,
    full: Annotated[bool, typer.Option("--full", help="Ignore the cursor and refetch everything.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Dagster's run log.")] = False,
    no_verify: NoVerify = False,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-j",
            min=1,
            help=(
                "Repositories synced at once, each its own Dagster run in a process of its own; "
                "-j 1 syncs one after the other. Default 4, as dagster.yaml's max_concurrent_runs "
                "(GitHub's secondary rate limits punish concurrency), and never more than the "
                "instance's `github_api` pool limit (2 in dagster.yaml): more runs would only wait "
                "for a pool slot."
            ),
        ),
    ] = DEFAULT_CONCURRENCY,
) -> None:
    """Sync repositories now (all registered ones when none is given); unregistered ones are added.

    Up to --concurrency repositories sync at once; one failing never stops the others, and the exit
    status is 1 if any failed. Ctrl-C (SIGINT) or SIGTERM stops within seconds: the repositories in
    progress are left consistent (a cursor never passes its rows), the next ones are not started,
    and the exit status is 130 (SIGINT) or 143 (SIGTERM).
    """
    requested = parse_all(names or [])
    settings = Settings.from_env()
    keys: list[str] = []
    progress = SyncProgress(err)
    guard = InterruptGuard(
        on_signal=lambda signum: err.print(
            f"prsync: {signal_name(signum)} received, stopping (send it again to stop at once)",
            markup=False,
        )
    )
    with guard:
        try:
            check_environment(settings)
            with dagster_instance() as instance:
                keys = _keys_to_sync(instance, requested, settings, no_verify)
                progress.update(progress.task, total=len(keys))
                with progress:
                    run_syncs(
                        keys,
                        full,
                        instance,
                        concurrency=concurrency,
                        on_start=progress.started,
                        on_done=progress.done,
                        on_log=progress.logged,
                        log_level="INFO" if verbose else "CRITICAL",
                        guard=guard,
                    )
        except Interrupted:
            pass
    outcomes = progress.outcomes(keys)
    if outcomes:
        out.print(sync_summary_table(outcomes, "prsync sync"))
    if guard.signum is not None:
        err.print(interruption_line(guard.signum, outcomes), markup=False, soft_wrap=True)
        raise typer.Exit(guard.exit_code)
    failed = [outcome for outcome in outcomes if not outcome.success]
    if failed:
        first = failed[0]
        fail(f"{len(failed)} of {len(outcomes)} syncs failed; {first.repo}: {first.error}")


def _keys_to_sync(
    instance: DagsterInstance, requested: list[str], settings: Settings, no_verify: bool
) -> list[str]:
    """The partition keys to run: the requested repositories (new ones checked, then registered),
    or every registered one (each repository once, whatever its spelling; invalid keys skipped)."""
    registered = Registered.read(instance)
    if not requested:
        for key, reason in registered.invalid.items():
            err.print(f"skipped {key!r}: {reason} (prsync repos remove it)", markup=False, soft_wrap=True)
        if not registered.keys:
            raise CliError("no repositories registered: run `prsync repos add OWNER/NAME` first")
        return [registered.partition_key(key) for key in sorted(registered.keys)]
    new = [key for key in requested if key not in registered.keys]
    if new:
        if not no_verify:
            with ThreadPoolExecutor(1) as pool:
                checked = pool.submit(verify_repositories, new, settings)
                # the runs need the definitions: import them (CPU) while GitHub answers the checks
                import prsync_dagster.definitions  # noqa: F401

                checked.result()
        instance.add_dynamic_partitions(REPOSITORIES, new)
        err.print(f"registered {', '.join(new)}", markup=False)
    return [registered.partition_key(key) for key in requested]


@app.command("status")
@guarded
def status(
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable: a JSON array, one object per repository.")
    ] = False,
) -> None:
    """One row per repository: status, cursor, last success, lag, PRs, reviews, cost, last error.

    Registered keys in another spelling are shown as the repository they name; registered keys
    that name no repository are listed as ``invalid`` with the reason. Long errors are cut to the
    terminal's width; ``--json`` has the full text.
    """
    from prsync_dagster.warehouse import open_warehouse

    with dagster_instance() as instance:
        registered = Registered.read(instance)
    with open_warehouse(Settings.from_env().warehouse_url) as warehouse:
        warehouse.migrate()
        states = {state.repo: state for state in warehouse.list_states()}
        keys = sorted(set(registered.keys) | set(states))
        counts = {key: warehouse.counts(key) for key in keys}
    now = datetime.now(UTC)
    rows = [_status_row(key, states.get(key), counts[key], registered, now) for key in keys]
    rows += [
        {"repo": key, "registered_as": [key], "status": "invalid", "last_error": reason}
        for key, reason in sorted(registered.invalid.items())
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if not rows:
        out.print("no repositories registered or synced yet; run `prsync repos add OWNER/NAME`")
        return
    # the location on a line of its own: a long path must not wrap the table's title
    out.print(f"prsync status of {warehouse.location}", markup=False, soft_wrap=True)
    out.print(_status_table(rows, out.width))


def _status_row(
    key: str, state: SyncState | None, counts: tuple[int, int], registered: Registered, now: datetime
) -> dict[str, Any]:
    from prsync_dagster.automation import format_lag
    from prsync_dagster.warehouse.base import SyncState

    # a repository never synced has no state row: show an empty one
    shown = state or SyncState(key, "never synced")  # type: ignore[arg-type]
    lag = now - shown.last_success_at if shown.last_success_at else None
    return {
        "repo": key,
        "registered_as": registered.keys.get(key, []),
        "status": shown.status,
        "cursor": shown.cursor.isoformat() if shown.cursor else None,
        "last_attempt_at": shown.last_attempt_at.isoformat() if shown.last_attempt_at else None,
        "last_success_at": shown.last_success_at.isoformat() if shown.last_success_at else None,
        "lag_seconds": round(lag.total_seconds()) if lag is not None else None,
        "lag": format_lag(lag) if lag is not None else "never",
        "pull_requests": counts[0],
        "reviews": counts[1],
        "full_name": shown.full_name,
        "last_error": redact(shown.last_error) if shown.last_error else None,
        "last_report": shown.last_report or None,
        # set by migration 0002: the next sync refetches every PR once (issue 13)
        "needs_full_refetch": bool(shown.needs_full_refetch),
    }


#: Dropped in this order when the terminal is too narrow for every column (``--json`` has them).
OPTIONAL_STATUS_COLUMNS = ("last sync", "cursor", "last success")
#: The last error keeps at least this many characters (then ``…``).
ERROR_MIN_WIDTH = 16


def _status_table(rows: Sequence[dict[str, Any]], width: int) -> Table:
    """One line per repository, fitted to ``width`` (the terminal's): the last error gets the
    room the other columns leave and is cut with ``…``; when even that does not fit, the least
    needed columns are left out (cost, cursor, last success). ``--json`` has everything."""
    cells = [{column: cell(row) for column, cell in STATUS_COLUMNS.items()} for row in rows]
    natural = {
        column: max([len(column), *(len(line[column]) for line in cells)]) for column in STATUS_COLUMNS
    }
    columns = list(STATUS_COLUMNS)

    def others(shown: list[str]) -> int:
        # a rich box table: one border per column plus one, and one space of padding each side
        return sum(natural[column] for column in shown if column != "last error") + 3 * len(shown) + 1

    for optional in OPTIONAL_STATUS_COLUMNS:
        if others(columns) + min(ERROR_MIN_WIDTH, natural["last error"]) <= width:
            break
        columns.remove(optional)
    table = Table(expand=False)
    for column in columns:
        table.add_column(
            column,
            no_wrap=True,
            overflow="ellipsis",
            justify="right" if column in ("PRs", "reviews") else "left",
            min_width=natural[column] if column != "last error" else None,
            max_width=max(width - others(columns), len(column)) if column == "last error" else None,
        )
    for line in cells:
        table.add_row(*(line[column] for column in columns))
    return table


def _status_label(row: dict[str, Any]) -> str:
    label = str(row["status"])
    if row.get("needs_full_refetch"):
        label += " (next sync refetches in full: schema upgrade)"
    spellings = row.get("registered_as") or []  # an invalid key's row: [the key] itself
    others = [spelling for spelling in spellings if spelling != row["repo"]]
    if not spellings:
        label += " (unregistered)"
    elif others:
        label += f" (as {', '.join(others)})"
    return label


def _last_sync_cost(row: dict[str, Any]) -> str:
    report = row.get("last_report") or {}
    if not report:
        return ""
    cost = (
        f"{report.get('strategy')}/{report.get('fetched_with')}: "
        f"{report.get('requests', 0)} req, {report.get('points', 0)} pts"
    )
    return cost + (", full refetch after the schema upgrade" if report.get("refetch_reason") else "")


#: The status table's columns -> the text each shows of a :func:`_status_row` row.
STATUS_COLUMNS: dict[str, Callable[[dict[str, Any]], str]] = {
    "repository": lambda row: row["repo"],
    "status": _status_label,
    "cursor": lambda row: (row.get("cursor") or "")[:19],
    "last success": lambda row: (row.get("last_success_at") or "")[:19],
    "lag": lambda row: row.get("lag") or "",
    "PRs": lambda row: str(row.get("pull_requests", "")),
    "reviews": lambda row: str(row.get("reviews", "")),
    "last sync": _last_sync_cost,
    "last error": lambda row: " ".join(str(row.get("last_error") or "").split()),
}


@app.command("demo")
@guarded
def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to keep the demo's Dagster home and DuckDB file.")
    ] = None,
    latency_ms: Annotated[int, typer.Option(help="Simulated GitHub latency per request.")] = 0,
) -> None:
    """Run an offline demo against the bundled GitHub API simulator."""
    from prsync_dagster.demo import run_demo

    run_demo(directory, latency_ms=latency_ms, console=out, progress=err)


app.command("report")(guarded(report_command))  # prsync report (issue 10; prsync_dagster/report.py)


def main(argv: Sequence[str] | None = None) -> None:
    """The ``prsync`` console script.

    The process ends right after its last line and the ``atexit`` handlers (Sentry's flush,
    logging), without tearing down the interpreter: with Dagster loaded that costs ~0.3 s of CPU
    (seconds on a busy machine) and achieves nothing, since everything we own is closed by then;
    an operator who pressed Ctrl-C (or a supervisor that sent SIGTERM and waits) should not wait
    for it either.
    """
    try:
        app(args=list(argv) if argv is not None else sys.argv[1:])
    except SystemExit as exit_:
        code = exit_.code
        if code is not None and not isinstance(code, int):  # as Python reports such an exit
            print(code, file=sys.stderr)
            code = 1
        for stream in (sys.stdout, sys.stderr):
            with suppress(Exception):
                stream.flush()
        with suppress(Exception):
            atexit._run_exitfuncs()
        os._exit(code or 0)


if __name__ == "__main__":
    main()
