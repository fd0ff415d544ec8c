"""``prsync report``: one self-contained HTML page of the review metrics (issue 10).

The page holds the weekly trends of every repository (from ``github.review_metrics_weekly``) as
plotly charts and the open pull requests that have waited longest for a first review (from
``github.pull_request_metrics``). plotly.js is embedded in the page (``include_plotlyjs=True``,
about 4.5 MB), so it renders without network access, e.g. from a file attachment or an
air-gapped machine. Every text from GitHub (titles, logins, repository names) is HTML-escaped
before it is written into the page; plotly escapes what it draws itself.

The window is the ``weeks`` most recent ISO weeks *that have data* (a PR opened or merged in
some repository), not the weeks before today: a warehouse that stopped syncing, or the demo's
simulator world (history up to mid-2025 plus the demo's own changes today), still shows its last
trends instead of empty charts. Weeks are categories on the x axis, so a quiet week is left out
rather than drawn as a gap; the page says which weeks it covers.
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # the CLI imports this module at start: keep that cheap
    from prsync_dagster.metrics.sql import WaitingPullRequest
    from prsync_dagster.warehouse.base import Warehouse

#: How many waiting pull requests the page lists.
WAITING_LIMIT = 20

#: (column of review_metrics_weekly, chart title, y-axis title), one chart row each.
CHARTS: tuple[tuple[str, str, str], ...] = (
    ("prs_merged", "PRs merged per week", "PRs"),
    ("median_hours_to_first_review", "Median hours to first review (PRs opened that week)", "hours"),
    ("p90_hours_to_first_review", "90th percentile hours to first review", "hours"),
    ("median_hours_to_merge", "Median hours from open to merge (PRs merged that week)", "hours"),
    ("median_size", "Median size of merged PRs (additions + deletions)", "lines"),
)

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 24px 40px;
       color: #1f2328; }
h1 { font-size: 24px; margin-bottom: 4px; }
.meta { color: #59636e; margin-top: 0; }
table { border-collapse: collapse; font-size: 14px; margin-top: 8px; }
th, td { border-bottom: 1px solid #d1d9e0; padding: 6px 10px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.empty { color: #59636e; font-style: italic; }
"""


def _figure_html(weekly: list[dict[str, Any]], shown: list[date]) -> str:
    """The trend charts as an HTML fragment with plotly.js embedded (no network at view time)."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative
    from plotly.subplots import make_subplots

    figure = make_subplots(
        rows=len(CHARTS),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.05,
        subplot_titles=[title for _, title, _ in CHARTS],
    )
    repos = sorted({row["repo"] for row in weekly})
    weeks = [week.isoformat() for week in shown]
    palette: list[str] = qualitative.Plotly
    for index, repo in enumerate(repos):
        # every shown week on every line: a week without a row opened and merged nothing (count 0)
        # and has no median (None: the line breaks instead of bridging the quiet week)
        by_week = {row["week"]: row for row in weekly if row["repo"] == repo}
        for chart, (column, _, _) in enumerate(CHARTS, start=1):
            empty = 0 if column.startswith("prs_") else None
            figure.add_trace(
                go.Scatter(
                    x=weeks,
                    y=[by_week[week][column] if week in by_week else empty for week in shown],
                    mode="lines+markers",
                    name=repo,
                    legendgroup=repo,
                    showlegend=chart == 1,
                    line={"color": palette[index % len(palette)]},
                    connectgaps=False,
                    hovertemplate=f"{html.escape(repo)}<br>week of %{{x}}<br>%{{y:.1f}}<extra></extra>",
                ),
                row=chart,
                col=1,
            )
    for chart, (_, _, unit) in enumerate(CHARTS, start=1):
        figure.update_yaxes(title_text=unit, rangemode="tozero", row=chart, col=1)
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=weeks)
    figure.update_layout(
        height=260 * len(CHARTS),
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        hovermode="closest",
    )
    return figure.to_html(
        full_html=False,
        include_plotlyjs=True,
        include_mathjax=False,
        config={"displaylogo": False, "responsive": True},
    )


def _waiting_table(waiting: list[WaitingPullRequest], now: datetime) -> str:
    if not waiting:
        return '<p class="empty">No open, ready pull request is waiting for its first review.</p>'
    lines = [
        "<table>",
        "<tr><th>repository</th><th>PR</th><th>title</th><th>author</th><th>waiting since</th>"
        "<th>days waiting</th><th>review requested</th><th>size</th></tr>",
    ]
    for pr in waiting:
        days = (now - pr.waiting_since).total_seconds() / 86_400
        link = (
            f'<a href="{html.escape(pr.html_url, quote=True)}">#{pr.number}</a>'
            if pr.html_url and pr.html_url.startswith("https://")
            else f"#{pr.number}"
        )
        requested = pr.first_review_requested_at.strftime("%Y-%m-%d") if pr.first_review_requested_at else "–"
        lines.append(
            "<tr>"
            f"<td>{html.escape(pr.repo)}</td><td>{link}</td><td>{html.escape(pr.title or '')}</td>"
            f"<td>{html.escape(pr.author_login or 'ghost')}</td>"
            f"<td>{pr.waiting_since.strftime('%Y-%m-%d %H:%M')} UTC</td>"
            f'<td class="num">{days:.1f}</td><td>{requested}</td>'
            f'<td class="num">{"" if pr.size is None else pr.size}</td>'
            "</tr>"
        )
    lines.append("</table>")
    return "\n".join(lines)


def build_report(warehouse: Warehouse, *, weeks: int = 12, now: datetime | None = None) -> str:
    """The report page as one HTML string (UTF-8, self-contained).

    ``weeks`` (>= 1) is how many ISO weeks of trends to show, ending at the most recent week in
    ``github.review_metrics_weekly``; ``now`` (aware, default: the current time) dates the page and
    the waiting times. Raises ``ValueError`` for ``weeks < 1`` and ``WarehouseError`` when the
    warehouse cannot be read.
    """
    from prsync_dagster.metrics.sql import waiting_for_review, weekly_metrics

    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    now = now or datetime.now(UTC)
    every_week = weekly_metrics(warehouse)
    shown = sorted({row["week"] for row in every_week})[-weeks:]
    weekly = [row for row in every_week if row["week"] in set(shown)]
    covered = "no weekly metrics yet: sync a repository, then materialize github/review_metrics_weekly"
    if shown:
        covered = (
            f"the {len(shown)} most recent ISO weeks with activity, "
            f"weeks of {shown[0].isoformat()} to {shown[-1].isoformat()}"
        )
    repos = sorted({row["repo"] for row in weekly})
    waiting = waiting_for_review(warehouse, WAITING_LIMIT)
    charts = _figure_html(weekly, shown) if weekly else '<p class="empty">No weekly metrics to chart.</p>'
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<title>prsync: review metrics</title>",
            f"<style>{_STYLE}</style></head><body>",
            "<h1>Review metrics</h1>",
            f'<p class="meta">{len(repos)} repositories; {html.escape(covered)}. '
            f"Generated {now.astimezone(UTC).strftime('%Y-%m-%d %H:%M')} UTC from "
            f"{html.escape(warehouse.location)} by prsync.</p>",
            "<h2>Weekly trends</h2>",
            charts,
            f"<h2>Open pull requests waiting longest for a first review (top {WAITING_LIMIT})</h2>",
            '<p class="meta">Open, not draft, no review yet by anyone but the author and bots; '
            "waiting since ready for review (or opened).</p>",
            _waiting_table(waiting, now),
            "</body></html>",
        ]
    )


def write_report(warehouse: Warehouse, out: Path, *, weeks: int = 12, now: datetime | None = None) -> Path:
    """Write :func:`build_report`'s page to ``out`` (parent directories created); returns its path."""
    page = build_report(warehouse, weeks=weeks, now=now)
    out = out.expanduser().absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def refreshed_report(out: Path, *, weeks: int = 12, refresh: bool = True) -> Path:
    """Write the page from ``$PRSYNC_WAREHOUSE_URL``, after materializing
    ``github/review_metrics_weekly`` in the ``$DAGSTER_HOME`` instance (one recorded run) unless
    ``refresh`` is False.

    Raises ``CliError`` with the run's reason when the refresh fails.
    """
    from prsync_dagster.cli import CliError
    from prsync_dagster.runs import dagster_instance, run_error
    from prsync_dagster.warehouse import open_warehouse

    if refresh:
        from prsync_dagster.definitions import defs

        with dagster_instance() as instance:
            result = defs.resolve_job_def("review_metrics_weekly").execute_in_process(
                instance=instance,
                raise_on_error=False,
                tags={"prsync/trigger": "cli"},
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            )
        if not result.success:
            reason = run_error(result) or "see the run"
            raise CliError(f"refreshing the weekly review metrics failed: {reason}")
    with open_warehouse() as warehouse:
        warehouse.migrate()
        return write_report(warehouse, out, weeks=weeks)


def report_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML page.")] = Path("report.html"),
    weeks: Annotated[int, typer.Option("--weeks", min=1, help="How many ISO weeks of trends to chart.")] = 12,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh/--no-refresh",
            help="First recompute github/review_metrics_weekly through Dagster (a recorded run).",
        ),
    ] = True,
) -> None:
    """Write one self-contained HTML page with review-metrics trends and the PRs waiting longest."""
    from prsync_dagster.cli import out as console

    path = refreshed_report(out, weeks=weeks, refresh=refresh)
    console.print(f"report written to {path}", markup=False, soft_wrap=True)
