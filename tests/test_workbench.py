"""`spokeplan serve` (flows/workbench): the web app through FastAPI's TestClient.

The fast tests need no Prefect server: safety (CSRF, trusted hosts, paths, upload size), checking
of uploads and settings exactly as `spokeplan validate` does, and the text edits. The tests marked
`prefect` re-solve for real (the plan flow on the session's Prefect test server): versions, the
pack, the compare page, queueing of concurrent solves and a crash mid-solve.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from common.errors import InputError
from flows.workbench import pipeline
from flows.workbench.app import create_app
from flows.workbench.edits import set_host_statuses, set_yaml_keys
from scoping.scenario.loader import load_scenario
from tests.scenario_files import VALID, write_scenario

BASE_URL = "http://127.0.0.1:8765"


@pytest.fixture
def tiny(tmp_path) -> Path:
    """The test scenario of tests/scenario_files.py (grid references: no postcode look-up)."""
    return write_scenario(tmp_path / "shipped" / "tiny")


def client_for(tmp_path: Path, tiny: Path, **options) -> TestClient:
    app = create_app(tmp_path / "workspace", hold_prefect_server=False, demos={"tiny": tiny}, **options)
    return TestClient(app, base_url=BASE_URL)


def token(client: TestClient, path: str = "/s/tiny") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text).group(1)


def snapshot(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder` (to show nothing changed)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def cli_lines(directory: Path) -> list[str]:
    """What `spokeplan validate` prints for a scenario, the directory shown as its name."""
    with pytest.raises(InputError) as caught:
        load_scenario(directory)
    return [str(p).replace(f"{directory.parent}/", "") for p in caught.value.problems]


# --- text edits -----------------------------------------------------------------------------


def test_yaml_keys_are_set_in_place_keeping_comments_and_order():
    text = "# rules\ncaseload_min: 10  # seed 001\npriorities:\n  - coverage\n  - travel\n# tail\nbudget_per_year: 5\n"
    edited = set_yaml_keys(
        text, {"caseload_min": 9, "priorities": ["coverage"], "budget_per_year": None, "max_spokes": 4}
    )
    assert edited == "# rules\ncaseload_min: 9  # seed 001\npriorities: [coverage]\n# tail\nmax_spokes: 4\n"
    assert set_yaml_keys("", {"max_spokes": 3}) == "max_spokes: 3\n"
    with pytest.raises(ValueError):
        set_yaml_keys("- a list\n", {"max_spokes": 3})


def test_host_statuses_add_the_column_and_keep_every_other_cell():
    raw = VALID["hosts.csv"].encode()
    edited = set_host_statuses(raw, {"HOST2": "banned"}).decode()
    assert edited.splitlines()[0].endswith(",status")
    assert edited.splitlines()[1] == VALID["hosts.csv"].splitlines()[1] + ","
    assert edited.splitlines()[2] == VALID["hosts.csv"].splitlines()[2] + ",banned"
    again = set_host_statuses(edited.encode(), {"HOST2": "candidate", "HOST1": "locked"}).decode()
    assert again.splitlines()[1].endswith(",locked") and again.splitlines()[2].endswith(",candidate")


# --- a fresh workspace ----------------------------------------------------------------------


def test_a_fresh_workspace_holds_the_shipped_demos_and_their_store_inside_it(tmp_path):
    app = create_app(tmp_path / "ws", hold_prefect_server=False)
    with TestClient(app, base_url=BASE_URL) as client:
        page = client.get("/")
    assert page.status_code == 200
    for demo in pipeline.SHIPPED_DEMOS:
        assert f'href="/s/{demo}"' in page.text
    demo = tmp_path / "ws" / "scenarios" / "demo"
    rules = (demo / "scenario.yaml").read_text()
    assert "\nmonitoring_store: outcomes_store\n" in rules and "# Planning rules of the demo scenario" in rules
    assert (demo / "outcomes_store" / "latest.json").is_file()
    checked = pipeline.check_scenario(demo)  # the copy passes the same checks as inputs/demo
    assert checked.valid and len(checked.hosts) == 46 and checked.title == "North East England demo (synthetic demand)"


# --- safety ---------------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(tmp_path, tiny):
    with client_for(tmp_path, tiny) as client:
        scenario = tmp_path / "workspace" / "scenarios" / "tiny"
        before = snapshot(scenario)
        good = token(client)
        for data in ({"max_spokes": "1"}, {"max_spokes": "1", "csrf_token": "0" * 64}):
            refused = client.post("/s/tiny/settings", data=data, follow_redirects=False)
            assert refused.status_code == 403 and "security token is missing or out of date" in refused.text
        assert client.post("/s/tiny/solve", data={}, follow_redirects=False).status_code == 403
        # a token is bound to the browser's cookie: another browser's token does not pass
        other = client_for(tmp_path / "other", tiny)
        stolen = token(other)
        assert client.post("/s/tiny/settings", data={"max_spokes": "1", "csrf_token": stolen}).status_code == 403
        assert snapshot(scenario) == before
        accepted = client.post("/s/tiny/settings", data={"max_spokes": "1", "csrf_token": good}, follow_redirects=False)
        assert accepted.status_code == 303 and "max_spokes: 1" in (scenario / "scenario.yaml").read_text()


def test_requests_for_another_host_or_from_another_origin_are_refused(tmp_path, tiny):
    with client_for(tmp_path, tiny) as client:
        assert client.get("/", headers={"host": "evil.example:8765"}).status_code == 400  # DNS rebinding
        good = token(client)
        crossed = client.post(
            "/s/tiny/settings", data={"max_spokes": "1", "csrf_token": good}, headers={"origin": "http://evil.example"}
        )
        assert crossed.status_code == 400
        page = client.get("/")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "samesite=strict" in page.headers.get("set-cookie", "samesite=strict").lower()


def test_paths_outside_the_workspace_are_refused(tmp_path, tiny):
    outside = tmp_path / "outside.csv"
    outside.write_text("secret\n")
    with client_for(tmp_path, tiny) as client:
        scenario = tmp_path / "workspace" / "scenarios" / "tiny"
        for path in (
            "/s/..%2F..%2Fetc",
            "/s/tiny/v/..%2F..%2Fscenarios",
            "/s/tiny/v/v0001/pack.zip",
            "/s/tiny/v/v0001%2F..%2F..%2F..%2Fsecret",
        ):
            response = client.get(path)
            assert response.status_code == 404, path
        good = token(client)
        before = snapshot(scenario)
        upload = client.post(
            "/s/tiny/upload",
            data={"csrf_token": good},
            files=[("files", ("../hosts.csv", VALID["hosts.csv"].encode(), "text/csv"))],
        )
        assert upload.status_code == 422 and "is not a file of a scenario" in upload.text
        named = client.post(
            "/s/tiny/upload", data={"csrf_token": good}, files=[("files", ("passwords.csv", b"a\n", "text/csv"))]
        )
        assert named.status_code == 422 and "is not a file of a scenario" in named.text
        copy = client.post("/scenarios", data={"csrf_token": good, "source": "tiny", "name": "../escape"})
        assert copy.status_code == 404 and not (tmp_path / "workspace" / "escape").exists()
        assert snapshot(scenario) == before
        # a link inside a scenario, and a scenario.yaml path leading out, are refused before any read
        (scenario / "services.csv").symlink_to(outside)
        assert client.get("/s/tiny").status_code == 403
        (scenario / "services.csv").unlink()
        (scenario / "scenario.yaml").write_text(VALID["scenario.yaml"] + "monitoring_store: ../../../outside\n")
        refused = client.get("/s/tiny")
        assert (
            refused.status_code == 403
            and "monitoring_store" in refused.text
            and "outside the workspace" in refused.text
        )


def test_an_oversize_upload_is_refused_before_it_is_read(tmp_path, tiny):
    with client_for(tmp_path, tiny, max_upload_bytes=4096) as client:
        scenario = tmp_path / "workspace" / "scenarios" / "tiny"
        before = snapshot(scenario)
        big = VALID["areas.csv"] + "".join(f"AREA{n},Town {n},E06000002,423000,560000,1\n" for n in range(10, 200))
        response = client.post(
            "/s/tiny/upload",
            data={"csrf_token": token(client)},
            files=[("files", ("areas.csv", big.encode(), "text/csv"))],
        )
        assert response.status_code == 413
        assert re.search(r"the upload is [0-9.]+ KiB; the workbench takes at most 4 KiB at a time", response.text)
        assert snapshot(scenario) == before


def test_an_invalid_csv_shows_the_clis_located_messages_and_saves_nothing(tmp_path, tiny):
    bad = VALID["hosts.csv"].replace("police,", "church,").replace(",1,1500,", ",-1,1500,")
    expected = cli_lines(write_scenario(tmp_path / "cli" / "tiny", {"hosts.csv": bad}))
    assert expected == [
        "error: tiny/hosts.csv:2: host_type: expected one of 'police', 'social_care', 'multi_agency', 'community', "
        "'voluntary' or 'outreach', got 'church'",
        "error: tiny/hosts.csv:3: max_spokes: expected at least 1, got '-1'",
    ]
    with client_for(tmp_path, tiny) as client:
        scenario = tmp_path / "workspace" / "scenarios" / "tiny"
        before = snapshot(scenario)
        response = client.post(
            "/s/tiny/upload",
            data={"csrf_token": token(client)},
            files=[
                ("files", ("hosts.csv", bad.encode(), "text/csv")),
                ("files", ("areas.csv", VALID["areas.csv"].encode(), "text/csv")),
            ],
        )
        assert response.status_code == 422
        shown = re.findall(r'id="upload-errors".*?</div>', response.text, re.S)[0]
        assert [m.replace("&#39;", "'") for m in re.findall(r"<li><code>(.*?)</code></li>", shown)] == expected
        assert snapshot(scenario) == before  # areas.csv, valid on its own, was not saved either
        # a cross-file problem is found too (spokes in post at a host banned in the same upload)
        banned = set_host_statuses(VALID["hosts.csv"].encode(), {"HOST1": "banned"})
        crossing = client.post(
            "/s/tiny/upload",
            data={"csrf_token": token(client)},
            files=[
                ("files", ("hosts.csv", banned, "text/csv")),
                ("files", ("existing_spokes.csv", b"hub_id,host_id,count\nHUB1,HOST1,1\n", "text/csv")),
            ],
        )
        assert (
            crossing.status_code == 422
            and "error: tiny/existing_spokes.csv:2: host_id: host HOST1 has spokes "
            "in post but is banned in hosts.csv (line 2)"
            in crossing.text.replace("&#39;", "'")
        )
        assert snapshot(scenario) == before
        good = VALID["areas.csv"].replace(",14\n", ",15\n")
        saved = client.post(
            "/s/tiny/upload",
            data={"csrf_token": token(client)},
            files=[("files", ("areas.csv", good.encode(), "text/csv"))],
            follow_redirects=False,
        )
        assert saved.status_code == 303 and (scenario / "areas.csv").read_text() == good


def test_settings_are_checked_and_saved_in_scenario_yaml(tmp_path, tiny):
    (tiny / "scenario.yaml").write_text("# where these come from\n" + VALID["scenario.yaml"])
    with client_for(tmp_path, tiny) as client:
        rules = tmp_path / "workspace" / "scenarios" / "tiny" / "scenario.yaml"
        before = rules.read_bytes()
        for typed, expected in (
            (
                {"caseload_min": "20"},
                "error: tiny/scenario.yaml:2: caseload_min: caseload_min 20 is more than "
                "caseload_max 12 (caseload_min on line 2, caseload_max on line 3)",
            ),
            (
                {"casework_minutes": "fast"},
                "error: tiny/scenario.yaml:5: casework_minutes: expected a whole number, got 'fast'",
            ),
        ):
            response = client.post("/s/tiny/settings", data={"csrf_token": token(client), **typed})
            assert response.status_code == 422
            shown = re.search(r'id="settings-errors".*?</div>', response.text, re.S).group(0)
            assert [m.replace("&#39;", "'") for m in re.findall(r"<li><code>(.*?)</code></li>", shown)] == [expected]
            key, value = next(iter(typed.items()))  # the CLI says the same of that scenario.yaml
            edited = (
                before.decode() + f"{key}: {value}\n"
                if key == "casework_minutes"
                else before.decode().replace("caseload_min: 10", "caseload_min: 20")
            )
            assert cli_lines(write_scenario(tmp_path / f"cli-{key}" / "tiny", {"scenario.yaml": edited})) == [expected]
            assert rules.read_bytes() == before
        saved = client.post(
            "/s/tiny/settings",
            follow_redirects=False,
            data={"csrf_token": token(client), "budget_per_year": "90,000", "priorities": "coverage,travel,host_fit"},
        )
        assert saved.status_code == 303
        assert rules.read_text() == (
            "# where these come from\ncaseload_min: 10\ncaseload_max: 12\nspoke_cost_per_year: "
            "40000\nbudget_per_year: 90000\npriorities: [coverage, travel, host_fit]\n"
        )
        assert client.get("/s/tiny?saved=settings").text.count('value="90000"') == 1


def test_host_decisions_are_saved_as_the_status_column(tmp_path, tiny):
    with client_for(tmp_path, tiny) as client:
        hosts = tmp_path / "workspace" / "scenarios" / "tiny" / "hosts.csv"
        response = client.post(
            "/s/tiny/hosts",
            follow_redirects=False,
            data={"csrf_token": token(client), "status-HOST1": "locked", "status-HOST2": "banned"},
        )
        assert response.status_code == 303
        assert [line.rsplit(",", 1)[1] for line in hosts.read_text().splitlines()] == ["status", "locked", "banned"]
        wrong = client.post("/s/tiny/hosts", data={"csrf_token": token(client), "status-HOST2": "maybe"})
        assert wrong.status_code == 422
        assert (
            "error: tiny/hosts.csv:3: status: expected one of &#39;candidate&#39;, &#39;locked&#39; or "
            "&#39;banned&#39;, got &#39;maybe&#39;" in wrong.text
        )
        assert hosts.read_text().splitlines()[2].endswith(",banned")


# --- re-solving (the plan flow on the session's Prefect test server) ------------------------------


def solve_and_wait(client: TestClient, name: str = "", seconds: float = 180.0) -> dict:
    """Ask for a re-solve as the page does, then poll as htmx does until it is saved or fails."""
    asked = client.post("/s/tiny/solve", data={"csrf_token": token(client), "name": name}, follow_redirects=False)
    assert asked.status_code == 303
    return wait_for(client, asked.headers["location"], seconds)


def wait_for(client: TestClient, job_url: str, seconds: float = 180.0) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        fragment = client.get(job_url, headers={"HX-Request": "true"})
        state = re.search(r'id="job-state">([a-z]+)<', fragment.text).group(1)
        if "hx-redirect" in fragment.headers:
            return {"state": state, "version": fragment.headers["hx-redirect"].rsplit("/", 1)[1], "text": fragment.text}
        if state == "failed":
            return {"state": state, "version": None, "text": fragment.text}
        time.sleep(0.2)
    raise AssertionError(f"{job_url} did not finish in {seconds} s")


@pytest.mark.prefect
def test_a_resolve_is_kept_as_a_version_with_its_record_report_and_pack(prefect_harness, tmp_path, tiny):
    with client_for(tmp_path, tiny) as client:
        first = solve_and_wait(client, "as shipped")
        assert first == {**first, "state": "done", "version": "v0001"}
        folder = tmp_path / "workspace" / "versions" / "tiny" / "v0001"
        meta = client.app.state.bench.workspace.version("tiny", "v0001").meta
        assert meta["name"] == "as shipped" and meta["banned"] == [] and meta["settings"]["caseload_min"] == "10"
        assert meta["inputs_sha256"]["hosts.csv"] == hashlib.sha256(VALID["hosts.csv"].encode()).hexdigest()
        assert set(meta["summary"]) >= {"covered_text", "demand_text", "share_text", "cost_per_year", "spokes"}
        assert "covered" not in meta["summary"] and "demand" not in meta["summary"]  # exact counts are not kept
        page = client.get("/s/tiny/v/v0001")
        assert f'id="covered">{meta["summary"]["covered_text"]}<' in page.text and meta["flow_run_id"] in page.text
        report = client.get("/s/tiny/v/v0001/report.html")
        assert report.content == (folder / "plan" / "report.html").read_bytes()
        assert report.headers["content-security-policy"].startswith("default-src 'none'")
        pack = zipfile.ZipFile(io.BytesIO(client.get("/s/tiny/v/v0001/pack.zip").content))
        # both packs whole (issue #17), not the copies in the plan folder that mix exact tables and the report
        assert sorted(pack.namelist()) == sorted(
            f"tiny-v0001/{name}"
            for name in (
                "README.txt",
                *[
                    f"{pack}/{name}"
                    for pack in ("internal", "public")
                    for name in (
                        "README.txt",
                        "report.html",
                        "plan.xlsx",
                        "plan.geojson",
                        "allocation.csv",
                        "spokes.csv",
                        "coverage.csv",
                        "plan.json",
                    )
                ],
            )
        )
        assert pack.read("tiny-v0001/internal/spokes.csv") == (folder / "plan" / "internal" / "spokes.csv").read_bytes()
        assert pack.read("tiny-v0001/public/report.html") == report.content
        renamed = client.post(
            "/s/tiny/v/v0001/name", data={"csrf_token": token(client), "name": "baseline"}, follow_redirects=False
        )
        assert renamed.status_code == 303 and '<h1 id="version-title">baseline' in client.get("/s/tiny/v/v0001").text

        # ban HOST2: E06000002 loses its host, HOST1 takes a second spoke
        client.post("/s/tiny/hosts", data={"csrf_token": token(client), "status-HOST2": "banned"})
        second = solve_and_wait(client, "HOST2 banned")
        assert second["version"] == "v0002"
        compare = client.get("/s/tiny/compare?v=v0001&v=v0002")
        assert compare.status_code == 200
        dropped = re.search(r'<ul class="hosts-dropped">(.*?)</ul>', compare.text, re.S).group(1)
        assert "HOST2 Community centre: had 1 spoke(s)" in dropped
        lost = re.search(r'<ul class="lost">(.*?)</ul>', compare.text, re.S).group(1)
        assert "Authority two (E06000002): had 1 spoke(s)" in lost
        assert compare.text.count('<g class="hosts-dropped">\n<rect') == 1  # the map marks the dropped host
        # supervision minutes: spokes x minutes hub -> host, from each version's spokes.csv
        minutes = [
            sum(
                int(r["spokes"]) * int(r["supervision_minutes"])
                for r in pipeline.plan_spokes(tmp_path / "workspace" / "versions" / "tiny" / v / "plan")
            )
            for v in ("v0001", "v0002")
        ]
        assert re.findall(r'<td class="supervision">([0-9,]+)</td>', compare.text) == [f"{m:,}" for m in minutes]
        # restoring v0001's inputs undoes the ban in the working scenario
        client.post("/s/tiny/v/v0001/restore", data={"csrf_token": token(client)})
        assert (tmp_path / "workspace" / "scenarios" / "tiny" / "hosts.csv").read_text() == VALID["hosts.csv"]


@pytest.mark.prefect
def test_an_infeasible_option_is_explained_and_keeps_no_version(prefect_harness, tmp_path, tiny):
    with client_for(tmp_path, tiny) as client:
        client.post("/s/tiny/hosts", data={"csrf_token": token(client), "status-HOST1": "banned"})
        failed = solve_and_wait(client)
        assert failed["state"] == "failed"
        assert "infeasible: no plan meets every hard rule. In conflict:" in failed["text"]
        assert (
            "authority E06000001 (Authority one) is required but no host in it is within 90 minutes of any hub"
            in failed["text"]
        )
        assert client.app.state.bench.workspace.list_versions("tiny") == []


@pytest.mark.prefect
def test_concurrent_resolves_of_one_scenario_queue(prefect_harness, tmp_path, tiny):
    with client_for(tmp_path, tiny) as client:
        jobs = [
            client.post(
                "/s/tiny/solve", data={"csrf_token": token(client), "name": f"solve {n}"}, follow_redirects=False
            ).headers["location"]
            for n in range(3)
        ]
        queue = client.app.state.bench.queue
        waiting = client.get(jobs[2], headers={"HX-Request": "true"}).text
        assert re.search(r"waiting for [12] earlier solves? of this scenario", waiting)
        results = [wait_for(client, job) for job in jobs]
        assert [r["version"] for r in results] == ["v0001", "v0002", "v0003"]
        runs = sorted(queue.jobs.values(), key=lambda j: j.submitted)
        for earlier, later in zip(runs, runs[1:]):
            assert later.started >= earlier.finished  # one at a time, first come first served
        names = [client.app.state.bench.workspace.version("tiny", v).name for v in ("v0001", "v0002", "v0003")]
        assert names == ["solve 0", "solve 1", "solve 2"]


@pytest.mark.prefect
def test_a_crash_mid_solve_keeps_every_saved_version(prefect_harness, tmp_path, tiny, monkeypatch):
    import flows.tasks

    with client_for(tmp_path, tiny) as client:
        assert solve_and_wait(client)["version"] == "v0001"
        versions = tmp_path / "workspace" / "versions"
        before = snapshot(versions)
        real_write = flows.tasks.write_files  # what the plan flow's write task calls (common.files)

        def dies_halfway(out_dir, files, replaces=()):  # the disk fails after two files are written
            real_write(out_dir, dict(list(files.items())[:2]), replaces)
            raise RuntimeError("the disk went away")

        monkeypatch.setattr(flows.tasks, "write_files", dies_halfway)
        crashed = solve_and_wait(client)
        assert crashed["state"] == "failed" and "the disk went away" in crashed["text"]
        assert snapshot(versions) == before
        assert list((tmp_path / "workspace" / ".tmp").iterdir()) == []
        monkeypatch.setattr(flows.tasks, "write_files", real_write)
        assert solve_and_wait(client)["version"] == "v0002"  # numbering goes on after the crash
