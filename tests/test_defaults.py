"""Each default written once (issue #13 item 3): the pydantic schema of each input file is the one
source of its defaults, the optimiser's records are derived from the schemas, scenario.yaml and the
service model are each read once per load, and the disclosure threshold reaches every sentence."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from common import files
from optimisation.instance import Authority, Host, HostFitScores, Hub, Rules, TeamRole
from scoping.scenario.build import Location, build_instance, host_from, hub_from, rules_from
from scoping.scenario.loader import load_scenario
from scoping.scenario.schemas import HostRow, HubRow
from scoping.scenario.service_model import DEFAULT_MODEL, load_service_model
from scoping.scenario.settings import ScenarioRules, default_settings
from tests.scenario_files import VALID, write_scenario

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("record", [Rules, Hub, Host, Authority, HostFitScores, TeamRole])
def test_the_optimisers_records_carry_no_defaults_of_their_own(record):
    assert [
        f.name
        for f in dataclasses.fields(record)
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    ] == []


def test_rules_are_scenario_yamls_settings_of_the_same_names():
    settings = ScenarioRules.model_validate(
        {
            **default_settings().model_dump(),
            "caseload_min": 7,
            "max_spokes": 9,
            "host_fit": {"match": 5},
            "priorities": ["coverage", "travel", "host_fit"],
        }
    )
    rules = rules_from(settings, ())
    for field in dataclasses.fields(Rules):
        if field.name not in ("host_fit", "team_roles", "priorities", "staff_cost_per_minute"):
            assert getattr(rules, field.name) == getattr(settings, field.name), field.name
    # Derived where scenario.yaml is silent (issue #14): spoke_cost_per_year / (220 x 7.5 x 60).
    assert rules.staff_cost_per_minute == settings.staff_minute_cost == settings.spoke_cost_per_year / 99_000
    assert (rules.caseload_min, rules.max_spokes, rules.priorities) == (7, 9, ("coverage", "travel", "host_fit"))
    assert (
        dataclasses.asdict(rules.host_fit)
        == settings.host_fit.model_dump()
        == {"match": 5, "partial": 1, "outreach_penalty": 2, "drop_in_bonus": 1}
    )


def test_the_default_caseload_is_the_default_service_models():
    """scenario.yaml without caseload keys takes the caseload and the episodes a year of
    inputs/service_models/cse-hub-and-spoke.yaml (seed 001: 10-12, about 20 a year): the one place."""
    model = load_service_model(DEFAULT_MODEL)
    settings = default_settings()
    assert (
        (settings.caseload_min, settings.caseload_max, settings.cases_per_spoke_per_year)
        == (model.spec.caseload.min, model.spec.caseload.max, model.episodes_per_worker_per_year)
        == (10, 12, 20)
    )
    assert ScenarioRules.model_fields["caseload_min"].is_required()  # no second copy in the schema


def test_hubs_and_hosts_take_the_csv_schemas_defaults():
    hub = hub_from(HubRow(hub_id="H", name="Hub", easting=420000, northing=560000), Location(1.0, 2.0), 75, 40_000.0)
    assert hub.manager_cost_per_year == 40_000.0  # the scenario's, when hubs.csv gives none
    assert (
        (hub.min_spokes, hub.max_spokes, hub.managers, hub.manager_span, hub.supervision_limit)
        == (
            HubRow.model_fields["min_spokes"].default,
            HubRow.model_fields["max_spokes"].default,
            HubRow.model_fields["managers"].default,
            HubRow.model_fields["manager_span"].default,
            75,
        )
        == (2, 5, 1, 5, 75)
    )
    own = hub_from(
        HubRow(
            hub_id="H", name="Hub", easting=420000, northing=560000, supervision_minutes=30, manager_cost_per_year=9.0
        ),
        Location(1.0, 2.0),
        75,
        40_000.0,
    )
    assert own.manager_cost_per_year == 9.0
    assert own.supervision_limit == 30
    host = host_from(
        HostRow(host_id="J", name="Base", host_type="police", easting=420000, northing=560000),
        Location(1.0, 2.0, "E06000001"),
    )
    assert (host.max_spokes, host.annual_cost, host.drop_in, host.aims, host.authority_code) == (
        1,
        0.0,
        False,
        "",
        "E06000001",
    )


def _count_reads(monkeypatch) -> dict[str, int]:
    """Count every read of a file's bytes or text, by file name (every input file is read through
    common.files.read_input_bytes; Path.read_bytes / read_text are counted too, should one creep back)."""
    reads: dict[str, int] = {}
    read_bytes, read_text, read_input = Path.read_bytes, Path.read_text, files.read_input_bytes

    def counting_bytes(self):
        reads[self.name] = reads.get(self.name, 0) + 1
        return read_bytes(self)

    def counting_text(self, *args, **kwargs):
        reads[self.name] = reads.get(self.name, 0) + 1
        return read_text(self, *args, **kwargs)

    def counting_input(path, *args, **kwargs):
        reads[Path(path).name] = reads.get(Path(path).name, 0) + 1
        return read_input(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", counting_bytes)
    monkeypatch.setattr(Path, "read_text", counting_text)
    monkeypatch.setattr(files, "read_input_bytes", counting_input)
    return reads


def test_scenario_yaml_and_its_service_model_are_read_once(tmp_path, monkeypatch):
    """A scenario that names a service model, a monitoring store and demand weights: every one of
    them used to read scenario.yaml again (four reads) and the model twice (three with its hash)."""
    model_file = tmp_path / "my-model.yaml"
    model_file.write_text(
        (REPO / "inputs/service_models/cse-hub-and-spoke.yaml")
        .read_text()
        .replace("outcomes_catalogue: ../outcomes/", f"outcomes_catalogue: {REPO}/inputs/outcomes/")
    )
    (tmp_path / "store").mkdir()
    directory = write_scenario(
        tmp_path / "scn",
        {
            "scenario.yaml": VALID["scenario.yaml"]
            + (
                f"service_model: {model_file}\nmonitoring_store: ../store\ndemand_range: 0.2\n"
                "demand_weights: {central: 2, low: 1, high: 1}\n"
            )
        },
    )
    reads = _count_reads(monkeypatch)
    build_instance(load_scenario(directory))
    assert reads["scenario.yaml"] == 1
    assert reads["my-model.yaml"] == 1


def test_without_scenario_yaml_the_default_model_is_read_once(tmp_path, monkeypatch):
    directory = write_scenario(tmp_path / "scn", {"scenario.yaml": None})
    reads = _count_reads(monkeypatch)
    scenario = load_scenario(directory)
    assert "scenario.yaml" not in reads and reads[f"{DEFAULT_MODEL}.yaml"] == 1
    assert scenario.rules == default_settings()
