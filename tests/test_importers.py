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
    EesFilter,
    EesLayout,
    ees_layout,
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
    assert table.latest(ENGLAND) == {
        "cse_factor_assessments": 14870.0,
        "missing_factor_assessments": 12980.0,
        "cse_rate_per_10000": 12.2,
    }
    assert table.names["E06000057"] == "Northumberland"


def test_ees_series_is_ordered_and_latest_is_the_last_period():
    table = read_ees_csv(EES)
    assert table.series("E06000047", "cse_factor_assessments") == [("202122", 300.0), ("202223", 260.0)]
    assert table.latest("E06000047")["cse_factor_assessments"] == 260.0


@pytest.mark.parametrize(
    "code, indicator",
    [
        ("E06000047", "missing_factor_assessments"),  # c
        ("E06000057", "cse_factor_assessments"),  # x
        ("E06000057", "cse_rate_per_10000"),  # low
        ("E08000021", "missing_factor_assessments"),  # :
        ("E08000021", "cse_rate_per_10000"),  # z
    ],
)
def test_ees_suppression_symbols_become_none(code, indicator):
    assert read_ees_csv(EES).latest(code)[indicator] is None


@pytest.mark.parametrize(
    "text, value",
    [
        ("c", None),
        ("x", None),
        ("z", None),
        (":", None),
        ("low", None),
        ("", None),
        ("12", 12.0),
        ("1,234", 1234.0),
        ("3.5", 3.5),
    ],
)
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


# --- EES filters: the published C3 table (wide) and its long layout --------------------------------
#
# tests/data/ees_c3_factors_at_end_of_assessment.csv has the column layout of the DfE "Characteristics
# of children in need" table C3, factors identified at the end of assessment
# (c3_factors_identified_at_end_of_assessment_2018_to_2025.csv: the standard EES columns with
# old_la_code before new_la_code, a `category` filter column holding one value, then 40 factor
# columns) with SYNTHETIC figures for five North East authorities; ..._long.csv is the same table in
# EES's long layout (an `assessment_factor` filter column and one `number` column) for five factors.

C3 = DATA / "ees_c3_factors_at_end_of_assessment.csv"
C3_LONG = DATA / "ees_c3_factors_at_end_of_assessment_long.csv"
CATEGORY = EesFilter("category", ("Factors identified at the end of assessment",), line=7)
FACTORS = ("Going missing", "Child sexual exploitation", "Trafficking", "Gangs", "Child criminal exploitation")


def layout(*filters: EesFilter, indicators: tuple[str, ...] = ()) -> EesLayout:
    return EesLayout(filters, indicators, file="sources.yaml", line=9)


def test_c3_wide_without_filters_names_its_category_column_as_a_filter():
    """The published table's `category` column is text in every row: one located hint, not a line per row."""
    with pytest.raises(InputError) as caught:
        read_ees_csv(C3, file="c3.csv")
    assert _lines(caught.value) == [
        "error: c3.csv:2: category: holds text such as 'Factors identified at the end of assessment', not numbers: "
        "it looks like an EES filter column; name it under `filters:` with the value(s) to keep "
        "(category: Factors identified at the end of assessment) in SOURCES.yaml or indicators/filters.yaml"
    ]


def test_c3_wide_with_its_category_filter_reads_every_factor_column():
    table = read_ees_csv(C3, layout=layout(CATEGORY))
    assert len(table.indicators) == 40 and table.indicators[0] == "Episodes_with_assessment_factor"
    assert "Child_sexual_exploitation" in table.indicators  # one value throughout: `category` names nothing
    assert table.authority_codes == ("E06000001", "E06000002", "E06000003", "E06000004", "E06000005")
    assert table.series("E06000001", "Child_sexual_exploitation") == [("2024", 32.0), ("2025", None)]  # 2025: c
    assert table.series("E06000004", "Child_sexual_exploitation")[0] == ("2024", 4.0)
    assert table.series(ENGLAND, "Child_sexual_exploitation") == [("2024", 12942.0), ("2025", 16287.0)]
    assert table.measure("Child_sexual_exploitation") == "Child_sexual_exploitation"


def test_c3_wide_with_chosen_indicator_columns_reads_those_only():
    table = read_ees_csv(C3, layout=layout(CATEGORY, indicators=("Child_sexual_exploitation", "Going_missing")))
    assert table.indicators == ("Child_sexual_exploitation", "Going_missing")
    assert table.series("E06000005", "Going_missing") == [("2024", None), ("2025", 76.0)]  # 2024: x
    assert table.latest("E06000005") == {"Child_sexual_exploitation": 84.0, "Going_missing": 76.0}


def test_long_layout_with_its_filter_gives_the_wide_files_figures():
    """The same table both ways: each factor's figures agree, authority by authority and period by period."""
    wide = read_ees_csv(C3, layout=layout(CATEGORY))
    long = read_ees_csv(C3_LONG, layout=layout(EesFilter("assessment_factor", FACTORS, line=7)))
    assert long.indicators == tuple(f"number: {factor}" for factor in FACTORS)  # the filter names the indicator
    for code in (*wide.authority_codes, ENGLAND):
        for factor in FACTORS:
            assert long.series(code, f"number: {factor}") == wide.series(code, factor.replace(" ", "_"))
    assert long.measure("number: Child sexual exploitation") == "number"


def test_long_layout_keeps_only_the_filter_values_asked_for():
    """One value kept of a column with several: the value still names the indicator (it is the breakdown)."""
    table = read_ees_csv(C3_LONG, layout=layout(EesFilter("assessment_factor", ("Child sexual exploitation",))))
    assert table.indicators == ("number: Child sexual exploitation",)
    assert table.latest("E06000001") == {"number: Child sexual exploitation": None}  # c in 2025


def test_long_layout_without_filters_is_the_issue_message_made_useful():
    """Issue #17: `expected a number … got 'Child sexual exploitation'`, now one line that says what to do."""
    with pytest.raises(InputError) as caught:
        read_ees_csv(C3_LONG, file="long.csv")
    assert _lines(caught.value) == [
        "error: long.csv:2: assessment_factor: holds text such as 'Going missing', not numbers: it looks like an "
        "EES filter column; name it under `filters:` with the value(s) to keep (assessment_factor: Going missing) "
        "in SOURCES.yaml or indicators/filters.yaml"
    ]


def test_rows_told_apart_by_a_column_left_out_are_one_located_problem():
    """Reading `number` alone, each authority's figure repeats five times (once per factor)."""
    with pytest.raises(InputError) as caught:
        read_ees_csv(C3_LONG, file="long.csv", layout=layout(indicators=("number",)))
    assert _lines(caught.value) == [
        "error: long.csv:3: number: a second figure for E92000001 in 2024 (first on line 2); column "
        "'assessment_factor' tells these rows apart: name it under `filters:` with the value(s) to keep "
        "(47 more figures repeat the same way)"
    ]


def test_a_filter_column_the_file_lacks_is_located_where_the_filter_is_declared():
    with pytest.raises(InputError) as caught:
        read_ees_csv(C3_LONG, file="long.csv", layout=layout(EesFilter("assesment_factor", FACTORS[:1], line=7)))
    assert _lines(caught.value) == [
        "error: sources.yaml:7: filters.assesment_factor: column 'assesment_factor' is not in long.csv; its "
        "columns after the standard EES ones: 'assessment_factor', 'number'"
    ]


def test_a_filter_value_the_file_lacks_is_located_and_the_values_listed():
    with pytest.raises(InputError) as caught:
        read_ees_csv(
            C3_LONG,
            file="long.csv",
            layout=layout(EesFilter("assessment_factor", ("Child sexual exploitaton", "Gangs"), line=8)),
        )
    assert _lines(caught.value) == [
        "error: sources.yaml:8: filters.assessment_factor: 'Child sexual exploitaton' is not a value of column "
        "assessment_factor in long.csv; its values: 'Child criminal exploitation', 'Child sexual exploitation', "
        "'Gangs', 'Going missing', 'Trafficking'"
    ]


def test_an_indicator_column_the_file_lacks_is_located_at_the_indicators_key():
    with pytest.raises(InputError) as caught:
        read_ees_csv(C3, file="c3.csv", layout=layout(CATEGORY, indicators=("Child_sexual_exploitaton",)))
    [message] = _lines(caught.value)
    assert message.startswith(
        "error: sources.yaml:9: indicators: column 'Child_sexual_exploitaton' is not in c3.csv; "
        "its columns after the standard EES ones: 'category', 'Episodes_with_assessment_factor',"
    )
    assert message.endswith("... (41 in all)")


def _parsed(raw: dict) -> tuple[EesLayout, list[str]]:
    found, problems = ees_layout(raw, "f.yaml", lambda loc: 10 + len(loc))
    return found, [str(p) for p in problems]


def test_layout_keys_are_parsed_and_checked():
    found, problems = _parsed(
        {"filters": {"category": "Factors", "time_period": [2024, "2025"]}, "indicators": ["Going_missing"]}
    )
    assert problems == []
    assert found.filters == (EesFilter("category", ("Factors",), 12), EesFilter("time_period", ("2024", "2025"), 12))
    assert found.indicators == ("Going_missing",) and found.line == 11
    assert found.as_manifest() == {
        "filters": {"category": ["Factors"], "time_period": ["2024", "2025"]},
        "indicators": ["Going_missing"],
    }


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"filters": ["assessment_factor"]}, "error: f.yaml:11: filters: expected a mapping of filter column"),
        (
            {"filters": {"assessment_factor": []}},
            "error: f.yaml:12: filters.assessment_factor: expected the value to keep",
        ),
        (
            {"filters": {"assessment_factor": {"a": 1}}},
            "error: f.yaml:12: filters.assessment_factor: expected the value",
        ),
        ({"filters": {"assessment_factor": True}}, "error: f.yaml:12: filters.assessment_factor: expected the value"),
        ({"indicators": "number"}, "error: f.yaml:11: indicators: expected a list of the indicator columns"),
        (
            {"filters": {"number": "x"}, "indicators": ["number"]},
            "error: f.yaml:11: indicators: 'number' is also a filter column",
        ),
    ],
)
def test_bad_layouts_are_located(raw, expected):
    _, problems = _parsed(raw)
    assert len(problems) == 1 and problems[0].startswith(expected)


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
