"""Small instance builders for solver and checker tests (hand-computable optima)."""

from __future__ import annotations

from optimisation.instance import Area, Authority, Host, Hub, Instance, Rules

AUTH_X = "E06000001"
AUTH_Y = "E06000002"


def hub(hub_id: str = "H", min_spokes: int = 1, max_spokes: int = 5, managers: int = 1, manager_span: int = 5,
        limit: int = 90) -> Hub:
    return Hub(hub_id, f"Hub {hub_id}", 0.0, 0.0, min_spokes, max_spokes, managers, manager_span, limit)


def host(host_id: str, host_type: str = "police", authority: str = AUTH_X, max_spokes: int = 1,
         annual_cost: float = 0.0, drop_in: bool = False, aims: str = "", status: str = "candidate") -> Host:
    return Host(host_id, f"Host {host_id}", host_type, authority, 0.0, 0.0, max_spokes, annual_cost, drop_in, aims,
                status)


def area(area_id: str, demand: int, authority: str = AUTH_X) -> Area:
    return Area(area_id, f"Area {area_id}", authority, 0.0, 0.0, demand)


def authorities(required: tuple[str, ...] = (), aims: dict[str, str] | None = None) -> tuple[Authority, ...]:
    aims = aims or {}
    return tuple(Authority(code, f"Authority {code[-1]}", aims.get(code, "both"), code in required)
                 for code in (AUTH_X, AUTH_Y))


def instance(hubs, hosts, areas, casework: dict, supervision: dict, rules: Rules | None = None,
             required: tuple[str, ...] = (), aims: dict[str, str] | None = None, existing: dict | None = None) -> Instance:
    return Instance(tuple(hubs), tuple(hosts), tuple(areas), authorities(required, aims), rules or Rules(),
                    casework, supervision, existing or {})


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
