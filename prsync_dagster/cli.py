"""``prsync``: register repositories, sync them through Dagster, and read their status.

The CLI is a thin client of the Dagster instance in ``$DAGSTER_HOME``: repositories are the
``repositories`` dynamic partitions, and ``prsync sync`` launches the same ``github_sync`` job
the schedule and the UI launch, so every run shows up in the Dagster UI with its figures.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from prsync_dagster.errors import PrsyncError
from prsync_dagster.partitions import REPOSITORIES
from prsync_dagster.report import report_command
from prsync_dagster.repos import normalize_repo
from prsync_dagster.secrets import redact

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

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
if not out.is_terminal:  # piped or captured: rich would wrap tables at 80 columns
    out = Console(highlight=False, width=140)
if not err.is_terminal:
    err = Console(stderr=True, highlight=False, width=140)

T = TypeVar("T")


class CliError(Exception):
    """A failure to report as one line on stderr with a non-zero exit status."""


def fail(message: str, code: int = 1) -> None:
    err.print(f"prsync: error: {redact(message)}", markup=False, soft_wrap=True)
    raise typer.Exit(code)


def guarded(function: Callable[..., T]) -> Callable[..., T]:
    """Turn our own errors into one line on stderr instead of a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return function(*args, **kwargs)
        except (PrsyncError, CliError) as exc:
            fail(str(exc))
            raise AssertionError("unreachable") from exc

    return wrapper


def ensure_dagster_home() -> Path:
    """``$DAGSTER_HOME``, defaulting to ``./.prsync`` so the CLI works in a fresh checkout."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        home = str(Path(".prsync").resolve())
        os.environ["DAGSTER_HOME"] = home
        err.print(f"DAGSTER_HOME is not set; using {home}", markup=False)
        path = Path(home)
        path.mkdir(parents=True, exist_ok=True)
        config = path / "dagster.yaml"
        if not config.exists():
            config.write_text(
                "# written by prsync for its default DAGSTER_HOME\ntelemetry:\n  enabled: false\n"
            )
    path = Path(home)
    if not path.is_absolute():
        raise CliError(f"DAGSTER_HOME must be an absolute path, got {home!r}")
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def dagster_instance() -> Iterator[DagsterInstance]:
    from dagster import DagsterInstance

    ensure_dagster_home()
    instance = DagsterInstance.get()
    try:
        yield instance
    finally:
        instance.dispose()


def normalize_all(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(normalize_repo(name) for name in names))


@repos_app.command("add")
@guarded
def repos_add(names: Annotated[list[str], typer.Argument(metavar="OWNER/NAME...")]) -> None:
    """Register repositories (adds Dagster partitions; the next schedule tick syncs them)."""
    keys = normalize_all(names)
    with dagster_instance() as instance:
        existing = set(instance.get_dynamic_partitions(REPOSITORIES))
        new = [key for key in keys if key not in existing]
        if new:
            instance.add_dynamic_partitions(REPOSITORIES, new)
    for key in keys:
        out.print(f"{'added' if key in new else 'already registered'}: {key}", markup=False)


@repos_app.command("remove")
@guarded
def repos_remove(names: Annotated[list[str], typer.Argument(metavar="OWNER/NAME...")]) -> None:
    """Unregister repositories (stops syncing them; their stored rows are kept)."""
    keys = normalize_all(names)
    with dagster_instance() as instance:
        existing = set(instance.get_dynamic_partitions(REPOSITORIES))
        for key in keys:
            if key in existing:
                instance.delete_dynamic_partition(REPOSITORIES, key)
                out.print(f"removed: {key} (stored rows are kept)", markup=False)
            else:
                out.print(f"not registered: {key}", markup=False)


@repos_app.command("list")
@guarded
def repos_list() -> None:
    """List registered repositories."""
    with dagster_instance() as instance:
        for key in sorted(instance.get_dynamic_partitions(REPOSITORIES)):
            out.print(key, markup=False)


@dataclass
class SyncOutcome:
    repo: str
    success: bool
    run_id: str
    error: str | None
    report: dict[str, Any]


def check_environment() -> None:
    """Fail early, in one line, on settings a sync cannot work without."""
    from prsync_dagster.github.client import validate_api_url
    from prsync_dagster.sync import parse_strategy
    from prsync_dagster.warehouse import open_warehouse

    if not os.environ.get("GITHUB_TOKEN") and not os.environ.get("GITHUB_APP_ID"):
        raise CliError(
            "GITHUB_TOKEN is not set: export a GitHub token (or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)"
        )
    if os.environ.get("GITHUB_APP_ID") and not os.environ.get("GITHUB_APP_PRIVATE_KEY"):
        raise CliError("GITHUB_APP_ID is set but GITHUB_APP_PRIVATE_KEY is not")
    if os.environ.get("GITHUB_API_URL"):
        validate_api_url(os.environ["GITHUB_API_URL"])
    if os.environ.get("PRSYNC_GITHUB_STRATEGY"):
        parse_strategy(os.environ["PRSYNC_GITHUB_STRATEGY"])
    with open_warehouse(os.environ.get("PRSYNC_WAREHOUSE_URL") or None) as warehouse:
        warehouse.migrate()


def run_syncs(
    keys: Sequence[str],
    full_refresh: bool,
    instance: DagsterInstance,
    on_done: Callable[[SyncOutcome], None] | None = None,
    log_level: str = "CRITICAL",
) -> list[SyncOutcome]:
    """Materialize each partition in its own run (recorded in the instance, visible in the UI)."""
    from prsync_dagster.definitions import defs
    from prsync_dagster.warehouse import open_warehouse

    job = defs.resolve_job_def("github_sync")
    run_config = {
        "ops": {"sync_github_repository": {"config": {"full_refresh": full_refresh}}},
        # the CLI prints its own summary; Dagster's per-event console log is noise here
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }
    outcomes = []
    for key in keys:
        result = job.execute_in_process(
            run_config=run_config,
            instance=instance,
            partition_key=key,
            raise_on_error=False,
            tags={"prsync/trigger": "cli"},
        )
        with open_warehouse(os.environ.get("PRSYNC_WAREHOUSE_URL") or None) as warehouse:
            state = warehouse.get_state(key)
        error = None if result.success else (_run_error(result) or (state.last_error if state else None))
        outcome = SyncOutcome(
            repo=key,
            success=result.success,
            run_id=result.run_id,
            error=redact(error) if error else None,
            report=state.last_report if state and result.success else {},
        )
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes


def _run_error(result: Any) -> str | None:
    """The first failure's reason, as the asset worded it (not the exception's class path)."""
    for event in result.all_events:
        if not (event.is_step_failure or event.is_failure):
            continue
        data = event.event_specific_data
        user_failure = getattr(data, "user_failure_data", None)
        if user_failure is not None and user_failure.description:
            return str(user_failure.description).splitlines()[0]
        error = getattr(data, "error", None)
        if error is not None:
            message = str(getattr(error, "message", error)).strip()
            first = message.splitlines()[0] if message else ""
            # "package.module.ErrorClass: reason" -> "reason"
            head, _, rest = first.partition(": ")
            return rest if rest and "." in head and " " not in head else first or None
        if event.message:
            return str(event.message).splitlines()[0]
    return None


SUMMARY_COLUMNS = (
    "repository",
    "result",
    "fetched with",
    "PRs",
    "reviews",
    "requests",
    "304s",
    "points",
    "seconds",
)


def sync_summary_table(outcomes: Sequence[SyncOutcome], title: str) -> Table:
    """One row per sync: what changed, and what it cost on GitHub."""
    table = Table(title=title, title_justify="left")
    for index, column in enumerate(SUMMARY_COLUMNS):
        table.add_column(column, justify="left" if index < 3 else "right", no_wrap=True)
    for outcome in outcomes:
        report = outcome.report
        if not outcome.success:
            table.add_row(outcome.repo, "[red]failed[/red]", *[""] * (len(SUMMARY_COLUMNS) - 2))
            continue
        table.add_row(
            outcome.repo,
            "changed" if report.get("changed") else "unchanged",
            str(report.get("fetched_with", "")),
            str(report.get("pull_requests", "")),
            str(report.get("reviews", "")),
            str(report.get("requests", "")),
            str(report.get("not_modified", "")),
            str(report.get("points", "")),
            f"{report.get('seconds', 0):.2f}",
        )
    return table


@app.command("sync")
@guarded
def sync(
    names: Annotated[list[str] | None, typer.Argument(metavar="[OWNER/NAME...]")] = None,
    full: Annotated[bool, typer.Option("--full", help="Ignore the cursor and refetch everything.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Dagster's run log.")] = False,
) -> None:
    """Sync repositories now (all registered ones when none is given); unregistered ones are added."""
    keys = normalize_all(names or [])
    check_environment()
    with dagster_instance() as instance:
        registered = set(instance.get_dynamic_partitions(REPOSITORIES))
        if not keys:
            keys = sorted(registered)
            if not keys:
                raise CliError("no repositories registered: run `prsync repos add OWNER/NAME` first")
        new = [key for key in keys if key not in registered]
        if new:
            instance.add_dynamic_partitions(REPOSITORIES, new)
            err.print(f"registered {', '.join(new)}", markup=False)

        def progress(outcome: SyncOutcome) -> None:
            if outcome.success:
                report = outcome.report
                err.print(
                    f"{outcome.repo}: {report.get('pull_requests')} PRs, {report.get('reviews')} reviews, "
                    f"{report.get('requests')} requests, {report.get('points')} points",
                    markup=False,
                )
            else:
                err.print(f"{outcome.repo}: failed: {outcome.error}", markup=False)

        outcomes = run_syncs(
            keys, full, instance, on_done=progress, log_level="INFO" if verbose else "CRITICAL"
        )
    out.print(sync_summary_table(outcomes, "prsync sync"))
    failed = [outcome for outcome in outcomes if not outcome.success]
    if failed:
        first = failed[0]
        fail(f"{len(failed)} of {len(outcomes)} syncs failed; {first.repo}: {first.error}")


def lag_text(state: SyncState | None, now: datetime) -> str:
    from prsync_dagster.automation import format_lag

    if state is None or state.last_success_at is None:
        return "never"
    return format_lag(now - state.last_success_at)


@app.command("status")
@guarded
def status() -> None:
    """One row per repository: status, cursor, last success, lag, PRs, reviews, cost, last error."""
    from prsync_dagster.warehouse import open_warehouse

    with dagster_instance() as instance:
        registered = set(instance.get_dynamic_partitions(REPOSITORIES))
    url = os.environ.get("PRSYNC_WAREHOUSE_URL") or None
    with open_warehouse(url) as warehouse:
        warehouse.migrate()
        states = {state.repo: state for state in warehouse.list_states()}
        keys = sorted(registered | set(states))
        counts = {key: warehouse.counts(key) for key in keys}
        location = warehouse.location
    now = datetime.now(UTC)
    table = Table(title=f"prsync status ({location})", title_justify="left")
    for column in (
        "repository",
        "status",
        "cursor",
        "last success",
        "lag",
        "PRs",
        "reviews",
        "last sync",
        "last error",
    ):
        table.add_column(column, overflow="fold")
    for key in keys:
        state = states.get(key)
        prs, reviews = counts[key]
        report = state.last_report if state else {}
        cost = ""
        if report:
            cost = (
                f"{report.get('strategy')}/{report.get('fetched_with')}: "
                f"{report.get('requests', 0)} req, {report.get('points', 0)} pts"
            )
            if report.get("refetch_reason"):
                cost += ", full refetch after the schema upgrade"
        label: str = state.status if state else "never synced"
        if state and state.needs_full_refetch:
            label += " (next sync refetches in full: schema upgrade)"
        if key not in registered:
            label += " (unregistered)"
        table.add_row(
            key,
            label,
            state.cursor.isoformat()[:19] if state and state.cursor else "",
            state.last_success_at.isoformat()[:19] if state and state.last_success_at else "",
            lag_text(state, now),
            str(prs),
            str(reviews),
            cost,
            redact(state.last_error) if state and state.last_error else "",
        )
    if not keys:
        out.print("no repositories registered or synced yet; run `prsync repos add OWNER/NAME`")
        return
    out.print(table)


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
    app(args=list(argv) if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
