"""Calibrated estimator (scoping/travel_estimate.py) vs the neighbour graph searched by scipy csgraph.

Same places, same limits, same output (a dict of whole minutes for every pair within the limit):
hub -> host within the supervision limit and host -> area within the casework limit of the national
instance (benchmarks/instances.py), with postcode-sector areas by default (2,000 hosts x ~9,800
areas; ``--areas district`` for 2,202 areas).

* estimator: load the shipped density grid (and its 2 km disk sums), KD-tree candidates within the
  farthest distance the limit allows, the closed formula on those pairs, rounding, dict;
* scipy csgraph: ``benchmarks.travel_graph.scipy_pairs`` (Delaunay graph as a CSR matrix,
  ``dijkstra(limit=...)``), i.e. the search scoping/travel.py runs today, written directly on scipy.

Repeats are interleaved (estimator, csgraph, estimator, ...) and medians reported, because the
machine is shared. Also printed: how the two sets of minutes compare on the pairs both keep.

    python -m benchmarks.travel_estimate [--areas sector|district] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from benchmarks.instances import describe, england_districts, england_sectors, make_instance
from benchmarks.travel_graph import scipy_pairs
from scoping import travel_estimate as te
from scoping.travel import Place


def estimator_pairs(groups):
    """(setup seconds, pair seconds, pairs) with the calibrated car estimator."""
    started = time.perf_counter()
    te.load_density_grid.cache_clear()
    grid = te.load_density_grid()
    _ = grid.within_radius  # the disk sums, computed once per grid
    setup_s = time.perf_counter() - started
    started = time.perf_counter()
    result = {}
    for sources, targets, limit in groups:
        result.update(te.car_pairs(sources, targets, limit, grid))
    return setup_s, time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--areas", choices=["sector", "district"], default="sector")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    districts = england_sectors() if args.areas == "sector" else england_districts()
    inst = make_instance("national", seed=1, districts=districts)
    print(f"## national, {args.areas} areas: {describe(inst)}")
    hubs = [te.Point(h.hub_id, h.easting, h.northing) for h in inst.hubs]
    hosts = [te.Point(h.host_id, h.easting, h.northing) for h in inst.hosts]
    areas = [te.Point(a.area_id, a.easting, a.northing) for a in inst.areas]
    rules = inst.rules
    estimator_groups = [(hubs, hosts, rules.supervision_minutes), (hosts, areas, rules.casework_minutes)]
    places = [Place(p.point_id, p.easting, p.northing) for p in hubs + hosts + areas]
    ids = lambda points: [p.point_id for p in points]  # noqa: E731
    graph_groups = ([ids(hubs), ids(hosts)], [ids(hosts), ids(areas)],
                    [rules.supervision_minutes, rules.casework_minutes])
    times = {"estimator": [], "scipy csgraph": []}
    pairs = {}
    for _ in range(args.repeat):
        setup_s, search_s, pairs["estimator"] = estimator_pairs(estimator_groups)
        times["estimator"].append((setup_s, search_s))
        graph_s, search_s, pairs["scipy csgraph"] = scipy_pairs(places, *graph_groups)
        times["scipy csgraph"].append((graph_s, search_s))
    print(f"medians of {args.repeat} interleaved runs")
    print(f"{'method':<16} {'setup s':>8} {'pairs s':>8} {'total s':>8} {'pairs':>9}")
    totals = {}
    for name, runs in times.items():
        setup = statistics.median(r[0] for r in runs)
        search = statistics.median(r[1] for r in runs)
        totals[name] = statistics.median(r[0] + r[1] for r in runs)
        print(f"{name:<16} {setup:>8.2f} {search:>8.2f} {totals[name]:>8.2f} {len(pairs[name]):>9,}")
    ratio = totals["estimator"] / totals["scipy csgraph"]
    print(f"estimator / csgraph time: {ratio:.2f}x (target <= 2x: {'met' if ratio <= 2 else 'not met'})")
    ours, graph = pairs["estimator"], pairs["scipy csgraph"]
    common = sorted(ours.keys() & graph.keys())
    nonzero = [k for k in common if graph[k] > 0]
    ratios = np.array([ours[k] / graph[k] for k in nonzero])
    print(f"pairs within the limits: estimator {len(ours):,}, graph {len(graph):,}, both {len(common):,}, "
          f"estimator only {len(ours.keys() - graph.keys()):,}, graph only {len(graph.keys() - ours.keys()):,}")
    if len(ratios):
        print(f"estimator / graph minutes on pairs both keep: median {np.median(ratios):.2f}, "
              f"quartiles {np.quantile(ratios, 0.25):.2f}-{np.quantile(ratios, 0.75):.2f}")


if __name__ == "__main__":
    main()
