"""A programme: a plan over several phases and/or several demand scenarios (issue #8).

Pure data, no solver: the phased/robust model (:mod:`optimisation.phased`) and the solver-free
checker (:mod:`optimisation.phased_checker`) both read a :class:`Programme` beside the
:class:`~optimisation.instance.Instance`.

One idea carries both extensions: a **block** is one (phase, demand scenario) pair, and
:func:`block_instance` derives the single-snapshot instance that holds in it: the scenario's
demand per area, the phase's budget and spoke limit, and required authorities only in the final
phase. Every single-period rule (caseload, demand, hub size, host capacity, budget, max_spokes,
existing spokes, required authorities) then holds per block exactly as in a one-snapshot plan;
what is new lives between blocks (placements kept from phase to phase, hubs started per phase,
one set of placements shared by every demand scenario of a phase).

**Phases** (seed 000 and 002: "Phase 1: Three services from January 2014, Phase 2: Five services
from January 2015, Phase 3: Eight services from January 2016", "each service being funded for
three years"). Phase t runs from ``start_year_t`` to ``start_year_{t+1} - 1``; the last phase runs
``funded_years`` years (default 3). Coverage in year y is the coverage of the phase running in y.

**Discount**: earlier coverage is worth more. The weight of phase t is

    w_t = Σ_{y = start_t}^{end_t} (1 + r)^-(y - start_1)

(the discounted number of years the phase runs), with r = ``discount_rate`` (default 0.035, the
HM Treasury Green Book social time preference rate). Discounted coverage = Σ_t w_t × covered_t.

**Demand scenarios**: the areas.csv demand is the ``central`` scenario; more come from
``demand_scenarios.csv`` and/or ``demand_range: r`` (``low`` = round_half_up(d × (1 - r)),
``high`` = round_half_up(d × (1 + r))). Weights (``demand_weights``, default equal) are
normalised to sum to 1 and used by ``robust: expected`` and by the later objective stages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from optimisation.instance import Instance

CENTRAL = "central"
DEFAULT_DISCOUNT_RATE = 0.035  # HM Treasury Green Book social time preference rate
DEFAULT_FUNDED_YEARS = 3  # seed 002: "each service being funded for three years"
ROBUST_OBJECTIVES = ("worst_case", "expected")


@dataclass(frozen=True)
class Phase:
    """One phase of a roll-out. None means "no phase-specific limit" (the scenario's rule holds)."""

    name: str
    start_year: int
    max_hubs: int | None = None  # most hubs running in this phase (seed 000: 3, then 5, then 8)
    max_spokes: int | None = None  # most spokes in this phase (else the scenario's max_spokes)
    budget_per_year: float | None = None  # this phase's budget a year (else the scenario's budget)


@dataclass(frozen=True)
class DemandScenario:
    """Demand per area in one scenario, and its weight (normalised over the programme)."""

    name: str
    demand: Mapping[str, int]
    weight: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "demand", MappingProxyType(dict(self.demand)))

    def __reduce__(self):
        return (DemandScenario, (self.name, dict(self.demand), self.weight))


@dataclass(frozen=True)
class Programme:
    """Phases and demand scenarios of one plan. A single snapshot is one phase and one scenario."""

    phases: tuple[Phase, ...]
    scenarios: tuple[DemandScenario, ...]
    funded_years: int = DEFAULT_FUNDED_YEARS
    discount_rate: float = DEFAULT_DISCOUNT_RATE
    robust: str = "worst_case"  # "worst_case" | "expected"
    phased: bool = True  # False: one implicit phase (a robust plan with no roll-out)

    @property
    def robust_declared(self) -> bool:
        return len(self.scenarios) > 1

    @property
    def end_year(self) -> int:
        return self.phases[-1].start_year + self.funded_years - 1

    def phase_years(self, t: int) -> range:
        """Years phase t runs: start_t .. start_{t+1} - 1 (the last: funded_years years)."""
        start = self.phases[t].start_year
        end = self.phases[t + 1].start_year - 1 if t + 1 < len(self.phases) else self.end_year
        return range(start, end + 1)

    def phase_weight(self, t: int) -> float:
        """w_t = Σ_{y in phase t} (1 + r)^-(y - start_1); 1 for a plan without declared phases."""
        if not self.phased:
            return 1.0
        first = self.phases[0].start_year
        return sum((1 + self.discount_rate) ** -(year - first) for year in self.phase_years(t))

    def scenario_weights(self) -> dict[str, float]:
        """p_s = weight_s / Σ weight (sums to 1)."""
        total = sum(s.weight for s in self.scenarios)
        return {s.name: s.weight / total for s in self.scenarios}

    def years(self) -> list[tuple[int, int]]:
        """(year, phase index) for every year from the first start to the last phase's end."""
        return [(year, t) for t in range(len(self.phases)) for year in self.phase_years(t)]

    def only(self, scenario_name: str) -> Programme:
        """The same programme with one demand scenario (the central plan of a robustness report)."""
        return replace(self, scenarios=tuple(replace(s, weight=1.0) for s in self.scenarios if s.name == scenario_name))


def single_phase(name: str = "plan") -> Phase:
    return Phase(name=name, start_year=0)


def round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


def range_scenarios(inst: Instance, demand_range: float) -> tuple[DemandScenario, DemandScenario]:
    """low = round_half_up(d × (1 - r)), high = round_half_up(d × (1 + r)) for every area."""
    low = {a.area_id: round_half_up(a.demand * (1 - demand_range)) for a in inst.areas}
    high = {a.area_id: round_half_up(a.demand * (1 + demand_range)) for a in inst.areas}
    return DemandScenario("low", low), DemandScenario("high", high)


def central_scenario(inst: Instance) -> DemandScenario:
    return DemandScenario(CENTRAL, {a.area_id: a.demand for a in inst.areas})


def block_instance(inst: Instance, programme: Programme, t: int, scenario: DemandScenario) -> Instance:
    """The single-snapshot instance of block (phase t, scenario s).

    * demand_i := demand of area i in scenario s;
    * budget_per_year := the phase's budget if it declares one, else the scenario's;
    * max_spokes := the phase's spoke limit if it declares one, else the scenario's;
    * required authorities and locked hosts (issue #18) hold in the final phase only (a roll-out
      reaches them by its end); existing spokes are in post from the start, so they are kept in every phase.
    """
    phase = programme.phases[t]
    rules = inst.rules
    rules = replace(
        rules,
        budget_per_year=phase.budget_per_year if phase.budget_per_year is not None else rules.budget_per_year,
        max_spokes=phase.max_spokes if phase.max_spokes is not None else rules.max_spokes,
    )
    areas = tuple(replace(a, demand=scenario.demand[a.area_id]) for a in inst.areas)
    authorities, hosts = inst.authorities, inst.hosts
    if t < len(programme.phases) - 1:
        authorities = tuple(replace(a, required=False) for a in authorities)
        hosts = tuple(replace(h, status="candidate") if h.status == "locked" else h for h in hosts)
    return replace(inst, areas=areas, rules=rules, authorities=authorities, hosts=hosts)
