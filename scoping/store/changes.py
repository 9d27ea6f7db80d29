"""What changed since the previous snapshot's plan (issue #17): a plan made from a store snapshot
(``spokeplan plan --store DIR``) is compared with the plan it replaces in ``--out``, when that one was
made from an earlier snapshot of the same store.

* :func:`previous_plan` reads the plan.json already in ``--out`` (read before the new files are
  written; an unreadable or damaged one is simply not compared: it never stops a plan).
* :func:`compare_snapshots` says, source by source, what differs between that plan's snapshot and
  this one: new, removed, changed or unchanged (by SHA-256, schema and layout), and for a changed
  source the rows added and removed and the rows and columns whose values moved, found by the
  refresh's own comparison of the two files (scoping.store.refresh.compare). Keys (place ids,
  authority codes) and column names only: no values, so nothing here needs disclosure control.

The plan's own differences (spokes, hosts, cost, cases covered) are worked out and disclosed where
the report is prepared (reporting/views/store_changes.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import InputError
from common.files import read_input_bytes
from scoping.store.refresh import compare, entry_records, same_source
from scoping.store.snapshot_data import SnapshotData
from scoping.store.snapshots import read_snapshot, store_snapshots

PREVIOUS_PLAN = "plan.json"  # the plan in --out that the new one replaces
MAX_PLAN_BYTES = 50 * 1024 * 1024


def previous_plan(out_dir: str | Path) -> dict[str, Any] | None:
    """The plan.json in `out_dir` (the plan about to be replaced), or None: none there, not a regular
    file, links out of the folder, too big, or not a JSON object."""
    path = Path(out_dir) / PREVIOUS_PLAN
    if not os.path.lexists(path):
        return None
    try:
        document = json.loads(
            read_input_bytes(path, str(path), within=out_dir, limit=MAX_PLAN_BYTES, what="plan.json").decode("utf-8")
        )
    except (InputError, ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


@dataclass(frozen=True)
class SourceChange:
    """One source between two snapshots."""

    name: str
    schema: str
    status: str  # "new", "removed", "changed" or "unchanged"
    read_as: str | None  # the scenario table it gives (hosts.csv), or None
    added: tuple[str, ...] = ()  # keys of rows added (place ids, authority codes)
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # keys of rows with a value moved
    columns: tuple[str, ...] = ()  # the columns whose values moved
    compared: bool = True  # False: the earlier file no longer reads, so rows were not compared


@dataclass(frozen=True)
class SnapshotComparison:
    """This plan's snapshot against the snapshot of the plan it replaces."""

    previous_snapshot: str
    snapshot: str
    sources: tuple[SourceChange, ...]
    previous_plan: dict[str, Any]  # the replaced plan.json (exact: disclosed where it is shown)


def compare_snapshots(data: SnapshotData, previous_document: dict[str, Any] | None) -> SnapshotComparison | str:
    """The comparison with the replaced plan, or a sentence saying why there is none."""
    if previous_document is None:
        return "there was no earlier plan in the output folder to compare with"
    earlier = previous_document.get("store")
    if not isinstance(earlier, dict) or not isinstance(earlier.get("snapshot"), str):
        return "the earlier plan in the output folder was not made from a store snapshot, so it is not compared"
    old_id = earlier["snapshot"]
    try:
        history = [m["snapshot"] for m in store_snapshots(data.store)]
        old = read_snapshot(data.store, old_id) if old_id in history else None
    except InputError:
        old = None
    if old is None:
        return (
            f"the earlier plan in the output folder came from snapshot {old_id[:40]}, which is not in this "
            "store's history, so it is not compared"
        )
    read_as = {name: table for table, name in data.table_sources().items()}
    before, after = old["sources"], data.manifest["sources"]
    changes = []
    for name in sorted(set(before) | set(after)):
        entry = after.get(name) or before[name]
        if name not in before or name not in after:
            changes.append(
                SourceChange(name, entry["schema"], "new" if name in after else "removed", read_as.get(name))
            )
            continue
        if same_source(before[name], after[name]):
            changes.append(SourceChange(name, entry["schema"], "unchanged", read_as.get(name)))
            continue
        old_records, new_records = entry_records(data.store, before[name]), entry_records(data.store, after[name])
        if old_records is None or new_records is None:
            changes.append(SourceChange(name, entry["schema"], "changed", read_as.get(name), compared=False))
            continue
        diff = compare(old_records, new_records)
        changes.append(
            SourceChange(
                name,
                entry["schema"],
                "changed",
                read_as.get(name),
                tuple(diff["added"]),
                tuple(diff["removed"]),
                tuple(sorted({m["key"] for m in diff["moved"]})),
                tuple(sorted({m["column"] for m in diff["moved"]})),
            )
        )
    return SnapshotComparison(old_id, data.snapshot, tuple(changes), previous_document)
