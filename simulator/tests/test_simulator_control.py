"""Control API: mutations, ETags across mutations, faults, latency, triggers, Apps, the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from github import Auth, GithubException, GithubIntegration, UnknownObjectException
from github_api_simulator import ControlError, GitHubSimulator, SimulatorControl, generate_app_key_pair
from github_api_simulator.pytest_plugin import make_github


def _get(sim: GitHubSimulator, path: str, **headers: str) -> requests.Response:
    headers.setdefault("Authorization", f"token {sim.token}")
    return requests.get(sim.url + path, headers=headers, timeout=10, allow_redirects=False)


def _recent(iso: str) -> bool:
    stamp = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return abs(datetime.now(UTC) - stamp) < timedelta(seconds=10)


def test_mutations_over_http_change_truth_and_payloads(
    simulator: GitHubSimulator, simulator_control: SimulatorControl
) -> None:
    ctl = simulator_control
    assert ctl.repos() == simulator.repos()
    truth = ctl.truth("acme/widgets")
    assert isinstance(truth["pull_requests"][0]["created_at"], str)
    open_pr = next(p for p in truth["pull_requests"] if p["state"] == "open" and not p["draft"])
    number = open_pr["number"]

    changed = ctl.update_pull("Acme/Widgets", number, title="Retitled")["pull_request"]
    assert changed["title"] == "Retitled" and _recent(changed["updated_at"])
    assert changed["updated_at"].endswith("Z") and "." not in changed["updated_at"]
    payload = _get(simulator, f"/repos/Acme/Widgets/pulls/{number}").json()
    assert payload["title"] == "Retitled" and payload["updated_at"] == changed["updated_at"]

    review = ctl.add_review("Acme/Widgets", number, state="CHANGES_REQUESTED", author="Goran")
    rid = review["review"]["id"]
    listed = _get(simulator, f"/repos/Acme/Widgets/pulls/{number}/reviews?per_page=100").json()
    assert listed[-1]["id"] == rid and listed[-1]["user"]["login"] == "Goran"
    before = ctl.truth("Acme/Widgets")
    pr_before = next(p for p in before["pull_requests"] if p["number"] == number)
    dismissed = ctl.dismiss_review("Acme/Widgets", number, rid, touch_pr=False)
    assert dismissed["review"]["state"] == "DISMISSED"
    assert dismissed["pull_request"]["updated_at"] == pr_before["updated_at"], "touch_pr=False"

    merged = ctl.merge_pull("Acme/Widgets", number, merged_by="Goran")["pull_request"]
    assert merged["merged"] and merged["state"] == "closed" and merged["merged_at"] == merged["closed_at"]
    with pytest.raises(ControlError) as info:
        ctl.reopen_pull("Acme/Widgets", number)
    assert info.value.status == 422

    top = max(p["number"] for p in before["pull_requests"] + before["issues"])
    issue = ctl.open_issue("Acme/Widgets", title="Plain issue")["issue"]
    new_pr = ctl.open_pull("Acme/Widgets", title="New one", author="hana", draft=True)["pull_request"]
    assert (issue["number"], new_pr["number"]) == (top + 1, top + 2), "one shared number sequence"
    closed = ctl.close_pull("Acme/Widgets", new_pr["number"])["pull_request"]
    assert closed["state"] == "closed" and not closed["merged"]
    assert ctl.reopen_pull("Acme/Widgets", new_pr["number"])["pull_request"]["state"] == "open"
    upd = ctl.update_issue("Acme/Widgets", issue["number"], state="closed", title="Done")["issue"]
    assert upd["state"] == "closed" and upd["closed_at"] is not None

    with pytest.raises(ControlError) as info:
        ctl.update_pull("Acme/Nope", 1, title="x")
    assert info.value.status == 404
    with pytest.raises(ControlError) as info:
        ctl.mutate("explode", repo="Acme/Widgets")
    assert info.value.status == 422


def test_mutate_repo_and_rename_and_delete_over_http(
    simulator: GitHubSimulator, simulator_control: SimulatorControl
) -> None:
    ctl = simulator_control
    result = ctl.mutate_repo(
        "Acme/gadget-Service", seed=3, updated_fraction=0.05, new_prs=2, new_reviews=4, dismissals=1
    )
    assert len(result["updated"]) == 6 and len(result["opened"]) == 2
    assert len(result["reviews_added"]) == 4 and len(result["reviews_dismissed"]) == 1
    truth = simulator.truth("Acme/gadget-Service")
    assert len(truth["pull_requests"]) == 122
    states = {r["id"]: r["state"] for r in truth["reviews"]}
    assert states[result["reviews_dismissed"][0]] == "DISMISSED"
    renamed = ctl.rename_repo("Acme/gadget-Service", "gizmo", new_owner="OctoLabs")
    assert renamed["repo"] == "OctoLabs/gizmo"
    assert _get(simulator, "/repos/Acme/gadget-Service").status_code == 301
    assert _get(simulator, "/repos/octolabs/GIZMO").json()["full_name"] == "OctoLabs/gizmo"
    ctl.delete_repo("OctoLabs/gizmo")
    assert _get(simulator, "/repos/OctoLabs/gizmo").status_code == 404
    assert _get(simulator, "/repos/Acme/gadget-Service").status_code == 404
    assert "OctoLabs/gizmo" not in ctl.repos()


def test_etag_is_stable_until_an_item_on_the_page_changes(simulator: GitHubSimulator) -> None:
    path = "/repos/Acme/Widgets/pulls?state=all&per_page=100"
    first = _get(simulator, path)
    etag = first.headers["ETag"]
    assert _get(simulator, path, **{"If-None-Match": etag}).status_code == 304
    number = first.json()[5]["number"]
    simulator.update_pull("Acme/Widgets", number, body="edited body")
    after = _get(simulator, path, **{"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert next(p for p in after.json() if p["number"] == number)["body"] == "edited body"
    # PyGithub's own conditional refresh
    gh = make_github(simulator)
    pr = gh.get_repo("Acme/Widgets").get_pull(number)
    assert pr.update() is False
    simulator.update_pull("Acme/Widgets", number, title="again")
    assert pr.update() is True and pr.title == "again"
    gh.close()


def test_scripted_failures_are_retried_by_pygithub(simulator: GitHubSimulator) -> None:
    simulator.fail_next("GET */pulls", status=503, times=2)
    assert _get(simulator, "/repos/Acme/Widgets").status_code == 200, "other routes unaffected"
    assert _get(simulator, "/repos/Acme/Widgets/pulls").status_code == 503
    simulator.reset_stats()
    gh = make_github(simulator)
    pulls = list(gh.get_repo("Acme/Widgets").get_pulls(state="all"))
    assert len(pulls) == 120
    stats = simulator.stats()
    assert stats["by_route_status"]["GET /repos/{owner}/{repo}/pulls"] == {"503": 1, "200": 2}
    assert stats["faults_by_kind"] == {"503": 1}
    simulator.script_responses("*", [{"status": 401}])
    resp = _get(simulator, "/repos/Acme/Widgets")
    assert resp.status_code == 401 and resp.json()["message"] == "Bad credentials"
    assert _get(simulator, "/repos/Acme/Widgets").status_code == 200
    gh.close()


def test_disconnect_fault(simulator: GitHubSimulator) -> None:
    simulator.script_responses("GET /repos/{owner}/{repo}", [{"kind": "disconnect"}])
    with pytest.raises(requests.ConnectionError):
        _get(simulator, "/repos/Acme/Widgets")
    assert _get(simulator, "/repos/Acme/Widgets").status_code == 200


def test_error_rate_is_deterministic_from_seed(simulator: GitHubSimulator) -> None:
    def run() -> list[int]:
        simulator.set_error_rate(0.3, statuses=[502, 503], seed=11, match="GET /repos/*")
        return [_get(simulator, "/repos/Acme/Widgets").status_code for _ in range(40)]

    first, second = run(), run()
    assert first == second
    failures = [s for s in first if s != 200]
    assert 4 <= len(failures) <= 20 and set(failures) <= {502, 503}
    assert _get(simulator, "/rate_limit").status_code == 200, "pattern limits the faults"
    simulator.clear_faults()
    assert all(_get(simulator, "/repos/Acme/Widgets").status_code == 200 for _ in range(10))


def test_latency_is_set_over_http_and_cleared(simulator: GitHubSimulator) -> None:
    """(The time it adds per request is measured by ``benchmarks/timings.py``.)"""
    SimulatorControl(simulator.url).set_latency(150)
    assert simulator.faults.latency_ms == 150
    assert _get(simulator, "/repos/Acme/Widgets").status_code == 200
    simulator.clear_faults()
    assert simulator.faults.latency_ms == 0


def test_trigger_mutates_between_page_requests(simulator: GitHubSimulator) -> None:
    ctl = SimulatorControl(simulator.url)
    trig = ctl.add_trigger(
        "GET */pulls", after=1, op="open_pull", args={"repo": "Acme/Widgets", "title": "racer"}
    )
    gh = make_github(simulator, per_page=50)
    numbers = [p.number for p in gh.get_repo("Acme/Widgets").get_pulls(state="all")]
    # Newest-first paging: the PR opened after page 1 pushes every later item back by one, so
    # the last item of page 1 comes again at the top of page 2 (a real GitHub hazard).
    assert len(numbers) == 121 and len(set(numbers)) == 120
    fired = next(t for t in ctl.triggers() if t["id"] == trig["id"])
    assert fired["fired"] and fired["result"]["pull_request"]["title"] == "racer"
    gh.close()


def test_on_request_hook_runs_before_the_answer_is_sent(simulator: GitHubSimulator) -> None:
    calls: list[tuple[str, str, dict[str, str]]] = []
    truth = simulator.truth("Acme/Widgets")["pull_requests"]
    victim = min(truth, key=lambda p: p["updated_at"])["number"]

    def hook(method: str, path: str, query: dict[str, str]) -> None:
        calls.append((method, path, query))
        if path.endswith("/pulls") and query.get("page") is None:
            simulator.update_pull("Acme/Widgets", victim, title="moved")

    simulator.on_request(hook)
    gh = make_github(simulator, per_page=60)
    listed = [p.number for p in gh.get_repo("Acme/Widgets").get_pulls(state="all", sort="updated")]
    # Oldest-updated first: the victim was first on page 1, then moved to the very end.
    assert listed[0] == victim and listed[-1] == victim and len(listed) == 120
    assert calls[1][2] == {"state": "all", "sort": "updated", "per_page": "60"}
    assert calls[2][2]["page"] == "2" and calls[2][1].startswith("/repositories/")
    gh.close()


# ---- GitHub Apps ----------------------------------------------------------------------------


def test_github_app_flow(simulator: GitHubSimulator) -> None:
    private_key, _public = generate_app_key_pair()
    simulator.register_app(app_id=4242, private_key=private_key, slug="prsync-test")
    acme = simulator.install_app(4242, "Acme")
    jdoe = simulator.install_app(4242, "jDoe-Dev")
    assert acme["id"] != jdoe["id"] and acme["account"]["login"] == "Acme"

    integration = GithubIntegration(auth=Auth.AppAuth(4242, private_key), base_url=simulator.url)
    assert integration.get_app().slug == "prsync-test"
    inst = integration.get_repo_installation("acme", "widgets")
    assert inst.id == acme["id"]
    assert integration.get_org_installation("Acme").id == acme["id"]
    assert integration.get_user_installation("jDoe-Dev").id == jdoe["id"]
    with pytest.raises(UnknownObjectException):
        integration.get_org_installation("OctoLabs")

    gh = integration.get_github_for_installation(inst.id)
    assert gh.get_repo("Acme/Widgets").full_name == "Acme/Widgets"
    with pytest.raises(UnknownObjectException):
        gh.get_repo("jDoe-Dev/sprocket.js")  # another owner's installation
    token = integration.get_access_token(inst.id)
    assert token.token.startswith("ghs_") and token.expires_at > datetime.now(UTC)
    graphql = requests.post(
        simulator.url + "/graphql",
        json={"query": '{ repository(owner: "jDoe-Dev", name: "sprocket.js") { id } }'},
        headers={"Authorization": f"bearer {token.token}"},
        timeout=10,
    ).json()
    assert graphql["errors"][0]["type"] == "NOT_FOUND"
    gh.close()
    integration.close()


def test_installation_tokens_expire_and_bad_jwts_are_refused(simulator: GitHubSimulator) -> None:
    private_key, _ = generate_app_key_pair()
    other_key, _ = generate_app_key_pair()
    simulator.register_app(app_id=77, private_key=private_key)
    inst = simulator.install_app(77, "Acme")
    simulator.set_installation_token_ttl(1)
    integration = GithubIntegration(auth=Auth.AppAuth(77, private_key), base_url=simulator.url)
    token = integration.get_access_token(inst["id"]).token
    assert _get(simulator, "/repos/Acme/Widgets", Authorization=f"token {token}").status_code == 200
    time.sleep(1.3)
    assert _get(simulator, "/repos/Acme/Widgets", Authorization=f"token {token}").status_code == 401
    forged = GithubIntegration(auth=Auth.AppAuth(77, other_key), base_url=simulator.url)
    with pytest.raises(GithubException) as info:
        forged.get_app()
    assert info.value.status == 401
    assert info.value.data["message"] == "A JSON web token could not be decoded"
    integration.close()
    forged.close()


# ---- the command line -----------------------------------------------------------------------


@pytest.mark.processes
def test_cli_serves_until_sigterm() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "github_api_simulator",
            "--port",
            "0",
            "--scenario",
            "tiny",
            "--token",
            "ghp_cli",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = None
        assert proc.stdout is not None
        for _ in range(10):
            line = proc.stdout.readline()
            if line.startswith("URL:"):
                url = line.split()[1]
                break
        assert url is not None
        ctl = SimulatorControl(url)
        assert ctl.health()["token"] == "ghp_cli" and ctl.repos() == ["Acme/Tiny"]
        r = requests.get(
            url + "/repos/acme/tiny/pulls?state=all", headers={"Authorization": "token ghp_cli"}, timeout=10
        )
        assert r.status_code == 200 and len(r.json()) == 10
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
