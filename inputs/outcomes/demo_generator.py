"""Writes the SYNTHETIC outcome returns of the monitoring demo (inputs/outcomes/demo/round1 and round2).

Nothing here is real data: figures are drawn from a seeded random generator so they look like
quarterly returns (seed 002: services send "quarterly returns ... relating to ... service
activities, outputs and intervention outcomes"). Round 2 is the next quarter's return: it adds
2025-Q2 and revises some 2025-Q1 figures (late recording), so two refreshes give two snapshots and
`spokeplan monitor` shows a revision. Small authorities have counts of 1-5, so disclosure control
shows. Some measures have no figures at all (outcomes are "variably measured and recorded",
seed 002): the monitoring report shows them as ':'.

    .venv/bin/python inputs/outcomes/demo_generator.py     # rewrites the CSVs and the demo store

The **demo store** ``inputs/outcomes/demo_store`` (read by inputs/demo and inputs/demo_no_wrong_door
through scenario.yaml's ``monitoring_store``) is the two rounds refreshed by the real refresh
(scoping.store.refresh: load_sources, fetch, validate, refresh) with fixed snapshot times, and with the
sources' urls written repository-relative, so the committed store is byte-for-byte regenerable and
names no machine's paths. It is the same as

    spokeplan refresh inputs/sources_outcomes_demo.yaml   --store DIR
    spokeplan refresh inputs/sources_outcomes_demo_2.yaml --store DIR

apart from the snapshot ids (the time of the run) and the urls (absolute paths there).
"""

from __future__ import annotations

import csv
import dataclasses
import random
import shutil
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent / "demo"
REPO = Path(__file__).resolve().parents[2]
STORE = Path(__file__).resolve().parent / "demo_store"
# The two refresh rounds: the sources file and when its return arrived (after the quarter it adds).
ROUNDS = (
    ("inputs/sources_outcomes_demo.yaml", datetime(2025, 5, 1, 6, 30, tzinfo=UTC)),
    ("inputs/sources_outcomes_demo_2.yaml", datetime(2025, 8, 1, 6, 30, tzinfo=UTC)),
)
HEADER = ["service_model", "measure_id", "period", "authority_code", "hub_id", "value", "denominator", "x_note"]
QUARTERS = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]
# The demo scenario's authorities (inputs/demo): two large, two small (counts of 1-5 appear).
CSE_AREAS = {"E06000057": 1.0, "E08000021": 1.3, "E06000001": 0.25, "E06000005": 0.18}
# The No Wrong Door demo's hub teams (inputs/demo_no_wrong_door/hubs.csv): Wisbech, Cambridge, Huntingdon.
NWD_HUBS = {"HUB-WIS": 1.0, "HUB-CAM": 0.8, "HUB-HUN": 0.35}
NOTE = "synthetic demo figure"


def _cse_rows(rng: random.Random, quarters: list[str]) -> list[list]:
    rows = []
    for index, period in enumerate(quarters):
        growth = 1 + 0.06 * index  # reach grows as spokes embed (Outcome 4)
        for code, size in CSE_AREAS.items():
            supported = max(1, round(rng.gauss(30, 3) * size * growth))
            referrals = max(1, round(supported * rng.uniform(0.45, 0.6)))
            host = max(0, round(referrals * rng.uniform(0.4, 0.7)))
            open_cases = max(1, round(supported * 0.4))
            cse_cases = round(open_cases * rng.uniform(0.7, 0.9))
            closed = max(1, round(supported * 0.3))
            reduced = round(closed * min(0.95, 0.5 + 0.04 * index + rng.uniform(-0.05, 0.05)))
            missing = round(supported * max(0.2, 0.9 - 0.08 * index + rng.uniform(-0.1, 0.1)))
            funding = "no" if index < 2 else "partial" if index < 4 or size < 0.5 else "yes"
            rows += [
                ["cse-hub-and-spoke", "young_people_supported", period, code, "", supported, ""],
                ["cse-hub-and-spoke", "referrals_received", period, code, "", referrals, ""],
                ["cse-hub-and-spoke", "referrals_from_host", period, code, "", host, ""],
                ["cse-hub-and-spoke", "cse_focused_caseload", period, code, "", cse_cases, open_cases],
                ["cse-hub-and-spoke", "closed_reduced_risk", period, code, "", reduced, closed],
                ["cse-hub-and-spoke", "missing_episodes_supported", period, code, "", missing, supported],
                ["cse-hub-and-spoke", "spokes_in_post", period, code, "", 1 if size < 0.5 else 2, ""],
                ["cse-hub-and-spoke", "funding_secured", period, code, "", funding, ""],
            ]
        trained = round(rng.uniform(40, 70) * growth)
        rows += [
            ["cse-hub-and-spoke", "professionals_trained", period, "", "", trained, ""],
            [
                "cse-hub-and-spoke",
                "trainees_more_confident",
                period,
                "",
                "",
                round(trained * 0.4 * rng.uniform(0.6, 0.9)),
                round(trained * 0.4),
            ],
        ]
    rows += [
        ["cse-hub-and-spoke", "new_authorities_with_spoke", "2023-24", "", "", 3, ""],
        ["cse-hub-and-spoke", "new_authorities_with_spoke", "2024-25", "", "", 5, ""],
    ]
    return rows


def _nwd_rows(rng: random.Random, quarters: list[str]) -> list[list]:
    rows = []
    for index, period in enumerate(quarters):
        for hub, size in NWD_HUBS.items():
            supported = max(1, round(rng.gauss(24, 2) * size))
            looked_after = max(1, round(supported * 0.6))
            moves = round(looked_after * max(0.3, 1.2 - 0.1 * index + rng.uniform(-0.1, 0.1)))
            three_plus = round(looked_after * max(0.05, 0.25 - 0.03 * index))
            survey = max(1, round(supported * 0.5))
            rows += [
                ["no-wrong-door", "placement_moves", period, "", hub, moves, looked_after],
                ["no-wrong-door", "three_plus_placements", period, "", hub, three_plus, looked_after],
                [
                    "no-wrong-door",
                    "new_out_of_county_placements",
                    period,
                    "",
                    hub,
                    max(0, round((9 - index) * size + rng.uniform(-1, 1))),
                    "",
                ],
                [
                    "no-wrong-door",
                    "section_20_placements",
                    period,
                    "",
                    hub,
                    max(0, round((12 - 1.2 * index) * size + rng.uniform(-1, 1))),
                    "",
                ],
                [
                    "no-wrong-door",
                    "feel_well_supported",
                    period,
                    "",
                    hub,
                    round(survey * min(1.0, 0.6 + 0.05 * index)),
                    survey,
                ],
                [
                    "no-wrong-door",
                    "arrests",
                    period,
                    "",
                    hub,
                    round(supported * max(0.1, 0.5 - 0.05 * index)),
                    supported,
                ],
                [
                    "no-wrong-door",
                    "missing_episodes",
                    period,
                    "",
                    hub,
                    round(supported * max(0.2, 1.1 - 0.1 * index)),
                    supported,
                ],
                [
                    "no-wrong-door",
                    "school_attendance",
                    period,
                    "",
                    hub,
                    round(supported * 120 * min(0.95, 0.7 + 0.03 * index)),
                    supported * 120,
                ],
                [
                    "no-wrong-door",
                    "eet_post_16",
                    period,
                    "",
                    hub,
                    round(supported * 0.3 * min(1.0, 0.5 + 0.06 * index)),
                    max(1, round(supported * 0.3)),
                ],
            ]
    return rows


def write(path: Path, rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows([*row, NOTE] for row in rows)


def main() -> None:
    for name, make in (("cse_outcomes.csv", _cse_rows), ("nwd_outcomes.csv", _nwd_rows)):
        full = make(random.Random(name), QUARTERS)
        later = {tuple(r[:5]): r for r in full}
        first = [r for r in full if r[2] != "2025-Q2"]
        # Round 1 is the return before late recording: some 2025-Q1 figures were lower then.
        first = [
            [
                *r[:5],
                r[5] - 2
                if r[2] == "2025-Q1"
                and isinstance(r[5], int)
                and r[5] >= 6
                and r[1] in ("young_people_supported", "section_20_placements")
                else r[5],
                r[6],
            ]
            for r in first
        ]
        write(HERE / "round1" / name, first)
        write(HERE / "round2" / name, list(later.values()))


def build_store(store: Path = STORE) -> list[str]:
    """Refresh both rounds into a fresh `store` (see the module docstring). Returns the snapshot ids."""
    from scoping.store.refresh import fetch, load_sources, refresh, validate

    if store.exists():
        shutil.rmtree(store)
    snapshots = []
    for sources_file, when in ROUNDS:
        sources = load_sources(REPO / sources_file)
        collected = []
        for source in sources:
            shown = dataclasses.replace(source, url=Path(source.url).resolve().relative_to(REPO).as_posix())
            collected.append(validate(shown, fetch(source.url)))
        result = refresh([c.source for c in collected], store, collected, now=when)
        if result.problems or result.snapshot is None:
            raise SystemExit("\n".join(result.problems) or f"{sources_file}: no new snapshot")
        snapshots.append(result.snapshot)
    return snapshots


if __name__ == "__main__":
    main()
    print("demo store snapshots:", ", ".join(build_store()))
