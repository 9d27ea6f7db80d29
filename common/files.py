"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Each file is written to a temporary file in its own folder, flushed to disk and renamed over the
old one (a rename within one file system is atomic). :func:`write_files` writes several in the
order given, so the caller puts the file others point to last (plan.json after the tables beside
it, an index page after the pages it links to); a run killed before the renames leaves the
previous files untouched, and the next run clears the temporary files it left behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(temp_name, 0o666 & ~_current_umask())  # mkstemp creates 0600; use the user's usual mode
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_files(out_dir: str | Path, files: dict[str, bytes]) -> list[Path]:
    """Write all files atomically, in the given order (put the one others point to last). Returns their paths."""
    out = Path(out_dir)
    if out.is_dir():  # temporary files left by a run that was killed mid-write
        for name in files:
            for stale in out.glob(f".{name}.*.tmp"):
                stale.unlink(missing_ok=True)
    written = []
    for name, data in files.items():
        atomic_write_bytes(out / name, data)
        written.append(out / name)
    return written
