"""Calibration of the travel estimate (:mod:`scoping.scenario.travel_estimate`) against published times.

The tables, one row per published journey time with its source (README "Travel times",
calibration table):

* ``data/travel_calibration_car.csv``: 45 published town-to-town / town-to-attraction drive times
  across England, plus 3 rows that are the author's assumptions (``role`` = ``check``), used only
  as checks;
* ``data/travel_calibration_public_transport.csv``: 9 published bus times (fit the two bus
  speeds) and 18 rail times (checks only: the model assumes a bus);
* ``data/travel_places.csv``: each place's town-centre latitude/longitude (converted to British
  National Grid with pyproj).

Rows whose role is ``calibrate`` are sorted by straight-line distance (then names) and every second
of each ``TEST_EVERY`` is held out (``test``), the rest fit (``fit``), so both cover short and long
trips. The speeds are fitted by scipy's ``least_squares`` on log(model / published).

    python -m scoping.scenario.travel_calibration calibrate      # re-fit, print the error figures
    python -m scoping.scenario.travel_calibration density-grid   # rebuild the postcode density grid
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from pyproj import Transformer
from scipy.optimize import least_squares

from scoping.scenario.geocode import (
    DENSITY_FILE,
    DensityGrid,
    build_density_counts,
    load_density_grid,
    save_density_counts,
)
from scoping.scenario.travel_estimate import (
    CAR_MODEL,
    FAR_KM,
    NEAR_KM,
    PUBLIC_TRANSPORT_MODEL,
    URBAN_LOCAL_KMH,
    CarModel,
    PublicTransportModel,
    car_minutes,
    in_vehicle_minutes,
    straight_km,
    urban_share,
)

DATA_DIR = Path(__file__).parent / "data"
PLACES_FILE = DATA_DIR / "travel_places.csv"
CAR_CALIBRATION_FILE = DATA_DIR / "travel_calibration_car.csv"
PUBLIC_TRANSPORT_CALIBRATION_FILE = DATA_DIR / "travel_calibration_public_transport.csv"

WITHIN = 0.35  # issue #16's second target: share of pairs within 35%
TEST_EVERY = 3  # every third published pair (by straight-line distance) is held out for testing


def load_places(path: Path = PLACES_FILE) -> pd.DataFrame:
    """Calibration places with British National Grid coordinates converted from latitude/longitude."""
    places = pd.read_csv(path)
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    easting, northing = to_bng.transform(places["longitude"].to_numpy(), places["latitude"].to_numpy())
    return places.assign(easting=easting, northing=northing).set_index("place")


def load_calibration(path: Path, places: pd.DataFrame | None = None, grid: DensityGrid | None = None) -> pd.DataFrame:
    """The calibration table with distance, end densities and the fit/test/check split added."""
    places = load_places() if places is None else places
    grid = grid or load_density_grid()
    table = pd.read_csv(path)
    a = places.loc[table["from_place"]]
    b = places.loc[table["to_place"]]
    table = table.assign(
        km=straight_km(
            a["easting"].to_numpy(), a["northing"].to_numpy(), b["easting"].to_numpy(), b["northing"].to_numpy()
        ),
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
        return np.log(in_vehicle_minutes(rows["km"], PublicTransportModel(*x)) / rows["minutes"])

    fitted = least_squares(residuals, np.array([18.0, 45.0]), bounds=([5, 10], [80, 120]))
    return PublicTransportModel(*[round(float(v), 1) for v in fitted.x])


def error_summary(relative_errors: ArrayLike) -> dict[str, float]:
    """Pairs, median absolute relative error and share within WITHIN (35%)."""
    errors = np.asarray(relative_errors, dtype=float)
    if not len(errors):
        return {"pairs": 0, "median_abs": float("nan"), "within_35": float("nan")}
    return {
        "pairs": int(len(errors)),
        "median_abs": float(np.median(np.abs(errors))),
        "within_35": float(np.mean(np.abs(errors) <= WITHIN + 1e-12)),
    }


def distance_band(km: np.ndarray) -> np.ndarray:
    return np.select(
        [km < NEAR_KM, km < FAR_KM], [f"< {NEAR_KM:g} km", f"{NEAR_KM:g}-{FAR_KM:g} km"], f">= {FAR_KM:g} km"
    )


def settlement_class(density_from, density_to) -> np.ndarray:
    """'urban-urban', 'urban-rural' or 'rural-rural' (urban: urban share >= 0.5 at that end)."""
    ua, ub = urban_share(density_from) >= 0.5, urban_share(density_to) >= 0.5
    return np.select([ua & ub, ua | ub], ["urban-urban", "urban-rural"], "rural-rural")


def calibration_report(table: pd.DataFrame, predicted: np.ndarray) -> dict[str, dict[str, dict[str, float]]]:
    """Error figures by split (fit, test, all published, assumption checks), settlement class and band."""
    table = table.assign(
        predicted=predicted,
        error=_relative_error(predicted, table["minutes"].to_numpy()),
        cls=settlement_class(table["density_from"], table["density_to"]),
        band=distance_band(table["km"].to_numpy()),
    )
    published = table[table["split"] != "check"]
    report = {"split": {name: error_summary(table.loc[table["split"] == name, "error"]) for name in ("fit", "test")}}
    report["split"]["fit + test"] = error_summary(published["error"])
    report["split"]["check rows"] = error_summary(table.loc[table["split"] == "check", "error"])
    report["class"] = {str(c): error_summary(g["error"]) for c, g in published.groupby("cls")}
    report["band"] = {str(b): error_summary(g["error"]) for b, g in published.groupby("band")}
    return report


def car_calibration(model: CarModel | None = None) -> tuple[pd.DataFrame, dict]:
    """The shipped car table with predictions, and its error report, for `model` (default CAR_MODEL)."""
    table = load_calibration(CAR_CALIBRATION_FILE)
    predicted = car_minutes(table["km"], table["density_from"], table["density_to"], model or CAR_MODEL)
    return table.assign(predicted=predicted), calibration_report(table, predicted)


def public_transport_calibration(model: PublicTransportModel | None = None) -> tuple[pd.DataFrame, dict]:
    """The shipped bus/rail table with in-vehicle predictions, and its error report."""
    table = load_calibration(PUBLIC_TRANSPORT_CALIBRATION_FILE)
    predicted = in_vehicle_minutes(table["km"], model or PUBLIC_TRANSPORT_MODEL)
    return table.assign(predicted=predicted), calibration_report(table, predicted)


def _print_report(title: str, table: pd.DataFrame, report: dict) -> None:
    print(f"## {title}")
    print(f"{'pair':<48} {'km':>6} {'dens A':>7} {'dens B':>7} {'published':>9} {'model':>6} {'error':>7}  split")
    for row in table.sort_values("km").to_dict("records"):
        print(
            f"{row['from_place'] + ' - ' + row['to_place']:<48} {row['km']:>6.1f} {row['density_from']:>7.0f} "
            f"{row['density_to']:>7.0f} {row['minutes']:>9.0f} {row['predicted']:>6.1f} "
            f"{(row['predicted'] - row['minutes']) / row['minutes']:>+7.0%}  {row['split']}"
        )
    for group, figures in report.items():
        for name, f in figures.items():
            print(
                f"{group:<6} {name:<20} pairs {f['pairs']:>3}  median |error| {f['median_abs']:>6.1%}  "
                f"within 35% {f['within_35']:>6.1%}"
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m scoping.scenario.travel_calibration",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
