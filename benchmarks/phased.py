"""Programme of services and robust plans on the demo (issues #8, #17): solve times and objective values.

Prints, for inputs/demo_phased and variants of it (services closing after their funding, services
continuing, closing with demand_range 0.2, demand scenarios only), the
stage-1 status, value and bound, seconds per stage, and the robust plan against the central plan
in each demand scenario. Nothing here is a test.

    .venv/bin/python -m benchmarks.phased --time-limit 60
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from optimisation.programme import CENTRAL, central_scenario, range_scenarios
from optimisation.robust import plan_programme
from scoping.scenario.build import build_instance, build_programme
from scoping.scenario.loader import load_scenario

DEMO = "inputs/demo_phased"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--scenario", default=DEMO)
    args = parser.parse_args()
    planned = build_instance(load_scenario(args.scenario))
    full = build_programme(planned)
    assert full is not None
    uncertain = (central_scenario(planned.instance), *range_scenarios(planned.instance, 0.2))
    variants = {
        "services close": replace(full, after_funding="close"),
        "services continue": replace(full, after_funding="continue"),
        "services close + demand range 0.2": replace(full, after_funding="close", scenarios=uncertain),
        "demand range 0.2 only": replace(full, phases=full.phases[-1:], phased=False, scenarios=uncertain),
    }
    for name, programme in variants.items():
        started = time.perf_counter()
        solved = plan_programme(planned.instance, programme, time_limit=args.time_limit)
        wall = time.perf_counter() - started
        r = solved.result
        stages = ", ".join(f"{s.name} {s.status} {s.seconds:.1f} s" for s in r.stages)
        print(f"{name}: {r.status} value {r.objective:.2f} bound {r.bound:.2f}; {stages}; wall {wall:.1f} s")
        for period in r.periods:
            print(
                f"  {period.label}: {sum(period.spokes.values())} spokes, hubs "
                f"{sorted({h for h, _ in period.spokes})}, central covered {sum(period.assignments[CENTRAL].values())}"
            )
        if solved.robustness:
            c = solved.robustness.central
            print(f"  central plan: {c.status} value {c.objective:.2f} in {c.solve_seconds:.1f} s")
            for o in solved.robustness.scenarios:
                print(
                    f"  scenario {o.name}: demand {o.demand_total}, robust {o.covered_robust} "
                    f"(discounted {o.discounted_robust:.1f}), central plan {o.covered_central_plan} "
                    f"(discounted {o.discounted_central_plan:.1f}, caseload_min met: {o.central_plan_meets_caseload_min})"
                )


if __name__ == "__main__":
    main()
