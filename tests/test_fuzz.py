"""Fuzzing: random and mutated scenarios never crash the program.

Every outcome must be one of: an InputError (exit 2, with located problems), an Infeasible with
reasons (exit 3), or a plan that passes the independent checker. Anything else — a KeyError, a
solver crash, a traceback — is a bug.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import InputError
from optimisation.checker import check_plan
from optimisation.result import Infeasible
from optimisation.solve import solve
from scoping.scenario.build import build_instance
from scoping.scenario.loader import load_scenario
from tests.scenario_files import VALID, write_scenario
from tests.strategies import examples

CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1e9",
            "NaN",
            "inf",
            "true",
            "x",
            "=SUM(A1)",
            "999999999999",
            "E06000001",
            "HUB1",
            "HOST1",
            "AREA1",
            "police",
            "outreach",
            "NE1 4LP",
            "ZZ1 1ZZ",
            " ",
            "\u00e9",
            ";",
            '"',
        ]
    ),
    st.text(max_size=12),
    st.integers(-5, 100).map(str),
)


def run_everything(directory: Path) -> str:
    """What the plan command does, without Prefect: returns the kind of outcome."""
    try:
        planned = build_instance(load_scenario(directory))
    except InputError as error:
        assert error.problems and all(str(p).startswith("error: ") for p in error.problems)
        return "bad input"
    try:
        plan = solve(planned.instance, time_limit=10)
    except Infeasible as error:
        assert error.reasons
        return "infeasible"
    assert check_plan(planned.instance, plan) == []
    return "plan"


@st.composite
def mutated_scenarios(draw) -> dict[str, str | None]:
    """VALID with a few cells replaced, rows dropped or duplicated, or files removed."""
    files: dict[str, str | None] = dict(VALID)
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(VALID)))
        text = files[name]
        if text is None:
            continue
        action = draw(st.sampled_from(["cell", "cell", "cell", "drop_row", "duplicate_row", "remove_file", "truncate"]))
        lines = text.splitlines()
        if action == "remove_file":
            files[name] = None
            continue
        if action == "truncate":
            files[name] = text[: draw(st.integers(0, len(text)))]
            continue
        if name == "scenario.yaml":
            key = draw(
                st.sampled_from(
                    [
                        "caseload_min",
                        "caseload_max",
                        "budget_per_year",
                        "max_spokes",
                        "casework_minutes",
                        "spoke_cost_per_year",
                    ]
                )
            )
            files[name] = text + f"{key}: {draw(CELLS)!s}\n" if draw(st.booleans()) else text
            continue
        if not lines:
            continue
        row = draw(st.integers(0, len(lines) - 1))
        if action == "drop_row" and len(lines) > 1:
            lines.pop(row)
        elif action == "duplicate_row":
            lines.insert(row, lines[row])
        else:
            cells = lines[row].split(",")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(CELLS).replace("\n", " ").replace("\r", " ")
            lines[row] = ",".join(cells)
        files[name] = "\n".join(lines) + "\n"
    return files


@settings(max_examples=examples(120))
@given(mutated_scenarios())
def test_mutated_scenarios_never_crash(files):
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder) / "scn"
        directory.mkdir()
        for name, content in files.items():
            if content is not None:
                (directory / name).write_text(content, encoding="utf-8")
        assert run_everything(directory) in {"bad input", "infeasible", "plan"}


@settings(max_examples=examples(40))
@given(
    hubs=st.integers(1, 3),
    hosts=st.integers(0, 5),
    areas=st.integers(1, 8),
    spread_km=st.sampled_from([0, 1, 30, 300]),
    demand=st.integers(0, 40),
    required=st.booleans(),
    budget=st.sampled_from(["", "0", "50000", "1000000"]),
)
def test_degenerate_scenarios_never_crash(hubs, hosts, areas, spread_km, demand, required, budget):
    """One hub, no hosts, no demand, everything at one spot or everything out of reach."""
    step = spread_km * 1000
    files = {
        "hubs.csv": "hub_id,name,easting,northing,min_spokes\n"
        + "".join(f"HUB{i},Hub {i},{400000 + i * step},{500000},1\n" for i in range(hubs)),
        "hosts.csv": "host_id,name,host_type,easting,northing,authority_code\n"
        + "".join(
            f"HOST{j},Host {j},{['police', 'community', 'outreach'][j % 3]},{400000 + j * step},{500000 + step},"
            f"E06000001\n"
            for j in range(hosts)
        ),
        "areas.csv": "area_id,name,authority_code,easting,northing,demand\n"
        + "".join(f"AREA{k},Area {k},E06000001,{400000 + k * step},{500000 - step},{demand}\n" for k in range(areas)),
        "authorities.csv": f"authority_code,name,required\nE06000001,Authority one,{str(required).lower()}\n",
        "scenario.yaml": "spoke_cost_per_year: 40000\n" + (f"budget_per_year: {budget}\n" if budget else ""),
    }
    with tempfile.TemporaryDirectory() as folder:
        directory = write_scenario(Path(folder) / "scn", files)
        outcome = run_everything(directory)
        assert outcome in {"bad input", "infeasible", "plan"}
        if hosts == 0:
            assert outcome == "bad input"  # a scenario needs at least one candidate host
