"""Solver discipline: a plan only FEASIBLE says so everywhere; a plan failing the checker is never
written; proven-optimal plans are byte-identical across runs and worker counts."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from openpyxl import load_workbook

import flows.plan_flow
from flows.cli import main
from reporting.writers.plan_files import render_plan_files
from tests.report_fixtures import planned_plan
from tests.scenario_files import write_scenario


def test_a_feasible_plan_says_so_with_its_gap_in_every_output(tmp_path):
    planned, plan = planned_plan(tmp_path / "scn")
    feasible = replace(plan, status="FEASIBLE", bound=plan.objective + 6.0, gap=6.0 / (plan.objective + 6.0))
    files = render_plan_files(planned, feasible)
    document = json.loads(files["plan.json"])
    assert document["status"] == "FEASIBLE" and document["gap"] == pytest.approx(feasible.gap, abs=1e-6)
    html = files["report.html"].decode()
    assert "FEASIBLE" in html and f"{feasible.gap * 100:.2f}%" in html
    summary = {
        row[0]: row[1] for row in load_workbook(io.BytesIO(files["plan.xlsx"]))["Summary"].iter_rows(values_only=True)
    }
    assert summary["Status"] == "FEASIBLE" and summary["Proven gap"] == pytest.approx(feasible.gap)
    geo = json.loads(files["plan.geojson"])
    assert geo["spokeplan_plan"]["status"] == "FEASIBLE" and geo["spokeplan_plan"]["gap"] == pytest.approx(
        feasible.gap, abs=1e-6
    )


def test_a_plan_that_fails_the_checker_is_never_written(tmp_path, capsys, monkeypatch, prefect_harness):
    real_solve = flows.plan_flow.plan_by_region  # the plan flow solves through optimisation.regions.plan

    def broken_solve(instance, **kwargs):  # a solver bug: one case more than an area's demand
        plan = real_solve(instance, **kwargs)
        first = plan.assignments[0]
        tampered = (replace(first, cases=first.cases + 100), *plan.assignments[1:])
        return replace(plan, assignments=tampered, objective=plan.objective + 100)

    monkeypatch.setattr(flows.plan_flow, "plan_by_region", broken_solve)
    out = tmp_path / "out"
    code = main(["plan", str(write_scenario(tmp_path / "scn")), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "failed the independent check; nothing was written" in err and "demand" in err
    assert not out.exists() or not any(out.iterdir())


def test_optimal_plan_is_byte_identical_across_worker_counts(tmp_path, capsys, prefect_harness):
    directory = write_scenario(tmp_path / "scn")
    for workers in ("1", "2"):
        assert main(["plan", str(directory), "--out", str(tmp_path / workers), "--workers", workers]) == 0
    capsys.readouterr()
    one, two = (tmp_path / "1" / "plan.json").read_bytes(), (tmp_path / "2" / "plan.json").read_bytes()
    assert json.loads(one)["status"] == "OPTIMAL" and one == two
    assert (tmp_path / "1" / "plan.xlsx").read_bytes() == (tmp_path / "2" / "plan.xlsx").read_bytes()
