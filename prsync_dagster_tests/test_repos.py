"""Repository names follow GitHub's rules (prsync_dagster/repos.py), wherever they enter."""

import pytest

from prsync_dagster.errors import InvalidRepositoryName
from prsync_dagster.repos import normalize_repo, parse_repo


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme/Widgets", "acme/widgets"),
        ("  octo-org/my.repo_name-2 ", "octo-org/my.repo_name-2"),
        ("a/b", "a/b"),
        ("x" * 39 + "/" + "y" * 100, "x" * 39 + "/" + "y" * 100),
        ("o/.github", "o/.github"),
        # Enterprise Managed Users: handle_shortcode (GitHub allows "_" in those owners)
        ("jdoe_acme/Widgets", "jdoe_acme/widgets"),
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
        "-owner/repo",
        "https://github.com/o/r",  # URLs only through parse_repo
    ],
)
def test_invalid_names_get_one_line_reason(raw: str) -> None:
    with pytest.raises(InvalidRepositoryName) as caught:
        normalize_repo(raw)
    message = str(caught.value)
    assert "\n" not in message
    assert "repository" in message


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        ("https://github.com/Octo-Org/Hello-World", "octo-org/hello-world"),
        ("https://github.com/octo-org/hello-world/", "octo-org/hello-world"),
        ("https://github.com/octo-org/hello-world.git", "octo-org/hello-world"),
        ("https://github.com/octo-org/hello-world/pull/12", "octo-org/hello-world"),
        ("http://github.example.com/o/r", "o/r"),
        ("github.com/o/r", "o/r"),
        ("git@github.com:o/r.git", "o/r"),
        ("ssh://git@github.com/o/r.git", "o/r"),
        ("  jDoe-Dev/sprocket.js ", "jdoe-dev/sprocket.js"),
        ("jdoe_acme/r", "jdoe_acme/r"),
    ],
)
def test_pasted_urls_and_names_parse_to_the_key(pasted: str, expected: str) -> None:
    assert parse_repo(pasted) == expected


@pytest.mark.parametrize(
    "pasted",
    ["https://github.com/o", "https://github.com/", "ftp://github.com/o/r", "a/b/c", "git@github.com:o"],
)
def test_pasted_urls_without_owner_and_name_are_refused(pasted: str) -> None:
    with pytest.raises(InvalidRepositoryName) as caught:
        parse_repo(pasted)
    assert "\n" not in str(caught.value)
