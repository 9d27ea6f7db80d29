"""Calibrated travel-time estimates between British National Grid points: car and public transport.

Everything here is a closed formula on straight-line distance and the density of postcodes around
each end (:class:`~scoping.scenario.geocode.DensityGrid`), so a whole national matrix is a few numpy
array operations. The formulas, their fitted and assumed values and the calibration (published
town-to-town times, with sources) are in the README, "Travel times"; the fit itself is
:mod:`scoping.scenario.travel_calibration`. Measured and routed times are not applied here: the one
rule that puts them over an estimate is :func:`scoping.scenario.travel.apply_measured`.

**Urban share** of an end: 0 (open country, <= ``RURAL_DENSITY`` postcodes within 2 km) .. 1 (a
city or large-town centre, >= ``URBAN_DENSITY``), linear in log density between.

**Car** (:func:`car_minutes`), for straight-line distance d km between ends A and B::

    road_km   = DETOUR x d                                        (road / crow-fly distance)
    local_X   = min(LOCAL_KM, road_km / 2)  at each end X         (streets around each end)
    trunk_km  = road_km - local_A - local_B                       (the main-road middle of the trip)
    v_local_X = rural_kmh + urban_share_X x (urban_kmh - rural_kmh)   urban_kmh fixed at DfT's 40.6
    v_trunk   = trunk_near_kmh up to NEAR_KM, trunk_far_kmh from FAR_KM, linear between (by d)
    minutes   = TERMINAL_MINUTES + 60 x (local_A / v_local_A + local_B / v_local_B + trunk_km / v_trunk)

So a short trip between two town centres runs at urban street speed, a long one mostly at trunk
speed, and a rural end is quicker to leave than a city centre.

**Public transport for young people** (:func:`public_transport_minutes`), door to door from A::

    walk_X     = stop distance at end X / WALK_KMH     stop distance: STOP_M_URBAN .. STOP_M_RURAL by urban share
    wait       = headway at A / 2, capped at MAX_WAIT_MINUTES;  headway HEADWAY_URBAN .. HEADWAY_RURAL (log-linear)
    in_vehicle = road_km / v_bus,  v_bus = near_kmh (d <= NEAR_KM) .. far_kmh (d >= FAR_KM), linear by d
    transfer   = INTERCHANGE_MINUTES if d > INTERCHANGE_KM
    minutes    = walk_A + wait + in_vehicle + transfer + walk_B

Points less than ``SAME_PLACE_M`` apart are 0 minutes apart in both modes. Whole minutes are
rounded half up (:func:`round_half_up`: a 44.5-minute trip counts as 45).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from scoping.scenario.geocode import DensityGrid, load_density_grid
from scoping.scenario.schemas import TRAVEL_MODES

# Postcodes within 2 km: ~50 or fewer is open country or a village, ~1,500 or more a city or
# large-town centre (assumption, read off the shipped grid: Haytor 9, Malham 18, Alnwick 399,
# Morpeth 872, Truro 1,471, Newcastle centre 3,764). Urban share is linear in log density between.
RURAL_DENSITY = 50.0
URBAN_DENSITY = 1500.0

# Road distance / straight-line distance: 1.2-1.4 in published comparisons for Great Britain; 1.3 is
# the usual planning figure. Fixed, not fitted.
DETOUR = 1.3
# Length of road at each end driven at local (street) speed before the trunk road (assumption).
LOCAL_KM = 4.0
# Distance bands (straight line) over which trunk and public-transport speeds change (assumption).
NEAR_KM = 15.0
FAR_KM = 60.0
# Parking, walking to and from the car, time to get going: fixed 3 minutes per trip (assumption,
# in line with DfT's TAG terminal-time allowances of a few minutes per car trip).
TERMINAL_MINUTES = 3.0
# Local streets at the urban end of a trip: 25.2 mph = 40.6 km/h, DfT's average speed on locally
# managed 'A' roads in England, 2017 (Travel time measures for the Strategic Road Network and local
# 'A' roads, January to December 2017). Fixed, not fitted.
URBAN_LOCAL_KMH = 40.6
SAME_PLACE_M = 1.0  # points closer than this are the same place: 0 minutes apart

# Public transport assumptions (young people's own journeys; none of these is fitted):
WALK_KMH = 4.8  # walking speed, DfT TAG / JTS walk speed 4.8 km/h
STOP_M_URBAN = 300.0  # walk to the nearest useful stop in a town centre (assumption)
STOP_M_RURAL = 1200.0  # ... in open country (assumption)
HEADWAY_URBAN = 12.0  # minutes between buses in a town (assumption: 5 buses an hour)
HEADWAY_RURAL = 120.0  # minutes between buses in open country (assumption: every two hours)
MAX_WAIT_MINUTES = 30.0  # a planned journey waits at most 30 minutes at the stop (assumption)
INTERCHANGE_KM = 25.0  # longer trips need one change (assumption)
INTERCHANGE_MINUTES = 10.0  # penalty for that change (assumption)


@dataclass(frozen=True)
class Place:
    """A hub, host, area or postcode at a British National Grid point (metres); ids unique per call."""

    place_id: str
    easting: float
    northing: float


def round_half_up(minutes):
    """Whole minutes, half up (44.5 -> 45); vectorised (a float array in, a float array out)."""
    return np.floor(np.asarray(minutes, dtype=float) + 0.5 + 1e-9)


def whole_minutes(minutes: float) -> int:
    """One time in whole minutes, half up, as :func:`round_half_up`."""
    return int(round_half_up(minutes))


def straight_km(ea, na, eb, nb) -> np.ndarray:
    """Crow-fly kilometres between points given by easting and northing (vectorised)."""
    return np.hypot(np.asarray(ea, dtype=float) - eb, np.asarray(na, dtype=float) - nb) / 1000.0


def urban_share(density) -> np.ndarray:
    """0 for open country (<= RURAL_DENSITY postcodes within the radius) .. 1 for a city centre."""
    d = np.maximum(np.asarray(density, dtype=float), 1.0)
    share = (np.log(d) - math.log(RURAL_DENSITY)) / (math.log(URBAN_DENSITY) - math.log(RURAL_DENSITY))
    return np.clip(share, 0.0, 1.0)


def band_share(km) -> np.ndarray:
    """0 up to NEAR_KM straight-line, 1 from FAR_KM, linear between."""
    return np.clip((np.asarray(km, dtype=float) - NEAR_KM) / (FAR_KM - NEAR_KM), 0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# Car
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CarModel:
    """The fitted speeds (km/h) of the car formula in the module docstring."""

    urban_kmh: float
    rural_kmh: float
    trunk_near_kmh: float
    trunk_far_kmh: float


# Fitted by travel_calibration.fit_car_model on the 'fit' rows of data/travel_calibration_car.csv
# (urban local speed fixed at URBAN_LOCAL_KMH); tests/test_travel_estimate.py re-fits and checks these.
CAR_MODEL = CarModel(urban_kmh=URBAN_LOCAL_KMH, rural_kmh=24.1, trunk_near_kmh=64.9, trunk_far_kmh=83.2)


def car_minutes(km, density_a, density_b, model: CarModel | None = None) -> np.ndarray:
    """Estimated driving minutes (float) for straight-line `km` between ends of the given densities.

    Vectorised over any broadcastable shapes. 0 for points at the same place.
    """
    model = model or CAR_MODEL
    km = np.asarray(km, dtype=float)
    road = DETOUR * km
    local = np.minimum(LOCAL_KM, road / 2.0)
    trunk = road - 2.0 * local
    ua, ub = urban_share(density_a), urban_share(density_b)
    v_a = model.rural_kmh + ua * (model.urban_kmh - model.rural_kmh)
    v_b = model.rural_kmh + ub * (model.urban_kmh - model.rural_kmh)
    v_trunk = model.trunk_near_kmh + band_share(km) * (model.trunk_far_kmh - model.trunk_near_kmh)
    minutes = TERMINAL_MINUTES + 60.0 * (local / v_a + local / v_b + trunk / v_trunk)
    return np.where(km * 1000.0 < SAME_PLACE_M, 0.0, minutes)


# ---------------------------------------------------------------------------------------------
# Public transport
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicTransportModel:
    """The fitted bus speeds (km/h of road distance, stops included) of the public-transport formula.

    Speed depends on the distance band only: the published bus times hold one trip with a rural end,
    too few to fit a separate rural speed, so the urban/rural class enters through the walk to the
    stop and the wait instead.
    """

    near_kmh: float  # trips up to NEAR_KM: town and local buses
    far_kmh: float  # trips from FAR_KM: inter-urban and express buses


# Fitted by travel_calibration.fit_public_transport_model on the 'fit' bus rows of
# data/travel_calibration_public_transport.csv; the test re-fits and checks these values.
PUBLIC_TRANSPORT_MODEL = PublicTransportModel(near_kmh=26.1, far_kmh=64.9)


def in_vehicle_minutes(km, model: PublicTransportModel | None = None) -> np.ndarray:
    """Minutes on the bus (including one interchange for long trips); no walk or wait."""
    model = model or PUBLIC_TRANSPORT_MODEL
    km = np.asarray(km, dtype=float)
    speed = model.near_kmh + band_share(km) * (model.far_kmh - model.near_kmh)
    transfer = np.where(km > INTERCHANGE_KM, INTERCHANGE_MINUTES, 0.0)
    return DETOUR * km / speed * 60.0 + transfer


def access_minutes(density) -> np.ndarray:
    """Walk from the door to a useful stop (or from the stop to the door)."""
    share = urban_share(density)
    stop_m = STOP_M_RURAL + share * (STOP_M_URBAN - STOP_M_RURAL)
    return stop_m / 1000.0 / WALK_KMH * 60.0


def wait_minutes(density) -> np.ndarray:
    """Half the headway at the origin (log-interpolated by urban share), capped at MAX_WAIT_MINUTES."""
    share = urban_share(density)
    headway = np.exp(np.log(HEADWAY_RURAL) + share * (np.log(HEADWAY_URBAN) - np.log(HEADWAY_RURAL)))
    return np.minimum(headway / 2.0, MAX_WAIT_MINUTES)


def public_transport_minutes(km, density_a, density_b, model: PublicTransportModel | None = None) -> np.ndarray:
    """Door-to-door bus minutes (float) from A to B: walk + wait at A + in-vehicle (+ interchange) + walk."""
    km = np.asarray(km, dtype=float)
    total = (
        access_minutes(density_a) + wait_minutes(density_a) + in_vehicle_minutes(km, model) + access_minutes(density_b)
    )
    return np.where(km * 1000.0 < SAME_PLACE_M, 0.0, total)


MinutesFormula = Callable[[ArrayLike, ArrayLike, ArrayLike], np.ndarray]  # km, density at each end


def formula(mode: str) -> MinutesFormula:
    """The estimate of a travel mode ('car' or 'public_transport'), with the shipped model."""
    if mode == "car":
        return car_minutes
    if mode == "public_transport":
        return public_transport_minutes
    raise ValueError(f"mode must be one of {', '.join(TRAVEL_MODES)}, not {mode!r}")


# ---------------------------------------------------------------------------------------------
# Minutes for given pairs, and every pair within a limit
# ---------------------------------------------------------------------------------------------


def _coordinates(places: Sequence[Place]) -> np.ndarray:
    return np.array([(p.easting, p.northing) for p in places], dtype=float).reshape(-1, 2)


def minutes_between(
    origins: Sequence[Place], destinations: Sequence[Place], mode: str, grid: DensityGrid | None = None
) -> np.ndarray:
    """Whole estimated minutes from each origin to the destination of the same position (no limit)."""
    grid = grid or load_density_grid()
    a, b = _coordinates(origins), _coordinates(destinations)
    if not len(a):
        return np.empty(0)
    km = straight_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return round_half_up(formula(mode)(km, grid.at(a[:, 0], a[:, 1]), grid.at(b[:, 0], b[:, 1])))


def reach_km(limit: float, minutes_of: MinutesFormula) -> float:
    """Straight-line km beyond which no trip can round to within `limit` minutes.

    `minutes_of(km, density_a, density_b)` is increasing in km, and for a given km quickest with
    each end at one extreme of density (urban share 0 or 1 enters every speed, walk and wait
    linearly or as 1/speed), so the bound is the km where the quickest of the four extreme
    combinations reaches limit + 0.5; found by bisection.
    """
    extremes = (0.0, URBAN_DENSITY)

    def quickest(km: float) -> float:
        return min(float(minutes_of(km, a, b)) for a in extremes for b in extremes)

    low, high = 0.0, 1.0
    while quickest(high) <= limit + 0.5:
        low, high = high, high * 2.0
        if high > 5000.0:
            return high
    for _ in range(60):
        middle = (low + high) / 2.0
        low, high = (middle, high) if quickest(middle) <= limit + 0.5 else (low, middle)
    return high * (1 + 1e-9) + 1e-6


def pair_arrays(
    sources: Sequence[Place], targets: Sequence[Place], limit: float, mode: str = "car", grid: DensityGrid | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source index, target index, whole minutes) of every pair within `limit` minutes.

    Candidate pairs come from one KD-tree query within :func:`reach_km` (the farthest straight-line
    distance any pair could be and still round to the limit); the formula is then evaluated on those
    pairs only, all at once.
    """
    grid = grid or load_density_grid()
    minutes_of = formula(mode)
    src, dst = _coordinates(sources), _coordinates(targets)
    if not len(src) or not len(dst):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    reach_m = reach_km(limit, minutes_of) * 1000.0
    # ndarray output lists every pair within reach, same-place pairs (distance 0) included
    found = cKDTree(src).sparse_distance_matrix(cKDTree(dst), reach_m, output_type="ndarray")
    rows, cols = found["i"].astype(np.int64), found["j"].astype(np.int64)
    km = found["v"] / 1000.0
    dens_src, dens_dst = grid.at(src[:, 0], src[:, 1]), grid.at(dst[:, 0], dst[:, 1])
    whole = round_half_up(minutes_of(km, dens_src[rows], dens_dst[cols]))
    keep = whole <= limit
    return rows[keep], cols[keep], whole[keep]


def estimated_pairs(
    sources: Sequence[Place],
    targets: Sequence[Place],
    limit: int | Mapping[str, int],
    mode: str = "car",
    grid: DensityGrid | None = None,
) -> dict[tuple[str, str], int]:
    """Whole estimated minutes for every (source id, target id) within the limit (per source if a
    mapping), ordered by (source id, target id).

    The order is made with a numpy sort on id ranks, not by sorting a million Python tuples.
    """
    source_ids = [p.place_id for p in sources]
    target_ids = [p.place_id for p in targets]
    groups: dict[int, list[int]] = {}
    for k, place in enumerate(sources):
        groups.setdefault(limit[place.place_id] if isinstance(limit, Mapping) else limit, []).append(k)
    found_rows, found_cols, found_minutes = [], [], []
    for group_limit, members in sorted(groups.items()):
        rows, cols, minutes = pair_arrays([sources[k] for k in members], targets, group_limit, mode, grid)
        found_rows.append(np.asarray(members, dtype=np.int64)[rows])
        found_cols.append(cols)
        found_minutes.append(minutes)
    if not found_rows:
        return {}
    rows, cols, minutes = np.concatenate(found_rows), np.concatenate(found_cols), np.concatenate(found_minutes)
    source_rank = np.argsort(np.argsort(np.array(source_ids, dtype=object), kind="stable"), kind="stable")
    target_rank = np.argsort(np.argsort(np.array(target_ids, dtype=object), kind="stable"), kind="stable")
    order = np.lexsort((target_rank[cols], source_rank[rows]))
    return dict(
        zip(
            zip([source_ids[r] for r in rows[order].tolist()], [target_ids[c] for c in cols[order].tolist()]),
            minutes[order].astype(int).tolist(),
        )
    )


def nearest_estimates(
    sources: Sequence[Place], targets: Sequence[Place], mode: str, grid: DensityGrid | None = None, block: int = 512
) -> np.ndarray:
    """Whole estimated minutes from every source to every target, as a dense (sources x targets)
    array, built in blocks of targets (for the scoping report's nearest host and hub, not cut at a
    limit; scenarios have at most a few thousand of each)."""
    grid = grid or load_density_grid()
    minutes_of = formula(mode)
    src, dst = _coordinates(sources), _coordinates(targets)
    out = np.empty((len(src), len(dst)))
    dens_src, dens_dst = grid.at(src[:, 0], src[:, 1]), grid.at(dst[:, 0], dst[:, 1])
    for start in range(0, len(dst), block):
        part = slice(start, start + block)
        km = straight_km(src[:, 0:1], src[:, 1:2], dst[part, 0][None, :], dst[part, 1][None, :])
        out[:, part] = round_half_up(minutes_of(km, dens_src[:, None], dens_dst[None, part]))
    return out
