"""Reading the versioned store: the current snapshot (latest.json) and the chain of snapshots behind it.

The layout (written by :mod:`scoping.store.refresh`)::

    DIR/latest.json                       the current snapshot: its id and each source's sha256
    DIR/snapshots/<YYYYmmddTHHMMSSZ>/     every source's file as collected, plus manifest.json

A store may come from elsewhere (copied, shared, edited by hand), so every manifest is validated
(:class:`Manifest`: a snapshot id, the previous one, each source's file and schema) and every file a
manifest names must stay inside the store once links are followed: a manifest naming
``/etc/passwd`` or ``../../secret.csv`` is refused with its line, and the file is never opened.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.errors import InputError, Problem, shown
from common.files import read_input_bytes

SNAPSHOT_ID = r"^[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$"
MAX_MANIFEST_BYTES = 10 * 1024 * 1024
LISTED_SNAPSHOTS = 10  # snapshot ids named in a message


class SourceEntry(BaseModel):
    """One source of a snapshot: its file (relative to the store) and schema; other keys are kept."""

    model_config = ConfigDict(extra="allow", frozen=True)
    file: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")
    schema_: str = Field(alias="schema", min_length=1, max_length=100)
    sha256: str | None = None


class Manifest(BaseModel):
    """latest.json and snapshots/<id>/manifest.json."""

    model_config = ConfigDict(extra="allow", frozen=True)
    snapshot: str = Field(pattern=SNAPSHOT_ID)
    previous: str | None = Field(default=None, pattern=SNAPSHOT_ID)
    sources: dict[str, SourceEntry] = Field(default_factory=dict)


def _json_line(text: str, key: str) -> int:
    """The first line of a manifest's text mentioning `key` (for messages), else 1."""
    needle = f'"{key}"'
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 1


def read_manifest(path: Path, store: Path) -> dict[str, Any]:
    """A validated manifest (as a dict, the way refresh writes it). Raises InputError, located."""
    file = str(path)
    raw = read_input_bytes(path, file, within=store, limit=MAX_MANIFEST_BYTES, what="store manifest")
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise InputError(
            [
                Problem(
                    file,
                    getattr(error, "lineno", 0),
                    "-",
                    f"the store is damaged: not a JSON manifest ({str(error)[:80]})",
                )
            ]
        ) from None
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            key = ".".join(str(part) for part in item["loc"]) or "-"
            if item["type"] == "missing":
                what = "is missing"
            elif item["type"] == "string_pattern_mismatch" and item["loc"][-1] in ("snapshot", "previous"):
                what = f"{shown(item.get('input'))} is not a refresh snapshot id (YYYYmmddTHHMMSSZ)"
            else:
                what = f"{item['msg']}, got {shown(item.get('input'))}"
            last = str(item["loc"][-1]) if item["loc"] else "snapshot"
            line = _json_line(text, str(item["loc"][1]) if len(item["loc"]) > 1 and item["type"] == "missing" else last)
            problems.append(Problem(file, line, key, f"the store is damaged: {what}"))
        raise InputError(problems) from None
    for name, entry in manifest.sources.items():
        problem = source_file_problem(store, entry.file)
        if problem:
            raise InputError(
                [
                    Problem(
                        file,
                        _json_line(text, entry.file),
                        f"sources.{name[:40]}.file",
                        f"the store is damaged: {problem}",
                    )
                ]
            )
    return data


def source_file_problem(store: Path, relative: str) -> str | None:
    """Why a manifest's `file` may not be read: it is absolute or leads out of the store."""
    if os.path.isabs(relative):
        return f"{shown(relative)} is an absolute path; expected a file inside the store"
    real = os.path.realpath(store / relative)
    root = os.path.realpath(store)
    if not (real == root or real.startswith(root.rstrip(os.sep) + os.sep)):
        return f"{shown(relative)} leads out of the store; expected a file inside it"
    return None


def source_path(store: Path, entry: dict[str, Any]) -> Path:
    """The path of a source's file in the store (a manifest from :func:`read_manifest`: confined)."""
    return store / entry["file"]


def read_latest(store: Path) -> dict[str, Any] | None:
    """The store's latest.json, validated; None for a store without one (a new store). Raises InputError."""
    path = store / "latest.json"
    if not os.path.lexists(path):
        return None
    return read_manifest(path, store)


def read_snapshot(store: str | Path, snapshot: str | None = None) -> dict[str, Any]:
    """One snapshot's validated manifest: `snapshot` (an id such as 20250801T063000Z), else the latest.
    A store that is not one, an id that is not one, or a snapshot the store does not hold is an
    InputError naming the store's snapshots (``--snapshot`` is checked before anything is read)."""
    store = Path(store)
    chain = store_snapshots(store)  # the store itself checked: a folder with latest.json, every manifest valid
    ids = [manifest["snapshot"] for manifest in chain]
    if snapshot is None:
        return chain[-1]
    known = (
        f"the store's snapshots: {', '.join(ids[-LISTED_SNAPSHOTS:])}"
        f"{f' (and {len(ids) - LISTED_SNAPSHOTS} earlier)' if len(ids) > LISTED_SNAPSHOTS else ''}; "
        f"the latest is {ids[-1]}"
    )
    if not re.match(SNAPSHOT_ID, snapshot):
        raise InputError(
            [
                Problem(
                    str(store), 0, "--snapshot", f"{shown(snapshot)} is not a snapshot id (YYYYmmddTHHMMSSZ); {known}"
                )
            ]
        )
    if snapshot not in ids:
        raise InputError([Problem(str(store), 0, "--snapshot", f"no snapshot {snapshot} in the store; {known}")])
    return chain[ids.index(snapshot)]


def store_snapshots(store: str | Path) -> list[dict[str, Any]]:
    """Every snapshot's manifest, oldest first: latest.json, then each manifest's `previous`. Raises InputError."""
    store = Path(store)
    if store.exists() and not store.is_dir():
        raise InputError(
            [
                Problem(
                    str(store),
                    0,
                    "-",
                    "not a refresh store (a file, not a folder); "
                    "run `spokeplan refresh SOURCES.yaml --store DIR` first",
                )
            ]
        )
    latest = read_latest(store)
    if latest is None:
        raise InputError(
            [
                Problem(
                    str(store),
                    0,
                    "-",
                    "not a refresh store (no latest.json); run `spokeplan refresh SOURCES.yaml --store DIR` first",
                )
            ]
        )
    manifests = []
    snapshot, seen = latest.get("snapshot"), set()
    while snapshot and snapshot not in seen:
        seen.add(snapshot)
        path = store / "snapshots" / snapshot / "manifest.json"
        if not os.path.lexists(path):
            raise InputError(
                [Problem(str(path), 0, "-", f"the store is damaged: snapshot {snapshot} has no manifest.json")]
            )
        manifest = read_manifest(path, store)
        manifests.append(manifest)
        snapshot = manifest.get("previous")
    return manifests[::-1]
