"""The command line as a user runs it: exit codes 0/2/3, messages, no tracebacks, files kept.

Most tests call `flows.cli.main` in-process. Bad input and `validate` end in the command's plain
check, before any flow run, so those tests need no Prefect server; the tests of commands that run a
flow use the session's Prefect test harness. One test runs the installed `spokeplan` console script
in a subprocess, exactly as a user would.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli import main
from tests.scenario_files import VALID, folder_bytes, write_plan, write_scenario

flow_run = pytest.mark.usefixtures("prefect_harness")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_validate_accepts_a_valid_scenario(tmp_path, capsys):
    code, out, err = run(capsys, "validate", str(write_scenario(tmp_path / "scn")))
    assert code == 0, err
    assert "is valid: 1 hubs, 2 hosts, 3 areas in 2 authorities" in out


def test_validate_reports_bad_input_with_exit_2_and_no_traceback(tmp_path, capsys):
    directory = write_scenario(tmp_path / "scn", {"areas.csv": VALID["areas.csv"].replace(",14\n", ",lots\n")})
    code, out, err = run(capsys, "validate", str(directory))
    assert code == 2
    assert f"error: {directory}/areas.csv:2: demand: expected a whole number, got 'lots'" in err
    assert "Traceback" not in err + out


@flow_run
def test_plan_writes_checked_plan_files(tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, err = run(capsys, "plan", str(write_scenario(tmp_path / "scn")), "--out", str(out_dir))
    assert code == 0, err
    plan = json.loads((out_dir / "plan.json").read_text())
    # Hand-computed optimum: HOST1 (authority one, required) can take 2 spokes (20-24 cases) but only
    # AREA1's 14 cases... all three areas are within reach of both hosts (1 km apart), total demand 26.
    # One hub with max 3 spokes; HOST1 max 2, HOST2 max 1: 3 spokes carry up to 36 >= 26, and at least
    # 10 per spoke: 2 spokes carry 20..24, so with 26 cases the best is 2 spokes covering 24, or 3 spokes
    # needing >= 30 cases (impossible). Required authority one needs a spoke at HOST1. Optimum: 24.
    assert plan["objective"] == 24 and plan["status"] == "OPTIMAL"
    assert plan["coverage"]["demand_total"] == 26
    assert sum(s["count"] for s in plan["spokes"]) == 2
    assert plan["reach_per_year"] == 40  # 2 spokes x 20 young people a year (seed 001)
    # DESIGN.md's files directly in OUT, the two packs beside them (issue #17) and a README.txt
    assert {
        "allocation.csv",
        "coverage.csv",
        "spokes.csv",
        "plan.json",
        "report.html",
        "plan.xlsx",
        "plan.geojson",
        "README.txt",
        "internal",
        "public",
    } == {p.name for p in out_dir.iterdir()}
    assert (out_dir / "plan.json").read_bytes() == (out_dir / "internal" / "plan.json").read_bytes()
    assert (out_dir / "report.html").read_bytes() == (out_dir / "public" / "report.html").read_bytes()
    assert "spokes placed      2" in out
    # 24 of 26 leaves 2 unmet (1-5): shown together the two totals would reveal it, so one goes. The
    # grand totals are kept where other cells can protect a count (issue #17): the covered 24 is shown,
    # the demand of 26 hidden, and the share and bound with it (reporting.disclosure.audit_target)
    assert "cases covered      24 of c at any one time (c)" in out and "proven bound       c cases" in out
    assert f"internal pack      {out_dir / 'internal'}  (exact figures, OFFICIAL-SENSITIVE" in out
    assert f"public pack        {out_dir / 'public'}  (disclosure-controlled" in out


@flow_run
def test_the_disclosure_threshold_reaches_the_report_the_cli_and_the_artifacts(tmp_path, capsys, monkeypatch):
    """disclosure_threshold: 3. 24 of 26 cases covered leaves 2 unmet, a count from 1 to 3: with 'c''s
    range narrower (1-3), only hiding the total covered too keeps every count of 1-3 from being worked
    out, and every sentence about hidden counts says 1 to 3, none says 1 to 5."""
    import flows.plan_flow

    descriptions = []
    create_table_artifact = flows.plan_flow.create_table_artifact

    def recording(*args, **kwargs):
        descriptions.append(kwargs.get("description", ""))
        return create_table_artifact(*args, **kwargs)

    monkeypatch.setattr(flows.plan_flow, "create_table_artifact", recording)
    directory = write_scenario(
        tmp_path / "scn", {"scenario.yaml": VALID["scenario.yaml"] + "disclosure_threshold: 3\n"}
    )
    code, out, err = run(capsys, "plan", str(directory), "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert "cases covered      c of c at any one time (c)" in out
    assert (
        "  c = a count from 1 to 3, or a figure hidden so that none can be worked out, not shown (disclosure "
        "control)" in out
    )
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Counts from case data from 1 to 3 are shown as <b>c</b>" in html and "counts 1-3 shown as c" in html
    assert not re.search(r"\b1( to |-|–)5\b", html)
    assert "Coverage and unmet need by authority (counts 1-3 shown as c)" in descriptions


@flow_run
def test_plan_is_byte_identical_on_rerun(tmp_path, capsys):
    directory = write_scenario(tmp_path / "scn")
    assert run(capsys, "plan", str(directory), "--out", str(tmp_path / "a"))[0] == 0
    assert run(capsys, "plan", str(directory), "--out", str(tmp_path / "b"))[0] == 0
    assert (tmp_path / "a" / "plan.json").read_bytes() == (tmp_path / "b" / "plan.json").read_bytes()


@flow_run
def test_infeasible_plan_exits_3_with_plain_words_and_keeps_previous_files(tmp_path, capsys):
    out_dir = tmp_path / "out"
    before = write_plan(write_scenario(tmp_path / "ok"), out_dir)["plan.json"]
    # Authority two is required too, but its only host is 200 km from the hub (supervision limit 90 min).
    hosts = VALID["hosts.csv"].replace("422000,560000,E06000002", "622000,560000,E06000002")
    authorities = VALID["authorities.csv"].replace("preventative,false", "preventative,true")
    directory = write_scenario(tmp_path / "bad", {"hosts.csv": hosts, "authorities.csv": authorities})
    code, out, err = run(capsys, "plan", str(directory), "--out", str(out_dir))
    assert code == 3
    assert "E06000002" in err and "required" in err
    assert "Traceback" not in err + out
    assert (out_dir / "plan.json").read_bytes() == before


def test_bad_input_leaves_earlier_outputs_untouched(tmp_path, capsys):
    out_dir = tmp_path / "out"
    before = write_plan(write_scenario(tmp_path / "ok"), out_dir)
    broken = write_scenario(tmp_path / "bad", {"hubs.csv": None})
    assert run(capsys, "plan", str(broken), "--out", str(out_dir))[0] == 2
    assert folder_bytes(out_dir) == before


def test_missing_scenario_directory_is_bad_input(tmp_path, capsys):
    code, _, err = run(capsys, "validate", str(tmp_path / "nowhere"))
    assert code == 2 and "is not a directory" in err


@pytest.mark.slow  # starts the installed console script in fresh processes
def test_console_script_end_to_end(tmp_path):
    """The installed console script, in a fresh process: bad input is answered by the plain check."""
    executable = shutil.which("spokeplan", path=str(Path(sys.executable).parent))
    assert executable, "spokeplan console script is not installed next to this Python"
    broken = write_scenario(tmp_path / "bad", {"hosts.csv": VALID["hosts.csv"].replace("police,", "church,")})
    result = subprocess.run([executable, "validate", str(broken)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "hosts.csv:2: host_type: expected one of" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    usage = subprocess.run([executable, "plan"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "SCENARIO_DIR" in usage.stderr


@flow_run
def test_scope_writes_a_report_per_authority_and_an_index(tmp_path, capsys):
    out_dir = tmp_path / "scope"
    code, out, err = run(capsys, "scope", str(write_scenario(tmp_path / "scn")), "--out", str(out_dir))
    assert code == 0, err
    assert (out_dir / "index.html").exists()
    assert sorted(p.name for p in out_dir.glob("scoping-*.html")) == [
        "scoping-E06000001.html",
        "scoping-E06000002.html",
    ]
    assert "2 authority reports" in out
    from prefect.artifacts import Artifact

    table = Artifact.get("scope-authorities")
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert sorted(row["authority"] for row in rows) == ["E06000001", "E06000002"]


NO_PREFECT = """
import json, sys
from flows.cli import main
codes = []
for argv in json.loads(sys.argv[1]):
    codes.append(main(argv))
    assert not [name for name in sys.modules if name == "prefect" or name.startswith("prefect.")], argv
print(json.dumps(codes))
"""


def test_validate_and_bad_input_answer_before_prefect_is_imported(tmp_path):
    """Issue #13: bad input exits 2 before any Prefect server starts; `validate` runs no flow at all.
    Prefect not even imported (in a fresh process) proves no server, temporary or other, was started
    or contacted."""
    good = str(write_scenario(tmp_path / "good"))
    bad = str(write_scenario(tmp_path / "bad", {"areas.csv": VALID["areas.csv"].replace(",14\n", ",lots\n")}))
    out = str(tmp_path / "out")
    commands = [
        ["validate", good],
        ["validate", bad],
        ["plan", bad, "--out", out],
        ["scope", bad, "--out", out],
        ["demo", "--model", "nonsense", "--out", out],
    ]
    result = subprocess.run(
        [sys.executable, "-c", NO_PREFECT, json.dumps(commands)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [0, 2, 2, 2, 2]
    assert result.stdout.count("is valid: 1 hubs, 2 hosts, 3 areas") == 1
    assert result.stderr.count("areas.csv:2: demand: expected a whole number") == 3
    assert "unknown service model 'nonsense'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_scope_reports_bad_input_with_exit_2(tmp_path, capsys):
    directory = write_scenario(tmp_path / "scn", {"hubs.csv": None})
    code, out, err = run(capsys, "scope", str(directory), "--out", str(tmp_path / "scope"))
    assert code == 2 and "hubs.csv:0: -: required file is missing" in err
    assert not (tmp_path / "scope").exists()


@flow_run
def test_refresh_twice_then_nothing_changes(tmp_path, capsys):
    sources = tmp_path / "sources.yaml"
    write_scenario(tmp_path / "src")
    sources.write_text("sources:\n  - {name: areas, url: src/areas.csv, schema: areas}\n")
    store = tmp_path / "store"
    code, out, err = run(capsys, "refresh", str(sources), "--store", str(store))
    assert code == 0, err
    assert "new snapshot" in out
    code, out, err = run(capsys, "refresh", str(sources), "--store", str(store))
    assert code == 0 and "nothing changed; nothing written" in out


def test_sweep_with_a_bad_file_exits_2(tmp_path, capsys):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("base: nowhere\ngrid:\n  budget_per_year: [lots]\n")
    code, out, err = run(capsys, "sweep", str(sweep), "--out", str(tmp_path / "out"))
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err + out


@flow_run
def test_plan_run_publishes_disclosed_artifacts(tmp_path, capsys):
    from prefect.artifacts import Artifact

    assert run(capsys, "plan", str(write_scenario(tmp_path / "scn")), "--out", str(tmp_path / "out"))[0] == 0
    table = Artifact.get("plan-coverage")
    summary = Artifact.get("plan-summary")
    assert table is not None and summary is not None
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert {row["authority"] for row in rows} == {"E06000001", "E06000002"}
    assert "status **OPTIMAL**" in summary.data and "cases covered 24 of c" in summary.data
    assert "26" not in summary.data  # the demand total the report hides (see test_plan_writes_checked_plan_files)
