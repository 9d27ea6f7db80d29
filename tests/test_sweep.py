"""Sweeps: SWEEP.yaml expansion and its located errors, variant instances exactly as if built from their own
files, the comparison report, and a sweep interrupted midway that resumes from its cache (solves counted)."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import pytest

import flows.sweep_flow as sweep_flow_module
from common.errors import InputError
from flows.params import SweepParams
from flows.sweep_flow import sweep_flow
from scoping.scenario.build import build_instance
from scoping.scenario.sweep import apply_variant, load_sweep, variant_key, widened, widest_limits
from tests.sweep_files import SWEEP, TWO_HUBS, write_sweep


def test_grid_list_and_marginal_curve_expand_in_order(tmp_path):
    spec, _ = load_sweep(write_sweep(tmp_path))
    names = [v.name for v in spec.variants]
    # 3 budgets x 2 caseloads = 6, one of which is the base itself (no budget, 10-12): 5 grid variants
    assert names[0] == "base"
    # money as people write it (issue #17: a budget read as a float printed as 780000.0)
    assert names[1:6] == [
        "budget_per_year=£80,000",
        "budget_per_year=£80,000, caseload_min=8",
        "budget_per_year=£125,000",
        "budget_per_year=£125,000, caseload_min=8",
        "caseload_min=8",
    ]
    assert names[6:9] == ["east hub off", "casework within 8 minutes", "required=E06000001+E06000003"]
    assert names[9:] == [f"at most {k} spokes" for k in range(1, 5)]
    assert [v.kind for v in spec.variants].count("marginal") == 4
    assert spec.time_limit == 20 and spec.workers == 1


def test_bad_settings_are_located_errors(tmp_path):
    text = SWEEP.replace("hubs_off: [HUB2]", "hubs_off: [HUB9]").replace("[8, 12]", "[13, 12]") + "colour: blue\n"
    with pytest.raises(InputError) as caught:
        load_sweep(write_sweep(tmp_path, text))
    messages = [str(p) for p in caught.value.problems]
    file = str(tmp_path / "sweep.yaml")
    assert f"error: {file}:10: hubs_off: HUB9 not found; expected a hub_id in hubs.csv" in messages
    assert any(m.startswith(f"error: {file}:7: caseload: expected [min, max]") for m in messages)
    assert any(m.startswith(f"error: {file}:15: colour: unknown key") for m in messages)


def test_a_phased_or_robust_base_scenario_is_refused(tmp_path):
    """Sweep variants are one-snapshot plans: a base with phases or demand scenarios is an input error."""
    rules = TWO_HUBS["scenario.yaml"]
    for extra in ("phases:\n  - {name: one, start_year: 2014, new_services: 1}\n", "demand_range: 0.2\n"):
        directory = tmp_path / str(len(extra))
        directory.mkdir()
        with pytest.raises(InputError) as caught:
            load_sweep(write_sweep(directory, scenario={"scenario.yaml": rules + extra}))
        (problem,) = caught.value.problems
        assert str(problem).startswith(f"error: {directory / 'sweep.yaml'}:2: base: the base scenario declares phases")
    load_sweep(write_sweep(tmp_path))  # the same scenario without them is accepted


def test_a_listed_variant_equal_to_another_is_an_error(tmp_path):
    text = SWEEP + "  - {name: again, caseload_min: 8}\n"
    text = text.replace(
        "marginal_spokes: 4\n  - {name: again, caseload_min: 8}\n",
        "  - {name: again, caseload: [8, 12]}\nmarginal_spokes: 4\n",
    )
    with pytest.raises(InputError) as caught:
        load_sweep(write_sweep(tmp_path, text))
    assert "same settings as variant 'caseload_min=8'" in str(caught.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"casework_minutes": 8},
        {"casework_minutes": 20, "supervision_minutes": 15},
        {"supervision_minutes": 20},
    ],
)
def test_travel_limits_filtered_from_the_widest_instance_equal_a_direct_build(tmp_path, changes):
    """Exactness of filtering: the variant's pairs are those a build at its own limits gives."""
    spec, scenario = load_sweep(write_sweep(tmp_path, SWEEP.replace("casework_minutes: 8", "casework_minutes: 60")))
    casework, supervision = widest_limits(spec, scenario)
    assert casework == 60
    base = build_instance(widened(scenario, casework, supervision))
    from scoping.scenario.sweep import Variant

    variant = Variant("v", tuple(sorted(changes.items())))
    got = apply_variant(base, scenario, variant)
    direct_rules = scenario.rules.model_copy(update=changes)
    direct = build_instance(dataclasses.replace(scenario, rules=direct_rules)).instance
    assert dict(got.casework_minutes) == dict(direct.casework_minutes)
    assert dict(got.supervision_minutes) == dict(direct.supervision_minutes)
    assert got.rules == direct.rules
    assert got.hubs == direct.hubs


@pytest.mark.parametrize("bus_limit", ["", "casework_minutes_public_transport: 50\n"])
def test_casework_minutes_sweeps_the_limit_of_the_bases_mode(tmp_path, bus_limit):
    """With casework_mode public_transport the knob is the bus limit (casework_minutes_public_transport when
    the base gives one), and filtering the widest instance still equals a direct build."""
    rules = TWO_HUBS["scenario.yaml"] + "casework_mode: public_transport\n" + bus_limit
    spec, scenario = load_sweep(
        write_sweep(tmp_path, SWEEP.replace("casework_minutes: 8", "casework_minutes: 70"), {"scenario.yaml": rules})
    )
    assert dict(spec.base_values)["casework_minutes"] == scenario.rules.casework_limit == (50 if bus_limit else 45)
    base = build_instance(widened(scenario, *widest_limits(spec, scenario)))
    assert base.scenario.rules.casework_limit == 70
    variant = next(v for v in spec.variants if v.name == "casework within 8 minutes")
    got = apply_variant(base, scenario, variant)
    direct = build_instance(dataclasses.replace(scenario, rules=scenario.rules.with_casework_limit(70))).instance
    assert dict(got.casework_minutes) == dict(direct.casework_minutes)
    assert got.rules.casework_minutes == 70
    assert 0 < len(got.casework_minutes) < 4 * 5  # by bus, 70 minutes reaches some host-area pairs, not all


def test_hubs_off_and_required_change_only_their_part(tmp_path):
    spec, scenario = load_sweep(write_sweep(tmp_path))
    base = build_instance(widened(scenario, *widest_limits(spec, scenario)))
    by_name = {v.name: v for v in spec.variants}
    off = apply_variant(base, scenario, by_name["east hub off"])
    assert [h.hub_id for h in off.hubs] == ["HUB1"]
    assert all(hub == "HUB1" for hub, _ in off.supervision_minutes)
    required = apply_variant(base, scenario, by_name["required=E06000001+E06000003"])
    assert {a.authority_code for a in required.authorities if a.required} == {"E06000001", "E06000003"}
    assert required.hubs == apply_variant(base, scenario, by_name["base"]).hubs


def test_priorities_replace_the_base_scenarios_order_for_every_variant(tmp_path):
    """SWEEP.yaml's `priorities`: every variant's instance (base, grid, listed, marginal) ranks its objective
    stages in that order, and the cache key changes with it (a variant solved in another order is not reused)."""
    order = ("coverage", "supervision", "host_fit", "travel")
    default_spec, default_scenario = load_sweep(write_sweep(tmp_path / "a"))
    spec, scenario = load_sweep(write_sweep(tmp_path / "b", SWEEP + f"priorities: [{', '.join(order)}]\n"))
    assert default_spec.priorities == ("coverage", "host_fit", "supervision", "travel")  # the scenario's (default)
    assert spec.priorities == order and scenario.rules.priorities == order
    assert [v.name for v in spec.variants] == [v.name for v in default_spec.variants]
    base = build_instance(widened(scenario, *widest_limits(spec, scenario)))
    default_base = build_instance(widened(default_scenario, *widest_limits(default_spec, default_scenario)))
    for variant in spec.variants:
        inst = apply_variant(base, scenario, variant)
        default = apply_variant(default_base, default_scenario, variant)
        assert inst.rules.priorities == order
        assert inst == dataclasses.replace(default, rules=dataclasses.replace(default.rules, priorities=order))
        assert variant_key(inst, 20, 1) != variant_key(default, 20, 1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[host_fit, coverage]", "priorities must start with coverage: covered cases are never traded away"),
        ("[coverage, travel, travel]", "priorities must not repeat an entry"),
        ("[coverage, cost]", "entry 2: Input should be 'coverage', 'host_fit', 'supervision' or 'travel'"),
    ],
)
def test_bad_priorities_are_located_errors(tmp_path, value, message):
    with pytest.raises(InputError) as caught:
        load_sweep(write_sweep(tmp_path, SWEEP + f"priorities: {value}\n"))
    assert [str(p) for p in caught.value.problems] == [f"error: {tmp_path / 'sweep.yaml'}:15: priorities: {message}"]


def _run(sweep_file: Path, out: Path, **options):
    state = sweep_flow(params=SweepParams(sweep_file=str(sweep_file), out_dir=str(out), **options), return_state=True)
    return state, state.result(raise_on_failure=False)


def test_sweep_flow_writes_the_comparison(tmp_path, prefect_harness):
    state, outcome = _run(write_sweep(tmp_path), tmp_path / "out")
    assert state.is_completed(), outcome
    assert outcome.summary["variants"] == 13 and outcome.summary["solved"] == 13
    document = json.loads((tmp_path / "out" / "sweep.json").read_text())
    rows = {r["name"]: r for r in document["variants"]}
    assert rows["base"]["covered"] == 54 and rows["base"]["status"] == "OPTIMAL"
    assert (
        rows["budget_per_year=£80,000"]["covered"] == 24 and rows["budget_per_year=£80,000"]["cost_per_year"] <= 80000
    )
    assert document["classification"] == "OFFICIAL-SENSITIVE — not for publication"  # sweep.json: the internal pack's
    assert document["priorities"] == ["coverage", "host_fit", "supervision", "travel"]  # the base scenario's order
    assert json.loads((tmp_path / "out" / "internal" / "sweep.json").read_text()) == document
    public = json.loads((tmp_path / "out" / "public" / "sweep.json").read_text())
    assert "classification" in public and not {"host_fit", "travel_case_minutes"} & set(public["variants"][0])
    assert [rows[f"at most {k} spokes"]["covered"] for k in range(1, 5)] == [12, 24, 36, 48]
    html = (tmp_path / "out" / "report.html").read_text()
    assert html.count("<svg") == 2 and "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "What changes between neighbouring variants" in html
    # neighbours along the cost axis: 80k -> 121.5k budget buys one spoke at H3 or H4 and 12 cases
    assert "+12" in html
    csv_lines = (tmp_path / "out" / "variants.csv").read_text().splitlines()
    assert csv_lines[0].startswith("variant,kind,settings,status,covered") and len(csv_lines) == 14
    assert csv_lines[0].endswith(",figures")  # the public pack's: counts or estimates
    assert (tmp_path / "out" / "report.html").read_bytes() == (tmp_path / "out" / "public" / "report.html").read_bytes()
    internal = (tmp_path / "out" / "internal" / "report.html").read_text()
    assert internal.count("OFFICIAL-SENSITIVE — not for publication</div>") == 2
    assert "budget_per_year: £80,000 -&gt; £125,000; caseload_min: 8 -&gt; 10" in html  # money, not 80000.0


def test_sweep_with_bad_input_fails_with_exit_2(tmp_path, prefect_harness):
    state, outcome = _run(write_sweep(tmp_path, SWEEP.replace("HUB2", "HUB9")), tmp_path / "out")
    assert state.is_failed()
    assert outcome.exit_code == 2
    assert outcome.messages[0].startswith(f"error: {tmp_path / 'sweep.yaml'}:10: hubs_off:")
    assert not (tmp_path / "out" / "sweep.json").exists()


class Interrupt(RuntimeError):
    pass


def test_an_interrupted_sweep_resumes_without_re_solving_finished_variants(tmp_path, prefect_harness, monkeypatch):
    real_solve = sweep_flow_module.solve
    calls = {"n": 0}
    lock = threading.Lock()
    fail_after: list[int | None] = [3]

    def counting_solve(*args, **kwargs):
        with lock:
            calls["n"] += 1
            n = calls["n"]
        if fail_after[0] is not None and n > fail_after[0]:
            raise Interrupt("the machine went down")
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(sweep_flow_module, "solve", counting_solve)
    sweep_file = write_sweep(tmp_path)
    out = tmp_path / "out"
    state, _ = _run(sweep_file, out, max_parallel=1)
    assert state.is_failed()
    assert not (out / "sweep.json").exists()
    finished = sorted((out / ".cache").glob("*.json"))
    assert len(finished) == 3

    fail_after[0] = None
    calls["n"] = 0
    state, outcome = _run(sweep_file, out)
    assert state.is_completed()
    assert calls["n"] == 13 - 3  # only the unfinished variants were solved
    assert outcome.summary["solved"] == 10 and outcome.summary["cached"] == 3

    calls["n"] = 0
    _, fresh = _run(sweep_file, tmp_path / "fresh")
    assert calls["n"] == 13
    assert (out / "sweep.json").read_bytes() == (tmp_path / "fresh" / "sweep.json").read_bytes()

    calls["n"] = 0
    state, outcome = _run(sweep_file, out)
    assert calls["n"] == 0 and outcome.summary["cached"] == 13


def test_the_cache_key_covers_the_instance_and_the_solver_settings(tmp_path):
    from scoping.scenario.sweep import variant_key

    spec, scenario = load_sweep(write_sweep(tmp_path))
    base = build_instance(widened(scenario, *widest_limits(spec, scenario)))
    instances = [apply_variant(base, scenario, v) for v in spec.variants]
    keys = [variant_key(i, 20, 1, "1.0") for i in instances]
    assert len(set(keys)) == len(keys)  # every variant differs from every other
    again = apply_variant(base, scenario, spec.variants[3])
    assert variant_key(again, 20, 1, "1.0") == keys[3]  # a rebuilt instance hits the cache
    assert (
        len(
            {
                keys[3],
                variant_key(again, 19, 1, "1.0"),
                variant_key(again, 20, 2, "1.0"),
                variant_key(again, 20, 1, "1.1"),
            }
        )
        == 4
    )


def test_report_suppresses_small_counts_and_escapes_names(tmp_path):
    """Counts 1..5 are published as `c` (table, curve, neighbour deltas) and left off the charts."""
    from reporting.views.sweep import sweep_view

    spec, _ = load_sweep(write_sweep(tmp_path))

    def row(name, kind, covered, cost, settings=None):
        return {
            "name": name,
            "kind": kind,
            "settings": settings or {},
            "status": "OPTIMAL",
            "covered": covered,
            "demand": 54,
            "gap": 0.0,
            "spokes_total": 1,
            "cost_per_year": cost,
            "reasons": [],
            "spokes": [{"hub_id": "HUB1", "host_id": "H1", "count": 1}],
        }

    rows = [
        row("<b>base</b>", "base", 4, 10.0),
        row("more", "variant", 24, 20.0, {"budget_per_year": 20}),
        row("at most 1 spokes", "marginal", 3, 10.0, {"max_spokes": 1}),
        row("at most 2 spokes", "marginal", 24, 20.0, {"max_spokes": 2}),
    ]
    view = sweep_view(spec, rows, threshold=5)
    assert [t["covered"] for t in view["table"]] == ["c", "24"]
    assert [p["covered"] for p in view["curve"]] == ["c", "24"]
    assert view["curve"][1]["gain"] == "c"  # 24 - 3 would reveal the suppressed 3
    assert len(view["frontier_chart"]["points"]) == 1 and len(view["curve_chart"]["points"]) == 1
    assert view["neighbours"][0]["covered_delta"] == "c"
    rows[0]["covered"] = 12
    assert sweep_view(spec, rows, threshold=5)["neighbours"][0]["covered_delta"] == "+12"
    from reporting.writers.environment import environment

    html = environment().get_template("sweep_report.html.j2").render(view=view, pack=view["pack"])
    assert "<b>base</b>" not in html and "&lt;b&gt;base&lt;/b&gt;" in html
