"""A sweep: one base scenario and many variants of its rules, expanded from SWEEP.yaml.

Pure functions, no solver and no Prefect. A SWEEP.yaml file reads::

    name: Demo sweep
    base: demo                 # the scenario directory, relative to this file
    time_limit: 30             # solver seconds per variant (default 60)
    workers: 1                 # solver threads per variant (default 1: deterministic)
    grid:                      # every combination of these values
      budget_per_year: [null, 600000, 780000]
      caseload: [[10, 12], [8, 12]]
    variants:                  # listed one by one; each changes the base
      - {name: without Durham hub, hubs_off: [HUB-DUR]}
      - {required: [E06000047]}
    marginal_spokes: 15        # the marginal-value curve: best coverage with at most 1..15 spokes
    priorities: [coverage, supervision, host_fit, travel]  # optional: every variant's objective order

The knobs a variant may change: ``budget_per_year`` (``null``: no budget), ``caseload``
(``[min, max]``) or ``caseload_min``/``caseload_max``, ``casework_minutes`` (the casework limit of
the base scenario's ``casework_mode``: ``casework_minutes_public_transport`` when that mode is public
transport and the base gives one),
``supervision_minutes`` (hubs with their own ``supervision_minutes`` keep it), ``max_spokes``,
``hubs_off`` (hub ids switched off) and ``required`` (exactly these authority codes must host a
spoke). The base scenario is always the first variant.

``priorities`` (optional) replaces the base scenario's own for every variant, base included: the
order of the objective stages after coverage, checked by the scenario's rule (``ScenarioRules``:
known names, coverage first, no repeats). Absent, the base scenario's order holds.

Travel limits are applied without recomputing travel times: the base instance is built once at
the widest limits any variant uses, and each variant keeps the pairs within its own limits. This
is exact, because pair minutes do not depend on the limit (the estimate is a formula of each pair
alone; measured times are kept when within the limit).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from common.errors import InputError, Problem, shown
from common.files import read_yaml
from optimisation.instance import Instance
from scoping.scenario.build import PlannedScenario
from scoping.scenario.loader import Scenario, load_scenario
from scoping.scenario.settings import ScenarioRules

KNOBS = (
    "budget_per_year",
    "caseload_min",
    "caseload_max",
    "casework_minutes",
    "supervision_minutes",
    "max_spokes",
    "hubs_off",
    "required",
)
TOP_KEYS = (
    "name",
    "description",
    "base",
    "time_limit",
    "workers",
    "grid",
    "variants",
    "marginal_spokes",
    "priorities",
)
MAX_VARIANTS = 500


@dataclass(frozen=True)
class Variant:
    """One variant: a name and the knobs it changes (sorted; empty for the base)."""

    name: str
    changes: tuple[tuple[str, Any], ...]
    kind: str = "variant"  # "base" | "variant" | "marginal"

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.changes)


@dataclass(frozen=True)
class SweepSpec:
    """SWEEP.yaml, validated: the base scenario directory, solver settings and every variant."""

    file: str
    name: str
    base: Path
    time_limit: float
    workers: int
    variants: tuple[Variant, ...]
    marginal_spokes: int
    priorities: tuple[str, ...]  # every variant's objective order (SWEEP.yaml's, else the base scenario's)
    base_values: tuple[tuple[str, Any], ...] = ()  # the base scenario's value of every knob


def _key_lines(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    """'grid.budget_per_year' -> line, 'variants.2' -> line, for messages."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = f"{prefix}{key.value}"
            lines[name] = key.start_mark.line + 1
            lines.update(_key_lines(value, name + "."))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[f"{prefix}{index}"] = item.start_mark.line + 1
            lines.update(_key_lines(item, f"{prefix}{index}."))
    return lines


MONEY_KNOBS = ("budget_per_year",)


def setting_text(key: str, value: Any) -> str:
    """A knob's value as people read it: money as £780,000 (a budget read from scenario.yaml is a float,
    which printed as 780000.0), lists joined with +, None as none."""
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return "+".join(value) if value else "none"
    if key in MONEY_KNOBS and isinstance(value, (int, float)):
        return f"£{value:,.0f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _label(changes: dict[str, Any]) -> str:
    return ", ".join(f"{key}={setting_text(key, value)}" for key, value in sorted(changes.items())) or "base"


def _normalise_changes(
    raw: dict, where: str, file: str, lines: dict[str, int], scenario: Scenario, problems: list[Problem]
) -> dict[str, Any] | None:
    """Check one variant's knobs; return them normalised (caseload split, lists sorted)."""
    changes: dict[str, Any] = {}
    hub_ids = {row.value.hub_id for row in scenario.hubs.rows}
    codes = {row.value.authority_code for row in scenario.authorities.rows}
    existing_hubs = {row.value.hub_id for row in scenario.existing_spokes.rows} if scenario.existing_spokes else set()
    ok = True

    def bad(key: str, message: str) -> None:
        nonlocal ok
        ok = False
        problems.append(Problem(file, lines.get(f"{where}.{key}", lines.get(where, 0)), key, message))

    for key, value in raw.items():
        if key == "name":
            continue
        if key == "caseload":
            if (
                not isinstance(value, list)
                or len(value) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)
                or value[0] > value[1]
            ):
                bad(key, f"expected [min, max] whole numbers with 1 <= min <= max, got {shown(value)}")
            else:
                changes["caseload_min"], changes["caseload_max"] = value
        elif key == "budget_per_year":
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                bad(key, f"expected a number of pounds >= 0 or null (no budget), got {shown(value)}")
            else:
                changes[key] = value
        elif key in ("caseload_min", "caseload_max", "casework_minutes", "supervision_minutes", "max_spokes"):
            minimum = 0 if key == "max_spokes" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                if not (key == "max_spokes" and value is None):
                    bad(key, f"expected a whole number >= {minimum}, got {shown(value)}")
                    continue
            changes[key] = value
        elif key in ("hubs_off", "required"):
            known, what = (
                (hub_ids, "a hub_id in hubs.csv")
                if key == "hubs_off"
                else (codes, "an authority_code in authorities.csv")
            )
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                bad(key, f"expected a list of ids, got {shown(value)}")
                continue
            unknown = [v for v in value if v not in known]
            if unknown:
                bad(
                    key,
                    f"{', '.join(u[:64] for u in unknown[:5])}{', ...' if len(unknown) > 5 else ''} not found; "
                    f"expected {what}",
                )
                continue
            if key == "hubs_off":
                kept = [v for v in value if v in existing_hubs]
                if kept:
                    bad(key, f"{', '.join(kept)} has spokes in post (existing_spokes.csv) and cannot be switched off")
                    continue
            changes[key] = tuple(sorted(set(value)))
        else:
            bad(key, f"unknown setting; expected one of caseload, {', '.join(KNOBS)}")
    if not ok:
        return None
    low = changes.get("caseload_min", scenario.rules.caseload_min)
    high = changes.get("caseload_max", scenario.rules.caseload_max)
    if low > high:
        bad("caseload", f"caseload_min {low} is above caseload_max {high}")
        return None
    return changes


def load_sweep(path: str | Path, scenario_loader=None) -> tuple[SweepSpec, Scenario]:
    """Read and validate SWEEP.yaml and its base scenario. Raises InputError with located problems."""
    path = Path(path)
    file = str(path)
    node, data, _ = read_yaml(path, file, what="SWEEP.yaml file")  # InputError: located
    if not isinstance(data, dict):
        raise InputError([Problem(file, 1, "-", "expected a mapping with at least `base: SCENARIO_DIR`")])
    lines = _key_lines(node)
    problems: list[Problem] = []
    for key in data:
        if key not in TOP_KEYS:
            problems.append(
                Problem(file, lines.get(str(key), 0), str(key), f"unknown key; expected one of {', '.join(TOP_KEYS)}")
            )
    if not isinstance(data.get("base"), str):
        problems.append(
            Problem(file, lines.get("base", 1), "base", "expected the base scenario directory (relative to this file)")
        )
    time_limit = data.get("time_limit", 60)
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or time_limit <= 0:
        problems.append(
            Problem(file, lines.get("time_limit", 0), "time_limit", f"expected seconds > 0, got {shown(time_limit)}")
        )
    workers = data.get("workers", 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        problems.append(
            Problem(file, lines.get("workers", 0), "workers", f"expected a whole number >= 1, got {shown(workers)}")
        )
    marginal = data.get("marginal_spokes", 0)
    if isinstance(marginal, bool) or not isinstance(marginal, int) or not 0 <= marginal <= 200:
        problems.append(
            Problem(
                file,
                lines.get("marginal_spokes", 0),
                "marginal_spokes",
                f"expected a whole number from 0 to 200, got {shown(marginal)}",
            )
        )
    grid = data.get("grid") or {}
    listed = data.get("variants") or []
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        problems.append(
            Problem(file, lines.get("grid", 0), "grid", "expected a mapping of setting -> non-empty list of values")
        )
        grid = {}
    if not isinstance(listed, list) or not all(isinstance(v, dict) for v in listed):
        problems.append(Problem(file, lines.get("variants", 0), "variants", "expected a list of mappings of settings"))
        listed = []
    if any(p.column in ("base", "grid", "variants") for p in problems):
        raise InputError(problems)
    base_dir = (path.parent / data["base"]).resolve()
    scenario = (scenario_loader or load_scenario)(base_dir)
    rules = scenario.rules
    if rules.phases is not None or rules.demand_range is not None or scenario.demand_scenarios is not None:
        # Variants are one-snapshot plans: solving them would silently drop the roll-out / demand scenarios.
        raise InputError(
            [
                Problem(
                    file,
                    lines.get("base", 1),
                    "base",
                    "the base scenario declares phases or demand "
                    "scenarios (phases, demand_range or demand_scenarios.csv); sweeps compare "
                    "one-snapshot plans: sweep a copy without them, or plan it with spokeplan plan",
                )
            ]
        )

    if "priorities" in data:
        scenario = _with_priorities(scenario, data["priorities"], file, lines.get("priorities", 0), problems)
    variants: list[Variant] = [Variant("base", (), "base")]
    seen: dict[tuple, str] = {(): "base"}

    base_values = {
        "budget_per_year": scenario.rules.budget_per_year,
        "caseload_min": scenario.rules.caseload_min,
        "caseload_max": scenario.rules.caseload_max,
        "casework_minutes": scenario.rules.casework_limit,
        "supervision_minutes": scenario.rules.supervision_minutes,
        "max_spokes": scenario.rules.max_spokes,
        "hubs_off": (),
        "required": tuple(sorted(row.value.authority_code for row in scenario.authorities.rows if row.value.required)),
    }

    def add(changes: dict[str, Any], name: str | None, kind: str, where: str) -> None:
        changes = {k: v for k, v in changes.items() if base_values.get(k, object()) != v}
        key = tuple(sorted(changes.items()))
        if key in seen:
            if where != "grid":
                problems.append(Problem(file, lines.get(where, 0), "-", f"same settings as variant {seen[key]!r}"))
            return
        seen[key] = name or _label(changes)
        variants.append(Variant(name or _label(changes), key, kind))

    keys = list(grid)
    combinations = list(itertools.product(*(grid[k] for k in keys))) if keys else []
    if len(combinations) + len(listed) + marginal > MAX_VARIANTS:
        raise InputError(
            [
                Problem(
                    file,
                    lines.get("grid", 1),
                    "grid",
                    f"{len(combinations) + len(listed) + marginal} variants; at most {MAX_VARIANTS} are allowed",
                )
            ]
        )
    for values in combinations:
        raw = dict(zip(keys, values))
        changes = _normalise_changes(raw, "grid", file, lines, scenario, problems)
        if changes is not None:
            add(changes, None, "variant", "grid")
    for index, raw in enumerate(listed):
        changes = _normalise_changes(raw, f"variants.{index}", file, lines, scenario, problems)
        name = raw.get("name")
        if changes is not None:
            add(changes, str(name) if name else None, "variant", f"variants.{index}")
    for spokes in range(1, marginal + 1):
        changes = {"max_spokes": spokes}
        key = tuple(sorted(changes.items()))
        seen.pop(key, None)  # the curve always holds its own point, even if a variant matches it
        variants.append(Variant(f"at most {spokes} spokes", key, "marginal"))
    if problems:
        raise InputError(sorted(set(problems)))
    return SweepSpec(
        file,
        str(data.get("name") or path.stem),
        base_dir,
        float(time_limit),
        int(workers),
        tuple(variants),
        marginal,
        tuple(scenario.rules.priorities),
        tuple(sorted(base_values.items())),
    ), scenario


def _with_priorities(scenario: Scenario, value: Any, file: str, line: int, problems: list[Problem]) -> Scenario:
    """The base scenario with SWEEP.yaml's `priorities` for every variant, checked by the scenario's
    own rule (ScenarioRules); unchanged, with a located problem for each thing wrong, if it fails."""
    try:
        rules = ScenarioRules.model_validate({**scenario.rules.model_dump(), "priorities": value})
    except ValidationError as error:
        for item in error.errors():
            entry = f"entry {item['loc'][1] + 1}: " if len(item["loc"]) > 1 and isinstance(item["loc"][1], int) else ""
            problems.append(Problem(file, line, "priorities", entry + item["msg"].removeprefix("Value error, ")))
        return scenario
    return dataclasses.replace(scenario, rules=rules)


def widest_limits(spec: SweepSpec, scenario: Scenario) -> tuple[int, int]:
    """The casework and supervision limits the base instance must be built with."""
    casework = max([scenario.rules.casework_limit] + [v.settings.get("casework_minutes", 0) for v in spec.variants])
    supervision = max(
        [scenario.rules.supervision_minutes] + [v.settings.get("supervision_minutes", 0) for v in spec.variants]
    )
    return casework, supervision


def widened(scenario: Scenario, casework: int, supervision: int) -> Scenario:
    rules = scenario.rules.with_casework_limit(casework).model_copy(update={"supervision_minutes": supervision})
    return dataclasses.replace(scenario, rules=rules)


def apply_variant(base: PlannedScenario, scenario: Scenario, variant: Variant) -> Instance:
    """The instance of one variant: the base rules, scenario files and widest travel pairs, changed."""
    inst = base.instance
    settings = variant.settings
    rules = scenario.rules
    casework = settings.get("casework_minutes", rules.casework_limit)
    supervision = settings.get("supervision_minutes", rules.supervision_minutes)
    own_limit = {row.value.hub_id: row.value.supervision_minutes for row in scenario.hubs.rows}
    off = set(settings.get("hubs_off", ()))
    hubs = tuple(
        dataclasses.replace(h, supervision_limit=own_limit.get(h.hub_id) or supervision)
        for h in inst.hubs
        if h.hub_id not in off
    )
    limit = {h.hub_id: h.supervision_limit for h in hubs}
    authorities = inst.authorities
    if "required" in settings:
        required = set(settings["required"])
        authorities = tuple(dataclasses.replace(a, required=a.authority_code in required) for a in authorities)
    rule_changes = {"casework_minutes": casework, "supervision_minutes": supervision}
    for key in ("budget_per_year", "caseload_min", "caseload_max", "max_spokes"):
        if key in settings:
            rule_changes[key] = settings[key]
    if "budget_per_year" not in settings:
        rule_changes["budget_per_year"] = rules.budget_per_year
    return Instance(
        hubs=hubs,
        hosts=inst.hosts,
        areas=inst.areas,
        authorities=authorities,
        rules=dataclasses.replace(inst.rules, **rule_changes),
        casework_minutes={k: m for k, m in inst.casework_minutes.items() if m <= casework},
        supervision_minutes={k: m for k, m in inst.supervision_minutes.items() if k[0] in limit and m <= limit[k[0]]},
        existing_spokes={k: n for k, n in inst.existing_spokes.items() if k[0] not in off},
        cross_border_minutes={k: m for k, m in inst.cross_border_minutes.items() if m <= casework},
    )


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "items"):
        return sorted(([_plain(k), _plain(v)] for k, v in value.items()), key=lambda kv: json.dumps(kv[0]))
    return value


def variant_key(instance: Instance, time_limit: float, workers: int, version: str = "") -> str:
    """A content hash of everything a solve depends on: the instance, the solver settings, the version."""
    document = {"instance": _plain(instance), "time_limit": time_limit, "workers": workers, "version": version}
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def neighbour_changes(before: dict, after: dict, base_values: dict[str, Any] | None = None) -> dict[str, Any]:
    """What changes from one solved variant row to the next (settings, coverage, cost, spokes by host)."""
    settings = []
    base_values = base_values or {}
    for key in sorted(set(before["settings"]) | set(after["settings"])):
        a, b = (
            list(v) if isinstance(v, tuple) else v
            for v in (
                before["settings"].get(key, base_values.get(key)),
                after["settings"].get(key, base_values.get(key)),
            )
        )
        if a != b:
            settings.append(f"{key}: {setting_text(key, a)} -> {setting_text(key, b)}")
    spokes_a = {s["host_id"]: s["count"] for s in before.get("spokes") or []}
    spokes_b = {s["host_id"]: s["count"] for s in after.get("spokes") or []}
    moved = []
    for host in sorted(set(spokes_a) | set(spokes_b)):
        delta = spokes_b.get(host, 0) - spokes_a.get(host, 0)
        if delta:
            moved.append(f"{host} {delta:+d}")
    return {
        "from": before["name"],
        "to": after["name"],
        "settings": settings,
        "spokes": moved,
        "covered_delta": (after["covered"] or 0) - (before["covered"] or 0),
        "cost_delta": (after["cost_per_year"] or 0) - (before["cost_per_year"] or 0),
    }
