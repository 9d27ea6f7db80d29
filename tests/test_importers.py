"""Importers for the published layouts: DfE EES tidy CSV and ONS mid-year population estimates.

The sample files in tests/data/ keep the publishers' column layouts (EES standard columns then
indicators; ONS code, name, geography, all_ages, single years of age).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import InputError
from scoping.analysis.importers import (
    ENGLAND,
    format_period,
    parse_published_number,
    read_ees_csv,
    read_ons_population,
    sniff_kind,
)

DATA = Path(__file__).parent / "data"
EES = DATA / "ees_cin_factors.csv"
ONS = DATA / "ons_mye_persons.csv"


def _lines(error: InputError) -> list[str]:
    return [str(p) for p in error.problems]


# --- EES ----------------------------------------------------------------------------------------

def test_ees_reads_authorities_and_england_and_skips_regions():
    table = read_ees_csv(EES)
    assert table.indicators == ("cse_factor_assessments", "missing_factor_assessments", "cse_rate_per_10000")
    assert table.authority_codes == ("E06000047", "E06000057", "E08000021")  # the regional row is not an authority
    assert table.latest(ENGLAND) == {"cse_factor_assessments": 14870.0, "missing_factor_assessments": 12980.0,
                                     "cse_rate_per_10000": 12.2}
    assert table.names["E06000057"] == "Northumberland"


def test_ees_series_is_ordered_and_latest_is_the_last_period():
    table = read_ees_csv(EES)
    assert table.series("E06000047", "cse_factor_assessments") == [("202122", 300.0), ("202223", 260.0)]
    assert table.latest("E06000047")["cse_factor_assessments"] == 260.0


@pytest.mark.parametrize("code, indicator", [
    ("E06000047", "missing_factor_assessments"),  # c
    ("E06000057", "cse_factor_assessments"),  # x
    ("E06000057", "cse_rate_per_10000"),  # low
    ("E08000021", "missing_factor_assessments"),  # :
    ("E08000021", "cse_rate_per_10000"),  # z
])
def test_ees_suppression_symbols_become_none(code, indicator):
    assert read_ees_csv(EES).latest(code)[indicator] is None


@pytest.mark.parametrize("text, value", [("c", None), ("x", None), ("z", None), (":", None), ("low", None),
                                         ("", None), ("12", 12.0), ("1,234", 1234.0), ("3.5", 3.5)])
def test_published_numbers(text, value):
    assert parse_published_number(text) == value


@pytest.mark.parametrize("text", ["12a", "n/a", "nan", "inf"])
def test_bad_published_numbers_raise(text):
    with pytest.raises(ValueError):
        parse_published_number(text)


def test_ees_unknown_code_and_bad_number_are_located_problems(tmp_path):
    lines = EES.read_text().splitlines()
    lines[6] = lines[6].replace("E06000057", "E06999999")  # line 7: unknown authority
    lines[7] = lines[7].replace(",4,", ",four,")  # line 8: bad number
    bad = tmp_path / "ees.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        read_ees_csv(bad, file="ees.csv")
    messages = _lines(caught.value)
    assert any(m.startswith("error: ees.csv:7: new_la_code: E06999999 is not a known") for m in messages)
    assert any(m.startswith("error: ees.csv:8: cse_factor_assessments: expected a number") for m in messages)
    assert len(messages) == 2


def test_ees_code_of_an_authority_in_the_scenario_is_known(tmp_path):
    lines = EES.read_text().splitlines()
    lines[6] = lines[6].replace("E06000057", "E06000099")
    path = tmp_path / "ees.csv"
    path.write_text("\n".join(lines) + "\n")
    assert "E06000099" in read_ees_csv(path, known_codes=["E06000099"]).authority_codes


def test_ees_missing_standard_column(tmp_path):
    path = tmp_path / "ees.csv"
    path.write_text(EES.read_text().replace("new_la_code", "la_code"))
    with pytest.raises(InputError) as caught:
        read_ees_csv(path, file="ees.csv")
    assert _lines(caught.value) == ["error: ees.csv:1: new_la_code: required column is missing (EES tidy layout)"]


def test_ees_filter_column_names_the_indicator(tmp_path):
    path = tmp_path / "factors.csv"
    path.write_text(
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
        "new_la_code,old_la_code,la_name,assessment_factor,number\n"
        "202223,Reporting year,Local authority,E92000001,England,E12000001,North East,E06000001,805,Hartlepool,"
        "Child sexual exploitation,40\n"
        "202223,Reporting year,Local authority,E92000001,England,E12000001,North East,E06000001,805,Hartlepool,"
        "Going missing,c\n")
    table = read_ees_csv(path, filter_columns=["assessment_factor"])
    assert table.latest("E06000001") == {"number: Child sexual exploitation": 40.0, "number: Going missing": None}


def test_format_period():
    assert format_period("202223") == "2022/23"
    assert format_period("2023") == "2023"


# --- ONS ----------------------------------------------------------------------------------------

def test_ons_population_sums_single_years_of_age():
    populations = read_ons_population(ONS)
    northumberland = populations["E06000057"]
    assert northumberland.population_0_17 == sum(range(2500, 4300, 100))  # ages 0..17: 2,500 rising by 100
    assert northumberland.population_10_17 == sum(range(3500, 4300, 100))
    assert northumberland.line == 4
    england = populations[ENGLAND]
    assert england.population_10_17 == sum(range(660_000, 740_000, 10_000))


def test_ons_skips_regions_and_sums_districts_only_without_a_county_row():
    populations = read_ons_population(ONS)
    assert "E12000001" not in populations
    # Cumbria has its own row: Allerdale (a Cumbrian district) is not added to it.
    assert populations["E10000006"].population_0_17 == 10 * 4000 + 8 * 5000
    # North Yorkshire has no row: Craven (its district in the 2021 lookup) is summed into it.
    assert populations["E10000023"].population_10_17 == 8 * 500


def test_ons_unknown_code_and_bad_count_are_located_problems(tmp_path):
    lines = ONS.read_text().splitlines()
    lines[3] = lines[3].replace("E06000057", "E06999999")
    lines[4] = lines[4].replace(",4000,4000,4000", ",4000,-3,4000", 1)
    path = tmp_path / "mye.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        read_ons_population(path, file="mye.csv")
    messages = _lines(caught.value)
    assert any(m.startswith("error: mye.csv:4: code: E06999999 is not a known") for m in messages)
    assert any(m.startswith("error: mye.csv:5: 1: expected a whole number of people, got '-3'") for m in messages)


def test_ons_accepts_the_ladcode_and_age_prefixed_layout(tmp_path):
    ages = ",".join(f"age_{a}" for a in range(90)) + ",age_90+"
    counts = ",".join(["10"] * 91)
    path = tmp_path / "mye.csv"
    path.write_text(f"ladcode21,laname21,all_ages,{ages}\nE06000001,Hartlepool,910,{counts}\n")
    assert read_ons_population(path)["E06000001"].population_0_17 == 180


def test_ons_without_age_columns_is_an_error(tmp_path):
    path = tmp_path / "mye.csv"
    path.write_text("code,name,all_ages\nE06000001,Hartlepool,92000\n")
    with pytest.raises(InputError) as caught:
        read_ons_population(path, file="mye.csv")
    assert "single-year age columns 0 to 17 are required" in _lines(caught.value)[0]


def test_sniff_kind():
    assert sniff_kind(EES) == "ees"
    assert sniff_kind(ONS) == "ons_population"
