"""Service models: what a hub's workers do, who is eligible, how long the work lasts, who else is on the team.

The planner is not CSE-only. A **service model** file (YAML, ``inputs/service_models/<id>.yaml``)
states, for one way of delivering a service:

* ``workers``: what the planned workers are called (CSE: spokes; No Wrong Door: hub workers) and
  what one costs a year;
* ``caseload``: cases one worker holds at any one time (min-max);
* ``eligibility``: the age band and whether young people must be open to social care, and so
  which ``areas.csv`` population column drives the demand estimate;
* ``pathways``: the kinds of work, each with its duration in weeks (a stated range and the
  planning duration used), its demand rate (episodes a year per 10,000 of the eligible population)
  and the placement it may need;
* ``roles``: the support roles of each hub team, one per ``workers_per_role`` workers (rounded
  up) and at least ``per_team`` per team in use, each with a cost a year;
* ``placement_provision``: places the model declares (residential, foster), to compare with need;
* ``outcomes_catalogue``: the model's outcome-measure catalogue (a path relative to the model file,
  e.g. ``../outcomes/no-wrong-door.yaml``; read by :mod:`scoping.scenario.catalogue`), the one link from a
  model to what `spokeplan monitor` and the plan report's "Outcomes monitoring" section track.

This module is the ONE place for the concept: loading and validating files (errors as
``FILE:LINE: KEY: ...``, exit 2), and deriving capacity:

    episodes a year per worker (one pathway) = k x 52 / weeks        (k cases held at a time)
    episodes a year per worker (mix)         = k x 52 / W,  W = Σ_p rate_p x weeks_p / Σ_p rate_p
    cases at a time in an area               = Σ_p episodes_p a year x weeks_p / 52
    episodes_p a year in an area             = population x rate_p / 10,000

Two models ship: ``cse-hub-and-spoke`` (the planner's original model made explicit: seeds 000/001)
and ``no-wrong-door`` (seed 004_f40eeb87fbc65795.txt). ``load_service_model(name_or_path)`` returns a
:class:`ServiceModel` whose ``.id`` is the file's stem.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from common.errors import InputError, Problem, shown, yaml_line
from common.files import read_yaml
from optimisation.instance import TeamRole
from scoping.scenario.catalogue import Catalogue, read_catalogue
from scoping.scenario.schemas import describe_expectation

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "inputs" / "service_models"
DEFAULT_MODEL = "cse-hub-and-spoke"
WEEKS_A_YEAR = 52
DAYS_A_YEAR = 365
# areas.csv columns a model may name as its eligible population (each an aggregate count per area).
POPULATION_COLUMNS = ("population_10_17", "population_12_17", "open_to_social_care_12_17")

ModelId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-]{0,63}$")]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=r"^[^\x00-\x1f\x7f]*$")]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Workers(_Part):
    """What one planned worker is called and costs."""

    singular: Text = "spoke"
    plural: Text = "spokes"
    cost_per_year: float | None = Field(default=None, ge=0, le=10_000_000)  # None: scenario's spoke_cost_per_year


class Caseload(_Part):
    """Cases one worker holds at any one time."""

    min: int = Field(ge=0, le=1000)
    max: int = Field(ge=1, le=1000)

    @model_validator(mode="after")
    def _ordered(self) -> Caseload:
        if self.min > self.max:
            raise ValueError(f"caseload min {self.min} is more than max {self.max}")
        return self


class Eligibility(_Part):
    """Who the service is for; `population_column` is the areas.csv count the estimate uses."""

    age_min: int = Field(ge=0, le=25)
    age_max: int = Field(ge=0, le=25)
    open_to_social_care: bool = False
    population_column: Literal[POPULATION_COLUMNS]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _ordered(self) -> Eligibility:
        if self.age_min > self.age_max:
            raise ValueError(f"age_min {self.age_min} is more than age_max {self.age_max}")
        return self


class Placement(_Part):
    """A pathway's use of placement provision: `share` of episodes use `nights` nights of `type`."""

    type: Key
    share: float = Field(ge=0, le=1)
    nights: float = Field(ge=0, le=366)


class Pathway(_Part):
    """One kind of work: duration (stated range and the planning value) and demand rate."""

    id: Key
    name: Text
    weeks_min: float = Field(gt=0, le=260)
    weeks_max: float = Field(gt=0, le=260)
    planning_weeks: float = Field(gt=0, le=260)
    duration_note: str | None = Field(default=None, max_length=1000)
    episodes_per_10000: float = Field(ge=0, le=10_000)  # a year, per 10,000 of the eligible population
    age_min: int | None = Field(default=None, ge=0, le=25)
    age_max: int | None = Field(default=None, ge=0, le=25)
    placement: Placement | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Pathway:
        if self.weeks_min > self.weeks_max:
            raise ValueError(f"weeks_min {self.weeks_min:g} is more than weeks_max {self.weeks_max:g}")
        if not self.weeks_min <= self.planning_weeks <= self.weeks_max:
            raise ValueError(
                f"planning_weeks {self.planning_weeks:g} is outside weeks_min..weeks_max "
                f"({self.weeks_min:g}-{self.weeks_max:g})"
            )
        return self


class Role(_Part):
    """A support role of each hub team: n_r,h >= per_team and n_r,h x workers_per_role >= workers_h."""

    id: Key
    name: Text
    per_team: int = Field(default=0, ge=0, le=100)
    workers_per_role: int | None = Field(default=None, ge=1, le=1000)
    cost_per_year: float = Field(default=0.0, ge=0, le=10_000_000)
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _needed(self) -> Role:
        if self.per_team == 0 and self.workers_per_role is None:
            raise ValueError("a role needs per_team (at least 1) or workers_per_role, else it is never staffed")
        return self


class Provision(_Part):
    """Places declared for a placement type, and the occupancy they are planned at."""

    type: Key
    name: Text
    places: int = Field(ge=0, le=10_000)
    occupancy: float = Field(default=0.85, gt=0, le=1)
    note: str | None = Field(default=None, max_length=1000)


class ServiceModelFile(_Part):
    """The schema of a service-model YAML file."""

    id: ModelId
    name: Text
    description: str | None = Field(default=None, max_length=5000)
    sources: tuple[Text, ...] = ()
    workers: Workers = Workers()
    caseload: Caseload
    # Given directly (CSE: seed 001's ~20 a year) or derived from the pathways when absent.
    episodes_per_worker_per_year: int | None = Field(default=None, ge=0, le=10_000)
    eligibility: Eligibility
    pathways: tuple[Pathway, ...] = ()
    roles: tuple[Role, ...] = ()
    placement_provision: tuple[Provision, ...] = ()
    # Title of the scoping reports' fourth dimension (seed 001 message 7 names it "CSE profile" for
    # Hub and Spoke services; another service model profiles its own cohort's needs).
    profile_title: Text = "CSE profile"
    # The outcome catalogue (scoping/scenario/catalogue.py), relative to this file; None: no outcomes tracked.
    outcomes_catalogue: (
        Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=r"^[^\x00-\x1f\x7f]*\.ya?ml$")] | None
    ) = None

    @model_validator(mode="after")
    def _consistent(self) -> ServiceModelFile:
        for kind, keys in (
            ("pathway", [p.id for p in self.pathways]),
            ("role", [r.id for r in self.roles]),
            ("placement_provision type", [p.type for p in self.placement_provision]),
        ):
            repeated = sorted({key for key in keys if keys.count(key) > 1})
            if repeated:
                raise ValueError(f"{kind} {', '.join(repeated)} is listed twice; ids must be unique")
        if self.episodes_per_worker_per_year is None and not self.pathways:
            raise ValueError("give episodes_per_worker_per_year, or pathways to derive it from")
        return self


class ServiceModel:
    """A validated service model and what follows from it (capacity, demand per population)."""

    def __init__(self, spec: ServiceModelFile, file: str, path: Path | None = None, sha256: str = ""):
        self.spec = spec
        self.file = file  # as named in messages
        self.path = path  # the file itself (None for models built by hand)
        self.sha256 = sha256  # of the file as read (plan.json's provenance); "" for models built by hand

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def name(self) -> str:
        return self.spec.name

    def __repr__(self) -> str:
        return f"ServiceModel({self.id!r}, file={self.file!r})"

    @property
    def outcomes_catalogue(self) -> Path | None:
        """The outcome catalogue file the model names (resolved against the model file's folder), or None."""
        if self.spec.outcomes_catalogue is None:
            return None
        path = Path(self.spec.outcomes_catalogue)
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        return path

    def catalogue(self) -> Catalogue:
        """The model's outcome catalogue (scoping/scenario/catalogue.py). Raises InputError, located."""
        if self.outcomes_catalogue is None:
            raise InputError(
                [
                    Problem(
                        self.file,
                        0,
                        "outcomes_catalogue",
                        f"service model {self.id!r} names no "
                        "outcome catalogue; expected `outcomes_catalogue: PATH` (inputs/outcomes/*.yaml)",
                    )
                ]
            )
        return read_catalogue(self.outcomes_catalogue, self.id)

    @cached_property
    def planning_weeks(self) -> float:
        """W: the demand-weighted mean planning duration, Σ rate_p x weeks_p / Σ rate_p (weeks)."""
        total = sum(p.episodes_per_10000 for p in self.spec.pathways)
        if not self.spec.pathways:
            return 0.0
        if total == 0:
            return sum(p.planning_weeks for p in self.spec.pathways) / len(self.spec.pathways)
        return sum(p.episodes_per_10000 * p.planning_weeks for p in self.spec.pathways) / total

    @cached_property
    def episodes_per_worker_per_year(self) -> int:
        """Episodes one worker completes a year: given, else floor(caseload max x 52 / W).

        Rounded down so the plan never promises more reach than the durations allow."""
        if self.spec.episodes_per_worker_per_year is not None:
            return self.spec.episodes_per_worker_per_year
        return episodes_a_year(self.spec.caseload.max, self.planning_weeks)

    def team_roles(self) -> tuple[TeamRole, ...]:
        """The support roles as the optimiser reads them (optimisation.instance.TeamRole)."""
        return tuple(
            TeamRole(
                role_id=r.id,
                name=r.name,
                per_team=r.per_team,
                workers_per_role=r.workers_per_role,
                cost_per_year=r.cost_per_year,
            )
            for r in self.spec.roles
        )

    @property
    def estimates_by_pathway(self) -> bool:
        return bool(self.spec.pathways)

    @property
    def population_column(self) -> str:
        return self.spec.eligibility.population_column

    def pathway_episodes(self, population: int) -> dict[str, float]:
        """Episodes a year per pathway for an eligible population: population x rate_p / 10,000."""
        return {p.id: population * p.episodes_per_10000 / 10_000 for p in self.spec.pathways}

    def cases_at_a_time(self, episodes: dict[str, float], weeks: str = "planning_weeks") -> float:
        """Cases open at any one time: Σ_p episodes_p x weeks_p / 52 (Little's law, steady state)."""
        durations = {p.id: getattr(p, weeks) for p in self.spec.pathways}
        return sum(count * durations[pathway] / WEEKS_A_YEAR for pathway, count in episodes.items())

    def placement_need(self, episodes: dict[str, float]) -> dict[str, dict[str, float]]:
        """Per placement type: nights a year needed, Σ_p episodes_p x share_p x nights_p; places needed
        at the declared occupancy, ceil(nights / (365 x occupancy)); places declared."""
        nights: dict[str, float] = {}
        for p in self.spec.pathways:
            if p.placement is not None:
                nights[p.placement.type] = (
                    nights.get(p.placement.type, 0.0) + episodes.get(p.id, 0.0) * p.placement.share * p.placement.nights
                )
        provision = {p.type: p for p in self.spec.placement_provision}
        result = {}
        for kind in sorted(set(nights) | set(provision)):
            declared = provision.get(kind)
            occupancy = declared.occupancy if declared else 1.0
            need = nights.get(kind, 0.0)
            result[kind] = {
                "nights_per_year": need,
                "places_needed": math.ceil(need / (DAYS_A_YEAR * occupancy) - 1e-9) if need else 0,
                "places_declared": declared.places if declared else 0,
                "occupancy": occupancy,
            }
        return result


def episodes_a_year(cases_at_a_time: int, weeks: float) -> int:
    """A worker holding k cases at a time, each lasting `weeks`, completes floor(k x 52 / weeks) a year."""
    if weeks <= 0:
        return 0
    return int(math.floor(cases_at_a_time * WEEKS_A_YEAR / weeks + 1e-9))


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def shipped_models() -> list[str]:
    """Ids of the service models shipped in inputs/service_models (file stems)."""
    return sorted(path.stem for path in SHIPPED_DIR.glob("*.yaml"))


def read_service_model(path: Path, file: str | None = None) -> ServiceModel:
    """Validate one service-model file. Raises InputError with every problem located."""
    file = file or str(path)
    root, data, raw = read_yaml(path, file, what="service-model file")  # InputError: located
    if not isinstance(data, dict):
        raise InputError([Problem(file, 1, "-", "expected a mapping with id, name, caseload, eligibility, ...")])
    try:
        spec = ServiceModelFile.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = tuple(part for part in item["loc"] if not (isinstance(part, str) and part.startswith("function-")))
            key = ".".join(str(part) for part in loc) or "-"
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown key; see inputs/service_models/README.md for the keys of a service model"
            elif item["type"] == "missing":
                message = "is required"
            elif expectation := describe_expectation(item["type"], item.get("ctx")):
                message = f"{expectation}, got {shown(item.get('input'))}"
            problems.append(Problem(file, yaml_line(root, loc), key, message))
        raise InputError(sorted(set(problems))) from None
    if path.parent.resolve() == SHIPPED_DIR and spec.id != path.stem:
        raise InputError(
            [
                Problem(
                    file, yaml_line(root, ("id",)), "id", f"a shipped model's id must be its file name, {path.stem!r}"
                )
            ]
        )
    model = ServiceModel(spec, file, path, hashlib.sha256(raw).hexdigest())
    catalogue = model.outcomes_catalogue
    if catalogue is not None and not catalogue.is_file():
        raise InputError(
            [
                Problem(
                    file,
                    yaml_line(root, ("outcomes_catalogue",)),
                    "outcomes_catalogue",
                    f"outcome catalogue {spec.outcomes_catalogue!r} not found (looked for "
                    f"{os.path.normpath(catalogue)}); expected the path of a catalogue YAML file "
                    "relative to this model file, e.g. ../outcomes/cse-hub-and-spoke.yaml",
                )
            ]
        )
    return model


def resolve_service_model_path(name_or_path: str, base_dir: Path | None = None) -> Path | None:
    """A shipped model's file by id, or a path (relative to `base_dir`); None if neither exists."""
    if re.fullmatch(r"[a-z0-9][a-z0-9\-]*", name_or_path) and (SHIPPED_DIR / f"{name_or_path}.yaml").is_file():
        return SHIPPED_DIR / f"{name_or_path}.yaml"
    path = Path(name_or_path)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path if path.suffix in (".yaml", ".yml") and path.is_file() else None


def load_service_model(
    name_or_path: str | Path = DEFAULT_MODEL,
    base_dir: Path | None = None,
    *,
    file: str = "service_model",
    line: int = 0,
) -> ServiceModel:
    """The service model named by a shipped id (``cse-hub-and-spoke``, ``no-wrong-door``) or a path.

    Raises InputError: an unknown name is reported at `file`:`line` (where the name was given);
    problems inside the model file at that file's own lines.
    """
    path = resolve_service_model_path(str(name_or_path), base_dir)
    if path is None:
        raise InputError(
            [
                Problem(
                    file,
                    line,
                    "service_model",
                    f"unknown service model {shown(str(name_or_path), 80)}; expected one of "
                    f"{', '.join(shipped_models())} or the path of a service-model .yaml file",
                )
            ]
        )
    return read_service_model(
        path, str(path) if path.parent.resolve() != SHIPPED_DIR else f"inputs/service_models/{path.name}"
    )
