"""The demand estimate: cases needing specialist casework at any one time, with a sensitivity range.

The model (every parameter is a field of :class:`DemandModel`, so a scenario can change it):

1. **Base rate** ``r`` — cases at a time per 10,000 young people aged 10–17: the authority's
   ``demand_per_10000_aged_10_17`` if given, else the scenario's, else the rate implied by the
   scenario's own areas that give both ``demand`` and ``population_10_17``
   (sum of demand ÷ sum of population × 10,000). With none of these there is no estimate.
2. **Indicator adjustment** ``a`` — how far the authority's CSE profile departs from the
   comparison group: ``a = (authority indicator rate ÷ comparison rate) ** elasticity``, clipped to
   ``[min_adjustment, max_adjustment]``. The indicator is children-in-need assessments with child
   sexual exploitation as a factor per 10,000 children (``cin_cse_assessments`` ÷
   ``population_0_17``, or per 10,000 aged 10–17 when only that is known); the comparison rate is
   England's when given, else the mean over the scenario's authorities. Without the indicator,
   ``a = 1``. ``elasticity = 0`` switches the adjustment off.
3. **Central estimate** = ``scoping.scenario.build.estimate_demand(population_10_17, r × a)`` (half up).
4. **Sensitivity range**: the same formula at ``r × a × (1 - sensitivity)`` and
   ``r × a × (1 + sensitivity)``, and the spokes each needs at ``caseload_max`` cases per spoke.

The plan itself uses the base formula (step 3 with ``a = 1``) for areas without ``demand``;
the scoping report shows both, with the assumptions, so a commissioner sees how much rests on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scoping.scenario.build import estimate_demand


@dataclass(frozen=True)
class DemandModel:
    """Parameters of the estimate (see the module docstring for the formula)."""

    elasticity: float = 0.5  # 0: ignore indicators; 1: demand proportional to the indicator rate
    min_adjustment: float = 0.5
    max_adjustment: float = 2.0
    sensitivity: float = 0.25  # low/high = central rate x (1 -/+ sensitivity)


@dataclass(frozen=True)
class DemandEstimate:
    """The estimate for one authority, with where each number came from."""

    population_10_17: int | None
    base_rate: float | None  # cases at a time per 10,000 aged 10-17
    base_rate_source: str
    adjustment: float
    adjustment_reason: str
    central: int | None
    low: int | None
    high: int | None
    spokes_central: int | None
    spokes_low: int | None
    spokes_high: int | None

    @property
    def rate(self) -> float | None:
        return None if self.base_rate is None else self.base_rate * self.adjustment


def indicator_adjustment(
    indicator_rate: float | None, comparison_rate: float | None, model: DemandModel
) -> tuple[float, str]:
    """(a, why): the clipped ratio of the authority's indicator rate to the comparison, ** elasticity."""
    if model.elasticity == 0:
        return 1.0, "indicator adjustment switched off (elasticity 0)"
    if indicator_rate is None or not comparison_rate:
        return 1.0, "no CSE indicator rate to adjust by"
    raw = (indicator_rate / comparison_rate) ** model.elasticity
    clipped = min(max(raw, model.min_adjustment), model.max_adjustment)
    reason = (
        f"CSE assessment rate {indicator_rate:.1f} vs {comparison_rate:.1f} per 10,000, elasticity {model.elasticity:g}"
    )
    if clipped != raw:
        reason += f" (clipped from {raw:.2f})"
    return clipped, reason


def spokes_for(cases: int | None, caseload_max: int) -> int | None:
    """Spokes needed to carry `cases` at `caseload_max` each (rounded up)."""
    if cases is None or caseload_max <= 0:
        return None
    return math.ceil(cases / caseload_max)


def estimate_authority_demand(
    population_10_17: int | None,
    base_rate: float | None,
    base_rate_source: str,
    indicator_rate: float | None,
    comparison_rate: float | None,
    caseload_max: int,
    model: DemandModel = DemandModel(),
) -> DemandEstimate:
    """Central, low and high cases at a time for an authority, and the spokes each needs."""
    adjustment, reason = indicator_adjustment(indicator_rate, comparison_rate, model)
    if population_10_17 is None or base_rate is None:
        return DemandEstimate(
            population_10_17, base_rate, base_rate_source, adjustment, reason, None, None, None, None, None, None
        )
    rate = base_rate * adjustment
    central = estimate_demand(population_10_17, rate)
    low = estimate_demand(population_10_17, rate * (1 - model.sensitivity))
    high = estimate_demand(population_10_17, rate * (1 + model.sensitivity))
    return DemandEstimate(
        population_10_17,
        base_rate,
        base_rate_source,
        adjustment,
        reason,
        central,
        low,
        high,
        spokes_for(central, caseload_max),
        spokes_for(low, caseload_max),
        spokes_for(high, caseload_max),
    )


def implied_rate(pairs: list[tuple[int, int]]) -> float | None:
    """Cases per 10,000 aged 10-17 implied by (demand, population_10_17) pairs; None if no population."""
    population = sum(p for _, p in pairs)
    return None if population <= 0 else sum(d for d, _ in pairs) / population * 10_000
