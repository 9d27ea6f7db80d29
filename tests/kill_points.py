"""Kill a process with SIGKILL at an exact point of its file writing, for the kill -9 tests.

A test starts a child process (a writer, or the real `spokeplan` command) that first calls
`install(root, point, index)`; the child then sends itself SIGKILL:

* ``("write", k)``: half-way through the bytes of the k-th file it opens for writing under `root`
  or in a staging folder beside it (common.files.write_files writes the whole set into
  ``.ROOT.spokeplan-new-*`` next to `root`): the first write gets half its bytes, then the kill; or
* ``("publish", k)``: just after its k-th rename or swap of a file or folder into a place under
  `root` (os.replace / os.rename, which atomic writes end with, and common.files' one-step swap).

Unlike a kill after a random sleep, every point of the write sequence is hit on purpose, and the
test knows which files must then be old and which new. Counting is by the files' paths, so
anything else the process writes (Prefect, logs) does not move the points.
"""

from __future__ import annotations

import builtins
import io
import os
import signal
import sys
import tempfile
from pathlib import Path

CHILD = """
import sys
sys.path.insert(0, {repo!r})
from tests.kill_points import install
install(sys.argv[1], sys.argv[2], int(sys.argv[3]))
del sys.argv[1:4]
"""


def child_code(body: str) -> str:
    """Python for `python -c`: argv[1:4] = root, point, index; then `body` runs with the rest of argv."""
    return CHILD.format(repo=str(Path(__file__).resolve().parents[1])) + body


def _killed() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class _HalfThenKilled:
    """A file whose first write stores half the bytes, flushes them and kills the process."""

    def __init__(self, file):
        self._file = file

    def write(self, data):
        self._file.write(data[: len(data) // 2])
        self._file.flush()
        _killed()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._file.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._file, name)


def install(root: str | Path, point: str, index: int) -> None:
    """Arm the kill (see the module docstring) in this process."""
    if point not in ("write", "publish"):
        raise ValueError(f"point must be 'write' or 'publish', not {point!r}")
    root = Path(root).resolve()
    counts = {"write": 0, "publish": 0}
    temporary_fds: set[int] = set()
    real_open, real_mkstemp, real_replace, real_rename = io.open, tempfile.mkstemp, os.replace, os.rename

    staging_prefix = f".{root.name}.spokeplan-"  # common.files._staging_prefix: the set's staging folders
    real_os_open, real_os_write = os.open, os.write
    tracked_fds: set[int] = set()  # opened for writing by os.open under root, not yet written

    def under_root(path) -> bool:
        resolved = Path(os.fsdecode(path)).resolve()
        if resolved == root or root in resolved.parents:
            return True
        return any(
            parent.parent == root.parent and parent.name.startswith(staging_prefix) for parent in resolved.parents
        )

    def opened(file, target, mode: str):
        if isinstance(target, int):  # a file descriptor: counted if mkstemp made it under root
            ours = target in temporary_fds
            temporary_fds.discard(target)
        else:
            ours = under_root(target)
        if not ours or not any(flag in mode for flag in "wax+"):
            return file
        if point == "write" and counts["write"] == index:
            return _HalfThenKilled(file)
        counts["write"] += 1
        return file

    def open_(target, mode="r", *args, **kwargs):
        return opened(real_open(target, mode, *args, **kwargs), target, mode)

    def mkstemp(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        if under_root(name):
            temporary_fds.add(fd)  # os.fdopen(fd) of an atomic write opens it by number
        return fd, name

    def published(dst) -> None:
        if not under_root(dst):
            return
        if point == "publish" and counts["publish"] == index:
            _killed()
        counts["publish"] += 1

    def replace(src, dst, *args, **kwargs):
        real_replace(src, dst, *args, **kwargs)
        published(dst)

    def rename(src, dst, *args, **kwargs):
        real_rename(src, dst, *args, **kwargs)
        published(dst)

    def os_open(path, flags, *args, **kwargs):
        descriptor = real_os_open(path, flags, *args, **kwargs)
        tracked_fds.discard(descriptor)
        if flags & (os.O_WRONLY | os.O_RDWR) and flags & os.O_CREAT and under_root(path):
            tracked_fds.add(descriptor)  # counted at its first write (mkstemp's own open writes nothing)
        return descriptor

    def os_write(descriptor, data):
        if descriptor in tracked_fds:
            tracked_fds.discard(descriptor)
            if point == "write" and counts["write"] == index:
                real_os_write(descriptor, bytes(data[: len(data) // 2]))
                _killed()
            counts["write"] += 1
        return real_os_write(descriptor, data)

    import common.files  # its one-step swap of the staging folder with `root` is a publish

    real_exchange = common.files._exchange

    def exchange(a, b):
        swapped = real_exchange(a, b)
        if swapped:
            published(b)
        return swapped

    io.open = builtins.open = open_
    tempfile.mkstemp, os.replace, os.rename = mkstemp, replace, rename
    os.open, os.write, common.files._exchange = os_open, os_write, exchange
