"""Service-model files: validation (located errors, exit 2 at the CLI) and capacity derivation."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from common.errors import InputError
from scoping.scenario.service_model import episodes_a_year, load_service_model, read_service_model, shipped_models

MINIMAL = """\
id: tiny
name: Tiny model
caseload: {min: 2, max: 3}
eligibility: {age_min: 12, age_max: 17, open_to_social_care: true, population_column: population_12_17}
pathways:
  - id: only
    name: Only pathway
    weeks_min: 12
    weeks_max: 12
    planning_weeks: 12
    episodes_per_10000: 100
"""


def write(tmp_path: Path, text: str, name: str = "model.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_service_model(path)
    return [str(p) for p in caught.value.problems]


def test_shipped_models_load_with_ids_equal_to_file_stems():
    assert shipped_models() == ["cse-hub-and-spoke", "no-wrong-door"]
    for name in shipped_models():
        assert load_service_model(name).id == name


def test_cse_model_is_the_planners_original_rules():
    model = load_service_model("cse-hub-and-spoke")
    assert (model.spec.caseload.min, model.spec.caseload.max) == (10, 12)  # seed 001
    assert model.episodes_per_worker_per_year == 20  # seed 001, given not derived
    assert model.team_roles() == ()
    assert model.population_column == "population_10_17"


def test_one_pathway_capacity_hand_computed(tmp_path):
    # A 12-week pathway, 3 cases held at a time: 3 x 52 / 12 = 13 episodes a year.
    model = read_service_model(write(tmp_path, MINIMAL))
    assert model.planning_weeks == 12
    assert model.episodes_per_worker_per_year == 13
    assert episodes_a_year(3, 12) == 13
    assert episodes_a_year(5, 14) == 18  # 260 / 14 = 18.57, rounded down: never over-promise reach


def test_no_wrong_door_capacity_and_demand_hand_computed():
    model = load_service_model("no-wrong-door")
    # Rates 150, 100, 300 at 14 weeks and 180, 70 at 16 weeks: W = (550 x 14 + 250 x 16) / 800 = 14.625.
    assert model.planning_weeks == pytest.approx(14.625)
    assert model.episodes_per_worker_per_year == 21  # floor(6 x 52 / 14.625) = floor(21.33)
    episodes = model.pathway_episodes(10_000)  # per 10,000: the rates themselves
    assert episodes == {
        "twenty_eight_day": 150,
        "reunification": 100,
        "imminent_risk_of_care": 300,
        "placement_stability": 180,
        "homeless_16_17": 70,
    }
    assert model.cases_at_a_time(episodes) == pytest.approx(11700 / 52)  # 225 cases at a time
    need = model.placement_need(episodes)
    # residential: 150 x 1.0 x 28 = 4,200 nights; at 80% occupancy ceil(4200 / 292) = 15 places.
    assert need["residential"]["nights_per_year"] == pytest.approx(4200)
    assert need["residential"]["places_needed"] == 15
    # foster: 180 x 0.5 x 28 = 2,520 nights; at 85%: ceil(2520 / 310.25) = 9.
    assert need["foster"]["places_needed"] == 9
    assert need["foster"]["places_declared"] == 4
    roles = {r.role_id: r for r in model.team_roles()}
    assert roles["clinician"].needed(7) == 2 and roles["clinician"].needed(6) == 1
    assert roles["police_officer"].needed(2) == 1 and roles["police_officer"].needed(9) == 3
    assert roles["communications_worker"].needed(12) == 1 and roles["communications_worker"].needed(0) == 0


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            MINIMAL.replace("caseload: {min: 2, max: 3}", "caseload: {min: 4, max: 3}"),
            ":3: caseload: caseload min 4 is more than max 3",
        ),
        (
            MINIMAL.replace("    weeks_max: 12\n", "    weeks_max: ten\n"),
            ":9: pathways.0.weeks_max: expected a number, got 'ten'",
        ),
        (
            MINIMAL.replace("planning_weeks: 12", "planning_weeks: 20"),
            ":6: pathways.0: planning_weeks 20 is outside weeks_min..weeks_max (12-12)",
        ),
        (
            MINIMAL.replace("population_12_17", "population_0_4"),
            ":4: eligibility.population_column: expected one of 'population_10_17', 'population_12_17'",
        ),
        (MINIMAL + "colour: red\n", ":12: colour: unknown key"),
        (MINIMAL.replace("id: tiny\n", ""), ":1: id: is required"),
        (
            MINIMAL + "roles:\n  - {id: helper, name: Helper}\n",
            ":13: roles.0: a role needs per_team (at least 1) or workers_per_role",
        ),
        (
            MINIMAL + "roles:\n  - {id: helper, name: Helper, per_team: -1}\n",
            ":13: roles.0.per_team: expected at least 0, got '-1'",
        ),
        ("id: [unclosed\n", ":2: -: not valid YAML"),
    ],
)
def test_bad_files_are_located(tmp_path, text, expected):
    path = write(tmp_path, text)
    lines = problems_of(path)
    assert any(line.startswith(f"error: {path}") and expected in line for line in lines), lines


def test_every_problem_reported_at_once(tmp_path):
    path = write(tmp_path, MINIMAL.replace("max: 3", "max: x").replace("weeks_min: 12", "weeks_min: -1"))
    lines = problems_of(path)
    assert len(lines) == 2, lines


def test_unknown_name_is_a_located_problem():
    with pytest.raises(InputError) as caught:
        load_service_model("nonsense", file="scenario.yaml", line=3)
    (problem,) = caught.value.problems
    assert str(problem).startswith(
        "error: scenario.yaml:3: service_model: unknown service model 'nonsense'; "
        "expected one of cse-hub-and-spoke, no-wrong-door"
    )


def test_a_path_relative_to_the_scenario(tmp_path):
    write(tmp_path, MINIMAL, "mine.yaml")
    assert load_service_model("mine.yaml", base_dir=tmp_path).id == "tiny"
