"""Collect scoping data into a versioned store, validating it with the scenario schemas and importers.

A SOURCES.yaml file reads::

    sources:
      - name: authorities            # file name in the store: authorities.csv
        url: demo/authorities.csv    # a path (relative to this file), file://, http:// or https://
        schema: authorities          # hubs, hosts, areas, authorities, services, travel_times,
                                     # existing_spokes (scenario tables), ees, ons_population
                                     # or outcomes (outcome measures: scoping/store/outcomes.py)
      - name: cin_factors
        url: https://.../c3_factors_identified_at_end_of_assessment_2018_to_2025.csv
        schema: ees
        filters:                     # ees only: EES filter columns and the value(s) to keep
          category: Factors identified at the end of assessment
        indicators: [Child_sexual_exploitation, Going_missing]   # ees only: columns to read

An ees source's ``filters`` and ``indicators`` (scoping.analysis.importers.EesLayout) are recorded
in the snapshot's manifest with the source, so whoever reads the snapshot reads the file the same
way; changing them is a change of the source (a new snapshot) even when the file is the same.

The store (``--store DIR``)::

    DIR/latest.json                       the current snapshot: its id and each source's sha256
    DIR/snapshots/<YYYYmmddTHHMMSSZ>/     every source's file as collected, plus manifest.json
    DIR/reports/<id>.md, <id>.json        what changed from the previous snapshot

Rules: a new snapshot is written only if some valid source's content hash differs from the
current snapshot's (a run with no change writes nothing); a source that cannot be fetched or
fails validation keeps its previous good file in the new snapshot and is reported with its
problems (one broken source never stops the others); snapshots are written into a temporary
folder and renamed, and latest.json is replaced atomically, so a killed run leaves the store as
it was.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from common.errors import InputError, Problem, shown, yaml_line
from common.files import OutputError, atomic_write_bytes, output_problem, read_input_bytes, read_yaml
from scoping.analysis.importers import LAYOUT_KEYS, EesLayout, ees_layout, read_ees_csv, read_ons_population
from scoping.scenario.schemas import TABLES
from scoping.scenario.tables import read_table
from scoping.store.outcomes import figure_records, read_outcomes
from scoping.store.snapshots import read_latest, source_path

TABLE_KEYS = {
    "hubs": ("hub_id",),
    "hosts": ("host_id",),
    "areas": ("area_id",),
    "authorities": ("authority_code",),
    "services": ("service_id",),
    "travel_times": ("from_id", "to_id"),
    "existing_spokes": ("hub_id", "host_id"),
}
SCHEMAS = tuple(TABLE_KEYS) + ("ees", "ons_population", "outcomes")
NAME_SHAPE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$"
MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    name: str
    url: str  # http(s) URL or an absolute path
    schema: str
    line: int = 0
    layout: EesLayout = EesLayout()  # ees sources: filters and indicator columns (SOURCES.yaml)

    def entry_layout(self) -> dict[str, Any]:
        """The layout as the manifest records it (nothing for a source without one)."""
        return self.layout.as_manifest()


@dataclass
class Collected:
    """One source after this run: its bytes and records if valid, else the problems."""

    source: Source
    data: bytes | None = None
    sha256: str | None = None
    records: dict[str, dict[str, Any]] | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.records is not None


def load_sources(path: str | Path) -> list[Source]:
    path = Path(path)
    file = str(path)
    node, data, _ = read_yaml(path, file, what="SOURCES.yaml file")  # InputError: located
    if node is None or not isinstance(data, dict) or not isinstance(data.get("sources"), list) or not data["sources"]:
        raise InputError([Problem(file, 1, "sources", "expected `sources:` with a list of {name, url, schema}")])
    items = node.value[[k.value for k, _ in node.value].index("sources")][1].value
    problems: list[Problem] = []
    sources: list[Source] = []
    seen: set[str] = set()
    for item, raw in zip(items, data["sources"]):
        line = item.start_mark.line + 1
        if not isinstance(raw, dict):
            problems.append(Problem(file, line, "-", "expected a mapping with name, url and schema"))
            continue
        unknown = sorted(str(key) for key in set(raw) - {"name", "url", "schema", *LAYOUT_KEYS})
        for key in unknown:
            problems.append(
                Problem(
                    file,
                    yaml_line(item, (key,)),
                    key[:80],
                    "unknown key; expected name, url, schema (and for an ees source filters, indicators)",
                )
            )
        name, url, schema = raw.get("name"), raw.get("url"), raw.get("schema")
        layout, layout_problems = ees_layout(raw, file, partial(yaml_line, item))
        problems += layout_problems
        if schema != "ees" and (layout.filters or layout.indicators):
            key = "filters" if "filters" in raw else "indicators"
            problems.append(
                Problem(
                    file,
                    yaml_line(item, (key,)),
                    key,
                    f"filters and indicators apply to ees sources only; this source's schema is {shown(schema)}",
                )
            )
        if not isinstance(name, str) or not re.match(NAME_SHAPE, name):
            problems.append(Problem(file, line, "name", f"expected letters, digits, _ . -, got {shown(name)}"))
        elif name in seen:
            problems.append(Problem(file, line, "name", f"{shown(name)} is used by another source"))
        if schema not in SCHEMAS:
            problems.append(Problem(file, line, "schema", f"expected one of {', '.join(SCHEMAS)}, got {shown(schema)}"))
        if not isinstance(url, str) or not url:
            problems.append(Problem(file, line, "url", "expected a path or an http(s) URL"))
        if unknown or not (isinstance(name, str) and isinstance(url, str) and schema in SCHEMAS):
            continue
        seen.add(name)
        if url.startswith("file://"):
            url = url[len("file://") :]
        if not url.startswith(("http://", "https://")):
            url = str((path.parent / url).resolve())
        sources.append(Source(name, url, schema, line, layout))
    if problems:
        raise InputError(problems)
    return sources


class FetchError(Exception):
    pass


def fetch(
    url: str,
    attempts: int = 3,
    backoff: float = 1.0,
    timeout: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """The bytes at `url`: a local file read once; HTTP(S) tried `attempts` times, waiting backoff x 2^k.

    Client errors (4xx except 408 and 429) are not retried: asking again will not help.
    """
    if not url.startswith(("http://", "https://")):
        try:  # a regular file under the size cap (a named pipe is refused, not waited on)
            return read_input_bytes(url, limit=MAX_BYTES, what="source file")
        except InputError as error:
            raise FetchError(f"cannot read the file: {error.problems[0].message}") from None
    last = ""
    for attempt in range(attempts):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                data = response.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                raise FetchError(f"larger than {MAX_BYTES // 2**20} MiB")
            return data
        except urllib.error.HTTPError as err:
            last = f"HTTP {err.code} {err.reason}"
            if 400 <= err.code < 500 and err.code not in (408, 429):
                break
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
            last = str(getattr(err, "reason", err))
    raise FetchError(f"could not fetch after {attempt + 1} tries: {last}")


def source_records(
    schema: str, path: Path, file: str, layout: EesLayout = EesLayout(), within: Path | None = None
) -> tuple[dict[str, dict[str, Any]] | None, list[Problem]]:
    """Validate a source's file; return its records keyed for comparison (a scenario table by its key
    columns, an EES or ONS file by authority), or its problems. `layout`: an ees source's filters and
    indicator columns; `within`: the folder the file must stay in (the store)."""
    if schema in TABLE_KEYS:
        model = TABLES[f"{schema}.csv"][0]
        table, problems = read_table(path, model, file)
        if table is None or problems:
            return None, problems
        key_columns = TABLE_KEYS[schema]
        records = {}
        for row in table.rows:
            values = row.value.model_dump(mode="json")
            records["/".join(str(values[k]) for k in key_columns)] = {
                k: v for k, v in values.items() if k not in key_columns
            }
        return records, []
    try:
        if schema == "outcomes":
            return figure_records(read_outcomes(path, file)), []
        if schema == "ees":
            ees = read_ees_csv(path, file=file, layout=layout, within=within)
            records = {}
            for code in ees.authority_codes:
                records[code] = {"name": ees.names.get(code), **ees.latest(code)}
            return records, []
        populations = read_ons_population(path, file=file, within=within)
        return {
            code: {"population_0_17": p.population_0_17, "population_10_17": p.population_10_17}
            for code, p in populations.items()
        }, []
    except InputError as error:
        return None, list(error.problems)


def validate(source: Source, data: bytes) -> Collected:
    collected = Collected(source, data, hashlib.sha256(data).hexdigest())
    with tempfile.TemporaryDirectory(prefix="spokeplan-refresh-") as folder:
        path = Path(folder) / f"{source.name}.csv"
        path.write_bytes(data)
        records, problems = source_records(source.schema, path, source.url, source.layout)
    if records is None:
        collected.problems = [str(p) for p in problems] or [f"error: {source.url}:0: -: not valid"]
    else:
        collected.records = records
    return collected


def previous_records(store: Path, latest: dict | None, source: Source) -> dict[str, dict[str, Any]] | None:
    if not latest or source.name not in latest["sources"]:
        return None
    return entry_records(store, latest["sources"][source.name])


def entry_records(store: Path, entry: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """The records of a source as a snapshot holds it (read the way its manifest entry says), or None
    when the file no longer reads (a layout the file does not fit, a damaged store)."""
    layout = entry_layout(entry)
    if layout is None:
        return None
    records, _ = source_records(entry["schema"], source_path(store, entry), entry["file"], layout, within=store)
    return records


def entry_layout(entry: dict[str, Any], file: str = "", line: int = 0) -> EesLayout | None:
    """The EES layout a manifest entry records (EesLayout() when none), or None when it is not one."""
    layout, problems = ees_layout({k: entry[k] for k in LAYOUT_KEYS if k in entry}, file, lambda loc: line)
    return None if problems else layout


def same_source(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Two manifest entries give the same data: the same bytes (sha256), checked and read the same way
    (schema, and an ees source's filters and indicator columns)."""
    return all(before.get(key) == after.get(key) for key in ("sha256", "schema", *LAYOUT_KEYS))


def compare(before: dict[str, dict[str, Any]] | None, after: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Rows added and removed (by key) and values moved (key, column, old, new)."""
    before = before or {}
    moved = []
    for key in sorted(set(before) & set(after)):
        for column in sorted(set(before[key]) | set(after[key])):
            old, new = before[key].get(column), after[key].get(column)
            if old != new:
                moved.append({"key": key, "column": column, "old": old, "new": new})
    return {"added": sorted(set(after) - set(before)), "removed": sorted(set(before) - set(after)), "moved": moved}


@dataclass
class RefreshResult:
    snapshot: str | None  # the new snapshot's id, or None when nothing was written
    changes: dict[str, Any]  # name -> {status, sha256, added, removed, moved, problems}
    problems: list[str]
    written: list[str]
    report_markdown: str
    previous: str | None = None  # the snapshot before the new one (None: the store's first)


def snapshot_id(now: datetime, store: Path) -> str:
    base = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate, n = base, 1
    while (store / "snapshots" / candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def report_markdown(snapshot: str | None, previous: str | None, changes: dict[str, Any]) -> str:
    lines = [
        f"# Scoping refresh: {'snapshot ' + snapshot if snapshot else 'no new snapshot'}",
        "",
        f"Previous snapshot: {previous or 'none'}.",
        "",
    ]
    for name, change in changes.items():
        lines.append(f"## {name}: {change['status']}")
        if change.get("added"):
            lines.append(f"- added: {', '.join(change['added'])}")
        if change.get("removed"):
            lines.append(f"- removed: {', '.join(change['removed'])}")
        for move in change.get("moved", []):
            lines.append(f"- {move['key']} {move['column']}: {move['old']} -> {move['new']}")
        for problem in change.get("problems", []):
            lines.append(f"- rejected: {problem}")
        lines.append("")
    return "\n".join(lines)


def refresh(
    sources: list[Source], store: str | Path, collected: list[Collected], now: datetime | None = None
) -> RefreshResult:
    """Decide and (if anything valid changed) write a new snapshot and its what-changed report."""
    store = Path(store)
    latest = read_latest(store)
    old = (latest or {}).get("sources", {})
    changes: dict[str, Any] = {}
    problems: list[str] = []
    entries: dict[str, dict[str, Any]] = {}
    changed = False
    for item in collected:
        source = item.source
        if not item.ok:
            problems += item.problems
            kept = old.get(source.name)
            changes[source.name] = {
                "status": "rejected, previous snapshot kept" if kept else "rejected, none kept",
                "problems": item.problems,
            }
            if kept:
                entries[source.name] = kept
            continue
        entry = {
            "sha256": item.sha256,
            "schema": source.schema,
            "url": source.url,
            "rows": len(item.records or {}),
            **source.entry_layout(),
        }
        if source.name in old and same_source(old[source.name], entry):
            changes[source.name] = {"status": "unchanged"}
            entries[source.name] = old[source.name]
            continue
        changed = True
        diff = compare(previous_records(store, latest, source), item.records or {})
        changes[source.name] = {"status": "new" if source.name not in old else "changed", **diff}
        entries[source.name] = entry
    dropped = sorted(set(old) - {s.name for s in sources})
    for name in dropped:
        changed = True
        changes[name] = {"status": "no longer listed in the sources file; left out of the new snapshot"}
    if not changed:
        return RefreshResult(
            None, changes, problems, [], report_markdown(None, (latest or {}).get("snapshot"), changes)
        )

    try:
        snapshot, manifest = _write_snapshot(
            store, latest, entries, by_name={c.source.name: c for c in collected}, changes=changes, now=now
        )
    except OSError as error:  # disk full, read-only, permission: the store keeps its previous snapshot
        raise OutputError([output_problem(store, error)]) from None
    written = [
        str(store / "snapshots" / snapshot),
        str(store / "reports" / f"{snapshot}.md"),
        str(store / "latest.json"),
    ]
    return RefreshResult(
        snapshot,
        changes,
        problems,
        written,
        report_markdown(snapshot, manifest["previous"], changes),
        manifest["previous"],
    )


def _write_snapshot(
    store: Path,
    latest: dict | None,
    entries: dict[str, dict[str, Any]],
    by_name: dict[str, Collected],
    changes: dict[str, Any],
    now: datetime | None,
) -> tuple[str, dict[str, Any]]:
    """Write the new snapshot folder (renamed into place whole), its report and latest.json (last)."""
    snapshot = snapshot_id(now or datetime.now(UTC), store)
    (store / "snapshots").mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{snapshot}.", dir=store / "snapshots"))
    try:
        for name, entry in entries.items():
            target = temp / f"{name}.csv"
            item = by_name[name]
            if item.ok and entry["sha256"] == item.sha256:
                target.write_bytes(item.data or b"")
            else:
                shutil.copyfile(source_path(store, entry), target)
            entry["file"] = f"snapshots/{snapshot}/{name}.csv"
        manifest: dict[str, Any] = {
            "snapshot": snapshot,
            "previous": (latest or {}).get("snapshot"),
            "sources": entries,
        }
        (temp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        temp.rename(store / "snapshots" / snapshot)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    markdown = report_markdown(snapshot, manifest["previous"], changes)
    report = {"snapshot": snapshot, "previous": manifest["previous"], "changes": changes}
    atomic_write_bytes(store / "reports" / f"{snapshot}.md", markdown.encode("utf-8"))
    atomic_write_bytes(
        store / "reports" / f"{snapshot}.json",
        (json.dumps(report, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8"),
    )
    atomic_write_bytes(store / "latest.json", (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return snapshot, manifest
