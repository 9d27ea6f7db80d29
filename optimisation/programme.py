"""A programme: a roll-out of new services over several phases and/or several demand scenarios
(issues #8 and #17).

Pure data, no solver: the programme model (:mod:`optimisation.phased`) and the solver-free checker
(:mod:`optimisation.phased_checker`) both read a :class:`Programme` beside the
:class:`~optimisation.instance.Instance`.

**Services and phases** (seed 000: "Phase 1: Three services from January 2014, Phase 2: Five
services from January 2015, Phase 3: Eight services from January 2016"; seed 002: "a phased funding
programme, aiming to develop a total of 16 CSE services ... with each service being funded for three
years"). A *service* is a hub with its spokes. Phase t opens ``new_services_t`` new services in
``start_year_t``; each is funded for ``funded_years`` years (default 3, seed 002) from its own start,
years start_t .. start_t + funded_years - 1, and then, per ``after_funding``,

* ``continue``: it keeps running (paid by someone) to the end of the programme;
* ``close``: it closes;

(``compare`` plans both and is resolved by the caller into two programmes). The programme runs from
the first phase's start to the end of the last phase's funding: start_1 .. start_T + funded_years - 1.
A hub opens at most one service, and a service keeps the same spokes for its whole life.

**Periods.** The services live in year y are those of every phase t whose service years contain y.
A *period* is a maximal run of years with the same live phases (seed 000/002, close: 2014 {1},
2015 {1, 2}, 2016 {1, 2, 3}, 2017 {2, 3}, 2018 {3}; continue: 2014 {1}, 2015 {1, 2}, 2016-2018
{1, 2, 3}). In a period the plan is one snapshot: the live services' spokes, and cases assigned to
them. The *full roll-out period* is the one starting in the last phase's start year (every phase has
opened); its plan is what the one-snapshot files show.

A **block** is one (period, demand scenario) pair, and :func:`block_instance` derives the
single-snapshot instance that holds in it: the scenario's demand per area, and required authorities
and locked hosts only in the full roll-out period. Every single-period rule (caseload, demand, hub
size, host capacity, the scenario's budget, max_spokes, required authorities) then holds per block
exactly as in a one-snapshot plan. :func:`cohort_instance` is the instance of the services phase t
opens: the phase's own ``budget_per_year`` (what its new services may cost a year), and the spokes
already in post (existing services are running at the start, so they belong to the first phase).

**Discount**: earlier coverage is worth more. Year y weighs (1 + r)^-(y - start_1) and a period its
years' sum, w_p = Σ_{y in p} (1 + r)^-(y - start_1), with r = ``discount_rate`` (default 0.035,
the HM Treasury Green Book social time preference rate). Discounted coverage = Σ_p w_p × covered_p;
the net present cost of the programme discounts its yearly cost the same way.

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
DEFAULT_DISCOUNT_RATE = 0.035  # HM Treasury Green Book social time preference rate (3.5%)
DISCOUNT_RATE_LABEL = "HM Treasury Green Book social time preference rate"
DEFAULT_FUNDED_YEARS = 3  # seed 002: "with each service being funded for three years"
AFTER_FUNDING = ("continue", "close", "compare")  # what a service does when its funded years end
DEFAULT_AFTER_FUNDING = "continue"  # assumption: a service that worked is kept (the issue sets no default)
ROBUST_OBJECTIVES = ("worst_case", "expected")


@dataclass(frozen=True)
class Phase:
    """One phase of a roll-out: in `start_year` it opens `new_services` new services (None: no
    phased roll-out, the one implicit phase of a robust plan). `budget_per_year`: the most the
    phase's new services may cost a year together (None: only the scenario's budget holds)."""

    name: str
    start_year: int
    new_services: int | None = None  # seed 000: 3, then 5, then 8 services
    budget_per_year: float | None = None


@dataclass(frozen=True)
class Period:
    """A run of years `first_year`..`last_year` in which the services of phases `live` run."""

    first_year: int
    last_year: int
    live: tuple[int, ...]  # phase indexes

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)

    @property
    def label(self) -> str:
        return str(self.first_year) if self.first_year == self.last_year else f"{self.first_year}-{self.last_year}"


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
    """Phases and demand scenarios of one plan. A robust plan without phases is one implicit phase
    and one period (`phased` False)."""

    phases: tuple[Phase, ...]
    scenarios: tuple[DemandScenario, ...]
    funded_years: int = DEFAULT_FUNDED_YEARS
    discount_rate: float = DEFAULT_DISCOUNT_RATE
    robust: str = "worst_case"  # "worst_case" | "expected"
    phased: bool = True  # False: one implicit phase (a robust plan with no roll-out)
    after_funding: str = DEFAULT_AFTER_FUNDING  # "continue" | "close" | "compare" (planned as both)

    @property
    def robust_declared(self) -> bool:
        return len(self.scenarios) > 1

    @property
    def first_year(self) -> int:
        return self.phases[0].start_year

    @property
    def end_year(self) -> int:
        """The programme's last year: the end of the last phase's funding."""
        return self.phases[-1].start_year + self.funded_years - 1

    def funded_until(self, t: int) -> int:
        """The last funded year of phase t's services: start_t + funded_years - 1."""
        return self.phases[t].start_year + self.funded_years - 1

    def service_years(self, t: int) -> range:
        """Years phase t's services run: start_t .. funded_until_t (close) or .. end_year (continue)."""
        if self.after_funding == "compare":
            raise ValueError("after_funding compare is planned as two programmes (optimisation.robust.plan_programme)")
        last = self.funded_until(t) if self.after_funding == "close" else self.end_year
        return range(self.phases[t].start_year, min(last, self.end_year) + 1)

    def live_phases(self, year: int) -> tuple[int, ...]:
        return tuple(t for t in range(len(self.phases)) if year in self.service_years(t))

    def periods(self) -> tuple[Period, ...]:
        """Maximal runs of years with the same live phases (one period without phases)."""
        if not self.phased:
            return (Period(self.first_year, self.first_year, (0,)),)
        periods: list[Period] = []
        for year in range(self.first_year, self.end_year + 1):
            live = self.live_phases(year)
            if periods and periods[-1].live == live and periods[-1].last_year == year - 1:
                periods[-1] = replace(periods[-1], last_year=year)
            else:
                periods.append(Period(year, year, live))
        return tuple(periods)

    @property
    def full_period(self) -> int:
        """The index of the period starting in the last phase's start year (every phase opened)."""
        start = self.phases[-1].start_year
        return next(p for p, period in enumerate(self.periods()) if period.first_year == start)

    def year_weight(self, year: int) -> float:
        """(1 + r)^-(year - start_1)."""
        return (1 + self.discount_rate) ** -(year - self.first_year)

    def period_weight(self, p: int) -> float:
        """w_p = Σ_{y in period p} (1 + r)^-(y - start_1); 1 for a plan without declared phases."""
        if not self.phased:
            return 1.0
        return sum(self.year_weight(year) for year in self.periods()[p].years)

    def scenario_weights(self) -> dict[str, float]:
        """p_s = weight_s / Σ weight (sums to 1)."""
        total = sum(s.weight for s in self.scenarios)
        return {s.name: s.weight / total for s in self.scenarios}

    def years(self) -> list[tuple[int, int]]:
        """(year, period index) for every year of the programme."""
        return [(year, p) for p, period in enumerate(self.periods()) for year in period.years]

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


def block_instance(inst: Instance, programme: Programme, p: int, scenario: DemandScenario) -> Instance:
    """The single-snapshot instance of block (period p, scenario s).

    * demand_i := demand of area i in scenario s; the scenario's budget and max_spokes hold for
      every live service together, each year;
    * required authorities and locked hosts (issue #18) hold in the full roll-out period only (a
      roll-out reaches them once every phase has opened);
    * spokes already in post belong to the first phase's services (:func:`cohort_instance`), so a
      phased block keeps none of its own (a plan without phases keeps them, as one snapshot does).
    """
    areas = tuple(replace(a, demand=scenario.demand[a.area_id]) for a in inst.areas)
    authorities, hosts, existing = inst.authorities, inst.hosts, inst.existing_spokes
    if programme.phased:
        existing = {}
        if p != programme.full_period:
            authorities = tuple(replace(a, required=False) for a in authorities)
            hosts = tuple(replace(h, status="candidate") if h.status == "locked" else h for h in hosts)
    return replace(inst, areas=areas, authorities=authorities, hosts=hosts, existing_spokes=existing)


def cohort_instance(inst: Instance, programme: Programme, t: int) -> Instance:
    """The instance of the services phase t opens: the phase's own budget a year (None: none of its
    own), no spoke limit or required authority of its own (those hold per period), and the spokes
    already in post in the first phase only (existing services run from the start)."""
    phase = programme.phases[t]
    rules = replace(inst.rules, budget_per_year=phase.budget_per_year, max_spokes=None)
    authorities = tuple(replace(a, required=False) for a in inst.authorities)
    hosts = tuple(replace(h, status="candidate") if h.status == "locked" else h for h in inst.hosts)
    return replace(
        inst, rules=rules, authorities=authorities, hosts=hosts, existing_spokes=inst.existing_spokes if t == 0 else {}
    )
