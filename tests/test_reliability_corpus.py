"""The reliability corpus of issue #19: hostile and faulty inputs that used to end in a traceback, a
hang, a memory blow-up or a silently wrong plan. Each case has its expected outcome and message.

Loader-level cases run without Prefect (the fast tier): they call what `spokeplan validate` runs
(load_scenario, the monitoring store, build_instance) and check the `error: FILE:LINE: COLUMN: ...`
lines. The command-line cases at the end (marked `slow`, on the session's Prefect test harness or in
a subprocess for the real stderr) check exit codes, that nothing but one line per problem reaches the
terminal, and that the previous plan's files are untouched. Output faults (disk full, read-only, a
kill mid-write) are in tests/test_whole_set_writes.py; the disclosure attack in
tests/test_disclosure_published_files.py; the earlier 60 cases in tests/test_bad_input_corpus.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from common.errors import InputError
from scoping.scenario.build import build_instance
from scoping.scenario.loader import load_scenario
from scoping.scenario.sweep import load_sweep
from scoping.store.outcomes import scenario_monitoring, track
from scoping.store.refresh import load_sources
from tests.scenario_files import VALID, folder_bytes, write_scenario

REPO = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^error: \S.*:\d+: [^:]+: .+$")
H, HO, A, AU = VALID["hubs.csv"], VALID["hosts.csv"], VALID["areas.csv"], VALID["authorities.csv"]
# Nine aliases of nine aliases of ...: a few lines that a YAML loader expands to 9^9 (387 million) items.
ALIAS_BOMB = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
    f"{x}: &{x} [{', '.join(['*' + y] * 9)}]\n" for y, x in zip("abcdefgh", "bcdefghi")
)


def validate(directory: Path) -> list[str]:
    """The messages of what `spokeplan validate` runs ([] when the scenario is valid)."""
    try:
        scenario = load_scenario(directory)
        scenario_monitoring(scenario)
        build_instance(scenario)
    except InputError as error:
        return [str(p) for p in error.problems]
    return []


def fails_with(directory: Path, expected: str) -> list[str]:
    messages = validate(directory)
    assert messages and all(LINE.match(m) for m in messages), messages
    assert any(expected in m for m in messages), (expected, messages)
    return messages


# --- 1. operating-system problems with input files: exit 2, one located line ------------------


def test_a_folder_where_a_csv_file_is_expected(tmp_path):
    directory = write_scenario(tmp_path / "scn", {"hubs.csv": None})
    (directory / "hubs.csv").mkdir()
    assert fails_with(directory, "hubs.csv:0: -: is a folder; expected a CSV file")


def test_a_folder_where_scenario_yaml_is_expected(tmp_path):
    directory = write_scenario(tmp_path / "scn", {"scenario.yaml": None})
    (directory / "scenario.yaml").mkdir()
    fails_with(directory, "scenario.yaml:0: -: is a folder; expected a scenario.yaml file")


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    directory = write_scenario(tmp_path / "scn")
    os.mkfifo(directory / "services.csv")  # nobody ever writes to it: reading it would block forever
    result: list = []
    worker = threading.Thread(target=lambda: result.append(validate(directory)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "validate blocked on a named pipe"
    assert any("services.csv:0: -: is a named pipe, not a regular file; expected a CSV file" in m for m in result[0])


def test_a_dangling_symbolic_link_is_reported_not_skipped(tmp_path):
    directory = write_scenario(tmp_path / "scn")
    os.symlink(tmp_path / "gone.csv", directory / "services.csv")  # optional file: used to be ignored
    fails_with(directory, "services.csv:0: -: is a symbolic link to")
    assert "(a dangling link)" in validate(directory)[0]


def test_a_symbolic_link_out_of_the_scenario_is_refused(tmp_path):
    directory = write_scenario(tmp_path / "scn", {"hubs.csv": None})
    os.symlink("/etc/passwd", directory / "hubs.csv")
    (message,) = fails_with(directory, "hubs.csv:0: -: leads out of")
    assert "root:" not in message  # the file was not read, so nothing of it is echoed


def test_a_file_over_the_size_cap_is_refused_before_reading(tmp_path):
    directory = write_scenario(tmp_path / "scn")
    with open(directory / "areas.csv", "r+b") as handle:
        handle.truncate(201 * 1024 * 1024)  # sparse: no disk used
    fails_with(directory, "areas.csv:0: -: is 201.0 MiB; the most spokeplan reads from one file is 200 MiB")


def unreadable(path: Path) -> None:
    os.chmod(path, 0)


@pytest.mark.skipif(os.geteuid() == 0 and shutil.which("setpriv") is None, reason="root without setpriv")
def test_a_file_without_read_permission(tmp_path):
    base = Path(os.environ.get("TMPDIR", "/tmp")) / f"spokeplan-perm-{os.getpid()}"
    directory = write_scenario(base / "scn")
    try:
        os.chmod(base, 0o755)
        unreadable(directory / "hosts.csv")
        if os.geteuid() != 0:
            messages = validate(directory)
        else:  # root reads everything: check as an unprivileged user
            script = (
                "import sys; from tests.test_reliability_corpus import validate; from pathlib import Path;"
                f"print('\\n'.join(validate(Path({str(directory)!r}))))"
            )
            run = subprocess.run(
                ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", script],
                capture_output=True,
                text=True,
                cwd=REPO,
                timeout=300,
                env={**os.environ, "HOME": str(base)},
            )
            assert run.returncode == 0, run.stderr[-2000:]
            messages = run.stdout.splitlines()
        assert any("hosts.csv:0: -: cannot be read: permission denied" in m for m in messages), messages
    finally:
        shutil.rmtree(base, ignore_errors=True)


# --- 2. bounded work on hostile YAML ----------------------------------------------------------


@pytest.mark.parametrize("key", ["caseload_min", "name"])
def test_an_alias_bomb_in_scenario_yaml_is_refused_at_once(tmp_path, key):
    directory = write_scenario(tmp_path / "scn", {"scenario.yaml": ALIAS_BOMB + f"{key}: *i\n"})
    started = time.perf_counter()
    (message,) = fails_with(
        directory,
        "scenario.yaml:2: -: not valid YAML: an alias (*a) repeats another part "
        "of the file; spokeplan does not accept YAML aliases",
    )
    assert time.perf_counter() - started < 10 and len(message) < 400


def test_an_alias_bomb_in_a_service_model_sweep_and_sources_file(tmp_path):
    directory = write_scenario(tmp_path / "scn", {"scenario.yaml": "service_model: bomb.yaml\n"})
    (directory / "bomb.yaml").write_text(ALIAS_BOMB + "id: *i\n")
    fails_with(directory, "bomb.yaml:2: -: not valid YAML: an alias (*a)")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("base: scn\n" + ALIAS_BOMB + "time_limit: *i\n")
    with pytest.raises(InputError, match=r"sweep.yaml:3: -: not valid YAML: an alias \(\*a\)"):
        load_sweep(sweep)
    sources = tmp_path / "sources.yaml"
    sources.write_text(ALIAS_BOMB + "sources: *i\n")
    with pytest.raises(InputError, match=r"sources.yaml:2: -: not valid YAML: an alias \(\*a\)"):
        load_sources(sources)


def test_a_huge_value_is_cut_before_it_is_quoted(tmp_path):
    directory = write_scenario(tmp_path / "scn", {"scenario.yaml": "casework_minutes: " + "9" * 4000 + "x\n"})
    (message,) = fails_with(directory, "scenario.yaml:1: casework_minutes: expected a whole number, got '999")
    assert len(message) < 300


def test_a_number_too_long_to_read_and_a_date_that_does_not_exist(tmp_path):
    directory = write_scenario(tmp_path / "scn", {"scenario.yaml": "caseload_min: " + "9" * 5000 + "\n"})
    fails_with(directory, "scenario.yaml:0: -: not valid YAML: a value cannot be read")
    directory = write_scenario(tmp_path / "scn2", {"scenario.yaml": "name: 2024-02-30\n"})
    fails_with(directory, "scenario.yaml:0: -: not valid YAML: a value cannot be read")


# --- 3. geography -----------------------------------------------------------------------------


NI = {
    "hubs.csv": "hub_id,name,postcode\nHUB1,Belfast hub,BT1 5GS\n",
    "hosts.csv": "host_id,name,host_type,postcode,max_spokes\nHOST1,Police base,police,BT1 5GS,2\n"
    "HOST2,Community centre,community,BT7 1NN,1\n",
    "areas.csv": "area_id,name,authority_code,postcode,demand\nAREA1,Belfast centre,N09000003,BT1 5GS,12\n"
    "AREA2,Belfast south,N09000003,BT7 1NN,11\n",
    "authorities.csv": "authority_code,name\nN09000003,Belfast\n",
}


def test_northern_ireland_postcodes_are_converted_from_irish_grid(tmp_path):
    """BT1 5GS is (333,832, 374,014) in the directory's Irish Grid; read as British National Grid it
    sat near Chester. Converted it is (146,239, 529,486): 54.597 N 5.930 W, Belfast City Hall."""
    from reporting.writers.geojson import bng_to_wgs84

    planned = build_instance(load_scenario(write_scenario(tmp_path / "scn", NI)))
    hub = planned.instance.hubs[0]
    assert (hub.easting, hub.northing) == (146239.0, 529486.0)
    longitude, latitude = bng_to_wgs84(hub.easting, hub.northing)
    assert abs(latitude - 54.5966) < 0.001 and abs(longitude + 5.9301) < 0.001
    assert planned.instance.supervision_minutes  # the Belfast places are near each other, as they are


def test_a_scenario_mixing_northern_ireland_and_great_britain_is_refused(tmp_path):
    directory = write_scenario(tmp_path / "scn", {"hubs.csv": NI["hubs.csv"]})
    fails_with(directory, "hubs.csv:2: postcode: HUB1 is in Northern Ireland and HOST1")
    assert "cannot cross the Irish Sea" in validate(directory)[0]


def test_latitude_and_longitude_typed_as_easting_and_northing(tmp_path):
    directory = write_scenario(tmp_path / "scn", {"hubs.csv": H.replace("420000,560000", "1.57,54.7")})
    fails_with(directory, "hubs.csv:2: easting: easting 1.57, northing 54.7 is outside Great Britain")
    assert "look like longitude and latitude" in validate(directory)[0]


def test_a_host_authority_missing_from_authorities_csv(tmp_path):
    directory = write_scenario(tmp_path / "scn", {"hosts.csv": HO.replace("E06000002,1,1500", "E06000099,1,1500")})
    fails_with(directory, "hosts.csv:3: authority_code: E06000099 is not listed in authorities.csv")
    hosts = "host_id,name,host_type,postcode\nHOST1,Police base,police,NE1 4LP\nHOST2,Centre,community,TS1 1AA\n"
    directory = write_scenario(tmp_path / "scn2", {"hosts.csv": hosts})
    fails_with(
        directory,
        "hosts.csv:2: postcode: NE1 4LP is in authority E08000021 (Newcastle upon Tyne), which "
        "is not listed in authorities.csv",
    )


def test_a_travel_time_from_a_place_to_itself(tmp_path):
    directory = write_scenario(tmp_path / "scn", {"travel_times.csv": "from_id,to_id,minutes\nHOST1,HOST1,0\n"})
    fails_with(directory, "travel_times.csv:2: to_id: from_id and to_id are both 'HOST1'")


# --- 4. scenario.yaml: repeated keys and rule conflicts at their lines ------------------------


def test_a_key_given_twice_names_both_lines(tmp_path):
    directory = write_scenario(
        tmp_path / "scn", {"scenario.yaml": "budget_per_year: 100000\ncaseload_min: 10\nbudget_per_year: 900000\n"}
    )
    assert validate(directory) == [
        f"error: {directory}/scenario.yaml:3: budget_per_year: is given twice (first on "
        "line 1, again on line 3); give it once"
    ]


def test_rule_conflicts_name_the_lines_of_their_keys(tmp_path):
    directory = write_scenario(tmp_path / "scn", {"scenario.yaml": "name: x\ncaseload_min: 13\ncaseload_max: 12\n"})
    assert validate(directory) == [
        f"error: {directory}/scenario.yaml:2: caseload_min: caseload_min 13 is more than "
        "caseload_max 12 (caseload_min on line 2, caseload_max on line 3)"
    ]
    phases = (
        "phases:\n  - {name: a, start_year: 2015, new_services: 1}\n  - {name: b, start_year: 2014, new_services: 1}\n"
    )
    directory = write_scenario(tmp_path / "scn2", {"scenario.yaml": phases})
    fails_with(
        directory,
        "scenario.yaml:2: phases.0.start_year: phase start years must increase from one phase to "
        "the next: phase b starts in 2014, phase a in 2015 (phases.0.start_year on line 2, "
        "phases.1.start_year on line 3)",
    )


# --- the monitoring store: malformed manifests and paths out of the store ---------------------


def store_with(tmp_path: Path, manifest: dict) -> Path:
    store = tmp_path / "store"
    shutil.copytree(REPO / "inputs" / "outcomes" / "demo_store", store)
    (store / "latest.json").write_text(json.dumps(manifest, indent=2))
    return store


def latest(tmp_path: Path) -> dict:
    return json.loads((REPO / "inputs" / "outcomes" / "demo_store" / "latest.json").read_text())


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda m: m.pop("snapshot"), "latest.json:1: snapshot: the store is damaged: is missing"),
        (
            lambda m: m["sources"]["cse_outcomes"].pop("file"),
            "latest.json:5: sources.cse_outcomes.file: the store is damaged: is missing",
        ),
        (
            lambda m: m["sources"]["cse_outcomes"].update(file="/etc/passwd"),
            "sources.cse_outcomes.file: the store is damaged: '/etc/passwd' is an absolute path",
        ),
        (
            lambda m: m["sources"]["cse_outcomes"].update(file="../../../etc/passwd"),
            "sources.cse_outcomes.file: the store is damaged: '../../../etc/passwd' leads out of the store",
        ),
        (
            lambda m: m.update(snapshot="../../etc"),
            "snapshot: the store is damaged: '../../etc' is not a refresh snapshot id",
        ),
    ],
)
def test_a_damaged_store_manifest(tmp_path, damage, expected):
    manifest = latest(tmp_path)
    damage(manifest)
    store = store_with(tmp_path, manifest)
    with pytest.raises(InputError) as caught:
        track(store, "cse-hub-and-spoke")
    messages = [str(p) for p in caught.value.problems]
    assert all(LINE.match(m) for m in messages) and any(expected in m for m in messages), messages
    assert not any("root:" in m for m in messages)  # /etc/passwd is never opened, so never echoed


def test_a_store_file_linked_out_of_the_store(tmp_path):
    store = store_with(tmp_path, latest(tmp_path))
    target = store / latest(tmp_path)["sources"]["cse_outcomes"]["file"]
    target.unlink()
    os.symlink("/etc/passwd", target)
    with pytest.raises(InputError) as caught:
        track(store, "cse-hub-and-spoke")
    assert any("the store is damaged" in str(p) and "leads out of the store" in str(p) for p in caught.value.problems)


# --- the command line: exit codes, one line per problem, nothing else on the terminal ---------


def cli(*args: str, setup: str = "") -> subprocess.CompletedProcess:
    """`spokeplan ARGS` in a fresh process (a temporary Prefect server of its own), as a user runs it."""
    script = f"import sys\n{setup}\nfrom flows.cli import main\nsys.exit(main({list(args)!r}))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_LOGGING")}
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=600, env=env
    )


@pytest.mark.slow
def test_the_command_line_input_fault_and_bug_are_one_line_each(tmp_path):
    """A folder as hubs.csv is exit 2 and a bug (an exception the code did not expect) exit 1, each as
    one line on stderr: no Prefect log lines, no traceback (they once printed about 88 lines)."""
    directory = write_scenario(tmp_path / "scn", {"hubs.csv": None})
    (directory / "hubs.csv").mkdir()
    run = cli("validate", str(directory))
    assert run.returncode == 2 and run.stderr.splitlines() == [
        f"error: {directory}/hubs.csv:0: -: is a folder; expected a CSV file"
    ], run.stderr
    bug = "import scoping.scenario.build as b\nb.build_instance = lambda scenario, **options: 1 / 0"
    run = cli("validate", str(write_scenario(tmp_path / "ok")), setup=bug)
    assert run.returncode == 1, run.stderr
    assert run.stderr.splitlines() == [
        "spokeplan: internal error: ZeroDivisionError: division by zero (run with --debug for details)"
    ], run.stderr


@pytest.mark.slow
def test_the_output_folder_is_refused_before_the_solve(tmp_path, capsys, prefect_harness):
    from flows.cli import main

    (tmp_path / "a-file").write_text("not a folder")
    scenario = write_scenario(tmp_path / "scn")
    for out, expected in [
        (tmp_path / "a-file", "--out: is a file; expected a folder for the output files"),
        (tmp_path / "a-file" / "plan", "is a file, so no folder can be made under it"),
    ]:
        capsys.readouterr()
        assert main(["plan", str(scenario), "--out", str(out)]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and LINE.match(lines[0]) and expected in lines[0], lines
    assert (tmp_path / "a-file").read_text() == "not a folder"


@pytest.mark.slow
def test_a_full_disk_during_the_write_is_exit_2_and_the_previous_plan_stays(tmp_path, capsys, prefect_harness):
    from flows.cli import main

    full = tmp_path / "full"
    full.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=320k", "tmpfs", str(full)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        scenario = write_scenario(tmp_path / "scn")
        assert main(["plan", str(scenario), "--out", str(full / "plan")]) == 0
        before = folder_bytes(full / "plan")  # both packs and the names under OUT (issue #17): 24 files
        space = os.statvfs(full)
        free = space.f_bavail * space.f_frsize
        (full / "filler").write_bytes(b"x" * (free - sum(map(len, before.values())) // 2))  # the set no longer fits
        capsys.readouterr()
        assert main(["plan", str(scenario), "--out", str(full / "plan")]) == 2
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert line == (
            f"error: {full / 'plan'}:0: -: cannot write the files here: the disk is full; the previous "
            "files are unchanged"
        )
        assert folder_bytes(full / "plan") == before
        assert sorted(os.listdir(full)) == ["filler", "plan"]  # no temporary folder left behind
    finally:
        subprocess.run(["umount", str(full)], check=True)
