"""The output folder holds one whole set of files: the previous plan's or the new one's, never a mix
(issue #19 item 5; common.files.write_files).

The kill test slows every fsync (as the issue's own test did, to widen the write window), kills the
writer at random moments, and checks after each kill that every file of the folder comes from the
same version, that the kill did land in the middle of a write (a half-filled temporary folder is
left beside the output folder), and that the next run clears what the killed one left. A control
runs the same harness against the former one-file-at-a-time writer and sees a mixed set, so the
check is one that can fail.
"""

from __future__ import annotations

import errno
import os
import pickle
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from common import files
from common.errors import InputError
from common.files import check_output_folder, clear_stale, write_files

REPO = Path(__file__).resolve().parents[1]

WRITER = """
import os, pickle, sys, time
real_fsync = os.fsync
def slow_fsync(fd):  # a slow disk: widens the window in which a kill lands mid-write
    time.sleep(0.03)
    real_fsync(fd)
os.fsync = slow_fsync
from common.files import atomic_write_bytes, write_files
versions, out, mode = pickle.load(open(sys.argv[1], "rb")), sys.argv[2], sys.argv[3]
i = 0
while True:
    files = versions[i % 2]
    if mode == "set":
        write_files(out, files)
    else:  # the former writer: each file atomically, one after another
        for name, data in files.items():
            atomic_write_bytes(__import__("pathlib").Path(out) / name, data)
    i += 1
"""

NAMES = ("report.html", "plan.xlsx", "plan.geojson", "allocation.csv", "spokes.csv", "coverage.csv", "plan.json")


def two_versions() -> tuple[dict[str, bytes], dict[str, bytes]]:
    old = {name: f"{name} of the previous plan\n".encode() * 50 for name in NAMES}
    new = {name: f"{name} of the new plan\n".encode() * 50 for name in NAMES}
    return old, new


def versions_in(out: Path, old: dict, new: dict) -> set[str]:
    """Which version each file of the folder is ('old', 'new'); anything else fails the test."""
    found = set()
    for name in NAMES:
        data = (out / name).read_bytes()
        assert data in (old[name], new[name]), f"{name} is neither version: a half-written file"
        found.add("old" if data == old[name] else "new")
    return found


def staging_folders(out: Path) -> list[Path]:
    return [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.spokeplan-")]


def kill_at_random(tmp_path: Path, mode: str, kills: int, seed: int) -> tuple[int, int]:
    """(kills that left a mixed set, kills that landed mid-write) for the writer `mode`."""
    old, new = two_versions()
    versions = tmp_path / f"versions-{mode}.pickle"
    versions.write_bytes(pickle.dumps([old, new]))
    out = tmp_path / f"out-{mode}"
    write_files(out, old)
    rng = random.Random(seed)
    mixed = mid_write = 0
    for _ in range(kills):
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(versions), str(out), mode], cwd=REPO)
        time.sleep(rng.uniform(0.4, 1.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        if len(versions_in(out, old, new)) > 1:
            mixed += 1
        if mode == "set":
            partial = [p for p in staging_folders(out) if 0 < len(list(p.iterdir())) < len(NAMES)]
            mid_write += bool(partial)
        else:
            mid_write += bool([p for p in out.iterdir() if p.name.endswith(".tmp")])
    return mixed, mid_write


@pytest.mark.slow  # 15 kills of a real writer process each, about 10 s
def test_a_kill_at_any_moment_leaves_the_previous_set_or_the_new_one(tmp_path):
    mixed, mid_write = kill_at_random(tmp_path, "set", kills=15, seed=19)
    assert mixed == 0
    assert mid_write >= 5, "the kills did not land while a set was being written: the test proves nothing"
    out = tmp_path / "out-set"
    old, new = two_versions()
    write_files(out, new)  # the next run clears what the killed ones left behind
    assert staging_folders(out) == []
    assert versions_in(out, old, new) == {"new"}


@pytest.mark.slow  # 15 kills of a real writer process each, about 10 s
def test_control_the_former_per_file_writer_leaves_mixed_sets(tmp_path):
    mixed, mid_write = kill_at_random(tmp_path, "files", kills=15, seed=19)
    assert mid_write >= 5 and mixed >= 1  # the check above can fail: one file at a time mixes sets


def test_entries_the_set_does_not_name_are_kept_and_replaced_names_go(tmp_path):
    out = tmp_path / "out"
    (out / "scope").mkdir(parents=True)
    (out / "scope" / "index.html").write_text("scoping")
    (out / "notes.txt").write_text("the user's own notes")
    (out / "robustness.csv").write_text("from an earlier robust plan")
    os.symlink("notes.txt", out / "link-to-notes")
    os.chmod(out, 0o750)
    inode = (out / "notes.txt").stat().st_ino
    write_files(out, {"plan.json": b"{}\n", "public/report.html": b"<html></html>\n"}, replaces=("robustness.csv",))
    assert (out / "plan.json").read_bytes() == b"{}\n"
    assert (out / "public" / "report.html").read_bytes() == b"<html></html>\n"
    assert (out / "scope" / "index.html").read_text() == "scoping"
    assert (out / "notes.txt").read_text() == "the user's own notes"
    assert (out / "notes.txt").stat().st_ino == inode  # carried by a hard link, not copied
    assert os.readlink(out / "link-to-notes") == "notes.txt"
    assert not (out / "robustness.csv").exists()  # a plan file of the earlier plan that this one does not write
    assert (out.stat().st_mode & 0o777) == 0o750
    assert staging_folders(out) == []


def test_a_symlinked_output_folder_keeps_its_link_and_its_target_gets_the_set(tmp_path):
    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "out"
    os.symlink(target, link)
    write_files(link, {"plan.json": b"1\n"})
    assert link.is_symlink() and (target / "plan.json").read_bytes() == b"1\n"


def test_without_an_atomic_exchange_two_renames_and_a_kill_between_them_is_repaired(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_files(out, {"plan.json": b"old\n", "report.html": b"old\n"})
    monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    write_files(out, {"plan.json": b"new\n", "report.html": b"new\n"})
    assert (out / "plan.json").read_bytes() == b"new\n" and staging_folders(out) == []
    # A kill between the two renames: the folder has gone, the previous set waits whole beside it.
    previous = tmp_path / ".out.spokeplan-previous-x1"
    os.rename(out, previous)
    clear_stale(out)
    assert (out / "plan.json").read_bytes() == b"new\n" and staging_folders(out) == []


def test_a_full_disk_is_one_line_and_the_previous_set_stays(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_files(out, {"plan.json": b"old\n"})
    real_write = os.write

    def full(descriptor, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(InputError) as caught:
        write_files(out, {"plan.json": b"new\n"})
    monkeypatch.setattr(os, "write", real_write)
    (problem,) = caught.value.problems
    assert str(problem) == (
        f"error: {out}:0: -: cannot write the files here: the disk is full; the previous files are unchanged"
    )
    assert (out / "plan.json").read_bytes() == b"old\n" and staging_folders(out) == []


def mounted_tmpfs(path: Path, options: str) -> bool:
    """A small tmpfs at `path` (root only; False where mounting is not allowed)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    return (
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True).returncode == 0
    )


def test_a_real_full_disk_and_a_read_only_file_system(tmp_path):
    full, read_only = tmp_path / "full", tmp_path / "ro"
    if not mounted_tmpfs(full, "size=64k"):
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        (full / "plan").mkdir()
        (full / "plan" / "plan.json").write_bytes(b"old\n")
        with pytest.raises(InputError, match="the disk is full; the previous files are unchanged"):
            write_files(full / "plan", {"plan.json": b"x" * 40_000, "plan.xlsx": b"y" * 40_000})
        assert (full / "plan" / "plan.json").read_bytes() == b"old\n"
        assert os.listdir(full) == ["plan"]
    finally:
        subprocess.run(["umount", str(full)], check=True)
    assert mounted_tmpfs(read_only, "size=64k,ro")
    try:
        assert [str(p) for p in check_output_folder(read_only / "plan")] == [
            f"error: {read_only / 'plan'}:0: --out: cannot be written: the file system is read-only in {read_only}"
        ]
    finally:
        subprocess.run(["umount", str(read_only)], check=True)


def test_the_output_folder_is_checked_before_any_work(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "scn").mkdir()
    assert [p.message for p in check_output_folder(tmp_path / "a-file")] == [
        "is a file; expected a folder for the output files"
    ]
    assert [p.message for p in check_output_folder(tmp_path / "a-file" / "plan")] == [
        f"{tmp_path / 'a-file'} is a file, so no folder can be made under it; expected a folder path"
    ]
    assert "holds the input" in check_output_folder(tmp_path, keep_clear_of=[tmp_path / "scn"])[0].message
    monkeypatch.chdir(tmp_path / "scn")
    assert "is the current folder or holds it" in check_output_folder(tmp_path)[0].message
    assert check_output_folder(tmp_path / "new" / "plan") == []
    assert not (tmp_path / "new").exists()  # the check creates nothing
