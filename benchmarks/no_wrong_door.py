"""The No Wrong Door demo measured: stage times, the plan's workers, team and coverage, and what the
team-mix family costs the solver and changes in the plan.

    python -m benchmarks.no_wrong_door [--budgets 600000 700000 800000 900000] [--cli]

1. In-process: load + geocode + travel, solve (three lexicographic stages), render, for
   inputs/demo_no_wrong_door; the plan's hub workers, team per role and coverage.
2. The same instance solved without support roles (team_roles=()): solve time and plan, so the
   team-mix family's effect is visible (team costs inside the budget).
3. A budget sweep: covered cases, workers, hub teams and cost at each budget.
4. With --cli: `spokeplan demo --model no-wrong-door` end to end in a subprocess (scope + plan + report,
   Prefect's embedded server included), wall seconds.
Every plan is re-checked by optimisation/checker.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from optimisation.checker import check_plan
from optimisation.measures import plan_cost_per_year
from optimisation.solve import solve
from reporting.published.plan import published_counts
from reporting.writers.plan_files import render_plan_files
from scoping.scenario.build import build_instance
from scoping.scenario.loader import load_scenario
from scoping.store.outcomes import scenario_monitoring

SCENARIO = Path(__file__).resolve().parents[1] / "inputs" / "demo_no_wrong_door"


def describe(inst, plan) -> str:
    team: Counter[str] = Counter()
    for entry in plan.team:
        team[entry.role] += entry.count
    hubs = len({s.hub_id for s in plan.spokes})
    return (
        f"{plan.status}, covered {plan.objective}/{inst.demand_total}, {plan.spokes_total} workers in {hubs} teams, "
        f"team {dict(sorted(team.items()))}, £{plan_cost_per_year(inst, plan):,.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budgets", type=float, nargs="*", default=[600_000, 650_000, 700_000, 800_000, 900_000])
    parser.add_argument("--cli", action="store_true", help="also time `spokeplan demo --model no-wrong-door`")
    args = parser.parse_args()

    started = time.perf_counter()
    scenario = load_scenario(SCENARIO)
    monitoring = scenario_monitoring(scenario)
    planned = build_instance(scenario)
    built = time.perf_counter()
    inst = planned.instance
    plan = solve(inst, time_limit=60)
    solved = time.perf_counter()
    render_plan_files(planned, plan, published_counts(planned, plan, scenario.rules.disclosure_threshold, monitoring))
    rendered = time.perf_counter()
    assert check_plan(inst, plan) == []
    print(
        f"instance: {len(inst.hubs)} hub teams, {len(inst.hosts)} bases, {len(inst.areas)} areas, demand "
        f"{inst.demand_total} cases at a time; {len(inst.supervision_minutes)} hub-base and "
        f"{len(inst.casework_minutes)} base-area pairs"
    )
    print(
        f"load+geocode+travel {built - started:.2f} s, solve {solved - built:.2f} s "
        f"(stages {', '.join(f'{s.name} {s.seconds:.2f}' for s in plan.stages)}), render {rendered - solved:.2f} s"
    )
    print(f"plan: {describe(inst, plan)}")

    bare = dataclasses.replace(inst, rules=dataclasses.replace(inst.rules, team_roles=()))
    t0 = time.perf_counter()
    bare_plan = solve(bare, time_limit=60)
    bare_seconds = time.perf_counter() - t0
    assert check_plan(bare, bare_plan) == []
    print(f"without support roles: solve {bare_seconds:.2f} s; {describe(bare, bare_plan)}")

    print(f"{'budget':>10}  plan (with team)")
    for budget in args.budgets:
        variant = dataclasses.replace(inst, rules=dataclasses.replace(inst.rules, budget_per_year=budget))
        t0 = time.perf_counter()
        result = solve(variant, time_limit=60)
        assert check_plan(variant, result) == []
        print(f"£{budget:>9,.0f}  {describe(variant, result)}  ({time.perf_counter() - t0:.2f} s)")

    if args.cli:
        out = tempfile.mkdtemp(prefix="spokeplan-nwd-")
        try:
            t0 = time.perf_counter()
            done = subprocess.run(
                [str(Path(sys.executable).with_name("spokeplan")), "demo", "--model", "no-wrong-door", "--out", out],
                capture_output=True,
                text=True,
            )
            print(
                f"spokeplan demo --model no-wrong-door: exit {done.returncode}, {time.perf_counter() - t0:.1f} s wall"
            )
        finally:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
