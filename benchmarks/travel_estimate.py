"""Travel times of a scenario (the calibrated estimate) vs a neighbour graph searched by scipy csgraph.

Same places, same limits, same output (a dict of whole minutes for every pair within the limit):
hub -> host within the supervision limit and host -> area within the casework limit of the national
instance (benchmarks/instances.py), with postcode-sector areas by default (100 hubs, 2,000 hosts,
9,796 areas; ``--areas district`` for 2,202 areas).

* spokeplan: ``scoping.scenario.travel.supervision_pairs`` + ``casework_pairs`` (car), exactly what
  ``build_instance`` runs: the shipped postcode density grid (read, and its 2 km disk sums, once),
  KD-tree candidates within the farthest distance the limit allows, the closed formula on those
  pairs, rounding, the ordered dict (and the measured-time rule, here with no times to apply);
* scipy csgraph (the peer): the estimate spokeplan shipped before issue #16, written directly on
  scipy: a Delaunay neighbour graph of every place (shapely), edge minutes by edge length (24 km/h
  up to 2 km, 64 km/h from 20 km, x 1.3 detour), one ``scipy.sparse.csgraph.dijkstra(limit=L + 0.5)``
  per limit, rounded half up.

Repeats are interleaved (spokeplan, csgraph, spokeplan, ...) and medians reported, because the
machine is shared. Also printed: the pairs each finds and how their minutes compare on pairs both keep.

    python -m benchmarks.travel_estimate [--areas sector|district] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from benchmarks.instances import describe, england_districts, england_sectors, make_instance
from scoping.scenario import geocode
from scoping.scenario.travel import casework_pairs, supervision_pairs
from scoping.scenario.travel_estimate import Place

# The peer's edge speeds (spokeplan's graph estimate before issue #16).
PEER_DETOUR = 1.3
PEER_URBAN_KMH, PEER_RURAL_KMH = 24.0, 64.0
PEER_URBAN_EDGE_KM, PEER_RURAL_EDGE_KM = 2.0, 20.0


def spokeplan_pairs(hubs, hosts, areas, supervision_limit, casework_limit):
    """(setup seconds, pair seconds, pairs): the scenario's travel, as build_instance computes it."""
    started = time.perf_counter()
    geocode.load_density_grid.cache_clear()
    grid = geocode.load_density_grid()
    _ = grid.within_radius  # the disk sums, computed once per grid
    setup_s = time.perf_counter() - started
    started = time.perf_counter()
    result = dict(supervision_pairs(hubs, hosts, {h.place_id: supervision_limit for h in hubs}, grid=grid).minutes)
    result.update(casework_pairs(hosts, areas, casework_limit, "car", grid=grid).minutes)
    return setup_s, time.perf_counter() - started, result


def scipy_pairs(places, groups):
    """(graph seconds, search seconds, pairs): the neighbour graph searched by scipy.sparse.csgraph.dijkstra."""
    started = time.perf_counter()
    site_of = {p.place_id: (float(p.easting), float(p.northing)) for p in places}
    sites = sorted(set(site_of.values()))
    index = {s: k for k, s in enumerate(sites)}
    edges = shapely.delaunay_triangles(shapely.multipoints(np.array(sites)), only_edges=True)
    coords = shapely.get_coordinates(edges).reshape(-1, 2, 2)
    a = np.array([index[(x, y)] for x, y in coords[:, 0].tolist()])
    b = np.array([index[(x, y)] for x, y in coords[:, 1].tolist()])
    km = np.hypot(*(coords[:, 0] - coords[:, 1]).T) / 1000.0
    share = np.clip((km - PEER_URBAN_EDGE_KM) / (PEER_RURAL_EDGE_KM - PEER_URBAN_EDGE_KM), 0, 1)
    minutes = km * PEER_DETOUR / (PEER_URBAN_KMH + share * (PEER_RURAL_KMH - PEER_URBAN_KMH)) * 60.0
    matrix = coo_matrix((minutes, (a, b)), shape=(len(sites), len(sites))).tocsr()
    graph_s = time.perf_counter() - started

    started = time.perf_counter()
    result = {}
    for sources, targets, limit in groups:
        dist = dijkstra(matrix, directed=False, indices=[index[site_of[s]] for s in sources], limit=limit + 0.5)
        sub = dist[:, np.array([index[site_of[t]] for t in targets])]
        rounded = np.floor(sub + 0.5 + 1e-9)
        rows, cols = np.nonzero(rounded <= limit)
        for r, c in zip(rows.tolist(), cols.tolist()):
            result[(sources[r], targets[c])] = int(rounded[r, c])
    return graph_s, time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--areas", choices=["sector", "district"], default="sector")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    districts = england_sectors() if args.areas == "sector" else england_districts()
    inst = make_instance("national", seed=1, districts=districts)
    print(f"## national, {args.areas} areas: {describe(inst)}")
    hubs = [Place(h.hub_id, h.easting, h.northing) for h in inst.hubs]
    hosts = [Place(h.host_id, h.easting, h.northing) for h in inst.hosts]
    areas = [Place(a.area_id, a.easting, a.northing) for a in inst.areas]
    rules = inst.rules
    ids = lambda places: [p.place_id for p in places]  # noqa: E731
    groups = [(ids(hubs), ids(hosts), rules.supervision_minutes), (ids(hosts), ids(areas), rules.casework_minutes)]
    times: dict[str, list[tuple[float, float]]] = {"spokeplan": [], "scipy csgraph": []}
    pairs = {}
    for _ in range(args.repeat):
        setup_s, search_s, pairs["spokeplan"] = spokeplan_pairs(
            hubs, hosts, areas, rules.supervision_minutes, rules.casework_minutes
        )
        times["spokeplan"].append((setup_s, search_s))
        graph_s, search_s, pairs["scipy csgraph"] = scipy_pairs(hubs + hosts + areas, groups)
        times["scipy csgraph"].append((graph_s, search_s))
    print(f"medians of {args.repeat} interleaved runs")
    print(f"{'method':<16} {'setup s':>8} {'pairs s':>8} {'total s':>8} {'pairs':>10}")
    totals = {}
    for name, runs in times.items():
        setup = statistics.median(r[0] for r in runs)
        search = statistics.median(r[1] for r in runs)
        totals[name] = statistics.median(r[0] + r[1] for r in runs)
        print(f"{name:<16} {setup:>8.2f} {search:>8.2f} {totals[name]:>8.2f} {len(pairs[name]):>10,}")
    ratio = totals["spokeplan"] / totals["scipy csgraph"]
    print(f"spokeplan / csgraph time: {ratio:.2f}x (target <= 2x: {'met' if ratio <= 2 else 'not met'})")
    ours, graph = pairs["spokeplan"], pairs["scipy csgraph"]
    common = sorted(ours.keys() & graph.keys())
    ratios = np.array([ours[k] / graph[k] for k in common if graph[k] > 0])
    print(
        f"pairs within the limits: spokeplan {len(ours):,}, graph {len(graph):,}, both {len(common):,}, "
        f"spokeplan only {len(ours.keys() - graph.keys()):,}, graph only {len(graph.keys() - ours.keys()):,}"
    )
    if len(ratios):
        print(
            f"spokeplan / graph minutes on pairs both keep: median {np.median(ratios):.2f}, "
            f"quartiles {np.quantile(ratios, 0.25):.2f}-{np.quantile(ratios, 0.75):.2f}"
        )


if __name__ == "__main__":
    main()
