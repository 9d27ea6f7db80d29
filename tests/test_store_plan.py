"""The refresh feeds the plan (#17 item 4): a store snapshot as the data of `plan` and `scope`
(`--store DIR [--snapshot ID]`), recorded in plan.json; what changed since the previous snapshot's
plan; bad stores and snapshots refused (exit 2) before any Prefect server starts.

Stores here are built by the refresh's own functions with fixed snapshot times (no Prefect), from
the tiny scenario of tests/scenario_files.py (authorities E06000001 and E06000002)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from common.errors import InputError
from reporting.published.plan import PublishedCounts
from reporting.views.store_changes import since_previous_view
from scoping.scenario.loader import load_scenario
from scoping.store.changes import SnapshotComparison, SourceChange, compare_snapshots, previous_plan
from scoping.store.refresh import fetch, load_sources, refresh, validate
from scoping.store.snapshot_data import snapshot_data
from scoping.store.snapshots import read_snapshot
from tests.scenario_files import VALID, write_scenario

DATA = Path(__file__).parent / "data"
FIRST, SECOND = "20250101T063000Z", "20250108T063000Z"
SOURCES = """\
sources:
  - name: authorities
    url: data/authorities.csv
    schema: authorities
  - name: areas
    url: data/areas.csv
    schema: areas
  - name: hosts
    url: data/hosts.csv
    schema: hosts
"""


def write_data(
    root: Path, hosts: str = VALID["hosts.csv"], areas: str = VALID["areas.csv"], sources: str = SOURCES
) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "authorities.csv").write_text(VALID["authorities.csv"])
    (root / "data" / "areas.csv").write_text(areas)
    (root / "data" / "hosts.csv").write_text(hosts)
    (root / "sources.yaml").write_text(sources)
    return root / "sources.yaml"


def refreshed(sources: Path, store: Path, when: str):
    """One refresh, as the refresh flow runs it, at a fixed time (so the snapshot id is `when`)."""
    found = load_sources(sources)
    now = datetime.strptime(when, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return refresh(found, store, [validate(s, fetch(s.url)) for s in found], now=now)


# Round 2: HOST2 may take 2 spokes (was 1) and a fourth area appears.
HOSTS_2 = VALID["hosts.csv"].replace("E06000002,1,1500,true", "E06000002,2,1500,true")
AREAS_2 = VALID["areas.csv"] + "AREA4,Town four,E06000002,423500,560000,8\n"


@pytest.fixture
def store(tmp_path) -> Path:
    """A store with two snapshots: FIRST (the scenario's own tables) and SECOND (round 2)."""
    sources = write_data(tmp_path)
    assert refreshed(sources, tmp_path / "store", FIRST).snapshot == FIRST
    write_data(tmp_path, hosts=HOSTS_2, areas=AREAS_2)
    assert refreshed(sources, tmp_path / "store", SECOND).snapshot == SECOND
    return tmp_path / "store"


def messages(error: InputError) -> list[str]:
    return [str(p) for p in error.problems]


# --- the snapshot as data ----------------------------------------------------------------------------


def test_a_snapshots_table_sources_become_the_scenarios_tables(store):
    data = snapshot_data(store)
    assert data.snapshot == SECOND and data.previous == FIRST
    assert data.tables == {
        "areas.csv": store / "snapshots" / SECOND / "areas.csv",
        "authorities.csv": store / "snapshots" / SECOND / "authorities.csv",
        "hosts.csv": store / "snapshots" / SECOND / "hosts.csv",
    }
    provenance = data.provenance()
    manifest = json.loads((store / "latest.json").read_text())
    assert provenance == {
        "snapshot": SECOND,
        "previous": FIRST,
        "sources": {
            name: {"schema": name, "sha256": manifest["sources"][name]["sha256"], "read_as": f"{name}.csv"}
            for name in ("areas", "authorities", "hosts")
        },
    }
    assert snapshot_data(store, FIRST).snapshot == FIRST


def test_the_store_tables_replace_the_scenarios_and_their_hashes_are_the_manifests(tmp_path, store):
    scenario_dir = write_scenario(tmp_path / "scn")
    data = snapshot_data(store)
    scenario = load_scenario(scenario_dir, data.tables_from())
    assert [row.value.area_id for row in scenario.areas.rows] == ["AREA1", "AREA2", "AREA3", "AREA4"]
    assert scenario.areas.file == str(store / "snapshots" / SECOND / "areas.csv")
    manifest = json.loads((store / "latest.json").read_text())
    assert scenario.inputs_sha256["hosts.csv"] == manifest["sources"]["hosts"]["sha256"]
    assert scenario.inputs_sha256["hubs.csv"] == load_scenario(scenario_dir).inputs_sha256["hubs.csv"]
    assert scenario.store == data.provenance()


def test_a_problem_in_a_store_table_is_located_in_the_store_file(tmp_path):
    """The store's areas name an authority the store's authorities.csv lacks: located at the store's file."""
    sources = write_data(tmp_path, areas=VALID["areas.csv"] + "AREA9,Town nine,E06000003,424000,560000,4\n")
    refreshed(sources, tmp_path / "store", FIRST)
    with pytest.raises(InputError) as caught:
        load_scenario(write_scenario(tmp_path / "scn"), snapshot_data(tmp_path / "store").tables_from())
    assert messages(caught.value) == [
        f"error: {tmp_path}/store/snapshots/{FIRST}/areas.csv:5: authority_code: "
        "E06000003 is not listed in authorities.csv"
    ]


def test_a_snapshot_the_store_does_not_hold_is_refused_naming_its_snapshots(store):
    with pytest.raises(InputError) as caught:
        read_snapshot(store, "20990101T000000Z")
    assert messages(caught.value) == [
        f"error: {store}:0: --snapshot: no snapshot 20990101T000000Z in the store; "
        f"the store's snapshots: {FIRST}, {SECOND}; the latest is {SECOND}"
    ]
    with pytest.raises(InputError) as caught:
        read_snapshot(store, "../../etc")
    assert messages(caught.value)[0].startswith(f"error: {store}:0: --snapshot: '../../etc' is not a snapshot id")


def test_a_store_file_changed_after_the_refresh_is_a_damaged_store(store):
    (store / "snapshots" / SECOND / "hosts.csv").write_text(VALID["hosts.csv"])  # edited by hand
    with pytest.raises(InputError) as caught:
        snapshot_data(store)
    [message] = messages(caught.value)
    assert re.fullmatch(
        rf"error: {store}/snapshots/{SECOND}/manifest\.json:\d+: sources\.hosts\.sha256: the store is "
        rf"damaged: snapshots/{SECOND}/hosts\.csv does not have the SHA-256 its manifest records "
        r"\(changed after the refresh\); refresh the store again",
        message,
    )
    assert snapshot_data(store, FIRST).snapshot == FIRST  # the earlier snapshot is intact


def test_two_sources_of_one_table_are_refused(tmp_path):
    sources = write_data(
        tmp_path, sources=SOURCES + "  - name: more_hosts\n    url: data/hosts.csv\n    schema: hosts\n"
    )
    refreshed(sources, tmp_path / "store", FIRST)
    with pytest.raises(InputError) as caught:
        snapshot_data(tmp_path / "store")
    [message] = messages(caught.value)
    assert ": sources.more_hosts.schema: source more_hosts and source hosts both give hosts.csv" in message


def test_not_a_store_is_refused(tmp_path):
    with pytest.raises(InputError) as caught:
        snapshot_data(tmp_path)
    assert messages(caught.value) == [
        f"error: {tmp_path}:0: -: not a refresh store (no latest.json); run "
        "`spokeplan refresh SOURCES.yaml --store DIR` first"
    ]


# --- what changed since the previous snapshot's plan ------------------------------------------------


def test_the_comparison_names_rows_and_columns_that_changed(store):
    comparison = compare_snapshots(snapshot_data(store), {"store": {"snapshot": FIRST}})
    assert isinstance(comparison, SnapshotComparison) and comparison.previous_snapshot == FIRST
    assert comparison.sources == (
        SourceChange("areas", "areas", "changed", "areas.csv", added=("AREA4",)),
        SourceChange("authorities", "authorities", "unchanged", "authorities.csv"),
        SourceChange("hosts", "hosts", "changed", "hosts.csv", changed=("HOST2",), columns=("max_spokes",)),
    )


@pytest.mark.parametrize(
    "previous, note",
    [
        (None, "there was no earlier plan in the output folder to compare with"),
        (
            {"objective": 3},
            "the earlier plan in the output folder was not made from a store snapshot, so it is not compared",
        ),
        (
            {"store": {"snapshot": "20200101T000000Z"}},
            "the earlier plan in the output folder came from snapshot "
            "20200101T000000Z, which is not in this store's history, so it is "
            "not compared",
        ),
    ],
)
def test_no_comparison_says_why(store, previous, note):
    assert compare_snapshots(snapshot_data(store), previous) == note


def test_previous_plan_reads_only_a_plan_json_it_can_trust(tmp_path):
    assert previous_plan(tmp_path) is None
    (tmp_path / "plan.json").write_text("{not json")
    assert previous_plan(tmp_path) is None  # damaged: not compared, never an error
    (tmp_path / "plan.json").unlink()
    os.symlink("/etc/hostname", tmp_path / "plan.json")
    assert previous_plan(tmp_path) is None  # leads out of the folder: not read
    (tmp_path / "plan.json").unlink()
    (tmp_path / "plan.json").write_text('{"store": {"snapshot": "x"}}')
    assert previous_plan(tmp_path) == {"store": {"snapshot": "x"}}


def counts_of(threshold: int = 5, hidden: tuple = (), **covered: int) -> PublishedCounts:
    """Published counts by hand: two authorities' covered cases, their totals, demand 40."""
    values = {("authority", code, "covered"): value for code, value in covered.items()}
    values[("authority", "TOTAL", "covered")] = sum(covered.values())
    values[("authority", "TOTAL", "demand")] = 40
    return PublishedCounts(values, frozenset(hidden), threshold)


def view_of(
    published: dict | None, counts: PublishedCounts, spokes_before=(("H1", 2),), spokes_after=(("H1", 1), ("H2", 1))
):
    before = {
        "spokes": [{"hub_id": "HUB", "host_id": h, "count": n} for h, n in spokes_before],
        "cost_per_year": 80000.0,
        "store": {"snapshot": FIRST, **({"published": published} if published else {})},
    }
    document = {
        "spokes": [{"hub_id": "HUB", "host_id": h, "count": n} for h, n in spokes_after],
        "cost_per_year": 81500.0,
        "store": {"snapshot": SECOND},
    }
    comparison = SnapshotComparison(
        FIRST,
        SECOND,
        (SourceChange("hosts", "hosts", "changed", "hosts.csv", changed=("H2",), columns=("max_spokes",)),),
        before,
    )
    return since_previous_view(
        comparison,
        document,
        counts,
        {"H1": "Police base", "H2": "Community centre"},
        {"A": "Authority A", "B": "Authority B"},
    )


def figure(view: dict, label: str) -> tuple[str, str, str]:
    [row] = [f for f in view["figures"] if f["label"] == label]
    return row["before"], row["after"], row["change"]


def test_the_plans_differences_staff_and_money_exact():
    view = view_of(
        {"demand_total": "40", "demand_covered": "22", "covered_by_authority": {"A": "12", "B": "10"}},
        counts_of(A=14, B=10),
    )
    assert figure(view, "Spokes placed") == ("2", "2", "no change")
    assert figure(view, "Hosts with spokes") == ("1", "2", "+1")
    assert figure(view, "Cost per year") == ("£80,000", "£81,500", "+£1,500")
    assert view["hosts"] == [
        {"id": "H1", "name": "Police base", "before": 2, "after": 1},
        {"id": "H2", "name": "Community centre", "before": 0, "after": 1},
    ]
    assert view["sources"] == [
        {
            "name": "hosts",
            "schema": "hosts",
            "read_as": "hosts.csv",
            "status": "changed",
            "summary": "1 with values changed (H2) in max_spokes",
        }
    ]


def test_cases_appear_only_as_each_report_published_them():
    shown = view_of(
        {"demand_total": "40", "demand_covered": "22", "covered_by_authority": {"A": "12", "B": "10"}},
        counts_of(A=14, B=10),
    )
    assert figure(shown, "Cases covered at any one time") == ("22", "24", "+2")
    assert figure(shown, "Cases needing casework (demand)") == ("40", "40", "no change")
    assert shown["authorities_more"] == ["Authority A"] and shown["authorities_fewer"] == []
    # This report hides the total (and B): the change is hidden, B is not compared.
    hidden_now = view_of(
        {"demand_total": "40", "demand_covered": "22", "covered_by_authority": {"A": "12", "B": "10"}},
        counts_of(hidden=(("authority", "TOTAL", "covered"), ("authority", "B", "covered")), A=14, B=4),
    )
    assert figure(hidden_now, "Cases covered at any one time") == ("22", "c", "c")
    assert hidden_now["authorities_more"] == ["Authority A"] and hidden_now["authorities_fewer"] == []
    # The earlier report hid its total: its exact total (in its plan.json) is never shown.
    hidden_then = view_of(
        {"demand_total": "40", "demand_covered": "c", "covered_by_authority": {"A": "c", "B": "10"}},
        counts_of(A=14, B=6),
    )
    assert figure(hidden_then, "Cases covered at any one time") == ("c", "20", "c")
    assert hidden_then["authorities_more"] == [] and hidden_then["authorities_fewer"] == ["Authority B"]
    # An earlier plan that recorded nothing published: not available.
    assert figure(view_of(None, counts_of(A=14, B=10)), "Cases covered at any one time") == (":", "24", ":")


# --- the commands ------------------------------------------------------------------------------------


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    from flows.cli import main

    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_plan_from_a_store_is_the_plan_of_the_same_tables_plus_their_provenance(tmp_path, capsys, prefect_harness):
    """The first snapshot holds the scenario's own tables: the plan is the scenario's plan, byte for byte,
    with `store` added (the snapshot and its sources' hashes, and what the report published)."""
    sources = write_data(tmp_path)
    refreshed(sources, tmp_path / "store", FIRST)
    scenario = write_scenario(tmp_path / "scn")
    code, out, err = run_cli(capsys, "plan", str(scenario), "--out", str(tmp_path / "alone"))
    assert code == 0, err
    code, out, err = run_cli(
        capsys, "plan", str(scenario), "--store", str(tmp_path / "store"), "--out", str(tmp_path / "from-store")
    )
    assert code == 0, err
    alone = json.loads((tmp_path / "alone" / "plan.json").read_text())
    from_store = json.loads((tmp_path / "from-store" / "plan.json").read_text())
    store = from_store.pop("store")
    assert from_store == alone
    assert store["snapshot"] == FIRST and store["previous"] is None
    assert store["sources"]["hosts"] == {
        "schema": "hosts",
        "read_as": "hosts.csv",
        "sha256": alone["inputs_sha256"]["hosts.csv"],
    }
    assert set(store["published"]) == {"threshold", "demand_total", "demand_covered", "covered_by_authority"}
    assert f"since last plan    from store snapshot {FIRST}; there was no earlier plan in the output folder" in out
    assert "Since the previous snapshot's plan</h2>" in (tmp_path / "from-store" / "report.html").read_text()
    assert "since-previous" not in (tmp_path / "alone" / "report.html").read_text()  # no store: no section


def test_replanning_after_a_refresh_reports_what_changed(tmp_path, capsys, prefect_harness, store):
    scenario = write_scenario(tmp_path / "scn")
    out_dir = tmp_path / "out"
    code, _, err = run_cli(
        capsys, "plan", str(scenario), "--store", str(store), "--snapshot", FIRST, "--out", str(out_dir)
    )
    assert code == 0, err
    first = json.loads((out_dir / "plan.json").read_text())
    code, out, err = run_cli(capsys, "plan", str(scenario), "--store", str(store), "--out", str(out_dir))
    assert code == 0, err
    second = json.loads((out_dir / "plan.json").read_text())
    assert (first["store"]["snapshot"], second["store"]["snapshot"], second["store"]["previous"]) == (
        FIRST,
        SECOND,
        FIRST,
    )
    # Round 2 has 8 more cases (AREA4) and room for a second spoke at HOST2: 24 of 26 covered, then 34 of 34.
    assert (first["objective"], second["objective"]) == (24, 34)
    assert f"since last plan    snapshot {FIRST} -> {SECOND}: changed areas, hosts" in out
    published = (first["store"]["published"], second["store"]["published"])
    assert f"cases covered at any one time: {published[0]['demand_covered']} -> {published[1]['demand_covered']}" in out
    report = (out_dir / "report.html").read_text()
    section = report[report.index('id="since-previous"') : report.index("<h2>Map</h2>")]
    assert f"from snapshot <strong>{FIRST}</strong>" in section
    assert "1 added (AREA4)" in section and "1 with values changed (HOST2) in max_spokes" in section
    assert "HOST2 Community centre (1 → 2)" in section
    assert "<td>authorities (authorities)</td><td>authorities.csv</td><td>unchanged</td>" in section


def test_scope_from_a_store_reads_its_ees_source_with_its_filters(tmp_path, capsys, prefect_harness):
    c3 = "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv"
    sources = write_data(
        tmp_path,
        sources=SOURCES
        + (
            f"  - name: cin_factors\n    url: data/{c3}\n    schema: ees\n    filters:\n"
            "      category: Factors identified at the end of assessment\n    indicators: [Child_sexual_exploitation]\n"
        ),
    )
    shutil.copy(DATA / "ees_c3_factors_at_end_of_assessment.csv", tmp_path / "data" / c3)
    refreshed(sources, tmp_path / "store", FIRST)
    code, out, err = run_cli(
        capsys,
        "scope",
        str(write_scenario(tmp_path / "scn")),
        "--store",
        str(tmp_path / "store"),
        "--out",
        str(tmp_path / "scope"),
    )
    assert code == 0, err
    assert f"data from store snapshot {FIRST}" in out
    page = (tmp_path / "scope" / "scoping-E06000002.html").read_text()
    assert "Child sexual exploitation (2025)" in page  # the C3 column, read through the recorded filter


def test_scope_reports_a_bad_filter_in_filters_yaml_at_its_line(tmp_path, capsys, prefect_harness):
    scenario = write_scenario(tmp_path / "scn")
    (scenario / "indicators").mkdir()
    shutil.copy(DATA / "ees_c3_factors_at_end_of_assessment_long.csv", scenario / "indicators" / "long.csv")
    (scenario / "indicators" / "filters.yaml").write_text("long.csv:\n  filters:\n    assessment_factor: CSE\n")
    code, out, err = run_cli(capsys, "scope", str(scenario), "--out", str(tmp_path / "scope"))
    assert code == 2 and "Traceback" not in err
    assert err.splitlines() == [
        f"error: {scenario}/indicators/filters.yaml:3: filters.assessment_factor: 'CSE' is not a value of column "
        f"assessment_factor in {scenario}/indicators/long.csv; its values: 'Child criminal exploitation', "
        "'Child sexual exploitation', 'Gangs', 'Going missing', 'Trafficking'"
    ]
    assert not (tmp_path / "scope").exists()


SPOKEPLAN = shutil.which("spokeplan", path=str(Path(sys.executable).parent))


@pytest.mark.parametrize(
    "argv, expected",
    [
        (
            ("--store", "{store}", "--snapshot", "20990101T000000Z"),
            "error: {store}:0: --snapshot: no snapshot 20990101T000000Z in the store; the store's snapshots: "
            f"{FIRST}, {SECOND}; the latest is {SECOND}",
        ),
        (
            ("--store", "{tmp}/nowhere"),
            "error: {tmp}/nowhere:0: -: not a refresh store (no latest.json); run "
            "`spokeplan refresh SOURCES.yaml --store DIR` first",
        ),
        (
            ("--snapshot", FIRST),
            f"error: --snapshot: -: {FIRST} names a snapshot of a store; give the store with --store DIR",
        ),
    ],
)
def test_bad_store_options_exit_2_before_any_prefect_server(tmp_path, store, argv, expected):
    """In a process of its own whose Prefect API is a closed port: a flow run would fail there (exit 1), so
    exit 2 with the located line shows the store was checked before any flow or server."""
    argv = [a.format(store=store, tmp=tmp_path) for a in argv]
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    started = time.perf_counter()
    done = subprocess.run(
        [SPOKEPLAN, "plan", str(write_scenario(tmp_path / "scn")), *argv, "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [expected.format(store=store, tmp=tmp_path)]
    assert not (tmp_path / "out").exists()
    print(f"refused in {time.perf_counter() - started:.1f} s")


def test_a_snapshot_option_that_is_not_an_id_is_refused_by_the_parser(tmp_path, capsys):
    from flows.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["plan", str(tmp_path), "--out", str(tmp_path / "out"), "--store", str(tmp_path), "--snapshot", "../x"])
    assert caught.value.code == 2
    assert "argument --snapshot: expected a snapshot id such as 20250801T063000Z, got '../x'" in capsys.readouterr().err
