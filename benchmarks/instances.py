"""Deterministic England-scale benchmark instances from the ONS Postcode Directory.

Areas are postcode districts of England (one per outward code with at least 50 live postcodes,
located at the mean of its postcodes); hosts sit at the largest districts with mixed host types;
hubs are spread over the country (farthest-point sampling from the largest district). Demand is
synthetic, spread over every area in proportion to its postcode count, and scaled so that the
total is below what the spoke limit could carry — placement and reach, not capacity, decide.

    python -m benchmarks.instances small      # prints the instance's size
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from optimisation.instance import HOST_TYPES, Area, Authority, Instance
from scoping.scenario.build import Location, host_from, hub_from, rules_from
from scoping.scenario.geocode import PostcodeLookup, authority_for_district
from scoping.scenario.schemas import HostRow, HubRow
from scoping.scenario.settings import default_settings
from scoping.scenario.travel import casework_pairs, supervision_pairs
from scoping.scenario.travel_estimate import Place


@dataclass(frozen=True)
class Size:
    hubs: int
    hosts: int
    spokes: int


SIZES = {
    "small": Size(16, 300, 53),  # the Alexi programme's scale (seed 001: 16 hubs, 53 spokes)
    "medium": Size(50, 1000, 150),
    "national": Size(100, 2000, 300),
}
LETTERS = "ABCDEFGHIJKLMNOPRSTUWY"  # first letters of English postcodes (and some others)


def england_districts() -> pd.DataFrame:
    """One row per English postcode district: mean easting/northing, live postcode count, authority."""
    lookup = PostcodeLookup()
    frames = []
    for letter in LETTERS:
        frame = lookup.postcodes_of_letter(letter).dropna(subset=["oseast1m", "osnrth1m", "laua"])
        frame = frame[frame["laua"].astype(str).str.startswith("E")]
        frames.append(
            pd.DataFrame(
                {
                    "district": frame.index.str[:-3],
                    "easting": frame["oseast1m"].to_numpy(),
                    "northing": frame["osnrth1m"].to_numpy(),
                    "laua": frame["laua"].astype(str).to_numpy(),
                }
            )
        )
    rows = pd.concat(frames)
    grouped = rows.groupby("district").agg(
        easting=("easting", "mean"),
        northing=("northing", "mean"),
        postcodes=("easting", "size"),
        laua=("laua", lambda s: s.mode().iloc[0]),
    )
    grouped = grouped[grouped["postcodes"] >= 50].reset_index().sort_values("district").reset_index(drop=True)
    grouped["authority"] = [(authority_for_district(code) or (code,))[0] for code in grouped["laua"]]
    return grouped


def spread_indices(points: np.ndarray, count: int, start: int) -> list[int]:
    """Farthest-point sampling: `count` indices spread over the points, deterministic."""
    chosen = [start]
    distance = np.hypot(*(points - points[start]).T)
    for _ in range(count - 1):
        nxt = int(np.argmax(distance))
        chosen.append(nxt)
        distance = np.minimum(distance, np.hypot(*(points - points[nxt]).T))
    return chosen


def make_instance(size_name: str, seed: int = 1, districts: pd.DataFrame | None = None) -> Instance:
    size = SIZES[size_name]
    rng = np.random.default_rng(seed)
    districts = england_districts() if districts is None else districts
    points = districts[["easting", "northing"]].to_numpy()
    biggest = districts.sort_values(["postcodes", "district"], ascending=[False, True]).index.to_list()
    host_rows = biggest[: size.hosts]
    hub_rows = spread_indices(points, size.hubs, biggest[0])
    # Every rule the default (scenario.yaml's defaults and the default service model's caseload).
    settings = default_settings()
    rules = replace(rules_from(settings, ()), max_spokes=size.spokes, spoke_cost_per_year=50_000)
    # Synthetic demand: proportional to postcodes, total ~90% of what the spoke limit could carry.
    weights = districts["postcodes"].to_numpy(dtype=float) * rng.uniform(0.5, 1.5, len(districts))
    target = 0.9 * size.spokes * rules.caseload_max
    demand = np.floor(weights / weights.sum() * target + rng.uniform(0, 1, len(districts))).astype(int)
    areas = tuple(
        Area(f"A-{row.district}", row.district, row.authority, float(row.easting), float(row.northing), int(demand[i]))
        for i, row in enumerate(districts.itertuples())
    )

    # Hosts and hubs as hosts.csv / hubs.csv rows (their defaults where not set) at each district.
    def at(i: int) -> Location:
        return Location(
            float(districts.at[i, "easting"]), float(districts.at[i, "northing"]), districts.at[i, "authority"]
        )

    hosts = tuple(
        host_from(
            HostRow.model_construct(
                host_id=f"J-{districts.at[i, 'district']}",
                name=districts.at[i, "district"],
                host_type=HOST_TYPES[k % len(HOST_TYPES)],
                max_spokes=1 + (k % 3 == 0),
                annual_cost=float(1000 * (k % 4)),
                drop_in=k % 5 == 0,
            ),
            at(i),
        )
        for k, i in enumerate(host_rows)
    )
    hubs = tuple(
        hub_from(
            HubRow.model_construct(
                hub_id=f"H-{districts.at[i, 'district']}",
                name=districts.at[i, "district"],
                min_spokes=2,
                max_spokes=5 if k % 4 else 8,
                managers=1 + (k % 4 == 0),
                manager_span=5,
            ),
            at(i),
            settings.supervision_minutes,
            settings.manager_cost,
        )
        for k, i in enumerate(hub_rows)
    )
    codes = sorted({a.authority_code for a in areas} | {h.authority_code for h in hosts})
    aims = ("statutory", "preventative", "both")
    authorities = tuple(Authority(code, code, aims[n % 3], False) for n, code in enumerate(codes))
    # Travel as a scenario gets it (scoping/scenario/travel.py): the calibrated car estimate, both limits.
    hub_places = [Place(h.hub_id, h.easting, h.northing) for h in hubs]
    host_places = [Place(h.host_id, h.easting, h.northing) for h in hosts]
    area_places = [Place(a.area_id, a.easting, a.northing) for a in areas]
    supervision = supervision_pairs(hub_places, host_places, {h.hub_id: h.supervision_limit for h in hubs}).minutes
    casework = casework_pairs(host_places, area_places, rules.casework_minutes, "car").minutes
    return Instance(hubs, hosts, areas, authorities, rules, casework, supervision, {})


def england_sectors(min_postcodes: int = 10) -> pd.DataFrame:
    """One row per English postcode sector (outward code + first inward digit, e.g. "AB1 2"), in the
    same columns as :func:`england_districts` (the code is in column ``district``), so
    ``make_instance(size, districts=england_sectors())`` builds a sector-level instance (~9,000 areas)."""
    lookup = PostcodeLookup()
    frames = []
    for letter in LETTERS:
        frame = lookup.postcodes_of_letter(letter).dropna(subset=["oseast1m", "osnrth1m", "laua"])
        frame = frame[frame["laua"].astype(str).str.startswith("E")]
        codes = frame.index.astype(str)
        frames.append(
            pd.DataFrame(
                {
                    "district": codes.str[:-3].str.strip() + " " + codes.str[-3],
                    "easting": frame["oseast1m"].to_numpy(),
                    "northing": frame["osnrth1m"].to_numpy(),
                    "laua": frame["laua"].astype(str).to_numpy(),
                }
            )
        )
    rows = pd.concat(frames)
    grouped = rows.groupby("district").agg(
        easting=("easting", "mean"),
        northing=("northing", "mean"),
        postcodes=("easting", "size"),
        laua=("laua", lambda s: s.mode().iloc[0]),
    )
    grouped = (
        grouped[grouped["postcodes"] >= min_postcodes].reset_index().sort_values("district").reset_index(drop=True)
    )
    grouped["authority"] = [(authority_for_district(code) or (code,))[0] for code in grouped["laua"]]
    return grouped


def replicated(inst: Instance, copies: int, offset: float = 1_000_000.0) -> Instance:
    """`copies` copies of `inst`, the k-th moved k x `offset` metres east (so no travel pair joins two
    copies) with every id and authority code suffixed "~k"; max_spokes and the budget scaled by
    `copies`. Issue #15's synthetic 4x instance is four copies of national England by sector (39,184
    areas, 8,000 hosts, 400 hubs, 1,200 spokes)."""
    if copies == 1:
        return inst

    def tag(name: str, k: int) -> str:
        return f"{name}~{k}"

    hubs, hosts, areas, authorities = [], [], [], []
    casework: dict[tuple[str, str], int] = {}
    supervision: dict[tuple[str, str], int] = {}
    existing: dict[tuple[str, str], int] = {}
    for k in range(copies):
        shift = k * offset
        hubs += [replace(h, hub_id=tag(h.hub_id, k), easting=h.easting + shift) for h in inst.hubs]
        hosts += [
            replace(h, host_id=tag(h.host_id, k), authority_code=tag(h.authority_code, k), easting=h.easting + shift)
            for h in inst.hosts
        ]
        areas += [
            replace(a, area_id=tag(a.area_id, k), authority_code=tag(a.authority_code, k), easting=a.easting + shift)
            for a in inst.areas
        ]
        authorities += [replace(a, authority_code=tag(a.authority_code, k)) for a in inst.authorities]
        pairs = {**inst.casework_minutes, **inst.cross_border_minutes}
        casework.update({(tag(j, k), tag(i, k)): m for (j, i), m in pairs.items()})
        supervision.update({(tag(h, k), tag(j, k)): m for (h, j), m in inst.supervision_minutes.items()})
        existing.update({(tag(h, k), tag(j, k)): n for (h, j), n in inst.existing_spokes.items()})
    rules = inst.rules
    rules = replace(
        rules,
        max_spokes=None if rules.max_spokes is None else rules.max_spokes * copies,
        budget_per_year=None if rules.budget_per_year is None else rules.budget_per_year * copies,
    )
    return Instance(tuple(hubs), tuple(hosts), tuple(areas), tuple(authorities), rules, casework, supervision, existing)


def describe(inst: Instance) -> str:
    return (
        f"{len(inst.hubs)} hubs, {len(inst.hosts)} hosts, {len(inst.areas)} areas, demand {inst.demand_total}, "
        f"max_spokes {inst.rules.max_spokes}, {len(inst.supervision_minutes)} hub-host and "
        f"{len(inst.casework_minutes)} host-area pairs in reach"
    )


if __name__ == "__main__":
    print(describe(make_instance(sys.argv[1] if len(sys.argv) > 1 else "small")))
