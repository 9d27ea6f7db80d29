"""Fuzz scenario directories: every outcome must be exit 0, 2 or 3, never a traceback (issue #19).

    .venv/bin/python -m benchmarks.fuzz_scenarios --examples 10000          # about 20-40 minutes
    .venv/bin/python -m benchmarks.fuzz_scenarios --examples 500 --cli 5    # a quick look

Not in CI (it runs for many minutes): tests/test_fuzz.py and tests/test_reliability_corpus.py
hold the small, fast versions. Hypothesis draws each example from a small valid scenario
(tests/scenario_files.py VALID) with hostile changes: scenario.yaml rewritten as random YAML
(known and unknown keys, nested values, anchors and aliases, repeated keys, huge numbers, tags, dates,
deep nesting), CSV cells replaced (numbers out of range, NaN, inf, formulas, quotes, Northern Ireland
and unknown postcodes, longitude/latitude), rows dropped or repeated, bytes cut or inserted (NUL,
UTF-16, invalid UTF-8), and files swapped for a folder, a named pipe, an empty file, a dangling link or
a link out of the scenario.

Each example runs what `spokeplan plan` runs, in this process and without Prefect: load and validate,
the monitoring store, geocoding and travel, then (every --plan-every-th example) the solve, the
independent check, the published counts with the disclosure audit, the files and the whole-set write.
Its exit code is the command's: 2 for InputError (every line `error: FILE:LINE: COLUMN: ...`, at most
2,000 characters), 3 for Infeasible (with reasons), 0 for a plan that passes the checker, and 1 for
anything else: a bug, reported with its traceback and the scenario kept for replay. --cli N runs the
real command line (`spokeplan validate`, a process of its own) on N of the examples and checks the
exit code and that stderr holds nothing but `error:` lines. Prints the figures; exits 1 if any bug.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from common.errors import InputError
from common.files import write_files
from optimisation.checker import check_plan
from optimisation.result import Infeasible
from optimisation.solve import NoPlanFound, solve
from reporting.published.plan import published_counts
from reporting.writers.plan_files import PLAN_FILES, render_plan_files
from scoping.scenario.build import build_instance, build_programme
from scoping.scenario.loader import load_scenario
from scoping.store.outcomes import scenario_monitoring
from tests.scenario_files import VALID, write_scenario

REPO = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^error: \S.*:\d+: [^:]+: .+$")
RULE_KEYS = [
    "caseload_min",
    "caseload_max",
    "cases_per_spoke_per_year",
    "casework_minutes",
    "supervision_minutes",
    "spoke_cost_per_year",
    "budget_per_year",
    "max_spokes",
    "demand_per_10000_aged_10_17",
    "priorities",
    "host_fit",
    "disclosure_threshold",
    "name",
    "description",
    "service_model",
    "monitoring_store",
    "phases",
    "funded_years",
    "discount_rate",
    "demand_range",
    "robust",
    "demand_weights",
]
CELL_VALUES = [
    "",
    "0",
    "-1",
    "1",
    "7",
    "12",
    "1e9",
    "1e309",
    "-0",
    "NaN",
    "inf",
    "-inf",
    "true",
    "yes",
    "x",
    "=SUM(A1)",
    "+1",
    "@x",
    "9" * 40,
    "E06000001",
    "E06000002",
    "E06000099",
    "N09000003",
    "HUB1",
    "HOST1",
    "AREA1",
    "police",
    "outreach",
    "NE1 4LP",
    "BT1 5GS",
    "ZZ1 1ZZ",
    "N10 9AD",
    "1.57",
    "54.7",
    "-1.6",
    " ",
    "\u00e9",
    ";",
    '"',
    "'",
    "\t",
    "a,b",
    "\x00",
    "\u202e",
    "..",
    "../../etc/passwd",
]
YAML_SCALARS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=20),
    st.sampled_from(
        [
            "coverage",
            "host_fit",
            "travel",
            "worst_case",
            "expected",
            "cse-hub-and-spoke",
            "no-wrong-door",
            "../x.yaml",
            "2024-02-30",
            "9" * 5000,
        ]
    ),
)


def yaml_values(depth: int = 3):
    return st.recursive(
        YAML_SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(RULE_KEYS + ["name", "start_year", "x"]), inner, max_size=4),
        ),
        max_leaves=8,
    )


def dump_scalar(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            ".nan"
            if value != value
            else ".inf"
            if value == float("inf")
            else "-.inf"
            if value == float("-inf")
            else repr(value)
        )
    return str(value)


def dump(value, indent: str = "") -> str:
    """Flow-style YAML of a drawn value (written by hand so the text can also carry tricks)."""
    if isinstance(value, list):
        return "[" + ", ".join(dump(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {dump(v)}" for k, v in value.items()) + "}"
    return dump_scalar(value)


@st.composite
def scenario_yaml(draw) -> str | bytes | None:
    kind = draw(st.sampled_from(["valid", "sensible", "sensible", "sensible", "tight", "random", "trick", "absent"]))
    if kind == "absent":
        return None
    if kind == "valid":
        return VALID["scenario.yaml"]
    if kind == "tight":  # rules no plan can meet: exit 3
        return VALID["scenario.yaml"] + draw(
            st.sampled_from(
                [
                    "max_spokes: 0\n",
                    "budget_per_year: 1000\n",
                    "caseload_min: 12\ncaseload_max: 12\nmax_spokes: 1\n",
                    "casework_minutes: 1\nsupervision_minutes: 1\n",
                ]
            )
        )
    if kind == "sensible":  # the valid file with plausible rules: plans, and infeasible ones, come from here
        rules = draw(
            st.dictionaries(
                st.sampled_from(
                    [
                        "caseload_min",
                        "caseload_max",
                        "budget_per_year",
                        "max_spokes",
                        "casework_minutes",
                        "supervision_minutes",
                        "disclosure_threshold",
                        "demand_range",
                        "spoke_cost_per_year",
                    ]
                ),
                st.sampled_from([0, 1, 2, 3, 5, 8, 10, 12, 20, 45, 0.2, 10000, 80000, 500000]),
                max_size=3,
            )
        )
        return VALID["scenario.yaml"] + "".join(f"{key}: {value}\n" for key, value in rules.items())
    if kind == "random":
        keys = draw(st.lists(st.sampled_from(RULE_KEYS + ["unknown_rule"]), max_size=6))
        return "".join(f"{key}: {dump(draw(yaml_values()))}\n" for key in keys)
    trick = draw(
        st.sampled_from(
            ["alias", "bomb", "repeat", "deep", "tag", "merge", "huge", "phases", "binary", "document", "tabs"]
        )
    )
    return {
        "alias": "name: &n x\ndescription: *n\n",
        "bomb": "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\ncaseload_min: *b\n",
        "repeat": "budget_per_year: 1\ncaseload_min: 10\nbudget_per_year: 2\n",
        "deep": "name: " + "[" * 3000 + "]" * 3000 + "\n",
        "tag": "name: !!python/object/apply:os.system ['true']\n",
        "merge": "base: &b {caseload_min: 10}\nhost_fit: {<<: *b}\n",
        "huge": "caseload_min: " + "9" * 6000 + "\n",
        "phases": "phases:\n  - {name: a, start_year: 2015, new_services: 1}\n  - {name: b, start_year: "
        f"{draw(st.integers(1800, 2300))}}}\n",
        "binary": "name: x\n\x00\xff\n",
        "document": "---\nname: a\n---\nname: b\n",
        "tabs": "name:\tx\n\tcaseload_min: 3\n",
    }[trick]


@st.composite
def csv_file(draw, text: str) -> str | bytes | None:
    lines = text.splitlines()
    for _ in range(draw(st.integers(0, 3))):
        action = draw(
            st.sampled_from(
                [
                    "cell",
                    "cell",
                    "cell",
                    "drop_row",
                    "repeat_row",
                    "drop_column",
                    "header",
                    "truncate",
                    "bytes",
                    "blank",
                ]
            )
        )
        if action == "cell" and len(lines) > 1:
            row = draw(st.integers(1, len(lines) - 1))
            cells = lines[row].split(",")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(
                st.one_of(st.sampled_from(CELL_VALUES), st.text(max_size=8))
            )
            lines[row] = ",".join(cells)
        elif action == "drop_row" and len(lines) > 1:
            lines.pop(draw(st.integers(1, len(lines) - 1)))
        elif action == "repeat_row" and len(lines) > 1:
            lines.append(lines[draw(st.integers(1, len(lines) - 1))])
        elif action == "drop_column":
            column = draw(st.integers(0, max(0, len(lines[0].split(",")) - 1)))
            lines = [",".join(c for i, c in enumerate(line.split(",")) if i != column) for line in lines]
        elif action == "header":
            lines[0] = lines[0] + "," + draw(st.sampled_from(["x_note", "dob", "unknown", "", "postcode", "easting"]))
        elif action == "truncate":
            joined = "\n".join(lines)
            return joined[: draw(st.integers(0, len(joined)))]
        elif action == "bytes":
            raw = "\n".join(lines).encode("utf-8")
            at = draw(st.integers(0, len(raw)))
            return (
                raw[:at]
                + draw(st.sampled_from([b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"PK\x03\x04", b"\xe9", b"\r", b'"']))
                + raw[at:]
            )
        elif action == "blank":
            lines.insert(draw(st.integers(1, len(lines))), "")
    if draw(st.integers(0, 19)) == 0:  # a whole other encoding now and then
        return ("\n".join(lines) + "\n").encode("utf-16")
    return "\n".join(lines) + "\n"


OPTIONAL = {
    "services.csv": "service_id,name,service_type,easting,northing\nS1,A MASH,mash,421000,560500\n",
    "travel_times.csv": "from_id,to_id,minutes\nHOST1,AREA1,20\nHUB1,HOST2,30\n",
    "existing_spokes.csv": "hub_id,host_id,count\nHUB1,HOST1,1\n",
    "demand_scenarios.csv": "area_id,scenario,demand\nAREA1,bust,20\nAREA2,bust,5\nAREA3,bust,1\n",
}
SPECIAL = ("folder", "fifo", "dangling", "outside", "empty")


@st.composite
def scenarios(draw) -> dict:
    files: dict = dict(VALID)
    changed = draw(st.lists(st.sampled_from(sorted(VALID)), max_size=3, unique=True))
    for name in changed:
        files[name] = draw(scenario_yaml()) if name == "scenario.yaml" else draw(csv_file(VALID[name]))
    for name, text in OPTIONAL.items():
        if draw(st.integers(0, 3)) == 0:
            files[name] = draw(csv_file(text))
    if draw(st.integers(0, 15)) == 0:
        files[draw(st.sampled_from(sorted(files)))] = draw(st.sampled_from(SPECIAL))
    return files


def write(directory: Path, files: dict) -> Path:
    plain = {name: value for name, value in files.items() if value not in SPECIAL}
    write_scenario(directory, {**{name: None for name in VALID if name not in plain}, **plain})
    for name, value in files.items():
        path = directory / name
        if value == "folder":
            path.mkdir()
        elif value == "fifo":
            os.mkfifo(path)
        elif value == "dangling":
            os.symlink(directory / "nowhere.csv", path)
        elif value == "outside":
            os.symlink("/etc/passwd", path)
        elif value == "empty":
            path.write_bytes(b"")
    return directory


def run(directory: Path, out: Path, plan: bool) -> tuple[int, str]:
    """(exit code, detail) of what `spokeplan plan` runs, without Prefect."""
    try:
        scenario = load_scenario(directory)
        monitoring = scenario_monitoring(scenario)
        planned = build_instance(scenario)
        if not plan:
            return 0, ""
        programme = build_programme(planned)
        if programme is not None:
            from optimisation.robust import plan_programme

            plan_programme(planned.instance, programme, time_limit=10)  # must not raise
            return 0, "programme"
        result = solve(planned.instance, time_limit=10)
        violations = check_plan(planned.instance, result)
        if violations:
            return 1, "the checker rejected the plan: " + "; ".join(violations)
        counts = published_counts(planned, result, scenario.rules.disclosure_threshold, monitoring)
        write_files(out, render_plan_files(planned, result, counts), PLAN_FILES)
        return 0, "plan"
    except InputError as error:
        lines = [str(p) for p in error.problems]
        bad = [line for line in lines if not LINE.match(line) or len(line) > 2100]
        return (2, "") if lines and not bad else (1, f"malformed messages: {bad[:3] or 'none'}")
    except Infeasible as error:
        return (3, "") if error.reasons else (1, "infeasible without reasons")
    except NoPlanFound as error:
        return 1, f"no plan: {error}"
    except Exception:
        return 1, traceback.format_exc()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--plan-every", type=int, default=2, help="solve, render and write every N-th example")
    parser.add_argument("--cli", type=int, default=5, help="also run the real `spokeplan validate` on N examples")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--keep", default="outputs/fuzz-failures", help="where failing scenarios are copied")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")

    work = Path(tempfile.mkdtemp(prefix="spokeplan-fuzz-"))
    outcomes: collections.Counter = collections.Counter()
    details: collections.Counter = collections.Counter()
    failures: list[tuple[Path, str]] = []
    cli_examples: list[Path] = []
    slowest = [0.0, ""]
    count = [0]
    started = time.perf_counter()

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(scenarios())
    def example(files):
        count[0] += 1
        directory = work / f"scn-{count[0]}"
        write(directory, files)
        began = time.perf_counter()
        code, detail = run(directory, work / "out", plan=count[0] % args.plan_every == 0)
        took = time.perf_counter() - began
        if took > slowest[0]:
            slowest[:] = [took, str(directory)]
        outcomes[code] += 1
        details[detail.split(":")[0] if code != 1 else "bug"] += 1
        if code == 1:
            kept = Path(args.keep) / directory.name
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(directory, kept, symlinks=True, ignore_dangling_symlinks=True)
            failures.append((kept, detail))
        if len(cli_examples) < args.cli and count[0] % max(1, args.examples // max(1, args.cli)) == 1:
            cli_examples.append(Path(shutil.copytree(directory, work / f"cli-{count[0]}", symlinks=True)))
        else:
            shutil.rmtree(directory, ignore_errors=True)
        if count[0] % 1000 == 0:
            print(
                f"  {count[0]:>6} examples, {time.perf_counter() - started:7.0f} s: "
                f"exit 0 {outcomes[0]}, 2 {outcomes[2]}, 3 {outcomes[3]}, other {outcomes[1]}",
                flush=True,
            )

    hypothesis_seed(args.seed)(example)()
    wall = time.perf_counter() - started
    print(
        f"spokeplan fuzz: {count[0]} scenario examples in {wall:.0f} s ({wall / max(1, count[0]) * 1000:.0f} ms each)"
    )
    print(
        f"  exit 0: {outcomes[0]} ({details['plan']} planned and written, {details['programme']} phased/robust, "
        f"{outcomes[0] - details['plan'] - details['programme']} validated only)"
    )
    print(f"  exit 2 (bad input, every line located): {outcomes[2]}")
    print(f"  exit 3 (infeasible, with reasons): {outcomes[3]}")
    print(f"  anything else (a bug): {outcomes[1]}")
    print(f"  slowest example: {slowest[0]:.1f} s")
    for kept, detail in failures[:5]:
        print(f"  BUG in {kept}:\n{detail}")

    cli_bad = 0
    for directory in cli_examples:
        process = subprocess.run(
            [sys.executable, "-m", "flows.cli", "validate", str(directory)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=600,
        )
        stderr = process.stderr.strip().splitlines()
        fine = (
            process.returncode in (0, 2, 3)
            and all(LINE.match(line) for line in stderr)
            and "Traceback" not in process.stderr + process.stdout
        )
        cli_bad += not fine
        print(
            f"  spokeplan validate {directory.name}: exit {process.returncode}, {len(stderr)} stderr lines"
            + ("" if fine else f"  NOT FINE:\n{process.stderr[-3000:]}")
        )
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures or cli_bad else 0


if __name__ == "__main__":
    sys.exit(main())
