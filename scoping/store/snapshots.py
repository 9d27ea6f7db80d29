"""Reading the versioned store: the current snapshot (latest.json) and the chain of snapshots behind it.

The layout (written by :mod:`scoping.store.refresh`)::

    DIR/latest.json                       the current snapshot: its id and each source's sha256
    DIR/snapshots/<YYYYmmddTHHMMSSZ>/     every source's file as collected, plus manifest.json
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from common.errors import InputError, Problem


def read_latest(store: Path) -> dict[str, Any] | None:
    path = store / "latest.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def store_snapshots(store: str | Path) -> list[dict[str, Any]]:
    """Every snapshot's manifest, oldest first: latest.json, then each manifest's `previous`. Raises InputError."""
    store = Path(store)
    manifests = []
    try:
        latest = read_latest(store)
        if latest is None:
            raise InputError([Problem(str(store), 0, "-", "not a refresh store (no latest.json); "
                                      "run `spokeplan refresh SOURCES.yaml --store DIR` first")])
        snapshot = latest.get("snapshot")
        seen = set()
        while snapshot and snapshot not in seen:
            seen.add(snapshot)
            if not re.match(r"^[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$", str(snapshot)):
                raise ValueError(f"snapshot id {snapshot!r} is not a refresh snapshot id")
            manifest = json.loads((store / "snapshots" / snapshot / "manifest.json").read_text(encoding="utf-8"))
            manifests.append(manifest)
            snapshot = manifest.get("previous")
    except (OSError, ValueError, AttributeError) as error:
        raise InputError([Problem(str(store), 0, "-", f"the store is damaged: {error}")]) from None
    return manifests[::-1]
