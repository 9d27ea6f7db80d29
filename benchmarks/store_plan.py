"""What reading a plan's data from a refresh store costs (issue #17): the demo scenario loaded from its
own folder against the same tables from a store snapshot (the snapshot read, every file's SHA-256
checked, then the loader), and the comparison with the previous snapshot's plan.

    .venv/bin/python -m benchmarks.store_plan --repeat 9

The store is written by the real refresh() from inputs/sources_demo.yaml (authorities, areas, hosts
and services of inputs/demo), twice (the second round with one host changed), into a temporary
folder. The two loads alternate within each repeat (interleaved); medians are printed side by side.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from scoping.scenario.loader import load_scenario
from scoping.store.changes import compare_snapshots
from scoping.store.refresh import load_sources, refresh, validate
from scoping.store.snapshot_data import snapshot_data

REPO = Path(__file__).resolve().parents[1]


def demo_store(folder: Path) -> tuple[Path, str]:
    """inputs/demo's tables refreshed into a store twice (HOST-001's max_spokes 1 -> 2 in between)."""
    data = folder / "demo"
    shutil.copytree(REPO / "inputs" / "demo", data)
    sources_file = folder / "sources.yaml"
    sources_file.write_text((REPO / "inputs" / "sources_demo.yaml").read_text())
    first = None
    for round_, when in enumerate((datetime(2025, 1, 6, 6, 30), datetime(2025, 1, 13, 6, 30))):
        if round_:
            hosts = data / "hosts.csv"
            lines = hosts.read_text().splitlines(keepends=True)
            lines[1] = lines[1].replace(",1,0,false,", ",2,0,false,")
            hosts.write_text("".join(lines))
        sources = load_sources(sources_file)
        result = refresh(
            sources,
            folder / "store",
            [validate(s, Path(s.url).read_bytes()) for s in sources],
            now=when.replace(tzinfo=UTC),
        )
        first = first or result.snapshot
    if first is None:
        raise SystemExit("benchmark: the first refresh wrote no snapshot")
    return folder / "store", first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store, first = demo_store(Path(folder))
        scenario = REPO / "inputs" / "demo"
        load_scenario(scenario)  # warm: the service model and schemas imported and cached once
        alone, from_store, comparing = [], [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            load_scenario(scenario)
            alone.append(time.perf_counter() - started)
            started = time.perf_counter()
            data = snapshot_data(store)
            load_scenario(scenario, data.tables_from())
            from_store.append(time.perf_counter() - started)
            started = time.perf_counter()
            compare_snapshots(data, {"store": {"snapshot": first}})
            comparing.append(time.perf_counter() - started)
        print(f"inputs/demo, {args.repeat} interleaved repeats, median (min-max) in ms")
        for name, times in (
            ("load_scenario(inputs/demo)", alone),
            ("snapshot_data + load_scenario(tables_from)", from_store),
            ("compare_snapshots (4 sources, 1 changed)", comparing),
        ):
            print(
                f"  {name:<45} {statistics.median(times) * 1000:8.1f}  ({min(times) * 1000:.1f}-"
                f"{max(times) * 1000:.1f})"
            )


if __name__ == "__main__":
    main()
