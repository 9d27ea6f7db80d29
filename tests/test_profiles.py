"""Scoping profiles on small hand-checkable scenarios: each of the four dimensions, the demand
model, benchmarks and recommendations.

The scenario (British National Grid metres, no postcodes, so no directory look-up):

* authority A (E06000001): host H1 and area A1 (demand 10) at (400000, 500000); area A2 (demand 6)
  100 km north; area A3 (demand 4) 150 km east. Measured times: H1->A2 30 min, H1->A3 120 min
  (beyond the 45-minute casework limit), HUB->H1 50 min.
* authority B (E06000002): host H2 (outreach) and area B1 (demand 3) far south-west.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from common.errors import InputError
from scoping.analysis.benchmarks import IndicatorSet, benchmark, nearest_neighbours, rag_flag, read_neighbours, trend_of
from scoping.analysis.demand_model import DemandModel, estimate_authority_demand, implied_rate, indicator_adjustment
from scoping.analysis.importers import read_ees_csv
from scoping.analysis.profiles import (
    FOOTPRINT_BUFFER_M,
    KM_PER_MILE,
    PENCE_PER_MILE,
    VISITS_PER_CASE_YEAR,
    ScopingInputs,
    authority_footprint,
    build_profiles,
    footprint_from_points,
    settlement_class,
)
from scoping.analysis.recommendations import recommendations
from scoping.scenario.build import build_instance
from scoping.scenario.loader import load_scenario
from scoping.scenario.travel_estimate import DETOUR

SCENARIO = {
    "hubs.csv": "hub_id,name,easting,northing\nHUB,The hub,380000,480000\n",
    "hosts.csv": "host_id,name,host_type,easting,northing,authority_code,drop_in\n"
    "H1,Police base,police,400000,500000,E06000001,false\n"
    "H2,Outreach worker,outreach,100000,100000,E06000002,false\n",
    "areas.csv": "area_id,name,authority_code,easting,northing,demand,population_10_17\n"
    "A1,Town,E06000001,400000,500000,10,6000\n"
    "A2,North,E06000001,400000,600000,6,5000\n"
    "A3,East,E06000001,550000,500000,4,4000\n"
    "B1,South,E06000002,101000,100000,3,5000\n",
    "authorities.csv": "authority_code,name,aim,population_0_17,population_10_17,cin_cse_assessments,missing_episodes\n"
    "E06000001,Authority A,statutory,30000,15000,60,40\n"
    "E06000002,Authority B,preventative,10000,5000,10,3\n",
    "services.csv": "service_id,name,service_type,easting,northing,authority_code\n"
    "S1,A MASH,mash,400000,500000,E06000001\n"
    "S2,B drop-in,drop_in,100500,100000,E06000002\n",
    "travel_times.csv": "from_id,to_id,minutes\nH1,A2,30\nH1,A3,120\nHUB,H1,50\n",
    "scenario.yaml": "demand_per_10000_aged_10_17: 10\n",
}


def write(directory, overrides=None):
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in {**SCENARIO, **(overrides or {})}.items():
        if text is not None:
            (directory / name).write_text(text)
    return directory


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    return build_instance(load_scenario(write(tmp_path_factory.mktemp("profiles") / "scn")))


@pytest.fixture(scope="module")
def profiles(planned):
    return {p.code: p for p in build_profiles(planned)}


# --- dimension 1: service landscape ------------------------------------------------------------


def test_service_landscape_counts_gaps_and_hosts(profiles):
    a, b = profiles["E06000001"].services, profiles["E06000002"].services
    assert a.services_by_type["mash"] == 1 and sum(a.services_by_type.values()) == 1
    assert a.gaps == ("specialist_cse", "co_located_team", "cse_coordinator", "voluntary", "drop_in")
    assert [h.host_id for h in a.candidate_hosts] == ["H1"]
    assert a.candidate_hosts[0].orientation == "statutory"
    assert a.candidate_hosts[0].minutes_to_nearest_hub == 50  # measured
    assert a.candidate_hosts[0].share_of_demand_in_reach == pytest.approx(16 / 23)  # A1 + A2 of all demand
    assert a.soft_access_points == 0
    assert b.soft_access_points == 1 and "drop_in" not in b.gaps
    assert b.hosts_by_type == {"outreach": 1}


# --- dimension 2: geography --------------------------------------------------------------------


def test_footprint_of_three_places_is_the_buffered_triangle(profiles):
    geo = profiles["E06000001"].geography
    assert geo.footprint.source == "scenario places"
    side_a, side_b = 100.0, 150.0
    perimeter = side_a + side_b + math.hypot(side_a, side_b)
    buffer_km = FOOTPRINT_BUFFER_M / 1000
    expected = side_a * side_b / 2 + perimeter * buffer_km + math.pi * buffer_km**2
    assert geo.area_km2 == pytest.approx(expected, rel=1e-3)


def test_density_class_from_population_without_postcodes(profiles):
    geo = profiles["E06000001"].geography
    assert geo.postcode_density is None
    assert geo.population_density == pytest.approx(15000 / geo.area_km2)
    assert geo.settlement_class == "rural"  # about 1.9 young people per km2


@pytest.mark.parametrize(
    "density, expected", [(None, None), (4.9, "rural"), (5, "mixed"), (29.9, "mixed"), (30, "urban")]
)
def test_settlement_class_thresholds(density, expected):
    assert settlement_class(density, 5, 30) == expected


def test_share_within_casework_limit_and_median_travel(profiles):
    geo = profiles["E06000001"].geography
    assert (geo.demand_total, geo.demand_in_reach) == (20, 16)  # A3 is 120 min away
    assert geo.share_in_reach == pytest.approx(0.8)
    assert geo.median_minutes_area_to_host == 30  # median of 0, 30 and 120
    assert geo.median_minutes_host_to_hub == 50


def test_travel_time_and_mileage_per_case_year(profiles):
    geo = profiles["E06000001"].geography
    minutes = (10 * 0 + 6 * 30 + 4 * 120) / 20
    km = (10 * 0 + 6 * 100 * DETOUR + 4 * 150 * DETOUR) / 20
    assert geo.travel_hours_per_case_year == pytest.approx(VISITS_PER_CASE_YEAR * 2 * minutes / 60)
    miles = VISITS_PER_CASE_YEAR * 2 * km / KM_PER_MILE
    assert geo.miles_per_case_year == pytest.approx(miles)
    assert geo.mileage_cost_per_case_year == pytest.approx(miles * PENCE_PER_MILE / 100)


class FakeDirectory:
    """Stands in for PostcodeLookup: a square grid of postcodes 1 km apart, 11 x 11."""

    def __init__(self):
        self.calls = []

    def postcodes_in_authority(self, code, letters):
        self.calls.append((code, sorted(letters)))
        rows = [(400000 + 1000 * i, 500000 + 1000 * j) for i in range(11) for j in range(11)]
        return pd.DataFrame(rows, columns=["oseast1m", "osnrth1m"])


def test_footprint_from_the_authoritys_postcodes(planned):
    from dataclasses import replace

    locations = dict(planned.locations)
    locations["H1"] = replace(locations["H1"], postcode="TS24 7AA", authority_code="E06000001")
    with_postcode = replace(planned, locations=locations)
    directory = FakeDirectory()
    footprint = authority_footprint(with_postcode, "E06000001", directory)
    assert directory.calls == [("E06000001", ["T"])]  # only the letters of the authority's own postcodes
    assert footprint.source == "ONS Postcode Directory" and footprint.postcodes == 121
    assert footprint.area_km2 == pytest.approx(100 + 4 * 10 * 0.5 + math.pi * 0.25, rel=1e-3)


def test_real_footprint_of_hartlepool_from_the_postcode_directory(planned):
    """Hartlepool's Standard Area Measurement is 93.7 km2: the hull of its postcodes lands close."""
    from dataclasses import replace

    locations = dict(planned.locations)
    locations["H1"] = replace(locations["H1"], postcode="TS24 7AA", authority_code="E06000001")
    footprint = authority_footprint(replace(planned, locations=locations), "E06000001")
    assert footprint.postcodes > 2000
    assert 80 < footprint.area_km2 < 115


def test_footprint_of_no_points_is_none():
    assert footprint_from_points([], "scenario places") is None


# --- dimension 3: demography and the demand estimate -------------------------------------------


def test_demography_and_demand_estimate(profiles):
    dem = profiles["E06000001"].demography
    assert (dem.population_0_17, dem.population_10_17, dem.population_source) == (30000, 15000, "authorities.csv")
    assert (dem.demand_given, dem.demand_estimated, dem.areas_estimated) == (20, 0, 0)
    estimate = dem.estimate
    assert estimate.base_rate == 10 and "scenario.yaml" in estimate.base_rate_source
    # CIN CSE rate 20 per 10,000 (60 / 30,000) against the scenario mean (20 + 10) / 2 = 15
    assert estimate.adjustment == pytest.approx((20 / 15) ** 0.5)
    rate = 10 * (20 / 15) ** 0.5
    assert estimate.central == math.floor(15000 * rate / 10000 + 0.5) == 17
    assert estimate.low == math.floor(15000 * rate * 0.75 / 10000 + 0.5)
    assert estimate.high == math.floor(15000 * rate * 1.25 / 10000 + 0.5)
    assert (estimate.spokes_low, estimate.spokes_central, estimate.spokes_high) == (
        math.ceil(estimate.low / 12),
        2,
        math.ceil(estimate.high / 12),
    )


def test_estimated_demand_counts_areas_without_demand(tmp_path):
    areas = SCENARIO["areas.csv"].replace(
        "A3,East,E06000001,550000,500000,4,4000", "A3,East,E06000001,550000,500000,,4000"
    )
    planned = build_instance(load_scenario(write(tmp_path / "scn", {"areas.csv": areas})))
    dem = {p.code: p for p in build_profiles(planned)}["E06000001"].demography
    assert (dem.demand_given, dem.demand_estimated, dem.areas_estimated) == (16, 4, 1)  # 4,000 x 10 / 10,000


def test_demand_model_adjustment_is_clipped_and_can_be_switched_off():
    model = DemandModel(elasticity=1.0, max_adjustment=2.0)
    assert indicator_adjustment(50, 10, model)[0] == 2.0
    assert "clipped" in indicator_adjustment(50, 10, model)[1]
    assert indicator_adjustment(50, 10, DemandModel(elasticity=0))[0] == 1.0
    assert indicator_adjustment(None, 10, model)[0] == 1.0


def test_demand_model_without_rate_gives_no_estimate():
    estimate = estimate_authority_demand(1000, None, "none", None, None, 12)
    assert estimate.central is None and estimate.spokes_central is None


def test_implied_rate():
    assert implied_rate([(10, 10000), (5, 5000)]) == pytest.approx(10.0)
    assert implied_rate([]) is None


# --- dimension 4: CSE profile and benchmarks ----------------------------------------------------


def test_cse_profile_rates_and_disclosure_of_small_counts(profiles):
    a = {b.indicator: b for b in profiles["E06000001"].cse.benchmarks}
    b = {x.indicator: x for x in profiles["E06000002"].cse.benchmarks}
    assert a["cin_cse_assessments_per_10000_0_17"].value == pytest.approx(20.0)
    assert a["missing_episodes_per_10000_0_17"].value == pytest.approx(40 / 30000 * 10000)
    assert b["missing_episodes_per_10000_0_17"].hidden  # 3 episodes: a count from 1 to 5
    assert b["missing_episodes_per_10000_0_17"].rag is None
    assert not a["missing_episodes_per_10000_0_17"].hidden
    assert dict(profiles["E06000002"].cse.counts)["missing episodes"] == 3  # disclosed at the report boundary


def test_ees_counts_become_rates_and_england_comes_from_the_national_row(planned):
    ees = read_ees_csv(_ees_for_scenario(planned))
    profile = {p.code: p for p in build_profiles(planned, ScopingInputs(ees_tables=(ees,)))}["E06000001"]
    found = {b.indicator: b for b in profile.cse.benchmarks}
    rate = found["cse_rate_per_10000"]
    assert (rate.value, rate.england) == (30.0, 12.0)
    assert rate.trend == "rising" and rate.trend_change == pytest.approx(0.5)
    count = found["cse_count_per_10000_0_17"]
    assert count.value == pytest.approx(90 / 30000 * 10000)
    assert count.trend == "rising"


def _ees_for_scenario(planned):
    path = planned.scenario.directory / "ees.csv"
    head = (
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
        "new_la_code,old_la_code,la_name,cse_count,cse_rate_per_10000\n"
    )
    la = "Reporting year,Local authority,E92000001,England,E12000001,North East"
    path.write_text(
        head
        + "202223,Reporting year,National,E92000001,England,,,,,,14000,12\n"
        + f"202122,{la},E06000001,805,Authority A,60,20\n"
        + f"202223,{la},E06000001,805,Authority A,90,30\n"
    )
    return path


def test_nearest_neighbours_on_standardised_indicators():
    values = {
        "E1": {"x": 1.0, "y": 100.0},
        "E2": {"x": 2.0, "y": 110.0},
        "E3": {"x": 9.0, "y": 900.0},
        "E4": {"x": 8.0, "y": None},
    }
    neighbours = nearest_neighbours(values, k=2)
    # y is missing for E4, so only x is used: E1's nearest are E2 (1 apart) then E4 (7 apart)
    assert neighbours["E1"] == ["E2", "E4"]
    assert neighbours["E3"] == ["E4", "E2"]


def test_neighbours_file_is_read_in_rank_order_and_checked(tmp_path):
    path = tmp_path / "neighbours.csv"
    path.write_text("authority_code,neighbour_code,rank\nE06000001,E06000003,2\nE06000001,E06000002,1\n")
    assert read_neighbours(path, {"E06000001", "E06000002", "E06000003"}) == {"E06000001": ["E06000002", "E06000003"]}
    path.write_text("authority_code,neighbour_code\nE06000001,E06000009\n")
    with pytest.raises(InputError) as caught:
        read_neighbours(path, {"E06000001"})
    assert ":2: neighbour_code: E06000009 is not a known" in str(caught.value)


@pytest.mark.parametrize(
    "value, comparator, flag",
    [
        (125, 100, "red"),
        (124, 100, "amber"),
        (110, 100, "amber"),
        (109, 100, "green"),
        (50, 100, "green"),
        (None, 100, None),
        (10, None, None),
    ],
)
def test_rag_thresholds(value, comparator, flag):
    assert rag_flag(value, comparator)[1] == flag


def test_trend_needs_two_known_periods():
    assert trend_of([("2021", 10.0), ("2022", None)])[0] is None
    assert trend_of([("2022", 10.0), ("2021", 12.0)])[0] == "falling"  # ordered by period
    assert trend_of([("2021", 10.0), ("2022", 10.4)])[0] == "stable"


def test_benchmark_prefers_neighbours_over_england():
    indicators = IndicatorSet(values={"A": {"r": 30.0}, "B": {"r": 20.0}, "C": {"r": None}}, england={"r": 10.0})
    with_neighbours = benchmark("A", indicators, ["B", "C"])[0]
    assert (with_neighbours.comparator, with_neighbours.neighbours_mean, with_neighbours.rag) == (
        "neighbours",
        20.0,
        "red",
    )
    alone = benchmark("A", indicators, ["C"])[0]
    assert (alone.comparator, alone.rag) == ("England", "red")


# --- recommendations ---------------------------------------------------------------------------


def test_recommendations_follow_the_evaluation(profiles):
    a = {r.topic: r for r in recommendations(profiles["E06000001"], 45, 90, 12)}
    assert "co-located statutory setting" in a["Spoke location by aim"].text
    assert "Police base" in a["Spoke location by aim"].evidence
    assert "message 11" in a["Spoke location by aim"].source and "§5.3" in a["Spoke location by aim"].source
    assert "no drop-in" in a["'Soft' access point"].evidence
    assert "20% of demand is beyond 45 minutes" in a["Rural travel burden"].evidence
    assert "Supervision of lone workers" not in a  # 50 min to the hub, within 0.75 x 90
    b = {r.topic: r for r in recommendations(profiles["E06000002"], 45, 90, 12)}
    assert "community resource" in b["Spoke location by aim"].text
    assert "'Soft' access point" not in b  # preventative aim
    assert "every candidate is an outreach model" in b["Supervision of lone workers"].evidence
    assert "message 9" in b["Supervision of lone workers"].source


def test_progress_is_reported_per_authority(planned):
    calls = []
    build_profiles(planned, on_progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert calls == [("scoping profiles", 1, 2), ("scoping profiles", 2, 2)]
