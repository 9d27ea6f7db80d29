"""The report map must not publish exact small counts through circle sizes or shades."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from optimisation.result import Assignment
from reporting.views.map_svg import demand_band_labels, demand_radius, plan_map, unmet_band
from tests.report_fixtures import planned_plan


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    return planned_plan(tmp_path_factory.mktemp("map"))


def circles(svg: str) -> dict[str, tuple[str, str, str]]:
    """Area name -> (radius, fill opacity, title words) for every demand circle."""
    found = re.findall(
        r'<circle [^>]*r="([0-9.]+)" [^>]*fill-opacity="([0-9.]+)"[^>]*><title>([^<:]+): ([^<]+)</title>', svg
    )
    return {name: (radius, opacity, words) for radius, opacity, name, words in found}


def test_every_count_up_to_the_threshold_draws_the_same_circle():
    assert {demand_radius(d, 5) for d in range(0, 6)} == {demand_radius(1, 5)}
    assert demand_radius(6, 5) > demand_radius(5, 5)  # the band above the threshold is visibly bigger
    assert {demand_radius(d, 12) for d in range(0, 13)} == {demand_radius(12, 12)}
    radii = [demand_radius(d, 5) for d in range(0, 200)]
    assert radii == sorted(radii) and len(set(radii)) == 5  # bands grow with demand, five sizes in all


def test_shade_says_only_none_part_or_all_unmet():
    assert unmet_band(4, 4) == "all demand met" and unmet_band(0, 0) == "all demand met"
    assert unmet_band(4, 1) == unmet_band(44, 43) == "demand partly unmet"
    assert unmet_band(4, 0) == "demand unmet"


def test_legend_names_the_bands():
    assert demand_band_labels(5) == "up to 5, 6-10, 11-20, 21-50, over 50"
    assert demand_band_labels(12) == "up to 12, 13-20, 21-50, over 50"


def test_map_of_two_small_areas_cannot_tell_their_counts_apart(planned):
    planned_scenario, plan = planned
    svg = plan_map(planned_scenario.instance, plan, threshold=5)
    drawn = circles(svg)
    assert len(drawn) == len(planned_scenario.instance.areas)
    # Town three (3 cases) and Town four (4 cases) are both "c" in the tables: same circle size.
    assert drawn["Town three"][0] == drawn["Town four"][0]
    assert float(drawn["Town one"][0]) > float(drawn["Town two"][0]) > float(drawn["Town three"][0])
    # Nothing but the three shade levels appears.
    assert {opacity for _, opacity, _ in drawn.values()} <= {"0.10", "0.50", "0.90"}


def test_shade_follows_the_plan(planned):
    planned_scenario, plan = planned
    inst = planned_scenario.instance
    area = next(a for a in inst.areas if a.demand == 44)
    others = [a for a in plan.assignments if a.area_id != area.area_id]
    partly = replace(plan, assignments=tuple(others) + (Assignment(area.area_id, "HOST1", 1),))
    assert circles(plan_map(inst, partly, threshold=5))[area.name][1:] == ("0.50", "demand partly unmet")
    none = replace(plan, assignments=tuple(others))
    assert circles(plan_map(inst, none, threshold=5))[area.name][1:] == ("0.90", "demand unmet")
