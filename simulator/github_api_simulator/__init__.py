"""A GitHub API simulator: REST + GraphQL over real HTTP, so tests drive PyGithub end to end.

Start one in-process::

    from github_api_simulator import GitHubSimulator, SimulatorControl
    with GitHubSimulator(scenario="small", seed=7) as sim:
        sim.url            # REST base URL; GraphQL at sim.url + "/graphql"
        sim.token          # accepted token ("Authorization: token X" or "Bearer X")
        sim.repos()        # ["Acme/Widgets", "Acme/gadget-Service", "jDoe-Dev/sprocket.js"]
        sim.truth("acme/widgets")

or out of process: ``uv run python -m github_api_simulator --port 8765 --scenario small``.

Control API (no auth; a prefix GitHub never uses). ``GET`` operations take query parameters,
``POST`` operations a JSON object of keyword arguments; answers are ``{"result": ...}`` (404 for
unknown repos/items, 422 for refused operations). ``GET /_simulator/`` lists the operations.

=============================================  ==================================================
``GET  /_simulator/health``                    ``{"ok", "scenario", "seed", "token"}``
``GET  /_simulator/repos``                     full names
``GET  /_simulator/truth?repo=o/r``            ground truth (timestamps as ISO ``Z`` strings)
``GET  /_simulator/stats``                     request statistics
``POST /_simulator/reset_stats``
``GET  /_simulator/triggers``                  triggers and whether they fired
``GET  /_simulator/rate_limit_status?token=``  budgets as /rate_limit reports them
``POST /_simulator/mutate``                    ``{"op": "update_pull", "repo": ..., ...}``
``POST /_simulator/<mutation>``                update_pull, open_pull, close_pull, reopen_pull,
                                               merge_pull (``merged_by``), add_review,
                                               dismiss_review, request_review, remove_review_request
                                               (``reviewer`` login or ``team`` slug, ``by``),
                                               add_label, remove_label, assign,
                                               mark_ready_for_review, convert_to_draft,
                                               push_commits, add_comment, update_issue,
                                               open_issue, rename_repo, delete_repo, mutate_repo
``POST /_simulator/reset_world``               regenerate the scenario world
``POST /_simulator/add_token``                 ``{"token", "login"?}``
``POST /_simulator/revoke_token``              ``{"token"}`` (next request: 401)
``POST /_simulator/set_rate_limit``            ``{"resource", "limit"?, "remaining"?, "reset_in"?,
                                               "token"?, "window_seconds"?, "exhausted_status"?}``
``POST /_simulator/set_latency``               ``{"ms"}``
``POST /_simulator/set_error_rate``            ``{"rate", "statuses"?, "seed"?, "match"?}``
``POST /_simulator/script_responses``          ``{"match", "responses": [{"status", "kind"?,
                                               "body"?, "headers"?, "retry_after"?}]}``
``POST /_simulator/fail_next``                 ``{"match", "status", "times"}``
``POST /_simulator/inject_secondary_rate_limit`` ``{"match", "retry_after" (null: no header),
                                               "times"}``
``POST /_simulator/set_graphql_timeout``       ``{"node_threshold"}`` (null clears)
``POST /_simulator/clear_faults``
``POST /_simulator/add_trigger``               ``{"match", "after", "op", "args"}``
``POST /_simulator/register_app``              ``{"app_id", "private_key"|"public_key"?, ...}``
``POST /_simulator/install_app``               ``{"app_id", "owner", "repositories"?}``
``POST /_simulator/set_installation_token_ttl`` ``{"seconds"}``
=============================================  ==================================================

Route patterns (``match``) are fnmatch patterns, case-insensitive, tried against
``"METHOD /concrete/path"`` and ``"METHOD /repos/{owner}/{repo}/..."`` (the route template);
``*`` also matches ``/``. Examples: ``"*"``, ``"GET */pulls"``, ``"POST /graphql"``,
``"GET /repos/{owner}/{repo}/pulls/{number}/reviews"``.

REST endpoints served: ``/repos/{o}/{r}`` (+ ``/repositories/{id}/...``), ``/pulls`` (list items
without counts, as GitHub), ``/pulls/{n}`` (full object), ``/pulls/{n}/reviews[/{id}]``,
``/issues``, ``/issues/{n}``, ``/issues/{n}/timeline``, ``/user``, ``/rate_limit``, GitHub App
endpoints; ``POST /graphql``. ``X-Github-Next-Global-ID: 1`` makes every ``node_id`` (and GraphQL
account ``id``) the next format.

Ground truth (``truth(repo)``): ``pull_requests`` rows (the warehouse columns, including the
review-metrics ones: body, additions, deletions, changed_files, commits, comments, labels,
assignees, requested_reviewers, requested_teams, merged_by_login, merge_commit_sha, head_sha,
base_sha, author_association, is_cross_repository, ready_for_review_at, node_id), ``reviews`` rows
(with body, author_association), ``timeline`` rows (only review_requested,
review_request_removed, ready_for_review, convert_to_draft: pr_number, node_id in next format,
event, actor_login, requested_reviewer, requested_team, created_at) and ``issues``. The README
("Ground truth") says how each key maps onto REST and GraphQL fields.
"""

from github_api_simulator.apps import generate_app_key_pair
from github_api_simulator.control import ControlError, SimulatorControl
from github_api_simulator.core import DEFAULT_TOKEN, SimulatorCore
from github_api_simulator.model import NotFound, SimulatorError
from github_api_simulator.scenarios import ScenarioSpec, custom, get_scenario
from github_api_simulator.server import GitHubSimulator

__all__ = [
    "DEFAULT_TOKEN",
    "ControlError",
    "GitHubSimulator",
    "NotFound",
    "ScenarioSpec",
    "SimulatorControl",
    "SimulatorCore",
    "SimulatorError",
    "custom",
    "generate_app_key_pair",
    "get_scenario",
]
