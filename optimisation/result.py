"""What a solve returns: a frozen plan, or an :class:`Infeasible` error with a diagnosis."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class SpokePlacement:
    """`count` spokes employed by hub `hub_id` and based at host `host_id`."""

    hub_id: str
    host_id: str
    count: int


@dataclass(frozen=True, order=True)
class Assignment:
    """`cases` cases (at any one time) of area `area_id` served from host `host_id`."""

    area_id: str
    host_id: str
    cases: int


@dataclass(frozen=True, order=True)
class TeamPlacement:
    """`count` staff of support role `role` in the team of hub `hub_id` (service-model roles)."""

    hub_id: str
    role: str
    count: int


@dataclass(frozen=True)
class StageResult:
    """One lexicographic stage of the objective (coverage, host_fit, supervision, travel)."""

    name: str
    sense: str  # "max" | "min"
    value: float
    bound: float | None  # proven bound given the earlier stages' values; None: none proven
    status: str  # "OPTIMAL" (proven, given the earlier stages' values) | "FEASIBLE" (not proven)
    seconds: float

    @property
    def gap(self) -> float | None:
        """|bound - value| / max(|bound|, 1); 0 when proven optimal; None without a bound."""
        if self.status == "OPTIMAL":
            return 0.0
        if self.bound is None:
            return None
        return abs(self.bound - self.value) / max(abs(self.bound), 1.0)


@dataclass(frozen=True)
class PlanResult:
    """A checked plan. `objective` and `bound` are in covered cases (priority 1).

    gap = (bound - objective) / max(bound, 1) ; 0 when proven optimal.
    Spokes and assignments are sorted, so equal plans compare (and serialise) equal.
    """

    status: str  # "OPTIMAL" | "FEASIBLE"
    objective: int
    bound: float
    gap: float
    spokes: tuple[SpokePlacement, ...]
    assignments: tuple[Assignment, ...]
    host_fit: int = 0
    travel_case_minutes: int = 0
    backend: str = ""
    solve_seconds: float = 0.0
    stages: tuple[StageResult, ...] = field(default_factory=tuple)
    team: tuple[TeamPlacement, ...] = field(default_factory=tuple)  # support roles per hub (sorted)
    # The feasible plan the solve started from (optimisation.solve: the anytime start): its covered
    # cases and where it came from ("greedy"); the plan returned is never worse than it.
    start_objective: int | None = None
    start_source: str = ""
    supervision_spoke_minutes: int = 0  # issue #14: Σ minutes hub -> host × spokes (measures.plan_supervision)

    @property
    def spokes_total(self) -> int:
        return sum(s.count for s in self.spokes)


class Infeasible(Exception):
    """No plan meets the hard constraints.

    `reasons` is the smallest set of conflicting rules found, each in plain words, e.g.
    "authority E06000031 is required but no host in it is within 90 minutes of any hub".
    """

    def __init__(self, reasons: list[str] | tuple[str, ...]):
        self.reasons = tuple(reasons)
        super().__init__("; ".join(self.reasons) or "the plan is infeasible")
