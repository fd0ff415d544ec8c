"""SQL is always parameterised: hostile text from GitHub lands as data, end to end (point 12).

The warehouse tests cover quoting at the SQL layer; here the text comes from GitHub (titles and
branch names are whatever people type) through PyGithub, every fetch strategy and both backends.
"""

from __future__ import annotations

from github_api_simulator import GitHubSimulator

from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster_tests.fault_helpers import STRATEGIES, across_backends
from prsync_dagster_tests.sync_helpers import differences, run_sync

REPO = "Acme/gadget-Service"

HOSTILE_TITLES = [
    "Robert'); DROP TABLE github.pull_requests;--",
    "'; DELETE FROM github.sync_state WHERE '1'='1",
    '" OR 1=1 --',
    "100% sure: %s %(name)s ? ?1 $1 :name {0}",
    "back\\slash \\' \\\" E'\\x41'",
    "$$; TRUNCATE github.pull_request_reviews; $$",
    "émoji 🚀 / 中文 / \u202e right-to-left / tab\there",
    "a" * 1000 + "'",
]


@across_backends({"strategy": STRATEGIES})
def test_hostile_titles_and_branch_names_are_stored_verbatim(
    simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    run_sync(simulator, warehouse, REPO, strategy=strategy)
    opened = []
    for index, title in enumerate(HOSTILE_TITLES):
        head = f'fix/it\'s-"{index}";--'
        opened.append(simulator.open_pull(REPO, title=title, head=head)["pull_request"]["number"])
    reviewed = opened[0]
    simulator.add_review(REPO, reviewed, state="CHANGES_REQUESTED", body="'); DROP TABLE x;--")

    run_sync(simulator, warehouse, REPO, strategy=strategy)

    assert differences(simulator, warehouse, REPO) == []
    stored = {pr.number: pr for pr in warehouse.pull_requests(REPO.lower())}
    for index, number in enumerate(opened):
        assert stored[number].title == HOSTILE_TITLES[index]
        assert stored[number].head_ref == f'fix/it\'s-"{index}";--'
    # every table is intact, and the other repositories' rows and states untouched
    assert warehouse.counts(REPO.lower()) == (
        len(simulator.truth(REPO)["pull_requests"]),
        len(simulator.truth(REPO)["reviews"]),
    )
    assert [state.repo for state in warehouse.list_states()] == [REPO.lower()]
    state = warehouse.get_state(REPO.lower())
    assert state is not None and state.status == "ok"
