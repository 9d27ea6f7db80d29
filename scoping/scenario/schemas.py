"""Schemas for every input table: one place defines each column's type, range and default.

Each CSV row is validated by a pydantic model (`scenario.yaml` by :class:`~scoping.scenario.settings.ScenarioRules`).
Nothing here geocodes or touches other files: cross-file checks (unknown ids, duplicate ids
across files, postcodes) live in :mod:`scoping.scenario.loader`.

Columns and defaults follow DESIGN.md "Scenario directory". Unknown columns are errors unless
they start with ``x_`` (kept as user notes). Columns whose names suggest person-level data are
always refused: spokeplan works on aggregate counts only.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from optimisation.instance import AIMS, HOST_STATUSES, HOST_TYPES

# Ids are used in file names, spreadsheets and HTML: keep them plain (no path tricks, no formulas).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# GSS codes: E06 unitary, E08 metropolitan district, E09 London borough, E10 county, E07 district...
GssCode = Annotated[str, StringConstraints(pattern=r"^[EWSN]\d{8}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]

SERVICE_TYPES = (
    "specialist_cse",  # specialist voluntary-sector CSE service
    "mash",  # multi-agency safeguarding hub
    "co_located_team",  # co-located multi-agency CSE team
    "cse_coordinator",
    "voluntary",
    "drop_in",
    "police",
    "social_care",
    "health",
    "other",
)

# How people travel (scenario.yaml `casework_mode`, travel_times.csv `mode`): the estimate of each is
# scoping/scenario/travel_estimate.py. Supervision is always by car.
TRAVEL_MODES = ("car", "public_transport")
# Where a time in travel_times.csv comes from: `measured` (observed, or given by someone who knows
# the journey) or `routed` (a router's answer: spokeplan travel import). Every other pair is `estimated`.
GIVEN_TIME_SOURCES = ("measured", "routed")
# The routers' outputs `spokeplan travel import` reads (scoping/scenario/travel_import.py), and the
# mode each is taken to be for unless the caller says: OSRM's usual profile is car, r5py's
# TravelTimeMatrix defaults to public transport with walking, a plain CSV is taken as car.
ROUTER_FORMATS = ("osrm", "r5py", "csv")
ROUTER_DEFAULT_MODE = {"osrm": "car", "r5py": "public_transport", "csv": "car"}

# Column names that point at person-level records. Matched on the whole name, case-insensitive.
PERSONAL_COLUMN_PATTERN = re.compile(
    r"(^|_)(first_?name|surname|last_?name|forename|full_?name|child_?name|person_?name|"
    r"dob|date_?of_?birth|birth_?date|nhs(_?number|_?no)?|upn|unique_?pupil_?number|"
    r"ni_?number|national_?insurance|address(_?line\d*)?|street|case_?(ref|reference|number|id)|"
    r"child_?id|person_?id|client_?id|email|phone|telephone|mobile|gender|ethnicity)($|_)",
    re.IGNORECASE,
)


class CsvRow(BaseModel):
    """Base for a CSV row: unknown keys forbidden, surrounding spaces stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
    id_column: ClassVar[str | None] = None
    required_columns: ClassVar[tuple[str, ...]] = ()


# Great Britain in British National Grid metres: the box around every live postcode of the ONS
# Postcode Directory (easting 54,899-655,448, HS9 5YS to NR32 1XH; northing 8,132-1,213,615, TR22 0WX
# to ZE2 9EQ), widened to take in the land without postcodes (St Kilda about 10,000 E, Muckle
# Flugga about 1,220,500 N). A point outside it is not in Great Britain; one inside may still be at
# sea, which the box cannot tell.
GB_EASTING = (5_000, 660_000)
GB_NORTHING = (5_000, 1_225_000)


def _metres(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"


def grid_problem(easting: float, northing: float) -> str | None:
    """Why (easting, northing) cannot be a place in Great Britain, or None. Values that look like
    longitude and latitude (a common slip: 1.57, 54.7) get a hint."""
    inside = GB_EASTING[0] <= easting <= GB_EASTING[1] and GB_NORTHING[0] <= northing <= GB_NORTHING[1]
    if inside:
        return None
    message = (
        f"easting {_metres(easting)}, northing {_metres(northing)} is outside Great Britain (British National Grid metres: "
        f"easting {GB_EASTING[0]:,} to {GB_EASTING[1]:,}, northing {GB_NORTHING[0]:,} to {GB_NORTHING[1]:,})"
    )
    if abs(easting) <= 180 and abs(northing) <= 90 or abs(easting) <= 90 and abs(northing) <= 180:
        message += (
            "; these look like longitude and latitude in degrees: give a postcode, or convert them to "
            "British National Grid (EPSG:4326 to EPSG:27700)"
        )
    return message


class _Located(CsvRow):
    """A row located by `postcode` or by British National Grid `easting`, `northing` in Great Britain."""

    postcode: str | None = None
    easting: float | None = Field(default=None, ge=-10_000_000, le=10_000_000)  # finite; the extent is checked below
    northing: float | None = Field(default=None, ge=-10_000_000, le=10_000_000)

    @model_validator(mode="after")
    def _one_location(self) -> _Located:
        has_grid = self.easting is not None or self.northing is not None
        if self.postcode and has_grid:
            raise ValueError("give either postcode or easting and northing, not both")
        if not self.postcode:
            if self.easting is None or self.northing is None:
                raise ValueError(
                    "no location: give a postcode, or both easting and northing (British National Grid metres)"
                )
            problem = grid_problem(self.easting, self.northing)
            if problem:
                column = "northing" if GB_EASTING[0] <= self.easting <= GB_EASTING[1] else "easting"
                raise PydanticCustomError("outside_great_britain", problem, {"column": column})
        return self


class HubRow(_Located):
    """hubs.csv: an established service that employs and supervises spokes."""

    id_column: ClassVar[str] = "hub_id"
    required_columns: ClassVar[tuple[str, ...]] = ("hub_id", "name")

    hub_id: Identifier
    name: Name
    min_spokes: int = Field(default=2, ge=0, le=100)  # seed 000: two to five spokes per hub
    max_spokes: int = Field(default=5, ge=1, le=100)
    managers: int = Field(default=1, ge=1, le=100)
    manager_span: int = Field(default=5, ge=1, le=100)
    supervision_minutes: int | None = Field(default=None, ge=1, le=600)
    # £ a year per manager this hub needs (issue #14); empty: scenario.yaml manager_cost_per_year.
    manager_cost_per_year: float | None = Field(default=None, ge=0, le=10_000_000)

    @model_validator(mode="after")
    def _min_not_over_max(self) -> HubRow:
        if self.min_spokes > self.max_spokes:
            raise ValueError(f"min_spokes {self.min_spokes} is more than max_spokes {self.max_spokes}")
        return self


class HostRow(_Located):
    """hosts.csv: a candidate site where spokes can be based."""

    id_column: ClassVar[str] = "host_id"
    required_columns: ClassVar[tuple[str, ...]] = ("host_id", "name", "host_type")

    host_id: Identifier
    name: Name
    host_type: Literal[HOST_TYPES]  # type: ignore[valid-type]
    authority_code: GssCode | None = None
    max_spokes: int = Field(default=1, ge=1, le=100)
    annual_cost: float = Field(default=0.0, ge=0, le=100_000_000)
    drop_in: bool = False
    aims: Literal[AIMS] | None = None  # type: ignore[valid-type]
    # A commissioner's decision (issue #18): locked = must host at least one spoke, banned = none.
    status: Literal[HOST_STATUSES] = "candidate"  # type: ignore[valid-type]


class AreaRow(_Located):
    """areas.csv: a demand unit (cases needing specialist casework at any one time)."""

    id_column: ClassVar[str] = "area_id"
    required_columns: ClassVar[tuple[str, ...]] = ("area_id", "name", "authority_code")

    area_id: Identifier
    name: Name
    authority_code: GssCode
    demand: int | None = Field(default=None, ge=0, le=100_000)
    population_10_17: int | None = Field(default=None, ge=0, le=10_000_000)
    # Eligible populations a service model may estimate demand from (scoping/scenario/service_model.py):
    # young people aged 12-17, and those of them open to children's social care (aggregate counts).
    population_12_17: int | None = Field(default=None, ge=0, le=10_000_000)
    open_to_social_care_12_17: int | None = Field(default=None, ge=0, le=10_000_000)


class AuthorityRow(CsvRow):
    """authorities.csv: a children's services authority, its aim and its profile indicators.

    Indicator columns (all optional, aggregate figures only) are listed in the README's data
    dictionary; more can be kept as ``x_`` notes.
    """

    id_column: ClassVar[str] = "authority_code"
    required_columns: ClassVar[tuple[str, ...]] = ("authority_code", "name")

    authority_code: GssCode
    name: Name
    aim: Literal[AIMS] = "both"  # type: ignore[valid-type]
    required: bool = False
    population_0_17: int | None = Field(default=None, ge=0, le=100_000_000)
    population_10_17: int | None = Field(default=None, ge=0, le=100_000_000)
    cin_cse_assessments: int | None = Field(default=None, ge=0, le=10_000_000)
    missing_episodes: int | None = Field(default=None, ge=0, le=10_000_000)
    demand_per_10000_aged_10_17: float | None = Field(default=None, ge=0, le=10_000)


class ServiceRow(_Located):
    """services.csv: the existing service landscape."""

    id_column: ClassVar[str] = "service_id"
    required_columns: ClassVar[tuple[str, ...]] = ("service_id", "name", "service_type")

    service_id: Identifier
    name: Name
    service_type: Literal[SERVICE_TYPES]  # type: ignore[valid-type]
    authority_code: GssCode | None = None


class TravelTimeRow(CsvRow):
    """travel_times.csv: a measured (or routed) travel time, used instead of the estimate for this
    pair in this mode (scoping.scenario.travel.apply_measured)."""

    required_columns: ClassVar[tuple[str, ...]] = ("from_id", "to_id", "minutes")

    from_id: Identifier
    to_id: Identifier
    minutes: int = Field(ge=0, le=1440)
    mode: Literal[TRAVEL_MODES] = "car"  # type: ignore[valid-type]
    source: Literal[GIVEN_TIME_SOURCES] = "measured"  # type: ignore[valid-type]


# A place in PAIRS.csv (spokeplan travel): a UK postcode, or an id of the scenario given with --scenario.
PlaceText = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")]


class TravelPairRow(CsvRow):
    """PAIRS.csv of `spokeplan travel`: one journey a row, from one place to another."""

    required_columns: ClassVar[tuple[str, ...]] = ("from", "to")

    from_place: PlaceText = Field(alias="from")
    to_place: PlaceText = Field(alias="to")


class ExistingSpokeRow(CsvRow):
    """existing_spokes.csv: spokes already in post, which the plan keeps."""

    required_columns: ClassVar[tuple[str, ...]] = ("hub_id", "host_id", "count")

    hub_id: Identifier
    host_id: Identifier
    count: int = Field(ge=1, le=100)


class DemandScenarioRow(CsvRow):
    """demand_scenarios.csv: demand per area in a named demand scenario (robust plans, issue #8).

    Every scenario lists every area of areas.csv once. The areas.csv demand is the scenario
    ``central``; ``low`` and ``high`` are taken by ``demand_range`` when it is set.
    """

    required_columns: ClassVar[tuple[str, ...]] = ("area_id", "scenario", "demand")

    area_id: Identifier
    scenario: Identifier
    demand: int = Field(ge=0, le=100_000)


# The scenario directory: file name -> (row model, required file?)
TABLES: dict[str, tuple[type[CsvRow], bool]] = {
    "hubs.csv": (HubRow, True),
    "hosts.csv": (HostRow, True),
    "areas.csv": (AreaRow, True),
    "authorities.csv": (AuthorityRow, True),
    "services.csv": (ServiceRow, False),
    "travel_times.csv": (TravelTimeRow, False),
    "existing_spokes.csv": (ExistingSpokeRow, False),
    "demand_scenarios.csv": (DemandScenarioRow, False),
}


def describe_expectation(error_type: str, ctx: dict | None) -> str:
    """A short 'what is expected' phrase for a pydantic error type."""
    ctx = ctx or {}
    if error_type in ("int_parsing", "int_type", "int_from_float"):
        return "expected a whole number"
    if error_type in ("float_parsing", "float_type", "finite_number"):
        return "expected a number"
    if error_type in ("bool_parsing", "bool_type"):
        return "expected true or false"
    if error_type == "greater_than":
        return f"expected more than {ctx.get('gt')}"
    if error_type == "less_than":
        return f"expected less than {ctx.get('lt')}"
    if error_type == "greater_than_equal":
        return f"expected at least {ctx.get('ge')}"
    if error_type == "less_than_equal":
        return f"expected at most {ctx.get('le')}"
    if error_type == "literal_error":
        return f"expected one of {ctx.get('expected')}"
    if error_type == "string_pattern_mismatch":
        return "has characters or a form not allowed here"
    if error_type in ("string_too_long",):
        return f"is longer than {ctx.get('max_length')} characters"
    if error_type == "missing":
        return "is required and empty"
    return ""
