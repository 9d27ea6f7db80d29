"""scenario.yaml: a scenario's planning settings, read once, every key located for messages.

:class:`ScenarioRules` is the schema of the file and the one source of each setting's default
(README "scenario.yaml"). :func:`read_settings` reads the file once (bytes, hash and YAML tree
together) and loads the service model it names once; the model's rules (caseload, episodes a year
per worker, worker cost) apply where scenario.yaml is silent, and a scenario.yaml key always wins.
The :class:`SettingsFile` it returns locates later messages about a key (the loader's checks of
``monitoring_store`` and ``demand_weights``) without reading the file again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, overload

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from common.errors import InputError, Problem, shown, yaml_line
from common.files import read_yaml
from optimisation.instance import CROSS_BORDER, PRIORITIES
from optimisation.programme import AFTER_FUNDING, DEFAULT_AFTER_FUNDING, DEFAULT_DISCOUNT_RATE, DEFAULT_FUNDED_YEARS
from scoping.scenario.schemas import TRAVEL_MODES, Identifier, Name, describe_expectation
from scoping.scenario.service_model import DEFAULT_MODEL, ServiceModel, load_service_model

SCENARIO_FILE = "scenario.yaml"
NESTED_KEYS = ("phases", "demand_weights")  # keys whose errors are located at the nested entry
RULE_CONFLICT = "rule_conflict"
# ASSUMPTIONS of the derived staff cost per minute (issue #14 item 5): a working year of 220 days
# of 7.5 hours (a full-time post after leave and bank holidays).
WORKING_DAYS = 220
WORKING_HOURS = 7.5


def rule_conflict(message: str, *locations: tuple) -> PydanticCustomError:
    """A conflict between rules (e.g. caseload_min above caseload_max), carrying where each rule is
    (pydantic locations such as ("caseload_min",) or ("phases", 1, "start_year")), so the message
    names the line of every key in the conflict, not the top of the file."""
    return PydanticCustomError(
        RULE_CONFLICT, message.replace("{", "{{").replace("}", "}}"), {"locations": tuple(locations)}
    )


class PhaseSpec(BaseModel):
    """One entry of scenario.yaml `phases`: a phase of a programme of services (issue #17; see
    optimisation.programme). It opens `new_services` new services (a hub with its spokes) in
    `start_year` (seed 000: three services from January 2014, five from January 2015, eight from
    January 2016); `budget_per_year` is the most they may cost a year together."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Identifier
    start_year: int = Field(ge=1900, le=2200)
    new_services: int = Field(ge=1, le=10_000)
    budget_per_year: float | None = Field(default=None, ge=0, le=10_000_000_000)


# Keys of the phases before issue #17 (a cap on hubs running per phase), answered with how to write
# the phase now (read_settings).
OLD_PHASE_KEYS = ("max_hubs", "max_spokes")


class HostFitWeights(BaseModel):
    """scenario.yaml `host_fit`: the scores of objective priority 2 (see optimisation.instance)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    match: int = Field(default=2, ge=0, le=100)
    partial: int = Field(default=1, ge=0, le=100)
    outreach_penalty: int = Field(default=2, ge=0, le=100)
    drop_in_bonus: int = Field(default=1, ge=0, le=100)


class ScenarioRules(BaseModel):
    """scenario.yaml: the planning rules, the one source of each rule's default (README "scenario.yaml").

    Every key of the file is optional. caseload_min, caseload_max and cases_per_spoke_per_year have
    no default here: they are the service model's (:func:`read_settings` fills them before
    validation), and without a `service_model` key that is inputs/service_models/cse-hub-and-spoke.yaml
    (seed 001). :func:`default_settings` gives the settings of a scenario.yaml that sets nothing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name | None = None
    description: str | None = Field(default=None, max_length=5000)
    # The service model's where scenario.yaml is silent (cse-hub-and-spoke: seed 001's caseload of
    # 10 to 12 at any one time and around 20 young people a year per spoke).
    caseload_min: int = Field(ge=0, le=1000)
    caseload_max: int = Field(ge=1, le=1000)
    cases_per_spoke_per_year: int = Field(ge=0, le=10_000)
    casework_minutes: int = Field(default=45, ge=1, le=600)
    # How casework journeys are made (issue #16): `car` (the spoke drives from the host to the area)
    # or `public_transport` (young people travel from their area to the spoke's host by bus). The
    # limit with public transport is casework_minutes_public_transport, or casework_minutes when that
    # is not given (see casework_limit). Supervision is always by car.
    casework_mode: Literal[TRAVEL_MODES] = "car"  # type: ignore[valid-type]
    casework_minutes_public_transport: int | None = Field(default=None, ge=1, le=600)
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
    # the scenario directory. Absent: cse-hub-and-spoke.
    service_model: str | None = Field(default=None, min_length=1, max_length=300, pattern=r"^[^\x00-\x1f\x7f]*$")
    # A refresh store (spokeplan refresh ... --store DIR), relative to the scenario directory: the
    # report gains "Outcomes monitoring" for the service model's measures (scoping/store/outcomes.py).
    monitoring_store: str | None = Field(default=None, min_length=1, max_length=300, pattern=r"^[^\x00-\x1f\x7f]*$")
    # Phased roll-out and robust plans (issue #8; formulas in optimisation/programme.py).
    phases: tuple[PhaseSpec, ...] | None = None
    funded_years: int = Field(default=DEFAULT_FUNDED_YEARS, ge=1, le=50)  # seed 002: each service funded three years
    # What a service does when its funded years end: continue, close, or compare (plan both).
    after_funding: Literal[AFTER_FUNDING] = DEFAULT_AFTER_FUNDING  # type: ignore[valid-type]
    discount_rate: float = Field(default=DEFAULT_DISCOUNT_RATE, ge=0, le=1)  # HM Treasury Green Book STPR
    demand_range: float | None = Field(default=None, gt=0, lt=1)  # low/high = demand x (1 -/+ r)
    robust: Literal["worst_case", "expected"] = "worst_case"
    demand_weights: dict[Identifier, float] | None = None  # scenario -> weight (> 0), normalised
    # The home-authority rule (issue #14; optimisation.rules.CrossBorder): statutory_home (police,
    # social care and multi-agency hosts take cases only from their own authority's areas), any
    # (every host may serve across borders), none (no host serves another authority's areas).
    cross_border: Literal[CROSS_BORDER] = "statutory_home"  # type: ignore[valid-type]
    # Issue #14 (hub side). One hub per host: false (the default) lets one hub only place spokes at a
    # host; true allows spokes of two hubs at one host (the behaviour before #14). Seed 002: "Formal
    # agreements between the Hub and the host organisation need to be negotiated and agreed".
    shared_hosts: bool = False
    # Management and supervision costs (issue #14 item 5; seed 001 message 8 and seed 002: "Funding
    # needs to be provided for a Spoke manager or manager at the Hub", "regular visits and contact
    # from Hub managers"). ASSUMPTIONS where not given:
    # * manager_cost_per_year (each hub manager a year, £; hubs.csv may give a hub's own): None means
    #   the cost of a spoke (spoke_cost_per_year), assuming a hub manager costs what a spoke worker
    #   costs (demo: £50,000, seed 001's £8m / (53 spokes x 3 years)). A used hub needs
    #   ceil(spokes / manager_span) managers (manager_span: hubs.csv, default 5).
    # * supervision_visits_per_year: 12 (ASSUMPTION: one visit a month per spoke).
    # * staff_cost_per_minute (£ per minute of a manager's travel): None means spoke_cost_per_year /
    #   (220 working days x 7.5 hours x 60 minutes) (ASSUMPTION: 220 working days a year of 7.5 hours;
    #   demo: 50,000 / 99,000 = £0.505 a minute).
    # * mileage_cost_per_km: None means no mileage costed (HMRC's approved rate of 45p a mile is
    #   £0.28 a km, a suggested value); km = straight-line hub -> host distance x the travel
    #   estimate's DETOUR (the travel data holds minutes, not distances).
    manager_cost_per_year: float | None = Field(default=None, ge=0, le=10_000_000)
    supervision_visits_per_year: int = Field(default=12, ge=0, le=365)
    staff_cost_per_minute: float | None = Field(default=None, ge=0, le=10_000)
    mileage_cost_per_km: float | None = Field(default=None, ge=0, le=100)

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
        for index, (a, b) in enumerate(zip(years, years[1:])):
            if b <= a:
                raise rule_conflict(
                    f"phase start years must increase from one phase to the next: phase "
                    f"{value[index + 1].name} starts in {b}, phase {value[index].name} in {a}",
                    ("phases", index, "start_year"),
                    ("phases", index + 1, "start_year"),
                )
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

    @property
    def manager_cost(self) -> float:
        """£ a year of one hub manager: manager_cost_per_year, else spoke_cost_per_year (ASSUMPTION above)."""
        return self.spoke_cost_per_year if self.manager_cost_per_year is None else self.manager_cost_per_year

    @property
    def staff_minute_cost(self) -> float:
        """£ per minute of a manager's supervision travel: staff_cost_per_minute, else
        spoke_cost_per_year / (WORKING_DAYS x WORKING_HOURS x 60) (ASSUMPTION above)."""
        if self.staff_cost_per_minute is not None:
            return self.staff_cost_per_minute
        return self.spoke_cost_per_year / (WORKING_DAYS * WORKING_HOURS * 60)

    @property
    def casework_limit(self) -> int:
        """Minutes a casework journey may take in the scenario's casework_mode: casework_minutes by
        car; by public transport casework_minutes_public_transport, else casework_minutes."""
        if self.casework_mode == "public_transport" and self.casework_minutes_public_transport is not None:
            return self.casework_minutes_public_transport
        return self.casework_minutes

    def with_casework_limit(self, minutes: int) -> ScenarioRules:
        """These rules with the casework limit of their mode set to `minutes` (sweeps widen it)."""
        key = (
            "casework_minutes_public_transport"
            if (self.casework_mode == "public_transport" and self.casework_minutes_public_transport is not None)
            else "casework_minutes"
        )
        return self.model_copy(update={key: minutes})

    @model_validator(mode="after")
    def _caseload_order(self) -> ScenarioRules:
        if self.caseload_min > self.caseload_max:
            raise rule_conflict(
                f"caseload_min {self.caseload_min} is more than caseload_max {self.caseload_max}",
                ("caseload_min",),
                ("caseload_max",),
            )
        return self


@dataclass(frozen=True)
class SettingsFile:
    """scenario.yaml as read: its name in messages, its hash, and the YAML tree that locates its keys."""

    file: str
    sha256: str | None = None  # None: the scenario has no scenario.yaml (every default applies)
    root: yaml.Node | None = None

    @overload
    def key_line(self, key: str, default: int = 1) -> int: ...
    @overload
    def key_line(self, key: str, default: None) -> int | None: ...

    def key_line(self, key: str, default: int | None = 1) -> int | None:
        """Line of a top-level key (keys are unique: common.files.parse_yaml refuses repeats), else `default`."""
        if not isinstance(self.root, yaml.MappingNode):
            return default
        lines = {k.value: k.start_mark.line + 1 for k, _ in self.root.value if isinstance(k, yaml.ScalarNode)}
        return lines.get(key, default)

    def nested_line(self, loc: tuple) -> int:
        """Line of the YAML node at `loc` (e.g. ("phases", 1, "start_year")), or of its nearest parent."""
        return yaml_line(self.root, loc)


def read_settings(directory: Path) -> tuple[ScenarioRules | None, ServiceModel | None, SettingsFile, list[Problem]]:
    """Read and validate `directory`/scenario.yaml (a missing file means every default applies) and
    load its service model (default cse-hub-and-spoke), each file once.

    Returns (rules, service model, the file as read, problems); rules and model are None when there
    are problems.
    """
    path = directory / SCENARIO_FILE
    file = str(path)
    if not os.path.lexists(path):
        data: object = {}
        source = SettingsFile(file)
    else:  # read safely (a regular file in the scenario, size-capped; no YAML aliases, no repeated keys)
        try:
            root, data, raw = read_yaml(path, file, within=directory, what="scenario.yaml file")
        except InputError as error:
            return None, None, SettingsFile(file), list(error.problems)
        source = SettingsFile(file, hashlib.sha256(raw).hexdigest(), root)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, None, source, [Problem(file, 1, "-", "expected a mapping of rule names to values")]
    model: ServiceModel | None = None
    problems: list[Problem] = []
    if isinstance(data.get("service_model"), str):
        try:
            model = load_service_model(
                data["service_model"], directory, file=file, line=source.key_line("service_model")
            )
        except InputError as error:
            problems = list(error.problems)
    try:  # without a usable named model, the default one (so its rules are not reported missing)
        rules_model = model or load_service_model(DEFAULT_MODEL, directory, file=file, line=0)
    except InputError as error:
        return None, None, source, problems + list(error.problems)
    implied = service_model_rules(rules_model)  # the model's rules, where scenario.yaml is silent
    rules, rule_problems = _validate({**implied, **data}, implied if model is not None else {}, source)
    problems = rule_problems + problems
    if rules is None or problems:
        return None, None, source, problems
    return rules, rules_model, source, []


@lru_cache(maxsize=1)
def default_settings() -> ScenarioRules:
    """The settings of a scenario whose scenario.yaml sets nothing (or is absent): every default of
    ScenarioRules and the default service model's caseload and episodes a year per worker."""
    return ScenarioRules.model_validate(service_model_rules(load_service_model(DEFAULT_MODEL)))


def _validate(data: dict, implied: dict, source: SettingsFile) -> tuple[ScenarioRules | None, list[Problem]]:
    """ScenarioRules of scenario.yaml's values with the service model's rules merged in, or located problems.

    `implied`: the rules of a model scenario.yaml names (a problem of the model and the file together
    is reported at `service_model`); empty for the default model, whose values stand for defaults."""
    file = source.file
    try:
        return ScenarioRules.model_validate(data), []
    except ValidationError as error:
        problems = []
        for item in error.errors():
            key = ".".join(str(part) for part in item["loc"]) or "-"
            top = str(item["loc"][0]) if item["loc"] else ""
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == RULE_CONFLICT:
                problems.append(_conflict_problem(item, data, implied, source))
                continue
            if implied and not item["loc"]:
                top, key = "service_model", "service_model"
                message = (
                    f"with the rules of service model {data['service_model']!r} ("
                    + ", ".join(f"{name} {value:g}" for name, value in implied.items())
                    + f"): {message}"
                )
            if item["type"] == "extra_forbidden" and top == "phases" and item["loc"][-1] in OLD_PHASE_KEYS:
                message = old_phase_message(data.get("phases"), item["loc"])
            elif (
                item["type"] == "missing"
                and top == "phases"
                and item["loc"][-1] == "new_services"
                and _old_phase_entry(data.get("phases"), item["loc"][1])
            ):
                continue  # the old-format message at the same entry says it
            elif item["type"] == "missing" and top == "phases":
                message = (
                    "missing: each phase gives name, start_year and new_services (how many new services "
                    "it opens; budget_per_year is optional)"
                )
            elif item["type"] == "extra_forbidden" and top == "phases":
                message = f"unknown phase key; expected one of {', '.join(PhaseSpec.model_fields)}"
            elif item["type"] == "extra_forbidden":
                message = f"unknown rule; expected one of {', '.join(ScenarioRules.model_fields)}"
            elif expectation := describe_expectation(item["type"], item.get("ctx")):
                message = f"{expectation}, got {shown(item['input'])}"
            line = source.key_line(top)
            if top in NESTED_KEYS:
                line = source.nested_line(tuple(item["loc"])) or line
            problems.append(Problem(file, line, key, message))
        return None, problems


def _old_phase_entry(phases: Any, index: Any) -> bool:
    """Whether phases[index] is written in the format before issue #17 (max_hubs / max_spokes)."""
    return (
        isinstance(phases, list)
        and isinstance(index, int)
        and index < len(phases)
        and isinstance(phases[index], dict)
        and any(key in phases[index] for key in OLD_PHASE_KEYS)
    )


def old_phase_message(phases: Any, loc: tuple) -> str:
    """How to write a phase of the format before issue #17 now. `max_hubs` capped the hubs running in
    a phase; a phase now opens `new_services` new services, so the cap becomes the hubs added since
    the phase before (max_hubs_t - max_hubs_{t-1}); `max_spokes` per phase has no replacement (the
    scenario's max_spokes holds every year)."""
    index, key = loc[1], loc[-1]
    if key == "max_spokes":
        return (
            "max_spokes per phase is no longer a phase key (phases open new services since issue #17); "
            "remove it and set max_spokes for the whole scenario, which holds in every year"
        )
    caps = [p.get("max_hubs") if isinstance(p, dict) else None for p in phases]
    now, before = caps[index], caps[index - 1] if index > 0 else 0
    advice = ""
    if isinstance(now, int) and isinstance(before, int) and now > before:
        advice = f" here new_services: {now - before} ({now} hubs running" + (
            f" minus the {before} of the phase before)" if index > 0 else ")"
        )
    return (
        "max_hubs capped the hubs running in a phase; phases now say how many new services each opens "
        "(a service is a hub with its spokes, funded for funded_years from its start, then per "
        f"after_funding: continue, close or compare): replace max_hubs with new_services{advice}"
    )


def _conflict_problem(item: ErrorDetails, data: dict, implied: dict, source: SettingsFile) -> Problem:
    """A rule conflict located at the first of its keys in scenario.yaml, naming every key's line
    (or, for a rule scenario.yaml leaves to the service model, the model it comes from)."""
    places, first = [], None
    for location in item["ctx"]["locations"]:
        key = ".".join(str(part) for part in location)
        line = source.key_line(location[0], None)
        if line is not None and len(location) > 1:
            line = source.nested_line(location)
        if line is None:
            origin = f"service model {data.get('service_model')!r}" if implied else "the default service model"
            places.append(f"{key} from {origin}")
        else:
            places.append(f"{key} on line {line}")
            first = first or (line, key)
    line, key = first or (source.key_line("service_model", 1), "service_model")
    return Problem(source.file, line, key, f"{item['msg']} ({', '.join(places)})")


def service_model_rules(model: ServiceModel) -> dict:
    """The scenario.yaml rules a service model sets: caseload, episodes a year per worker, worker cost."""
    spec = model.spec
    implied: dict[str, float] = {
        "caseload_min": spec.caseload.min,
        "caseload_max": spec.caseload.max,
        "cases_per_spoke_per_year": model.episodes_per_worker_per_year,
    }
    if spec.workers.cost_per_year is not None:
        implied["spoke_cost_per_year"] = spec.workers.cost_per_year
    if spec.roles:
        # Issue #14: a service model with support roles (No Wrong Door, seed 004) costs its hub team
        # through them; the hub manager and supervision visits of seed 002 (Hub and Spoke) are not
        # added unless scenario.yaml sets manager_cost_per_year / staff_cost_per_minute.
        implied["manager_cost_per_year"] = 0.0
        implied["staff_cost_per_minute"] = 0.0
    return implied


# The disclosure threshold of commands that read no scenario.yaml (spokeplan monitor's --threshold).
DISCLOSURE_THRESHOLD: int = ScenarioRules.model_fields["disclosure_threshold"].default
