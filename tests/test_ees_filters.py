"""EES filters where users declare them (#17 item 3): indicators/filters.yaml beside a scenario and
`filters:` / `indicators:` of an ees source in SOURCES.yaml, each problem located at its line; the
published C3 table then feeds the scoping profile (its Child_sexual_exploitation column is the demand
model's CSE indicator); the refresh records a source's layout and sees a changed layout as a change.

The data files are tests/data/ees_c3_factors_at_end_of_assessment*.csv (the published C3 columns,
SYNTHETIC figures; see tests/test_importers.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from common.errors import InputError
from scoping.analysis.indicator_files import folder_indicator_files, read_scoping_inputs
from scoping.analysis.profiles import build_profiles
from scoping.scenario.build import build_instance
from scoping.scenario.loader import load_scenario
from scoping.store.refresh import fetch, load_sources, refresh, validate
from tests.test_profiles import SCENARIO, write

DATA = Path(__file__).parent / "data"
C3 = DATA / "ees_c3_factors_at_end_of_assessment.csv"
C3_LONG = DATA / "ees_c3_factors_at_end_of_assessment_long.csv"
ONS = DATA / "ons_mye_persons.csv"
C3_NAME = "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv"  # the published file's name

FILTERS_YAML = f"""\
# how to read the EES files beside this one
{C3_NAME}:
  filters:
    category: Factors identified at the end of assessment
  indicators: [Child_sexual_exploitation, Going_missing]
cin_factors_long.csv:
  filters:
    assessment_factor: [Child sexual exploitation, Going missing]
"""


def scenario_with_indicators(
    root: Path, filters_yaml: str | None = FILTERS_YAML, authorities: str | None = None
) -> Path:
    """The profiles scenario (authorities E06000001 and E06000002) with the C3 table both ways."""
    scenario = write(root, {"authorities.csv": authorities} if authorities else None)
    folder = scenario / "indicators"
    folder.mkdir()
    shutil.copy(C3, folder / C3_NAME)
    shutil.copy(C3_LONG, folder / "cin_factors_long.csv")
    if filters_yaml is not None:
        (folder / "filters.yaml").write_text(filters_yaml)
    return scenario


def messages(error: InputError) -> list[str]:
    return [str(p) for p in error.problems]


def test_filters_yaml_gives_each_ees_file_its_layout(tmp_path):
    scenario = load_scenario(scenario_with_indicators(tmp_path / "scn"))
    inputs = read_scoping_inputs(scenario)
    [wide] = [t for t in inputs.ees_tables if t.file.endswith(C3_NAME)]
    [long] = [t for t in inputs.ees_tables if t.file.endswith("cin_factors_long.csv")]
    assert Path(wide.file).name == C3_NAME and wide.indicators == ("Child_sexual_exploitation", "Going_missing")
    assert long.indicators == ("number: Going missing", "number: Child sexual exploitation")
    assert wide.series("E06000002", "Child_sexual_exploitation") == [("2024", 91.0), ("2025", 99.0)]
    assert long.series("E06000002", "number: Child sexual exploitation") == [("2024", 91.0), ("2025", 99.0)]


def test_without_filters_yaml_the_published_table_is_refused_with_what_to_write(tmp_path):
    scenario = load_scenario(scenario_with_indicators(tmp_path / "scn", filters_yaml=None))
    with pytest.raises(InputError) as caught:
        read_scoping_inputs(scenario)
    folder = scenario.directory / "indicators"
    assert messages(caught.value) == [
        f"error: {folder / C3_NAME}:2: category: holds text such as 'Factors identified at the end of assessment', "
        "not numbers: it looks like an EES filter column; name it under `filters:` with the value(s) to keep "
        "(category: Factors identified at the end of assessment) in SOURCES.yaml or indicators/filters.yaml",
        f"error: {folder / 'cin_factors_long.csv'}:2: assessment_factor: holds text such as 'Going missing', not "
        "numbers: it looks like an EES filter column; name it under `filters:` with the value(s) to keep "
        "(assessment_factor: Going missing) in SOURCES.yaml or indicators/filters.yaml",
    ]


@pytest.mark.parametrize(
    "text, line, column, message",
    [
        (
            FILTERS_YAML.replace("category:", "categroy:"),
            4,
            "filters.categroy",
            f"column 'categroy' is not in {{folder}}/{C3_NAME}; its columns after the standard EES ones: 'category',",
        ),
        (
            FILTERS_YAML.replace("[Child sexual exploitation,", "[Child sexual exploitaton,"),
            8,
            "filters.assessment_factor",
            "'Child sexual exploitaton' is not a value of column assessment_factor in "
            "{folder}/cin_factors_long.csv; its values: 'Child criminal exploitation',",
        ),
        (
            FILTERS_YAML.replace("Going_missing]", "Going_Missing]"),
            5,
            "indicators",
            f"column 'Going_Missing' is not in {{folder}}/{C3_NAME}; its columns after",
        ),
        (
            FILTERS_YAML.replace("cin_factors_long.csv:", "cin_factors.csv:"),
            6,
            "cin_factors.csv",
            f"no file 'cin_factors.csv' in {{folder}}; its CSV files: {C3_NAME}, cin_factors_long.csv",
        ),
        (
            FILTERS_YAML.replace("  indicators:", "  indicator:"),
            5,
            "indicator",
            "unknown key; expected filters or indicators",
        ),
        (
            FILTERS_YAML + "ons.csv:\n  indicators: [population]\n",
            10,
            "ons.csv",
            "filters and indicators apply to EES files; this one is an ONS",
        ),
    ],
)
def test_bad_filters_yaml_is_located_at_its_line(tmp_path, text, line, column, message):
    directory = scenario_with_indicators(tmp_path / "scn", filters_yaml=text)
    shutil.copy(ONS, directory / "indicators" / "ons.csv")
    folder = directory / "indicators"
    with pytest.raises(InputError) as caught:
        read_scoping_inputs(load_scenario(directory))
    assert len(caught.value.problems) == 1
    assert messages(caught.value)[0].startswith(
        f"error: {folder / 'filters.yaml'}:{line}: {column}: {message.format(folder=folder)}"
    )


def test_the_published_c3_column_is_the_demand_models_cse_indicator(tmp_path):
    """Child_sexual_exploitation (C3) per 10,000 aged 0-17 adjusts the demand estimate, against England's rate
    from the ONS file: 99 of 10,000 children in Authority B in 2025 against 16,287 of 11,610,000 in England."""
    authorities = (
        "authority_code,name,aim,population_0_17,population_10_17\n"
        "E06000001,Authority A,statutory,30000,15000\n"
        "E06000002,Authority B,preventative,10000,5000\n"
    )
    directory = scenario_with_indicators(tmp_path / "scn", authorities=authorities)
    shutil.copy(ONS, directory / "indicators" / "ons.csv")
    planned = build_instance(load_scenario(directory))
    profiles = {p.code: p for p in build_profiles(planned, read_scoping_inputs(planned.scenario))}
    estimate = profiles["E06000002"].demography.estimate
    england = 16287 / sum(range(560_000, 740_000, 10_000)) * 10_000
    assert estimate.adjustment_reason.startswith(f"CSE assessment rate 99.0 vs {england:.1f} per 10,000")
    assert estimate.adjustment == 2.0  # (99 / 14.0) ** 0.5 = 2.66, clipped to the model's maximum
    labels = [b.label for b in profiles["E06000002"].cse.benchmarks]
    assert "Child sexual exploitation per 10,000 aged 0–17" in labels


def test_folder_without_filters_yaml_reads_files_as_they_are(tmp_path):
    directory = write(tmp_path / "scn")
    (directory / "indicators").mkdir()
    shutil.copy(DATA / "ees_cin_factors.csv", directory / "indicators" / "ees.csv")
    [only] = folder_indicator_files(directory)
    assert only.kind == "ees" and only.layout.filters == () and only.layout.indicators == ()


# --- SOURCES.yaml -----------------------------------------------------------------------------------

SOURCES = f"""\
sources:
  - name: authorities
    url: data/authorities.csv
    schema: authorities
  - name: cin_factors
    url: data/{C3_NAME}
    schema: ees
    filters:
      category: Factors identified at the end of assessment
    indicators: [Child_sexual_exploitation]
"""


def sources_file(root: Path, text: str = SOURCES) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "authorities.csv").write_text(SCENARIO["authorities.csv"])
    shutil.copy(C3, root / "data" / C3_NAME)
    (root / "sources.yaml").write_text(text)
    return root / "sources.yaml"


def collect_and_refresh(path: Path, store: Path):
    sources = load_sources(path)
    return refresh(sources, store, [validate(s, fetch(s.url)) for s in sources])


def test_an_ees_source_reads_with_its_filters_and_the_manifest_records_them(tmp_path):
    path = sources_file(tmp_path)
    [_, ees] = load_sources(path)
    assert ees.layout.filters[0].column == "category" and ees.layout.filters[0].line == 9
    result = collect_and_refresh(path, tmp_path / "store")
    assert result.problems == [] and result.changes["cin_factors"]["status"] == "new"
    assert result.changes["cin_factors"]["added"] == [
        "E06000001",
        "E06000002",
        "E06000003",
        "E06000004",
        "E06000005",
    ]  # England's row is the comparison
    manifest = json.loads((tmp_path / "store" / "latest.json").read_text())
    assert manifest["sources"]["cin_factors"]["filters"] == {
        "category": ["Factors identified at the end of assessment"]
    }
    assert manifest["sources"]["cin_factors"]["indicators"] == ["Child_sexual_exploitation"]
    assert "filters" not in manifest["sources"]["authorities"]


def test_a_changed_layout_is_a_changed_source_though_the_file_is_the_same(tmp_path):
    path = sources_file(tmp_path)
    first = collect_and_refresh(path, tmp_path / "store")
    assert collect_and_refresh(path, tmp_path / "store").snapshot is None  # nothing changed: nothing written
    sources_file(tmp_path, SOURCES.replace("[Child_sexual_exploitation]", "[Child_sexual_exploitation, Gangs]"))
    second = collect_and_refresh(path, tmp_path / "store")
    assert second.snapshot not in (None, first.snapshot)
    assert second.changes["cin_factors"]["status"] == "changed"
    assert second.changes["authorities"]["status"] == "unchanged"
    moved = {(m["key"], m["column"]) for m in second.changes["cin_factors"]["moved"]}
    assert ("E06000002", "Gangs") in moved


def test_a_filter_value_the_file_lacks_rejects_the_source_at_its_sources_yaml_line(tmp_path):
    path = sources_file(tmp_path, SOURCES.replace("end of assessment", "end of assesment"))
    result = collect_and_refresh(path, tmp_path / "store")
    assert result.changes["cin_factors"]["status"] == "rejected, none kept"
    assert result.problems == [
        f"error: {path}:9: filters.category: 'Factors identified at the end of assesment' is not a value of column "
        f"category in {tmp_path / 'data' / C3_NAME}; its values: 'Factors identified at the end of assessment'"
    ]
    assert result.changes["authorities"]["status"] == "new"  # the others still land


@pytest.mark.parametrize(
    "text, message",
    [
        (
            SOURCES.replace(
                "    url: data/authorities.csv\n", "    url: data/authorities.csv\n    filters: {aim: both}\n"
            ),
            ":4: filters: filters and indicators apply to ees sources only; this source's schema is 'authorities'",
        ),
        (
            SOURCES.replace("    indicators: [Child_sexual_exploitation]", "    indicators: Child_sexual_exploitation"),
            ":10: indicators: expected a list of the indicator columns to read",
        ),
        (
            SOURCES.replace("    indicators:", "    indicator:"),
            ":10: indicator: unknown key; expected name, url, schema",
        ),
    ],
)
def test_bad_layout_keys_in_sources_yaml_are_located(tmp_path, text, message):
    path = sources_file(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_sources(path)
    assert messages(caught.value)[0].startswith(f"error: {path}{message}")
