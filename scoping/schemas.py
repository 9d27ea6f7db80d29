"""Schemas for every input table: one place defines each column's type, range and default.

Each CSV row is validated by a pydantic model; each `scenario.yaml` key by :class:`ScenarioRules`.
Nothing here geocodes or touches other files: cross-file checks (unknown ids, duplicate ids
across files, postcodes) live in :mod:`scoping.scenario`.

Columns and defaults follow DESIGN.md "Scenario directory". Unknown columns are errors unless
they start with ``x_`` (kept as user notes). Columns whose names suggest person-level data are
always refused: spokeplan works on aggregate counts only.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from optimisation.instance import AIMS, HOST_STATUSES, HOST_TYPES, PRIORITIES

# Ids are used in file names, spreadsheets and HTML: keep them plain (no path tricks, no formulas).
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
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

# Column names that point at person-level records. Matched on the whole name, case-insensitive.
PERSONAL_COLUMN_PATTERN = re.compile(
    r"(^|_)(first_?name|surname|last_?name|forename|full_?name|child_?name|person_?name|"
    r"dob|date_?of_?birth|birth_?date|nhs(_?number|_?no)?|upn|unique_?pupil_?number|"
    r"ni_?number|national_?insurance|address(_?line\d*)?|street|case_?(ref|reference|number|id)|"
    r"child_?id|person_?id|client_?id|email|phone|telephone|mobile|gender|ethnicity)($|_)",
    re.IGNORECASE,
)


class _Row(BaseModel):
    """Base for a CSV row: unknown keys forbidden, surrounding spaces stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
    id_column: ClassVar[str | None] = None
    required_columns: ClassVar[tuple[str, ...]] = ()


class _Located(_Row):
    """A row located by `postcode` or by British National Grid `easting`, `northing`."""

    postcode: str | None = None
    easting: float | None = Field(default=None, ge=0, le=700_000)
    northing: float | None = Field(default=None, ge=0, le=1_300_000)

    @model_validator(mode="after")
    def _one_location(self) -> "_Located":
        has_grid = self.easting is not None or self.northing is not None
        if self.postcode and has_grid:
            raise ValueError("give either postcode or easting and northing, not both")
        if not self.postcode:
            if self.easting is None or self.northing is None:
                raise ValueError(
                    "no location: give a postcode, or both easting and northing (British National Grid metres)"
                )
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

    @model_validator(mode="after")
    def _min_not_over_max(self) -> "HubRow":
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
    # Eligible populations a service model may estimate demand from (scoping/service_model.py):
    # young people aged 12-17, and those of them open to children's social care (aggregate counts).
    population_12_17: int | None = Field(default=None, ge=0, le=10_000_000)
    open_to_social_care_12_17: int | None = Field(default=None, ge=0, le=10_000_000)


class AuthorityRow(_Row):
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


class TravelTimeRow(_Row):
    """travel_times.csv: a measured travel time, used instead of the estimate for this pair."""

    required_columns: ClassVar[tuple[str, ...]] = ("from_id", "to_id", "minutes")

    from_id: Identifier
    to_id: Identifier
    minutes: int = Field(ge=0, le=1440)


class ExistingSpokeRow(_Row):
    """existing_spokes.csv: spokes already in post, which the plan keeps."""

    required_columns: ClassVar[tuple[str, ...]] = ("hub_id", "host_id", "count")

    hub_id: Identifier
    host_id: Identifier
    count: int = Field(ge=1, le=100)


class OutcomeRow(_Row):
    """An `outcomes` source of the refresh store: one aggregate figure of an outcome measure.

    The catalogue of measures per service model and the rules are in :mod:`scoping.outcomes`
    (seed 002 Key outcome measures; seed 004 How will we know if it has been successful?).
    Validators run in field order, so `measure_id` is checked against `service_model`'s catalogue
    and `value` against the measure's unit.
    """

    required_columns: ClassVar[tuple[str, ...]] = ("service_model", "measure_id", "period", "value")

    service_model: str
    measure_id: Identifier
    period: str
    authority_code: GssCode | None = None
    hub_id: Identifier | None = None
    value: str | None = None  # a whole number, or yes / partial / no for a status; empty: not recorded
    denominator: int | None = Field(default=None, ge=0, le=100_000_000, validate_default=True)

    @field_validator("service_model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        from scoping.outcomes import check_service_model

        return check_service_model(value)

    @field_validator("measure_id")
    @classmethod
    def _known_measure(cls, value: str, info: ValidationInfo) -> str:
        from scoping.outcomes import check_measure

        return check_measure(info.data.get("service_model"), value)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        from scoping.outcomes import check_period

        return check_period(value)

    @field_validator("hub_id")
    @classmethod
    def _one_area(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("authority_code"):
            raise ValueError("give authority_code or hub_id, not both")
        return value

    @field_validator("value")
    @classmethod
    def _value(cls, value: str | None, info: ValidationInfo) -> str | None:
        from scoping.outcomes import measure_unit, parse_value

        parse_value(measure_unit(info.data.get("service_model"), info.data.get("measure_id")), value)
        return value

    @field_validator("denominator")
    @classmethod
    def _denominator(cls, denominator: int | None, info: ValidationInfo) -> int | None:
        from scoping.outcomes import measure_unit, parse_value

        unit = measure_unit(info.data.get("service_model"), info.data.get("measure_id"))
        if "value" not in info.data:
            return denominator  # the value was wrong: reported there
        value = parse_value(unit, info.data["value"])
        if unit in ("share", "rate") and value is not None and denominator is None:
            raise ValueError(f"a {unit} needs its denominator (what the value is out of)")
        if unit in ("count", "status") and denominator is not None:
            raise ValueError(f"a {unit} measure has no denominator; leave it empty")
        if unit == "share" and value is not None and denominator is not None and value > denominator:
            raise ValueError(f"a share's value {value} is more than its denominator {denominator}")
        return denominator
class DemandScenarioRow(_Row):
    """demand_scenarios.csv: demand per area in a named demand scenario (robust plans, issue #8).

    Every scenario lists every area of areas.csv once. The areas.csv demand is the scenario
    ``central``; ``low`` and ``high`` are taken by ``demand_range`` when it is set.
    """

    required_columns: ClassVar[tuple[str, ...]] = ("area_id", "scenario", "demand")

    area_id: Identifier
    scenario: Identifier
    demand: int = Field(ge=0, le=100_000)


class PhaseSpec(BaseModel):
    """One entry of scenario.yaml `phases` (a phased roll-out; see optimisation.programme)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Identifier
    start_year: int = Field(ge=1900, le=2200)
    max_hubs: int | None = Field(default=None, ge=0, le=10_000)  # seed 000: 3, then 5, then 8 services
    max_spokes: int | None = Field(default=None, ge=0, le=100_000)
    budget_per_year: float | None = Field(default=None, ge=0, le=10_000_000_000)


class HostFitWeights(BaseModel):
    """scenario.yaml `host_fit`: the scores of objective priority 2 (see optimisation.instance)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    match: int = Field(default=2, ge=0, le=100)
    partial: int = Field(default=1, ge=0, le=100)
    outreach_penalty: int = Field(default=2, ge=0, le=100)
    drop_in_bonus: int = Field(default=1, ge=0, le=100)


class ScenarioRules(BaseModel):
    """scenario.yaml: the planning rules. Every key is optional; defaults are the README's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name | None = None
    description: str | None = Field(default=None, max_length=5000)
    # seed 001: "a caseload of between 10 and 12 children and young people at any one time"
    caseload_min: int = Field(default=10, ge=0, le=1000)
    caseload_max: int = Field(default=12, ge=1, le=1000)
    # seed 001: spokes "work with around 20 per year" (53 spokes -> ~1,060 a year)
    cases_per_spoke_per_year: int = Field(default=20, ge=0, le=10_000)
    casework_minutes: int = Field(default=45, ge=1, le=600)
    supervision_minutes: int = Field(default=90, ge=1, le=600)
    spoke_cost_per_year: float = Field(default=0.0, ge=0, le=10_000_000)
    budget_per_year: float | None = Field(default=None, ge=0, le=10_000_000_000)
    max_spokes: int | None = Field(default=None, ge=0, le=100_000)
    # Used only for areas without `demand`: cases at a time per 10,000 young people aged 10-17.
    demand_per_10000_aged_10_17: float | None = Field(default=None, ge=0, le=10_000)
    priorities: tuple[Literal[PRIORITIES], ...] = PRIORITIES  # type: ignore[valid-type]
    host_fit: HostFitWeights = HostFitWeights()
    disclosure_threshold: int = Field(default=5, ge=0, le=100)  # 1..threshold shown as "c"
    # A shipped service model's id (inputs/service_models/<id>.yaml) or a path to one, relative to
    # the scenario directory. Absent: cse-hub-and-spoke, whose values equal the defaults above.
    service_model: str | None = Field(default=None, min_length=1, max_length=300, pattern=r"^[^\x00-\x1f\x7f]*$")
    # A refresh store (spokeplan refresh ... --store DIR), relative to the scenario directory: the
    # report gains "Outcomes monitoring" for the service model's measures (scoping/outcomes.py).
    monitoring_store: str | None = Field(default=None, min_length=1, max_length=300, pattern=r"^[^\x00-\x1f\x7f]*$")
    # Phased roll-out and robust plans (issue #8; formulas in optimisation/programme.py).
    phases: tuple[PhaseSpec, ...] | None = None
    funded_years: int = Field(default=3, ge=1, le=50)  # seed 002: each service funded three years
    discount_rate: float = Field(default=0.035, ge=0, le=1)  # HM Treasury Green Book STPR
    demand_range: float | None = Field(default=None, gt=0, lt=1)  # low/high = demand x (1 -/+ r)
    robust: Literal["worst_case", "expected"] = "worst_case"
    demand_weights: dict[Identifier, float] | None = None  # scenario -> weight (> 0), normalised

    @field_validator("phases")
    @classmethod
    def _phases_in_order(cls, value):
        if value is None:
            return value
        if not 1 <= len(value) <= 50:
            raise ValueError(f"expected 1 to 50 phases, got {len(value)}")
        names = [p.name for p in value]
        if len(set(names)) != len(names):
            raise ValueError("phase names must be unique")
        years = [p.start_year for p in value]
        if any(b <= a for a, b in zip(years, years[1:])):
            raise ValueError(f"phase start years must increase from one phase to the next, got {years}")
        return value

    @field_validator("demand_weights")
    @classmethod
    def _positive_weights(cls, value):
        if value is not None and any(not 0 < w <= 1_000_000 or w != w for w in value.values()):
            raise ValueError("every demand weight must be a number above 0 (weights are normalised to sum to 1)")
        return value

    @field_validator("priorities")
    @classmethod
    def _coverage_first(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("priorities must not repeat an entry")
        if not value or value[0] != "coverage":
            raise ValueError("priorities must start with coverage: covered cases are never traded away")
        return value

    @model_validator(mode="after")
    def _caseload_order(self) -> "ScenarioRules":
        if self.caseload_min > self.caseload_max:
            raise ValueError(
                f"caseload_min {self.caseload_min} is more than caseload_max {self.caseload_max}"
            )
        return self


# The scenario directory: file name -> (row model, required file?)
TABLES: dict[str, tuple[type[_Row], bool]] = {
    "hubs.csv": (HubRow, True),
    "hosts.csv": (HostRow, True),
    "areas.csv": (AreaRow, True),
    "authorities.csv": (AuthorityRow, True),
    "services.csv": (ServiceRow, False),
    "travel_times.csv": (TravelTimeRow, False),
    "existing_spokes.csv": (ExistingSpokeRow, False),
    "demand_scenarios.csv": (DemandScenarioRow, False),
}
SCENARIO_FILE = "scenario.yaml"


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
