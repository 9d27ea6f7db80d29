"""The sweep on Dask (prefect-dask's DaskTaskRunner) gives exactly the local runner's results: on a temporary
local cluster, and on an existing cluster given by its address."""

from __future__ import annotations

import json
from contextlib import closing

import pytest

from flows.params import SweepParams
from flows.sweep_flow import sweep_flow
from tests.sweep_files import write_sweep

pytest.importorskip("prefect_dask")
pytestmark = pytest.mark.usefixtures("prefect_harness")


def _run(sweep_file, out, **options):
    state = sweep_flow(params=SweepParams(sweep_file=str(sweep_file), out_dir=str(out), **options), return_state=True)
    outcome = state.result(raise_on_failure=False)
    assert state.is_completed(), getattr(outcome, "messages", outcome)
    return outcome


def test_dask_and_local_runners_give_identical_sweeps(tmp_path):
    sweep_file = write_sweep(tmp_path)
    local = _run(sweep_file, tmp_path / "local", runner="local")
    dask = _run(sweep_file, tmp_path / "dask", runner="dask", max_parallel=2)
    assert local.summary["variants"] == dask.summary["variants"] == 13
    assert dask.summary["solved"] == 13 and dask.summary["runner"] == "dask"
    for name in ("sweep.json", "variants.csv", "report.html"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name
    rows = json.loads((tmp_path / "dask" / "sweep.json").read_text())["variants"]
    assert sum(1 for r in rows if r["status"] == "OPTIMAL") == 13


def test_an_existing_cluster_by_address_reuses_the_cache_written_by_the_local_runner(tmp_path):
    from distributed import LocalCluster

    small = "base: scn\ntime_limit: 20\ngrid:\n  budget_per_year: [80000, 125000]\n"
    sweep_file = write_sweep(tmp_path, small)
    out = tmp_path / "out"
    _run(sweep_file, out, runner="local")
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None, protocol="tcp", host="127.0.0.1"
    ) as cluster:
        outcome = _run(sweep_file, out, runner="dask", address=cluster.scheduler_address)
        # workers ran tasks: the cluster saw the variants
        assert outcome.summary["cached"] == 3 and outcome.summary["solved"] == 0


def test_regional_solves_on_dask_equal_the_local_runner():
    """Issue #15 item 3: the regions of a three-region instance (max_spokes binding, so a master
    problem coordinates them) solved as Prefect tasks on a local Dask cluster give the local plan."""
    from prefect import flow

    from flows.plan_flow import regional_solves
    from optimisation.regions import solve_by_region, solve_in_turn
    from tests.test_regions import three_regions

    inst = three_regions(max_spokes=3)

    @flow(name="regions-on-dask")
    def on_dask():
        with closing(regional_solves("dask", None)) as solve_many:
            return solve_by_region(inst, solve_many, time_limit=30)

    local = solve_by_region(inst, solve_in_turn, time_limit=30)
    dask = on_dask()
    assert local.objective == dask.objective == 36
    strip = dict(
        solve_seconds=0.0,
        stages=tuple(s.__class__(s.name, s.sense, s.value, s.bound, s.status, 0.0) for s in local.stages),
    )
    from dataclasses import replace

    assert replace(
        dask,
        **{
            **strip,
            "stages": tuple(s.__class__(s.name, s.sense, s.value, s.bound, s.status, 0.0) for s in dask.stages),
        },
    ) == replace(local, **strip)


def test_windows_on_dask_equal_the_local_runner(monkeypatch):
    """Issue #15 item 3 for a connected instance planned by windows (optimisation.windows): each
    round's windows as Prefect tasks on a local Dask cluster give the local runner's plan. The
    instance: tests/test_windows.py's line of six hosts (one area each, 12 cases) with a trap at one
    end the greedy falls into, in windows of about four pairs ([J0 J1 J2] [J3 J4 J5]); every window is
    proven optimal, so the plans cannot depend on the runner's speed."""
    from dataclasses import replace

    from prefect import flow

    from flows.plan_flow import regional_solves
    from optimisation import windows
    from optimisation.checker import check_plan
    from optimisation.regions import solve_in_turn
    from optimisation.solve import with_measures
    from tests.instances import hub
    from tests.test_windows import spread_instance

    line = spread_instance()
    # J0 also reaches A1 (nearer than its own A0): the greedy fills J0 from A1, J1 is left nothing,
    # A0 is not covered (60 of 72). The hub can run all six spokes (2 managers x span 5, at most 8).
    inst = replace(
        line,
        hubs=(hub("H", min_spokes=1, max_spokes=8, managers=2),),
        casework_minutes={**line.casework_minutes, ("J0", "A1"): 5, ("J0", "A0"): 20},
    )
    monkeypatch.setattr(windows, "CASE_COLUMNS_PER_WINDOW", 4)
    assert windows.host_windows(inst, 4, 0) == [("J0", "J1", "J2"), ("J3", "J4", "J5")]

    @flow(name="windows-on-dask")
    def on_dask():
        with closing(regional_solves("dask", None)) as solve_many:  # one local cluster for every round
            return windows.solve_by_window(inst, solve_many, time_limit=60)

    local = windows.solve_by_window(inst, solve_in_turn, time_limit=60)
    dask = on_dask()
    assert check_plan(inst, dask) == [] and local.start_objective == dask.start_objective == 60
    assert local.objective == dask.objective == 72  # every area's 12 cases, J0 taking A0 again
    same = dict(solve_seconds=0.0, stages=())
    assert replace(with_measures(inst, dask), **same) == replace(with_measures(inst, local), **same)
