"""Scenario loading: a scenario directory read, validated and turned into the optimiser's Instance.

The front door is re-exported here: :func:`load_scenario` (read and cross-check every file),
:func:`build_instance` (geocode, travel times, the solver-ready instance), :func:`build_programme`
(phases and demand scenarios), and the two results :class:`Scenario` and :class:`PlannedScenario`.
"""

from scoping.scenario.loader import PlannedScenario, Scenario, build_instance, build_programme, load_scenario

__all__ = ["PlannedScenario", "Scenario", "build_instance", "build_programme", "load_scenario"]
