"""Outcome catalogues: the outcome measures of a service model (``inputs/outcomes/<model>.yaml``).

A service model names its catalogue with ``outcomes_catalogue`` (scoping/scenario/service_model.py,
the one link from a model to its measures). The CSE Hub and Spoke evaluation's six key outcome
measures (seed 002_5180588a07e426b8.txt, "Key outcome measures", Outcome 1 to Outcome 6) and the No
Wrong Door hub's short and medium-to-long-term outcomes (seed 004_f40eeb87fbc65795.txt, "How will we
know if it has been successful?") ship. Each outcome lists the measures that evidence it: ``id``,
``title``, ``unit`` (``count``, ``share`` of a denominator, ``rate`` per ``per`` of a denominator, or
``status`` yes / partial / no), ``direction`` (``higher`` or ``lower`` is better) and
``case_derived`` (a count of young people or their cases: disclosure control applies to it when
published). The figures recorded against these measures are the store's (scoping/store/outcomes.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from common.errors import InputError, Problem, yaml_line
from common.files import read_yaml


class Measure(BaseModel):
    """One indicator that evidences an outcome."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    title: str = Field(min_length=1, max_length=300)
    unit: Literal["count", "share", "rate", "status"]
    direction: Literal["higher", "lower"]
    case_derived: bool
    denominator: str | None = Field(None, max_length=300)  # words: what the denominator counts
    per: int = Field(1, ge=1, le=1_000_000)  # rates: value per `per` of the denominator
    # The denominator is the same figure as another measure's value (e.g. young people supported):
    # disclosure control then ties the two, so one cannot be read off the other.
    denominator_measure: str | None = None
    notes: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _consistent(self) -> Measure:
        if self.unit in ("share", "rate") and not self.denominator:
            raise ValueError(f"measure {self.id}: a {self.unit} needs `denominator` (what it is out of)")
        if self.unit == "status" and self.case_derived:
            raise ValueError(f"measure {self.id}: a status (yes/partial/no) is a service-level fact, not case-derived")
        return self


class Outcome(BaseModel):
    """One outcome of the seed, with its measures."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    title: str = Field(min_length=1, max_length=300)
    seed: str = Field(min_length=1, max_length=300)
    term: Literal["short", "medium"] | None = None
    measures: tuple[Measure, ...] = Field(min_length=1)


class Catalogue(BaseModel):
    """The monitoring catalogue of one service model."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    service_model: str
    title: str = Field(min_length=1, max_length=300)
    seed: str
    outcomes: tuple[Outcome, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Catalogue:
        ids = [m.id for o in self.outcomes for m in o.measures]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"measure ids repeat: {', '.join(repeated)}")
        for m in self.measures.values():
            if m.denominator_measure is not None and m.denominator_measure not in self.measures:
                raise ValueError(f"measure {m.id}: denominator_measure {m.denominator_measure!r} is not a measure here")
        return self

    @property
    def measures(self) -> dict[str, Measure]:
        return {m.id: m for o in self.outcomes for m in o.measures}

    def outcome_of(self, measure_id: str) -> Outcome:
        return next(o for o in self.outcomes if any(m.id == measure_id for m in o.measures))


def read_catalogue(path: str | Path, service_model: str) -> Catalogue:
    """Validate the catalogue file `path` of the service model `service_model`. Raises InputError (located)."""
    path = Path(path)
    file = os.path.normpath(path)
    root, data, _ = read_yaml(path, file, what="catalogue file")  # InputError: located
    try:
        catalogue = Catalogue.model_validate(data)
    except ValidationError as error:
        raise InputError(
            [
                Problem(
                    file,
                    yaml_line(root, tuple(e["loc"])),
                    ".".join(str(p) for p in e["loc"]) or "-",
                    e["msg"].removeprefix("Value error, "),
                )
                for e in error.errors()
            ]
        ) from None
    if catalogue.service_model != service_model:
        raise InputError(
            [
                Problem(
                    file,
                    yaml_line(root, ("service_model",)),
                    "service_model",
                    f"is {catalogue.service_model!r}; expected {service_model!r} (the service model "
                    "naming this catalogue)",
                )
            ]
        )
    return catalogue
