"""The planning rules, each stated once: what a rule allows, in numbers.

A rule object says what one hard rule means (README "What the plan means"; DESIGN.md
"Semantics"). Everything that reasons with a rule reads it from here:

* the constraint families (:mod:`optimisation.families`, :mod:`optimisation.team`) take their
  coefficients from it;
* the greedy plan (:mod:`optimisation.greedy`), the presolve (:mod:`optimisation.presolve`), the
  structural diagnosis and the whole-number steps after the MIP (:mod:`optimisation.integral`)
  reason with it;
* the solver-free checker (:mod:`optimisation.checker`) judges plans by it.

Rule objects hold no rows and no solver: how a rule becomes rows is its family's business, how a
broken rule becomes a sentence is its ``check_<family>``'s. They are built from the instance's
data (:class:`optimisation.instance.Rules`, :class:`~optimisation.instance.Hub`, ...), which stays
the one source of every number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from optimisation.instance import HOST_TYPE_BORDER, Area, Host, Hub, Instance, Rules, TeamRole

TOLERANCE = 1e-6  # on money (£ a year): a plan within this of its budget meets it


@dataclass(frozen=True)
class Caseload:
    """Each spoke carries between `minimum` and `maximum` cases at any one time, pooled over the
    spokes of its host and summed over the areas the host serves (seed 001: "a caseload of between
    10 and 12 ... at any one time"):

        minimum × S_j  ≤  load_j  ≤  maximum × S_j      (S_j spokes at host j, load_j its cases)
    """

    minimum: int
    maximum: int

    @classmethod
    def of(cls, rules: Rules) -> Caseload:
        return cls(rules.caseload_min, rules.caseload_max)

    def load_range(self, spokes: int) -> tuple[int, int]:
        """What load `spokes` spokes at one host allow: (minimum × spokes, maximum × spokes)."""
        return self.minimum * spokes, self.maximum * spokes

    def allows(self, spokes: int, load: int) -> bool:
        low, high = self.load_range(spokes)
        return low <= load <= high

    def spokes_supported(self, load: int) -> int | None:
        """How many spokes a host whose load can reach at most `load` cases can keep at the minimum:
        ⌊load / minimum⌋; None (no limit) when the minimum is 0."""
        if self.minimum <= 0:
            return None
        return load // self.minimum


@dataclass(frozen=True)
class HubSize:
    """A hub in use runs between `minimum` and `maximum` spokes; a hub not in use runs none:

        minimum × u_h  ≤  Σ_j y[h, j]  ≤  maximum × u_h,    maximum = min(max_spokes, managers × manager_span)

    (seed 000: "each Hub service has between two and five Spoke workers"; its managers can
    supervise `manager_span` spokes each).
    """

    minimum: int
    maximum: int

    @classmethod
    def of(cls, hub: Hub) -> HubSize:
        return cls(hub.min_spokes, hub.capacity)

    def allows(self, spokes: int) -> bool:
        return spokes == 0 or self.minimum <= spokes <= self.maximum

    @property
    def can_open(self) -> bool:
        """Whether any number of spokes is a valid size for this hub in use."""
        return self.maximum >= max(self.minimum, 1)


@dataclass(frozen=True)
class HostCapacity:
    """At most `maximum` spokes are based at a host (its max_spokes): S_j ≤ max_spokes_j."""

    maximum: int

    @classmethod
    def of(cls, host: Host) -> HostCapacity:
        return cls(host.max_spokes)

    def allows(self, spokes: int) -> bool:
        return spokes <= self.maximum


@dataclass(frozen=True)
class SpokeLimit:
    """At most `maximum` spokes in the whole plan (rules.max_spokes; None: no limit): Σ S_j ≤ max_spokes."""

    maximum: int | None

    @classmethod
    def of(cls, rules: Rules) -> SpokeLimit:
        return cls(rules.max_spokes)

    def allows(self, spokes: int) -> bool:
        return self.maximum is None or spokes <= self.maximum


@dataclass(frozen=True)
class TeamMix:
    """The support roles each hub team in use needs (service models; none for CSE). Of role r, a
    hub with w > 0 workers needs

        needed_r(w) = max(per_team_r, ⌈w / workers_per_role_r⌉)

    (:meth:`optimisation.instance.TeamRole.needed`), and never more than needed_r(capacity_h), the
    most a hub of that capacity can need. Each costs cost_per_year_r.
    """

    roles: tuple[TeamRole, ...]

    @classmethod
    def of(cls, rules: Rules) -> TeamMix:
        return cls(tuple(rules.team_roles))

    def needed(self, role: TeamRole, workers: int) -> int:
        return role.needed(workers)

    def most(self, role: TeamRole, hub: Hub) -> int:
        """N_r,h: the most of role r hub h can ever need (its team at full capacity)."""
        most = role.needed(hub.capacity) if hub.capacity > 0 else role.per_team
        return max(most, role.per_team)

    def cost(self, workers: int) -> float:
        """What the support roles of a team of `workers` cost a year: Σ_r cost_r × needed_r(workers)."""
        return sum(role.cost_per_year * role.needed(workers) for role in self.roles)


@dataclass(frozen=True)
class Budget:
    """What a plan costs a year, and the most it may cost:

    cost = spoke_cost_per_year × Σ spokes + Σ_{hosts j with a spoke} annual_cost_j
           + Σ_{hubs h} manager_cost_h × ⌈spokes_h / manager_span_h⌉          (managers, issue #14)
           + Σ_{h,j} y[h, j] × visits × 2 × (minutes_hj × staff_cost_per_minute
                                              + km_hj × mileage_cost_per_km)  (supervision visits)
           + Σ_{roles r, hubs h} cost_r × n[r, h]          (support roles, service models)
    cost ≤ budget_per_year   (when set; within TOLERANCE)

    Seed 001 message 8 and seed 002 ("Funding needs to be provided for a Spoke manager or manager
    at the Hub"; "regular visits and contact from Hub managers"). The defaults of the manager and
    visit costs are ASSUMPTIONS (scoping/scenario/settings.py, README "Management and supervision
    costs").
    """

    spoke_cost: float
    limit: float | None
    visit_minute_cost: float = 0.0  # visits × 2 × staff_cost_per_minute: £ a year per spoke per minute
    visit_km_cost: float = 0.0  # visits × 2 × mileage_cost_per_km (0: no mileage costed)

    @classmethod
    def of(cls, rules: Rules) -> Budget:
        visits = 2 * rules.supervision_visits_per_year  # there and back, each visit
        return cls(
            rules.spoke_cost_per_year,
            rules.budget_per_year,
            visits * rules.staff_cost_per_minute,
            visits * (rules.mileage_cost_per_km or 0.0),
        )

    @staticmethod
    def host_cost(host: Host) -> float:
        """What basing spokes at `host` costs a year, however many (its annual_cost)."""
        return host.annual_cost

    @staticmethod
    def manager_cost(hub: Hub, spokes: int) -> float:
        """What hub h's managers cost a year with `spokes` spokes: manager_cost_h × ⌈spokes / span⌉."""
        return hub.manager_cost_per_year * hub.managers_needed(spokes)

    def supervision_cost(self, inst: Instance, hub_id: str, host_id: str) -> float:
        """What the supervision visits to one spoke of hub h at host j cost a year:
        visits × 2 × (minutes_hj × staff_cost_per_minute + km_hj × mileage_cost_per_km)."""
        minutes = inst.supervision_minutes.get((hub_id, host_id), 0)
        km = inst.supervision_km.get((hub_id, host_id), 0.0) if self.visit_km_cost else 0.0
        return self.visit_minute_cost * minutes + self.visit_km_cost * km

    @property
    def costs_supervision(self) -> bool:
        return bool(self.visit_minute_cost or self.visit_km_cost)

    def placement_cost(self, spokes: int, hosts_used: Iterable[Host]) -> float:
        """spoke_cost × spokes + Σ annual_cost of the hosts used (managers, visits and support roles
        not included: measures.cost_breakdown adds them)."""
        return self.spoke_cost * spokes + sum(self.host_cost(host) for host in hosts_used)

    def allows(self, cost: float) -> bool:
        return self.limit is None or cost <= self.limit + TOLERANCE


@dataclass(frozen=True)
class OneHubPerHost:
    """One hub per host (issue #14, unless scenario.yaml shared_hosts: true): the spokes at a host
    are all employed by one hub,

        y[h, j] ≤ cap_hj × w[h, j],   Σ_h w[h, j] ≤ 1        (w binary)

    Seed 002: "Formal agreements between the Hub and the host organisation need to be negotiated
    and agreed"; a host with two supervising hubs has two agreements and two line managers."""

    shared: bool

    @classmethod
    def of(cls, rules: Rules) -> OneHubPerHost:
        return cls(rules.shared_hosts)

    def hubs_at(self, spokes: Mapping[tuple[str, str], int]) -> dict[str, list[str]]:
        """Hosts with spokes of more than one hub (and those hubs), unless hosts may be shared."""
        hubs: dict[str, list[str]] = {}
        for (hub_id, host_id), count in sorted(spokes.items()):
            if count > 0:
                hubs.setdefault(host_id, []).append(hub_id)
        return {} if self.shared else {j: hs for j, hs in hubs.items() if len(hs) > 1}

    @staticmethod
    def contested_hosts(inst: Instance) -> list[str]:
        """Hosts where the rule binds: reached by more than one hub and able to take two spokes or
        more (a host with one place can only ever have one hub). Instance order."""
        reaching: dict[str, int] = {}
        for _, host_id in inst.supervision_minutes:
            reaching[host_id] = reaching.get(host_id, 0) + 1
        return [h.host_id for h in inst.hosts if reaching.get(h.host_id, 0) > 1 and h.max_spokes > 1]

    def allows_at(self, hubs_already: Iterable[str], hub_id: str) -> bool:
        """Whether hub h may place a spoke at a host whose spokes are employed by `hubs_already`."""
        return self.shared or all(h == hub_id for h in hubs_already)


@dataclass(frozen=True)
class RequiredAuthorities:
    """Each required authority hosts at least one spoke: Σ_{j in a} S_j ≥ 1."""

    codes: tuple[str, ...]

    @classmethod
    def of(cls, inst: Instance) -> RequiredAuthorities:
        return cls(tuple(a.authority_code for a in inst.authorities if a.required))

    def unserved(self, spokes_in: Mapping[str, int]) -> list[str]:
        """The required authorities hosting no spoke, given spokes per authority."""
        return [code for code in self.codes if spokes_in.get(code, 0) < 1]


@dataclass(frozen=True)
class ExistingSpokes:
    """Spokes already in post are kept: y[h, j] ≥ count in post at (hub h, host j)."""

    counts: Mapping[tuple[str, str], int]

    @classmethod
    def of(cls, inst: Instance) -> ExistingSpokes:
        return cls(inst.existing_spokes)

    def at_least(self, hub_id: str, host_id: str) -> int:
        return self.counts.get((hub_id, host_id), 0)

    def kept(self, hub_id: str, host_id: str, placed: int) -> bool:
        return placed >= self.at_least(hub_id, host_id)


@dataclass(frozen=True)
class HostStatus:
    """A commissioner's decision about a host (hosts.csv ``status``, issue #18):

        locked host j:  S_j ≥ 1   (it hosts at least one spoke)
        banned host j:  S_j = 0   (it hosts none)

    A candidate host (the default) may host spokes or not. A ban is kept by reach: the Instance holds
    no supervision pair of a banned host (optimisation/instance.py), so no model, greedy plan or
    presolve has a column or a move for it.
    """

    locked: tuple[str, ...]
    banned: tuple[str, ...]

    @classmethod
    def of(cls, inst: Instance) -> HostStatus:
        return cls(
            tuple(h.host_id for h in inst.hosts if h.status == "locked"),
            tuple(h.host_id for h in inst.hosts if h.status == "banned"),
        )

    def unserved_locked(self, spokes_at: Mapping[str, int]) -> list[str]:
        """The locked hosts hosting no spoke, given spokes per host."""
        return [host_id for host_id in self.locked if spokes_at.get(host_id, 0) < 1]

    def placed_at_banned(self, spokes_at: Mapping[str, int]) -> dict[str, int]:
        """Spokes per banned host that hosts any, given spokes per host."""
        return {host_id: spokes_at[host_id] for host_id in self.banned if spokes_at.get(host_id, 0) > 0}


@dataclass(frozen=True)
class TravelReach:
    """Casework travel: cases of area i are served from host j only if the host is within
    casework_minutes of the area; supervision travel: hub h employs spokes at host j only if the host
    is within the hub's supervision limit. The instance lists exactly the pairs within reach
    (optimisation/instance.py), so the model has columns only for them."""

    casework: Mapping[tuple[str, str], int]  # (host, area) -> minutes
    supervision: Mapping[tuple[str, str], int]  # (hub, host) -> minutes

    @classmethod
    def of(cls, inst: Instance) -> TravelReach:
        return cls(inst.casework_minutes, inst.supervision_minutes)

    def supervises(self, hub_id: str, host_id: str) -> bool:
        return (hub_id, host_id) in self.supervision

    def serves(self, host_id: str, area_id: str) -> bool:
        return (host_id, area_id) in self.casework

    def supervised_hosts(self) -> set[str]:
        """Hosts some hub can supervise: the only hosts that can have spokes (and so an o[j] column)."""
        return {host for (_, host) in self.supervision}


@dataclass(frozen=True)
class CrossBorder:
    """The home-authority rule (scenario.yaml ``cross_border``, issue #14): which hosts may take
    cases from areas of another children's services authority.

        statutory_home:  x[i, j] = 0 when authority(i) ≠ authority(j) and host j's setting is a
                         "home" setting (optimisation.instance.HOST_TYPE_BORDER: police,
                         social_care, multi_agency); community, voluntary and outreach may cross
        none:            x[i, j] = 0 when authority(i) ≠ authority(j), for every host
        any:             no limit (the rule before issue #14)

    Seed 003: "the location of CSE workers in host agencies/multi-agency teams aligns with the aims
    of the service in terms of the kinds of referrals"; a council's social care office takes its own
    council's referrals. Kept by reach: the Instance moves the pairs the rule forbids out of
    casework_minutes into cross_border_minutes (optimisation/instance.py), so no column exists for
    them; relaxed (diagnosis group "cross_border") they come back.
    """

    setting: str  # one of optimisation.instance.CROSS_BORDER

    @classmethod
    def of(cls, rules: Rules) -> CrossBorder:
        return cls(rules.cross_border)

    def host_crosses(self, host: Host) -> bool:
        """Whether `host` may take cases from another authority's areas under this setting."""
        if self.setting == "any":
            return True
        if self.setting == "none":
            return False
        return HOST_TYPE_BORDER[host.host_type] == "any"

    def allows(self, host: Host, area: Area) -> bool:
        """Whether host j may take cases of area i: the same authority, or a host that may cross."""
        return host.authority_code == area.authority_code or self.host_crosses(host)

    def split(
        self, pairs: Mapping[tuple[str, str], int], hosts: Mapping[str, Host], areas: Mapping[str, Area]
    ) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
        """(allowed, forbidden): casework pairs (host_id, area_id) -> minutes, by :meth:`allows`. A pair
        of a host or area not in `hosts` / `areas` is allowed (kept as given). One pass, with each
        host's class worked out once: the Instance runs this on every construction."""
        if self.setting == "any":
            return dict(pairs), {}
        crosses = {host_id: self.host_crosses(host) for host_id, host in hosts.items()}
        home = {host_id: host.authority_code for host_id, host in hosts.items()}
        area_home = {area_id: area.authority_code for area_id, area in areas.items()}
        allowed: dict[tuple[str, str], int] = {}
        forbidden: dict[tuple[str, str], int] = {}
        for pair, minutes in pairs.items():
            host_id, area_id = pair
            if host_id not in home or area_id not in area_home or crosses[host_id]:
                allowed[pair] = minutes
            elif home[host_id] == area_home[area_id]:
                allowed[pair] = minutes
            else:
                forbidden[pair] = minutes
        return allowed, forbidden

    def explain(self) -> str:
        """The setting in plain words."""
        if self.setting == "none":
            return "no host serves another authority's areas"
        if self.setting == "any":
            return "any host may serve any authority's areas"
        home = sorted(t.replace("_", " ") for t, kind in HOST_TYPE_BORDER.items() if kind == "home")
        return f"{', '.join(home)} hosts take cases only from their own authority's areas"

    @property
    def binds(self) -> bool:
        """Whether the rule can forbid anything (every setting but `any`)."""
        return self.setting != "any"

    @staticmethod
    def lifted(inst: Instance) -> Instance:
        """`inst` without the rule (cross_border any): the pairs it forbade back in casework reach.
        What the assemblers model when the diagnosis relaxes group "cross_border"."""
        return replace(inst, rules=replace(inst.rules, cross_border="any"))
