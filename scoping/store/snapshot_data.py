"""A refresh store's snapshot as the data of a plan or a scoping run (``--store DIR [--snapshot ID]``).

What each source of the snapshot becomes, by its schema (scoping/store/refresh.py):

* a scenario table (``hubs``, ``hosts``, ``areas``, ``authorities``, ``services``, ``travel_times``,
  ``existing_spokes``): that table of the scenario (``hosts.csv``), read from the store instead of
  the scenario directory; the directory gives the rest (scenario.yaml, and any table the snapshot
  does not have). Two sources of one table are an error: the snapshot would not say which to use.
* ``ees`` and ``ons_population``: the indicator files of a scoping run, read the way the source's
  SOURCES.yaml entry said (its filters and indicator columns, recorded in the manifest); they take
  the place of the scenario's ``indicators/`` folder when the snapshot has any.
* ``outcomes``: not data of a plan (scenario.yaml ``monitoring_store`` reads outcome returns).

Every file is confined to the store and must still have the SHA-256 its manifest records (a file
edited after the refresh is a damaged store, exit 2): so the hashes that plan.json records under
``store`` are those of the bytes the plan was made from.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import InputError, Problem
from common.files import read_input_bytes
from scoping.analysis.indicator_files import IndicatorFile
from scoping.scenario.loader import TablesFrom
from scoping.store.refresh import MAX_BYTES, TABLE_KEYS, entry_layout
from scoping.store.snapshots import read_snapshot, source_path

INDICATOR_SCHEMAS = ("ees", "ons_population")


@dataclass(frozen=True)
class SnapshotData:
    """One snapshot of a store, sorted by what each source is for (see the module docstring)."""

    store: Path
    snapshot: str
    previous: str | None
    manifest: dict[str, Any]
    tables: dict[str, Path]  # scenario table file name (hosts.csv) -> the file in the store
    indicator_files: tuple[IndicatorFile, ...]

    def provenance(self) -> dict[str, Any]:
        """What plan.json records under `store`: the snapshot, the one before it, and every source's schema
        and SHA-256, with the table each was read as (null: not data of a plan). No path and no time, so
        the same snapshot gives the same plan.json wherever the store is."""
        read_as = {name: table for table, name in self.table_sources().items()}
        return {
            "snapshot": self.snapshot,
            "previous": self.previous,
            "sources": {
                name: {"schema": entry["schema"], "sha256": entry.get("sha256"), "read_as": read_as.get(name)}
                for name, entry in sorted(self.manifest["sources"].items())
            },
        }

    def table_sources(self) -> dict[str, str]:
        """Scenario table file name -> the name of the source that gives it."""
        return {
            f"{entry['schema']}.csv": name
            for name, entry in self.manifest["sources"].items()
            if entry["schema"] in TABLE_KEYS
        }

    def tables_from(self) -> TablesFrom:
        """The snapshot's tables as the scenario loader takes them."""
        return TablesFrom(self.store, dict(self.tables), self.provenance())


def _manifest_file(store: Path, snapshot: str) -> str:
    return str(store / "snapshots" / snapshot / "manifest.json")


def _manifest_line(store: Path, snapshot: str, needle: str) -> int:
    """The line of a manifest mentioning `needle` (for a located message), else 1."""
    try:
        text = (store / "snapshots" / snapshot / "manifest.json").read_text(encoding="utf-8")
    except OSError:
        return 1
    return next((n for n, line in enumerate(text.splitlines(), start=1) if f'"{needle}"' in line), 1)


def snapshot_data(store: str | Path, snapshot: str | None = None) -> SnapshotData:
    """The snapshot `snapshot` (else the latest) of `store`, every file checked against its recorded hash.
    Raises InputError, located."""
    store = Path(store)
    manifest = read_snapshot(store, snapshot)
    snapshot_id = manifest["snapshot"]
    manifest_file = _manifest_file(store, snapshot_id)
    problems: list[Problem] = []
    tables: dict[str, Path] = {}
    given_by: dict[str, str] = {}
    indicator_files: list[IndicatorFile] = []
    for name, entry in sorted(manifest["sources"].items()):
        schema = entry["schema"]
        if schema not in (*TABLE_KEYS, *INDICATOR_SCHEMAS):
            continue  # outcomes: read by scenario.yaml monitoring_store, not as a plan's data
        path = source_path(store, entry)
        line = _manifest_line(store, snapshot_id, name)
        try:
            data = read_input_bytes(path, str(path), within=store, limit=MAX_BYTES, what="store file")
        except InputError as error:
            problems.extend(error.problems)
            continue
        recorded = entry.get("sha256")
        if recorded is not None and hashlib.sha256(data).hexdigest() != recorded:
            problems.append(
                Problem(
                    manifest_file,
                    line,
                    f"sources.{name[:40]}.sha256",
                    f"the store is damaged: {entry['file']} does not have the SHA-256 its manifest "
                    "records (changed after the refresh); refresh the store again",
                )
            )
            continue
        if schema in TABLE_KEYS:
            table = f"{schema}.csv"
            if table in given_by:
                problems.append(
                    Problem(
                        manifest_file,
                        line,
                        f"sources.{name[:40]}.schema",
                        f"source {name} and source {given_by[table]} both give {table}; a snapshot "
                        "used as a plan's data gives each table once (list one in SOURCES.yaml)",
                    )
                )
                continue
            given_by[table] = name
            tables[table] = path
            continue
        layout = entry_layout(entry, manifest_file, line)
        if layout is None:
            problems.append(
                Problem(
                    manifest_file,
                    line,
                    f"sources.{name[:40]}.filters",
                    "the store is damaged: the source's filters or indicators are not a layout "
                    f"(got {json.dumps({k: entry.get(k) for k in ('filters', 'indicators')})[:120]})",
                )
            )
            continue
        indicator_files.append(IndicatorFile(path, schema, str(path), store, layout))
    if problems:
        raise InputError(problems)
    return SnapshotData(store, snapshot_id, manifest.get("previous"), manifest, tables, tuple(indicator_files))
