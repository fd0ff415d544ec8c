"""``prsync report``: one self-contained HTML page from the metrics tables (issue 10)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prsync_dagster.cli import app
from prsync_dagster.metrics.sql import refresh_pull_request_metrics, refresh_weekly_metrics
from prsync_dagster.report import build_report, write_report
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster_tests.metrics_dataset import COMPUTED_AT, OTHER, REPO, build_dataset, h, insert_pr

REPO_ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2024, 3, 14, 12, tzinfo=UTC)
HOSTILE = '<script>alert("pwned")</script> & <img src=x onerror=alert(1)>'


def fill(warehouse: Warehouse) -> None:
    build_dataset(warehouse)
    # an open PR nobody reviewed, with a hostile title, waiting since +20 h
    insert_pr(warehouse, REPO, 8, author="mallory", created=h(20), additions=1, deletions=1)
    with warehouse._session("retitle") as executor:  # type: ignore[attr-defined]
        executor.execute(
            "UPDATE github.pull_requests SET title = %s WHERE repo = %s AND number = 8", [HOSTILE, REPO]
        )
    for repo in (REPO, OTHER):
        refresh_pull_request_metrics(warehouse, repo, COMPUTED_AT)
    refresh_weekly_metrics(warehouse, COMPUTED_AT)


def external_references(page: str) -> list[str]:
    """Anything the page would fetch: script/link/img/iframe sources; CSS urls outside the scripts."""
    found = re.findall(r"<(?:script|link|img|iframe)[^>]+(?:src|href)\s*=\s*[\"']?([^\"' >]+)", page)
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.DOTALL)
    found += re.findall(r"url\((?![\"']?data:)[^)]*\)|@import", markup)
    return found


def test_report_page_is_self_contained_and_escapes_github_text(warehouse: Warehouse) -> None:
    fill(warehouse)
    page = build_report(warehouse, weeks=4, now=NOW)
    assert page.startswith("<!DOCTYPE html>")
    assert external_references(page) == []
    assert "Plotly.newPlot" in page  # the charts, drawn by the embedded plotly.js
    assert len(page) > 1_000_000  # plotly.js itself is inside
    # both repositories are charted; the data has two weeks, both within the 4 asked for
    for repo in (REPO, OTHER):  # plotly's JSON spells "/" and "<" as \u escapes (no "</script>" inside)
        assert '"name":"' + repo.replace("/", "\\u002f") + '"' in page
    assert "the 2 most recent ISO weeks with activity, weeks of 2024-03-04 to 2024-03-11" in page
    one = build_report(warehouse, weeks=1, now=NOW)
    assert "the 1 most recent ISO weeks with activity, weeks of 2024-03-11 to 2024-03-11" in one
    assert OTHER.replace("/", "\\u002f") not in one  # OTHER had nothing in the week of 2024-03-11
    # waiting for a first review: #3 (since +3 h) and #8 (since +20 h), longest first
    table = page[page.index("waiting longest") :]
    assert table.index(">#3<") < table.index(">#8<")
    assert f'href="https://github.com/{REPO}/pull/3"' in table
    # NOW - (T + 3 h) = 10 days 9 h = 10.4 days
    assert '<td class="num">10.4</td>' in table
    assert HOSTILE not in page and "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &lt;img src=x" in table


def test_report_without_data_says_so(warehouse: Warehouse) -> None:
    page = build_report(warehouse, weeks=12, now=NOW)
    assert "no weekly metrics yet" in page
    assert "No open, ready pull request is waiting" in page
    with pytest.raises(ValueError, match="weeks"):
        build_report(warehouse, weeks=0)


def test_prsync_report_writes_the_page(tmp_path: Path, duckdb_url: str, monkeypatch) -> None:
    with open_warehouse(duckdb_url) as warehouse:
        warehouse.migrate()
        fill(warehouse)
    monkeypatch.setenv("PRSYNC_WAREHOUSE_URL", duckdb_url)
    out = tmp_path / "sub" / "metrics.html"
    result = CliRunner().invoke(app, ["report", "--out", str(out), "--weeks", "2", "--no-refresh"])
    assert result.exit_code == 0, result.output
    assert f"report written to {out}" in result.output
    page = out.read_text(encoding="utf-8")
    assert "weeks of 2024-03-04 to 2024-03-11" in page and external_references(page) == []

    bad = CliRunner().invoke(app, ["report", "--weeks", "0", "--no-refresh"])
    assert bad.exit_code != 0


def test_write_report_creates_parent_directories(tmp_path: Path, duckdb_url: str) -> None:
    with open_warehouse(duckdb_url) as warehouse:
        warehouse.migrate()
        path = write_report(warehouse, tmp_path / "a" / "b" / "r.html", weeks=1, now=NOW)
    assert path.is_file() and path.is_absolute()


@pytest.mark.processes
def test_prsync_report_refreshes_the_weekly_asset_through_dagster(tmp_path: Path, duckdb_url: str) -> None:
    with open_warehouse(duckdb_url) as warehouse:
        warehouse.migrate()
        build_dataset(warehouse)
        refresh_pull_request_metrics(warehouse, REPO, COMPUTED_AT)  # weekly table left empty
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PRSYNC_"))}
    env.update(DAGSTER_HOME=str(tmp_path / "home"), PRSYNC_WAREHOUSE_URL=duckdb_url)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    out = tmp_path / "report.html"
    result = subprocess.run(
        [sys.executable, "-m", "prsync_dagster.cli", "report", "--out", str(out)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    page = out.read_text(encoding="utf-8")
    assert "the 2 most recent ISO weeks with activity, weeks of 2024-03-04 to 2024-03-11" in page
    from dagster import AssetKey, DagsterInstance

    instance = DagsterInstance.from_config(str(tmp_path / "home"))
    try:
        event = instance.get_latest_materialization_event(AssetKey(["github", "review_metrics_weekly"]))
        assert event is not None  # the refresh is a recorded Dagster run
    finally:
        instance.dispose()
