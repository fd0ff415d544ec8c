"""Repository names are validated wherever they enter: Dagster does not validate partition keys."""

import pytest

from prsync_dagster.errors import InvalidRepositoryName
from prsync_dagster.partitions import normalize_repo


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme/Widgets", "acme/widgets"),
        ("  octo-org/my.repo_name-2 ", "octo-org/my.repo_name-2"),
        ("a/b", "a/b"),
        ("x" * 39 + "/" + "y" * 100, "x" * 39 + "/" + "y" * 100),
        ("o/.github", "o/.github"),
    ],
)
def test_valid_names_are_lower_cased(raw: str, expected: str) -> None:
    assert normalize_repo(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "a",
        "a/b/c",
        "../x",
        "x/..",
        "x/.",
        "a b/c",
        "a/b c",
        "ünï/code",
        "o/ünïcode",
        "x" * 40 + "/repo",
        "o/" + "n" * 101,
        "o'hara/repo",
        'o/r"; DROP TABLE github.pull_requests; --',
        "o/r;select",
        "/repo",
        "owner/",
        "own_er/repo",
    ],
)
def test_invalid_names_get_one_line_reason(raw: str) -> None:
    with pytest.raises(InvalidRepositoryName) as caught:
        normalize_repo(raw)
    message = str(caught.value)
    assert "\n" not in message
    assert "repository" in message
