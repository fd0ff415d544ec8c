"""The README's three example queries run as written on both databases, with hand-checked answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prsync_dagster.metrics.sql import refresh_pull_request_metrics
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster_tests.metrics_dataset import COMPUTED_AT, OTHER, REPO, build_dataset

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_queries() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    found = re.findall(r"<!-- metrics-query: (.+?) -->\s*```sql\n(.*?)```", text, flags=re.DOTALL)
    return {name: sql for name, sql in found}


def run(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse._session("readme query") as executor:  # type: ignore[attr-defined]
        return executor.execute(sql.strip().rstrip(";"))


@pytest.fixture
def dataset(warehouse: Warehouse) -> Warehouse:
    build_dataset(warehouse)
    for repo in (REPO, OTHER):
        refresh_pull_request_metrics(warehouse, repo, COMPUTED_AT)
    return warehouse


def test_the_readme_has_the_three_queries() -> None:
    assert set(readme_queries()) == {"pickup per reviewer", "size vs cycle time", "waiting longest"}


def test_pickup_per_reviewer(dataset: Warehouse) -> None:
    rows = run(dataset, readme_queries()["pickup per reviewer"])
    # erin asked +74 on #6, reviewed +80: 6 h; carol asked +50 on #5, reviewed +55: 5 h;
    # bob asked +3 on #2, his (later dismissed) review +4: 1 h. #3 asked only a team.
    assert [(repo, who, n) for repo, who, n, _ in rows] == [
        (REPO, "erin", 1),
        (REPO, "carol", 1),
        (REPO, "bob", 1),
    ]
    assert [hours for *_, hours in rows] == [pytest.approx(6.0), pytest.approx(5.0), pytest.approx(1.0)]


def test_size_vs_cycle_time(dataset: Warehouse) -> None:
    rows = run(dataset, readme_queries()["size vs cycle time"])
    # merged: #5 (50 lines) and #2 (120) in 50-249: first review 5 and 2 h -> 3.5, merge 22 and 8 -> 15;
    # #4 (300 lines, merged without review): 7 h, 6 h.
    assert rows == [
        ("2: 50-249 lines", 2, pytest.approx(3.5), pytest.approx(15.0), pytest.approx(0.0)),
        ("3: 250-999 lines", 1, pytest.approx(7.0), pytest.approx(6.0), pytest.approx(1.0)),
    ]


def test_waiting_longest(dataset: Warehouse) -> None:
    rows = run(dataset, readme_queries()["waiting longest"])
    assert [(row[0], row[1]) for row in rows] == [(REPO, 3)]  # the open, never-reviewed PR
    assert float(rows[0][6]) > 900  # opened 2024-03-04: far more than 900 days before today
