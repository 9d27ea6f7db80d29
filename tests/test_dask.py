"""The sweep on Dask (prefect-dask's DaskTaskRunner) gives exactly the local runner's results: on a temporary
local cluster, and on an existing cluster given by its address."""

from __future__ import annotations

import json

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
        return solve_by_region(inst, regional_solves("dask", None), time_limit=30)

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
