"""Small instances whose optimum is computed by hand (the working is in each docstring)."""

from __future__ import annotations

from optimisation.checker import check_plan
from optimisation.measures import plan_cost_per_year
from optimisation.solve import solve
from tests.instances import AUTH_X, AUTH_Y, area, host, hub, instance, rules_with


def test_two_hubs_sharing_a_region():
    """Hubs N (min 2, max 2) and S (min 2, max 3); hosts P (police, 2 places), C (community, 1), V (voluntary, 1).

    Supervision: N reaches P and C; S reaches C and V. Casework: P serves A (15) and B (10); C serves
    B and D (8); V serves D and E (14). Demand 47; caseload 10-12 per spoke.
    S can open only with C and V (it needs 2 spokes; each takes 1). Then N runs P x2.
      P + C <= A + B + D = 33 (the only areas they reach), and V <= 12, so coverage <= 45.
      45 is reached: V = 12 of E; P = 21 (A 15 + B 6); C = 12 (B 4 + D 8).
    If N took C instead (P + C), S could not open (V alone is below its minimum): at most 24.
    Optimum: 45 with N: P x2, S: C and V.
    """
    inst = instance(
        hubs=[hub("N", min_spokes=2, max_spokes=2), hub("S", min_spokes=2, max_spokes=3)],
        hosts=[host("P", "police", max_spokes=2), host("C", "community"), host("V", "voluntary", AUTH_Y)],
        areas=[area("A", 15), area("B", 10), area("D", 8), area("E", 14, AUTH_Y)],
        casework={("P", "A"): 10, ("P", "B"): 20, ("C", "B"): 15, ("C", "D"): 10, ("V", "D"): 30, ("V", "E"): 5},
        supervision={("N", "P"): 20, ("N", "C"): 40, ("S", "C"): 30, ("S", "V"): 25},
    )
    plan = solve(inst)
    assert check_plan(inst, plan) == []
    assert (plan.objective, plan.status) == (45, "OPTIMAL")
    assert plan.spokes_total == 4  # N: P x2; S: C and V
    assert {(s.hub_id, s.host_id, s.count) for s in plan.spokes} == {("N", "P", 2), ("S", "C", 1), ("S", "V", 1)}


def test_budget_decides_the_host_mix():
    """Spoke 40,000; budget 130,000. Hosts: M (multi-agency, free, 2 spokes) reaches A (11) and B (11);
    Q (community, 10,000 a year) reaches C (24).
    Three spokes cost 120,000, plus 10,000 if Q is used = 130,000: affordable.
    M x2 covers A+B = 22 (>= 20), Q x1 covers 12 of C -> 34. Q x2 would need a second Q place (max 1).
    Without Q: M x2 = 22. So optimum 34 at cost 130,000 exactly.
    """
    inst = instance(
        hubs=[hub(max_spokes=5)],
        hosts=[host("M", "multi_agency", max_spokes=2), host("Q", "community", AUTH_Y, annual_cost=10_000)],
        areas=[area("A", 11), area("B", 11), area("C", 24, AUTH_Y)],
        casework={("M", "A"): 5, ("M", "B"): 15, ("Q", "C"): 10},
        supervision={("H", "M"): 20, ("H", "Q"): 50},
        rules=rules_with(spoke_cost_per_year=40_000, budget_per_year=130_000),
    )
    plan = solve(inst)
    assert check_plan(inst, plan) == []
    assert plan.objective == 34 and plan_cost_per_year(inst, plan) == 130_000
    tighter = instance(
        **{
            **dict(
                hubs=inst.hubs,
                hosts=inst.hosts,
                areas=inst.areas,
                casework=dict(inst.casework_minutes),
                supervision=dict(inst.supervision_minutes),
            ),
            "rules": rules_with(spoke_cost_per_year=40_000, budget_per_year=129_999),
        }
    )
    # 129,999 cannot pay three spokes and Q. Best of the rest: M + Q (12 + 12 = 24) beats M x2 (22).
    tighter_plan = solve(tighter)
    assert check_plan(tighter, tighter_plan) == []
    assert tighter_plan.objective == 24


def lexicographic_instance():
    """The instance of test_lexicographic_values_by_hand (also solved per back end in test_matrix_backend)."""
    return instance(
        hubs=[hub()],
        hosts=[
            host("P", "police", AUTH_X),
            host("K", "community", AUTH_Y, drop_in=True),
            host("O", "outreach", AUTH_X),
        ],
        areas=[area("A", 12, AUTH_X), area("B", 12, AUTH_Y)],
        casework={("P", "A"): 20, ("P", "B"): 30, ("K", "A"): 35, ("K", "B"): 10, ("O", "A"): 5, ("O", "B"): 5},
        supervision={("H", "P"): 10, ("H", "K"): 10, ("H", "O"): 10},
        rules=rules_with(max_spokes=2),
        aims={AUTH_X: "statutory", AUTH_Y: "preventative"},
    )


def test_lexicographic_values_by_hand():
    """Authority X statutory, Y preventative. One hub, 2 spokes allowed; areas A (12, X) and B (12, Y).

    Hosts: P (police, X) reaches A in 20 and B in 30; K (community, Y, drop-in) reaches A in 35, B in 10;
    O (outreach, X) reaches both in 5. Fit per case (match 2, partial 1, drop-in +1, outreach -2):
    P in X (statutory, statutory) = 2; K in Y (preventative, preventative) + drop-in = 3;
    O in X (outreach orientation 'both' -> partial 1) - 2 = -1.
    Coverage 24 needs two spokes, each with 12 cases. Fit: P and K together give 2*12 + 3*12 = 60,
    the best (K twice is impossible: one place). Travel: P takes A (20), K takes B (10):
    12*20 + 12*10 = 360 — the swap (P-B 30, K-A 35) would be 780 with the same fit.
    """
    inst = lexicographic_instance()
    plan = solve(inst)
    assert check_plan(inst, plan) == []
    assert (plan.objective, plan.host_fit, plan.travel_case_minutes) == (24, 60, 360)
    assert {(a.area_id, a.host_id, a.cases) for a in plan.assignments} == {("A", "P", 12), ("B", "K", 12)}
    assert [s.name for s in plan.stages] == ["coverage", "host_fit", "supervision", "travel"]  # #14: default order
    assert all(s.status == "OPTIMAL" for s in plan.stages)
