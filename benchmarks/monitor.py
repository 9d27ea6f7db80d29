"""Time `spokeplan monitor`'s pure functions on the demo store and on larger synthetic stores.

    .venv/bin/python -m benchmarks.monitor                       # the demo store (two refreshes)
    .venv/bin/python -m benchmarks.monitor --authorities 40 --quarters 12 --snapshots 3

Each store is written by the real refresh() (two or more snapshots); then, per service model,
`monitoring_table_from_store` (read and validate every snapshot, track, build the table) and
`render_monitoring_files` (disclosure control with the LP audit, HTML, CSV) are timed separately,
best of --repeat runs. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reporting.writers.monitoring import render_monitoring_files
from scoping.scenario.geocode import authority_names
from scoping.store.outcomes import load_catalogue, monitoring_table_from_store
from scoping.store.refresh import load_sources, refresh, validate

REPO = Path(__file__).resolve().parents[1]


def demo_store(folder: Path) -> Path:
    store = folder / "store"
    for day, name in enumerate(("sources_outcomes_demo.yaml", "sources_outcomes_demo_2.yaml")):
        sources = load_sources(REPO / "inputs" / name)
        refresh(
            sources,
            store,
            [validate(s, Path(s.url).read_bytes()) for s in sources],
            now=datetime(2025, 7, 1, tzinfo=UTC) + timedelta(days=day),
        )
    return store


def synthetic_store(folder: Path, authorities: int, quarters: int, snapshots: int) -> Path:
    """Every CSE measure for `authorities` authorities over `quarters` quarters; each later snapshot
    revises a tenth of the figures. Sizes are drawn so about a fifth of the counts are 1-5."""
    rng = random.Random(1)
    catalogue = load_catalogue("cse-hub-and-spoke")
    codes = sorted(authority_names())[:authorities]
    periods = [f"{2020 + q // 4}-Q{q % 4 + 1}" for q in range(quarters)]
    store = folder / "store"
    (folder / "sources.yaml").write_text("sources:\n  - name: outcomes\n    url: outcomes.csv\n    schema: outcomes\n")
    for round_ in range(snapshots):
        lines = ["service_model,measure_id,period,authority_code,hub_id,value,denominator"]
        for measure in catalogue.measures.values():
            for code in codes:
                for period in periods:
                    size = rng.choice((3, 8, 20, 60))
                    value: str | int
                    denominator: str | int
                    if measure.unit == "status":
                        value, denominator = rng.choice(("yes", "partial", "no")), ""
                    elif measure.unit in ("share", "rate"):
                        whole = rng.randint(1, size * 2)
                        value, denominator = rng.randint(0, whole), whole
                    else:
                        value, denominator = rng.randint(0, size), ""
                    lines.append(f"cse-hub-and-spoke,{measure.id},{period},{code},,{value},{denominator}")
        (folder / "outcomes.csv").write_text("\n".join(lines) + "\n")
        sources = load_sources(folder / "sources.yaml")
        refresh(
            sources,
            store,
            [validate(s, Path(s.url).read_bytes()) for s in sources],
            now=datetime(2025, 7, 1, tzinfo=UTC) + timedelta(days=round_),
        )
    return store


def best_of(repeat: int, function, *args):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authorities", type=int, default=0, help="synthetic store of N authorities (0: the demo)")
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--snapshots", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        store = (
            synthetic_store(Path(folder), args.authorities, args.quarters, args.snapshots)
            if args.authorities
            else demo_store(Path(folder))
        )
        build = time.perf_counter() - started
        size = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())
        print(f"store: {'synthetic' if args.authorities else 'demo'}, built in {build:.2f} s, {size / 1024:.0f} KiB")
        models = ["cse-hub-and-spoke"] if args.authorities else ["cse-hub-and-spoke", "no-wrong-door"]
        names = authority_names()
        print("model               cells  hidden  track s  render s  html KiB  csv KiB")
        for model in models:
            track_s, table = best_of(args.repeat, monitoring_table_from_store, store, model)
            render_s, (files, view) = best_of(args.repeat, render_monitoring_files, table, 5, names)
            print(
                f"{model:<18} {len(table.cells):>6} {view['suppressed_points']:>7} {track_s:>8.3f} {render_s:>9.3f} "
                f"{len(files['monitoring.html']) / 1024:>9.0f} {len(files['monitoring.csv']) / 1024:>8.0f}"
            )


if __name__ == "__main__":
    main()
