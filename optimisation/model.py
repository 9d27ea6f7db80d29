"""The assembler: the one-snapshot allocation model as a checklist of constraint families.

`build_model(instance, layout=..., relax=...)` emits every family of DESIGN.md "Semantics" into one
back-end-neutral :class:`~optimisation.formulation.LinearModel`, which every back end solves
(optimisation/backends.py: HiGHS via scipy.optimize.milp and SCIP via OR-Tools model_builder as one
sparse matrix; SCIP, CBC, ... through OR-Tools pywraplp). Rows of a rule group named in `relax` are
left out (the diagnosis relaxes groups one at a time to find the rules in conflict). The three
objective vectors are built here too; `optimisation.solve` optimises them lexicographically.

Formulation (chosen by measurement, see benchmarks/backends.py): integer spokes per hub-host pair,
binary hub-used and host-open indicators, and *continuous* cases per area-host pair. For fixed
spokes the assignment is a transportation problem with integer data, so an integral optimal
assignment always exists; `optimisation.integral` extracts one. Its options (:class:`Layout`) are
chosen per back end by `optimisation.solve`: integer spokes per *host* S_j with continuous y
(SCIP on the matrix), and the linking rows x ≤ d·o.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimisation import families
from optimisation.formulation import Columns, LinearModel, case_columns, placement_columns
from optimisation.instance import Instance
from optimisation.measures import pair_fit
from optimisation.rules import Budget, CrossBorder, HostStatus, OneHubPerHost, RequiredAuthorities, SpokeLimit
from optimisation.team import team_columns, team_mix


@dataclass(frozen=True)
class Layout:
    """Options of the one formulation; the plans are the same, the solver's speed is not."""

    spokes_per_host: bool = False  # integer S_j per host and continuous y (else integer y)
    link_rows: bool = True  # x[i, j] ≤ demand_i × o[j] (families.open_host_link)


@dataclass
class Model:
    """The one-snapshot model: its rows and objective vectors, and its columns by id."""

    linear: LinearModel
    columns: Columns
    layout: Layout


def rule_groups(inst: Instance) -> list[str]:
    """Every relaxable rule group of this instance, in a stable order."""
    groups = [f"required:{code}" for code in RequiredAuthorities.of(inst).codes]
    groups += [f"existing:{hub}:{host}" for (hub, host) in sorted(inst.existing_spokes)]
    groups += [f"locked:{host_id}" for host_id in HostStatus.of(inst).locked]
    groups += ["caseload_min", "hub_min", "host_capacity"]
    if CrossBorder.of(inst.rules).binds and inst.cross_border_minutes:
        groups.append("cross_border")  # the home-authority rule forbids some pair within reach
    if Budget.of(inst.rules).limit is not None:
        groups.append("budget")
    if SpokeLimit.of(inst.rules).maximum is not None:
        groups.append("max_spokes")
    if not OneHubPerHost.of(inst.rules).shared and OneHubPerHost.contested_hosts(inst):
        groups.append("one_hub_per_host")  # issue #14
    return groups


def build_model(inst: Instance, *, layout: Layout = Layout(), relax: frozenset[str] = frozenset()) -> Model:
    """The allocation model with every constraint family, less the rule groups in `relax`."""
    if "cross_border" in relax:  # the home-authority rule is kept by reach: relaxed, its pairs come back
        inst = CrossBorder.lifted(inst)
    m = LinearModel(relax)
    c = placement_columns(m, inst, spokes_per_host=layout.spokes_per_host)  # supervision travel
    c = case_columns(m, inst, c)  # casework travel
    team_columns(m, inst, c)  # support roles (service models)
    families.host_spokes(m, inst, c)  # layout: S_j = Σ_h y[h, j]
    families.caseload(m, inst, c)
    families.demand(m, inst, c)
    families.hub_size(m, inst, c)
    families.host_capacity(m, inst, c)
    if layout.link_rows:
        families.open_host_link(m, inst, c)
    families.budget(m, inst, c)  # with the support roles' costs
    families.max_spokes(m, inst, c)
    team_mix(m, inst, c)
    families.required_authorities(m, inst, c)
    families.existing_spokes(m, inst, c)
    families.locked_hosts(m, inst, c)  # hosts.csv status (a ban is kept by reach: no columns)
    # cross_border (issue #14): no rows; kept by reach (the Instance drops the pairs, rules.CrossBorder)
    families.one_hub_per_host(m, inst, c)  # issue #14, unless shared_hosts
    m.objectives = {name: m.vector(*terms) for name, terms in objective_terms(inst, c).items()}
    return Model(m, c, layout)


def objective_terms(inst: Instance, c: Columns) -> dict[str, tuple[list[int], list[float]]]:
    """Coverage Σx; host fit Σ score_ij·x (score of host j for young people of area i's authority,
    measures.pair_fit, issue #14); supervision Σ minutes_hj·y[h, j] (issue #14: spoke-minutes hub ->
    host, over the spoke columns); travel Σ minutes·x, as (columns, coefficients) over the columns of
    `c`. Their order is rules.priorities (default: the order here)."""
    score = pair_fit(inst)
    minutes = inst.casework_minutes
    cols = list(c.cases.values())
    return {
        "coverage": (cols, [1.0] * len(cols)),
        "host_fit": (cols, [score(area_id, host_id) for (area_id, host_id) in c.cases]),
        "supervision": (list(c.spokes.values()), [float(inst.supervision_minutes[pair]) for pair in c.spokes]),
        "travel": (cols, [minutes[(host_id, area_id)] for (area_id, host_id) in c.cases]),
    }


def integer_columns(inst: Instance) -> int:
    """Integer columns of the spokes-per-host layout (o and S per supervised host, u per hub), unbuilt."""
    hosts = {host for (_, host) in inst.supervision_minutes}
    return 2 * len(hosts) + len(inst.hubs)
