"""The solver-ready instance: the only thing `optimisation/` reads.

`scoping/` builds an :class:`Instance` from a validated scenario directory (geocoded places,
pruned integer travel minutes); the model, the greedy plan and the checker all take one.
Everything here is plain, frozen data: no file names, no pandas, no solver objects.

The records carry no defaults: each value comes from the scenario (scoping/scenario/build.py builds
them from the pydantic schemas, where every default is written once) or, in tests and benchmarks,
from factories that take the same defaults (tests/instances.py).

Identifiers are strings exactly as they appear in the scenario's CSV files. Travel minutes
are integers and only pairs within the limits are present:

* ``casework_minutes[(host_id, area_id)]`` exists only if the host is within
  ``rules.casework_minutes`` of the area. The key is always (host, area); the journey it measures
  is the scenario's ``casework_mode`` (scoping.scenario.travel): by car the worker drives host ->
  area, by public transport the young person travels area -> host (issue #16). It also obeys the
  home-authority rule (``rules.cross_border``, issue #14): a pair the rule forbids (a statutory
  host and an area of another authority, by default) is moved to ``cross_border_minutes`` by the
  Instance itself, so every back end, greedy plan, presolve and region split sees the same reach;
* ``supervision_minutes[(hub_id, host_id)]`` exists only if the host is within the hub's
  supervision limit (``Hub.supervision_limit``; supervision travel is hub -> host) and is not
  banned: an Instance drops a banned host's pairs itself (issue #18), so no back end, greedy plan,
  presolve or diagnosis can place a spoke there; the checker checks the ban on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

HOST_TYPES = ("police", "social_care", "multi_agency", "community", "voluntary", "outreach")
STATUTORY_HOST_TYPES = frozenset({"police", "social_care", "multi_agency"})
COMMUNITY_HOST_TYPES = frozenset({"community", "voluntary"})
AIMS = ("statutory", "preventative", "both")
# Objective priorities (issue #14: supervision = spoke-minutes hub -> host, Σ minutes_hj × y_hj);
# the default order, and every name scenario.yaml `priorities` may list.
PRIORITIES = ("coverage", "host_fit", "supervision", "travel")
# hosts.csv `status` (issue #18): a candidate may get spokes; a locked host must get at least one
# (rules.HostStatus, families.locked_hosts, checker.check_locked_host); a banned host none (the
# Instance drops its supervision pairs, below; checker.check_banned_host).
HOST_STATUSES = ("candidate", "locked", "banned")
# scenario.yaml `cross_border` (issue #14, the home-authority rule; rules.CrossBorder): which hosts
# may take cases from areas of another children's services authority. statutory_home (default):
# only the host settings classed "any" below; none: no host; any: every host (before issue #14).
CROSS_BORDER = ("statutory_home", "any", "none")
# Under statutory_home, every host setting of HOST_TYPES is classed here, once: "home" settings take
# cases only from their own authority's areas (a council's social care office does not take another
# council's referrals; police and multi-agency safeguarding teams are organised on the same
# footprint -- ASSUMPTION for police, whose forces often span several authorities: the host's
# authority is the one it is listed in); "any" settings may serve across borders (community and
# voluntary venues and outreach are open access). A new host setting must be added here
# (tests/test_cross_border.py checks that every HOST_TYPES entry is classed).
HOST_TYPE_BORDER = {
    "police": "home",
    "social_care": "home",
    "multi_agency": "home",
    "community": "any",
    "voluntary": "any",
    "outreach": "any",
}
if set(HOST_TYPE_BORDER) != set(HOST_TYPES) or not set(HOST_TYPE_BORDER.values()) <= {"home", "any"}:
    raise RuntimeError("every host_type must be classed 'home' or 'any' in HOST_TYPE_BORDER (issue #14)")


@dataclass(frozen=True)
class Hub:
    """An established specialist service that employs and supervises spokes."""

    hub_id: str
    name: str
    easting: float
    northing: float
    min_spokes: int
    max_spokes: int
    managers: int
    manager_span: int
    supervision_limit: int  # minutes hub -> host; the scenario value unless the hub gives its own
    manager_cost_per_year: float  # £ a year per manager (hubs.csv, else the scenario's; issue #14)

    def managers_needed(self, spokes: int) -> int:
        """Managers a hub running `spokes` spokes needs: ceil(spokes / manager_span) (0 unused)."""
        return -(-spokes // self.manager_span) if spokes > 0 else 0

    @property
    def capacity(self) -> int:
        """Most spokes this hub may run: min(max_spokes, managers x manager_span)."""
        return min(self.max_spokes, self.managers * self.manager_span)


@dataclass(frozen=True)
class Host:
    """A candidate site where spokes can be based (police, social care, MASH, community...)."""

    host_id: str
    name: str
    host_type: str  # one of HOST_TYPES
    authority_code: str  # upper-tier (children's services) authority the host sits in
    easting: float
    northing: float
    max_spokes: int
    annual_cost: float
    drop_in: bool
    aims: str  # "statutory" | "preventative" | "both" | "" (derive from host_type)
    status: str  # one of HOST_STATUSES (issue #18: a commissioner's lock or ban)


@dataclass(frozen=True)
class Area:
    """A demand unit: cases needing specialist casework at any one time."""

    area_id: str
    name: str
    authority_code: str
    easting: float
    northing: float
    demand: int


@dataclass(frozen=True)
class Authority:
    """A children's services authority; `required` means at least one spoke must be hosted in it."""

    authority_code: str
    name: str
    aim: str  # one of AIMS
    required: bool


@dataclass(frozen=True)
class HostFitScores:
    """Scores for objective priority 2 (host fit), counted per case served at the host.

    score(host, area) = match term + drop_in_bonus [if drop_in] - outreach_penalty [if outreach],
    where the match term is ``match`` when the host's orientation equals the aim of the *area's*
    authority (the young person's; issue #14 item 4 -- before, the host's own authority's),
    ``partial`` when either side is "both", and 0 when they differ. Seed 001 message 11 and seed 003 §5.3:
    statutory settings suit statutory-threshold aims, community settings suit prevention; outreach
    (no base) weakens supervision; 'soft' drop-in access points are recommended.
    """

    match: int
    partial: int
    outreach_penalty: int
    drop_in_bonus: int


@dataclass(frozen=True)
class TeamRole:
    """A support role of each hub team in use (from the service model; see optimisation/team.py).

    A hub h with w_h > 0 workers needs n_r,h >= per_team and n_r,h x workers_per_role >= w_h of
    this role (one per `workers_per_role` workers, rounded up); each costs `cost_per_year`.
    """

    role_id: str
    name: str
    per_team: int
    workers_per_role: int | None
    cost_per_year: float

    def needed(self, workers: int) -> int:
        """Fewest of this role a team of `workers` needs: max(per_team, ceil(workers / workers_per_role))."""
        if workers <= 0:
            return 0
        scaled = -(-workers // self.workers_per_role) if self.workers_per_role else 0
        return max(self.per_team, scaled)


@dataclass(frozen=True)
class Rules:
    """Planning rules: scenario.yaml's settings of the same names (scoping.scenario.settings.ScenarioRules,
    where each default is written once) and the service model's support roles."""

    caseload_min: int  # cases per spoke at any one time (seed 001: 10-12)
    caseload_max: int
    cases_per_spoke_per_year: int
    casework_minutes: int
    supervision_minutes: int
    spoke_cost_per_year: float
    budget_per_year: float | None
    max_spokes: int | None
    priorities: tuple[str, ...]  # coverage always first
    host_fit: HostFitScores
    team_roles: tuple[TeamRole, ...]  # support roles per hub team (service model); none for CSE
    cross_border: str  # one of CROSS_BORDER (issue #14; rules.CrossBorder)
    # Issue #14 (hub side): one hub per host unless shared_hosts; the supervision visits' cost.
    shared_hosts: bool
    supervision_visits_per_year: int
    staff_cost_per_minute: float  # derived where scenario.yaml is silent (ScenarioRules.staff_minute_cost)
    mileage_cost_per_km: float | None


def _frozen(mapping: Mapping | None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Instance:
    """Everything the optimiser needs, already validated and pruned."""

    hubs: tuple[Hub, ...]
    hosts: tuple[Host, ...]
    areas: tuple[Area, ...]
    authorities: tuple[Authority, ...]
    rules: Rules
    casework_minutes: Mapping[tuple[str, str], int]  # (host_id, area_id) -> minutes, within limit
    supervision_minutes: Mapping[tuple[str, str], int]  # (hub_id, host_id) -> minutes, within limit
    existing_spokes: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (hub, host) -> n
    # (host_id, area_id) -> minutes: pairs within the casework limit that the cross_border rule takes
    # out of reach (issue #14). Filled by __post_init__ from the pairs given; kept so the checker can
    # tell a cross-border case from one out of travel reach, and the diagnosis can restore them.
    cross_border_minutes: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # Road km hub -> host of the supervision pairs, for mileage (issue #14): straight-line × the travel
    # estimate's DETOUR (scoping builds it only when scenario.yaml sets mileage_cost_per_km).
    supervision_km: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Deferred import: optimisation.rules reads this module's records (one definition of the rule).
        from optimisation.rules import CrossBorder

        banned = {h.host_id for h in self.hosts if h.status == "banned"}  # out of reach (issue #18)
        supervision = {pair: m for pair, m in (self.supervision_minutes or {}).items() if pair[1] not in banned}
        # The home-authority rule is kept by reach, like a ban: the casework pairs it forbids are
        # moved to cross_border_minutes, so no model, greedy plan, presolve or region split sees them.
        # Both are pooled first, so the same instance under another rule (dataclasses.replace with
        # other rules: the diagnosis relaxing group "cross_border") has the forbidden pairs back.
        hosts = {h.host_id: h for h in self.hosts}
        areas = {a.area_id: a for a in self.areas}
        rule = CrossBorder.of(self.rules)
        # Pairs of hosts or areas not in the instance (presolve, merged areas) are left out of the
        # forbidden pairs; a given casework pair of them is kept as given.
        given = dict(self.casework_minutes or {})
        pooled = {pair: m for pair, m in (self.cross_border_minutes or {}).items() if pair[0] in hosts}
        pooled = {**{pair: m for pair, m in pooled.items() if pair[1] in areas}, **given}
        casework, crossing = rule.split(pooled, hosts, areas)
        object.__setattr__(self, "casework_minutes", _frozen(casework))
        object.__setattr__(self, "supervision_minutes", _frozen(supervision))
        object.__setattr__(self, "existing_spokes", _frozen(self.existing_spokes))
        object.__setattr__(self, "cross_border_minutes", _frozen(crossing))
        object.__setattr__(self, "supervision_km", _frozen(self.supervision_km))

    def __reduce__(self):
        """Pickle with plain dicts (mapping proxies cannot be pickled): for subprocesses and Dask."""
        return (
            Instance,
            (
                self.hubs,
                self.hosts,
                self.areas,
                self.authorities,
                self.rules,
                dict(self.casework_minutes),
                dict(self.supervision_minutes),
                dict(self.existing_spokes),
                dict(self.cross_border_minutes),
                dict(self.supervision_km),
            ),
        )

    # Look-ups by id.
    @cached_property
    def _by_id(self) -> dict[str, dict]:
        """Id -> record for each kind, built once (the model looks hosts up per spoke variable)."""
        return {
            "hub": {h.hub_id: h for h in self.hubs},
            "host": {h.host_id: h for h in self.hosts},
            "area": {a.area_id: a for a in self.areas},
            "authority": {a.authority_code: a for a in self.authorities},
        }

    def hub(self, hub_id: str) -> Hub:
        return self._by_id["hub"][hub_id]

    def host(self, host_id: str) -> Host:
        return self._by_id["host"][host_id]

    def area(self, area_id: str) -> Area:
        return self._by_id["area"][area_id]

    def authority(self, code: str) -> Authority | None:
        return self._by_id["authority"].get(code)

    @property
    def demand_total(self) -> int:
        return sum(a.demand for a in self.areas)


def host_orientation(host: Host) -> str:
    """What a host setting suits: its `aims` if given, else statutory/preventative by type."""
    if host.aims:
        return host.aims
    if host.host_type in STATUTORY_HOST_TYPES:
        return "statutory"
    if host.host_type in COMMUNITY_HOST_TYPES:
        return "preventative"
    return "both"  # outreach: no base, no setting to match


def host_fit_score(host: Host, authority: Authority | None, scores: HostFitScores) -> int:
    """Objective priority 2, per case served at `host` for a young person of `authority` (the area's
    authority; see HostFitScores for the formula, optimisation.measures.pair_fit for its use)."""
    aim = authority.aim if authority is not None else "both"
    orientation = host_orientation(host)
    if orientation == aim and aim != "both":
        score = scores.match
    elif orientation == "both" or aim == "both":
        score = scores.partial
    else:
        score = 0
    if host.drop_in:
        score += scores.drop_in_bonus
    if host.host_type == "outreach":
        score -= scores.outreach_penalty
    return score
