"""Hypothesis strategies: random small valid Instances, degenerate ones included.

`instances()` draws 1-4 hubs, 1-8 hosts of mixed types and authorities, 1-12 areas with demand
0-30, random subsets of the in-limit travel pairs, and sometimes a budget, an overall max_spokes,
required authorities, spokes already in post, locked or banned hosts, and each cross_border setting. Degenerate cases arise
naturally: no demand, one hub, no pair within reach, caseload_min 0, hubs that cannot reach min_spokes.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st

from optimisation.instance import CROSS_BORDER, HOST_TYPES, Area, Authority, Host, Hub, Instance
from tests.instances import rules_with


def examples(ci_count: int) -> int:
    """Examples for a property test that runs `ci_count` in CI: scaled by the Hypothesis profile
    loaded in tests/conftest.py (ci: max_examples 100, so `ci_count` itself; dev: a fifth)."""
    return max(5, round(ci_count * settings().max_examples / 100))


CODES = ("E06000001", "E06000002", "E06000003")


@st.composite
def instances(
    draw, max_hubs: int = 4, max_hosts: int = 8, max_areas: int = 12, max_hub_spokes: int = 5, max_host_spokes: int = 3
) -> Instance:
    """A random valid Instance; the keyword limits shrink it (e.g. for brute-force comparisons)."""
    n_hubs = draw(st.integers(1, max_hubs))
    n_hosts = draw(st.integers(1, max_hosts))
    n_areas = draw(st.integers(1, max_areas))
    hubs = []
    for h in range(n_hubs):
        max_spokes = draw(st.integers(1, max_hub_spokes))
        hubs.append(
            Hub(
                f"H{h}",
                f"Hub {h}",
                0.0,
                0.0,
                draw(st.integers(0, max_spokes)),
                max_spokes,
                draw(st.integers(1, 2)),
                draw(st.integers(1, 5)),
                90,
                float(draw(st.sampled_from([0, 0, 50, 200]))),  # manager_cost_per_year (#14)
            )
        )
    hosts = [
        Host(
            f"J{j}",
            f"Host {j}",
            draw(st.sampled_from(HOST_TYPES)),
            draw(st.sampled_from(CODES)),
            0.0,
            0.0,
            draw(st.integers(1, max_host_spokes)),
            float(draw(st.sampled_from([0, 0, 1000, 5000]))),
            draw(st.booleans()),
            draw(st.sampled_from(["", "", "statutory", "preventative", "both"])),
            draw(st.sampled_from(["candidate"] * 6 + ["locked", "banned"])),
        )  # hosts.csv status (#18)
        for j in range(n_hosts)
    ]
    areas = [
        Area(f"A{i}", f"Area {i}", draw(st.sampled_from(CODES)), 0.0, 0.0, draw(st.integers(0, 30)))
        for i in range(n_areas)
    ]
    required_codes = (
        draw(st.sets(st.sampled_from(CODES), min_size=1, max_size=2)) if draw(st.integers(0, 3)) == 0 else set()
    )
    authorities = tuple(
        Authority(
            code,
            f"Authority {code[-1]}",
            draw(st.sampled_from(["statutory", "preventative", "both"])),
            code in required_codes,
        )
        for code in CODES
    )
    supervision = {(h.hub_id, j.host_id): draw(st.integers(0, 90)) for h in hubs for j in hosts if draw(st.booleans())}
    casework = {
        (j.host_id, a.area_id): draw(st.integers(0, 45)) for j in hosts for a in areas if draw(st.integers(0, 2)) > 0
    }
    caseload_min = draw(st.integers(0, 10))
    rules = rules_with(
        caseload_min=caseload_min,
        caseload_max=caseload_min + draw(st.integers(0, 4)),
        spoke_cost_per_year=float(draw(st.sampled_from([0, 100]))),
        budget_per_year=draw(st.one_of(st.none(), st.sampled_from([0.0, 250.0, 1000.0, 10_000.0]))),
        max_spokes=draw(st.one_of(st.none(), st.integers(0, 6))),
        cross_border=draw(st.sampled_from(CROSS_BORDER)),  # the home-authority rule (#14)
        shared_hosts=draw(st.integers(0, 3)) == 0,  # issue #14: one hub per host unless shared
        staff_cost_per_minute=float(draw(st.sampled_from([0, 0, 0.5]))),
    )
    existing: dict[tuple[str, str], int] = {}
    in_post = sorted(pair for pair in supervision if pair[1] not in {j.host_id for j in hosts if j.status == "banned"})
    if in_post and draw(st.integers(0, 3)) == 0:  # scoping refuses spokes in post at a banned host
        for pair in draw(st.lists(st.sampled_from(in_post), min_size=1, max_size=2, unique=True)):
            if not rules.shared_hosts and any(host == pair[1] for (_, host) in existing):
                continue  # scoping refuses spokes in post of two hubs at one host unless shared_hosts
            existing[pair] = draw(st.integers(1, 2))
    return Instance(tuple(hubs), tuple(hosts), tuple(areas), authorities, rules, casework, supervision, existing)
