"""Small instance builders for solver and checker tests (hand-computable optima).

Every default is the product's, taken from its one definition: the pydantic schemas of the scenario
files (scoping/scenario/schemas.py, scoping/scenario/settings.py) and the default service model,
through the same construction the loader uses (scoping/scenario/build.py). Hand instances put every
place at one point: their travel minutes are given, not estimated.
"""

from __future__ import annotations

from dataclasses import replace

from optimisation.instance import Area, Authority, Host, HostFitScores, Hub, Instance, Rules, TeamRole
from scoping.scenario.build import Location, authority_from, host_from, hub_from, rules_from
from scoping.scenario.schemas import AuthorityRow, HostRow, HubRow
from scoping.scenario.service_model import Role
from scoping.scenario.settings import HostFitWeights, default_settings

AUTH_X = "E06000001"
AUTH_Y = "E06000002"
HERE = Location(0.0, 0.0)
HUB_DEFAULTS = HubRow.model_construct()  # a row of only defaults (no validation): HubRow's own values
HOST_DEFAULTS = HostRow.model_construct()


def rules_with(**changes) -> Rules:
    """The Rules of a scenario.yaml that sets nothing (ScenarioRules' defaults and the default service
    model's caseload), with `changes` (Rules field names)."""
    return replace(rules_from(default_settings(), ()), **changes)


def host_fit_with(**changes) -> HostFitScores:
    """scenario.yaml's default host_fit scores (HostFitWeights), with `changes`."""
    return HostFitScores(**HostFitWeights(**changes).model_dump())


def team_role(role_id: str, name: str, **changes) -> TeamRole:
    """A support role with a service model's Role defaults, with `changes` (per_team, workers_per_role,
    cost_per_year)."""
    role = Role.model_construct(id=role_id, name=name, **changes)
    return TeamRole(
        role_id=role.id,
        name=role.name,
        per_team=role.per_team,
        workers_per_role=role.workers_per_role,
        cost_per_year=role.cost_per_year,
    )


def hub(
    hub_id: str = "H",
    min_spokes: int = 1,
    max_spokes: int = HUB_DEFAULTS.max_spokes,
    managers: int = HUB_DEFAULTS.managers,
    manager_span: int = HUB_DEFAULTS.manager_span,
    limit: int | None = None,
) -> Hub:
    """A hub with hubs.csv's defaults, except min_spokes 1 (hand instances stay small); `limit`: its
    own supervision minutes, else the scenario's."""
    row = HubRow.model_construct(
        hub_id=hub_id,
        name=f"Hub {hub_id}",
        min_spokes=min_spokes,
        max_spokes=max_spokes,
        managers=managers,
        manager_span=manager_span,
        supervision_minutes=limit,
    )
    return hub_from(row, HERE, default_settings().supervision_minutes, default_settings().manager_cost)


def host(
    host_id: str,
    host_type: str = "police",
    authority: str = AUTH_X,
    max_spokes: int = HOST_DEFAULTS.max_spokes,
    annual_cost: float = HOST_DEFAULTS.annual_cost,
    drop_in: bool = HOST_DEFAULTS.drop_in,
    aims: str = "",
    status: str = HOST_DEFAULTS.status,
) -> Host:
    """A host with hosts.csv's defaults (status candidate unless given), in `authority`."""
    row = HostRow.model_construct(
        host_id=host_id,
        name=f"Host {host_id}",
        host_type=host_type,
        max_spokes=max_spokes,
        annual_cost=annual_cost,
        drop_in=drop_in,
        aims=aims or None,
        status=status,
    )
    return host_from(row, Location(0.0, 0.0, authority))


def area(area_id: str, demand: int, authority: str = AUTH_X) -> Area:
    return Area(area_id, f"Area {area_id}", authority, 0.0, 0.0, demand)


def authorities(required: tuple[str, ...] = (), aims: dict[str, str] | None = None) -> tuple[Authority, ...]:
    """Authorities X and Y with authorities.csv's defaults (aim, required) unless given."""
    aims = aims or {}
    return tuple(
        authority_from(
            AuthorityRow.model_construct(
                authority_code=code,
                name=f"Authority {code[-1]}",
                required=code in required,
                **({"aim": aims[code]} if code in aims else {}),
            )
        )
        for code in (AUTH_X, AUTH_Y)
    )


def instance(
    hubs,
    hosts,
    areas,
    casework: dict,
    supervision: dict,
    rules: Rules | None = None,
    required: tuple[str, ...] = (),
    aims: dict[str, str] | None = None,
    existing: dict | None = None,
) -> Instance:
    return Instance(
        tuple(hubs),
        tuple(hosts),
        tuple(areas),
        authorities(required, aims),
        rules or rules_with(),
        casework,
        supervision,
        existing or {},
    )


def two_host_base(**changes) -> dict:
    """One hub, hosts J1 (authority X) and J2 (authority Y), areas A1 (12, X) and A2 (12, Y).

    J1 reaches A1 and J2 reaches A2 (10 minutes), the hub reaches both hosts. Optimum: 2 spokes,
    24 cases. Tests override pieces with keyword arguments.
    """
    spec = dict(
        hubs=[hub()],
        hosts=[host("J1", authority=AUTH_X), host("J2", authority=AUTH_Y)],
        areas=[area("A1", 12, AUTH_X), area("A2", 12, AUTH_Y)],
        casework={("J1", "A1"): 10, ("J2", "A2"): 10},
        supervision={("H", "J1"): 30, ("H", "J2"): 30},
    )
    spec.update(changes)
    return spec
