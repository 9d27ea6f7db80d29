"""The workbench's folder: scenarios people edit, and every solved option kept as a version.

    WORKSPACE/
      scenarios/<scenario>/        the working copy the forms edit (hosts.csv, scenario.yaml, ...)
      versions/<scenario>/<vNNNN>/ one solved option: meta.json, plan/ (the plan files), inputs/<scenario>/
      .tmp/                        work in progress (a solve's folder, a checked copy); cleared at start

Safe by default (issue #18):

* **Nothing outside the workspace is read or written.** Scenario and version ids are checked
  against a plain pattern before any path is built from them, every path is resolved and must lie
  inside the workspace, links inside a scenario are refused, and so are scenario.yaml references
  (`monitoring_store`, a service model given as a path) that point outside it. The one exception
  is seeding: a fresh workspace copies spokeplan's shipped demos in (the program's own files).
* **A version is written whole or not at all**: a solve writes into `.tmp/`, and the finished
  folder is renamed into `versions/` in one step, so a crash mid-solve leaves every saved version
  as it was and no half version behind (leftovers in `.tmp/` are removed at the next start).
* **Solves of one scenario take turns** across processes too: a lock file per scenario
  (`versions/<scenario>/.lock`, fcntl) is held for the whole solve and the numbering of its version.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import threading
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from common.files import atomic_write_bytes
from flows.workbench.edits import set_yaml_keys

SCENARIO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
VERSION_ID = re.compile(r"^v[0-9]{4,6}$")
VERSION_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,80}$")
SCENARIO_FILE = "scenario.yaml"
STORE_FOLDER = "outcomes_store"  # a seeded demo's refresh store, copied inside its scenario
# A version's plan files the workbench serves (issue #18): the report, the workbook, the CSV tables, the
# GeoJSON (the copies directly in the plan folder: report.html is the public pack's).
PACK_FILES = (
    "report.html",
    "plan.xlsx",
    "plan.geojson",
    "allocation.csv",
    "spokes.csv",
    "coverage.csv",
    "robustness.csv",
)
# What a version downloads as (issue #17): both packs, whole, and the README.txt saying which is which.
PACK_FOLDERS = ("internal", "public")


class Refused(Exception):
    """A request the workbench will not carry out; `message` says why in plain words."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def checked_scenario_id(text: str) -> str:
    if not isinstance(text, str) or not SCENARIO_ID.match(text):
        raise Refused(
            f"{text[:40]!r} is not a scenario name here: use 1-64 letters, digits, '_' or '-', "
            "starting with a letter or digit",
            404,
        )
    return text


def checked_version_id(text: str) -> str:
    if not isinstance(text, str) or not VERSION_ID.match(text):
        raise Refused(f"{text[:40]!r} is not a version id (they look like v0001)", 404)
    return text


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_write(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all (common.files.atomic_write_bytes: a synced temporary file beside
    it, renamed over it), then sync the folder so the rename itself is on disk."""
    atomic_write_bytes(path, data)
    _fsync_dir(path.parent)


def inputs_hash(inputs_sha256: dict[str, str]) -> str:
    """One hash of a version's inputs: SHA-256 over 'file sha256' lines in file order (plan.json's
    per-file hashes), so equal inputs give equal hashes whatever the version."""
    lines = "".join(f"{name} {digest}\n" for name, digest in sorted(inputs_sha256.items()))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Version:
    """A saved version's meta.json, read."""

    id: str
    scenario: str
    meta: dict

    @property
    def name(self) -> str:
        return self.meta.get("name") or self.id


class Workspace:
    """The workspace folder and every path the workbench builds inside it."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.scenarios = self.root / "scenarios"
        self.versions = self.root / "versions"
        self.tmp = self.root / ".tmp"
        self._edit_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # --- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path, demos: dict[str, Path]) -> Workspace:
        """Open (creating if needed) the workspace at `root`; a fresh one is seeded with `demos`
        (scenario id -> shipped scenario directory). Leftovers of an interrupted run are removed."""
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise Refused(f"workspace {root} is a file, not a folder")
        root.mkdir(parents=True, exist_ok=True)
        workspace = cls(root)
        fresh = not workspace.scenarios.exists()
        for folder in (workspace.scenarios, workspace.versions):
            folder.mkdir(exist_ok=True)
        shutil.rmtree(workspace.tmp, ignore_errors=True)  # a crash mid-solve leaves only this behind
        workspace.tmp.mkdir()
        if fresh:
            for scenario_id, source in demos.items():
                workspace.seed(scenario_id, source)
        return workspace

    def seed(self, scenario_id: str, source: Path) -> None:
        """Copy a shipped scenario in: its files, and a refresh store it names (scenario.yaml
        `monitoring_store`) copied inside the scenario so that it stays within the workspace."""
        target = self.tmp / f"seed-{uuid.uuid4().hex[:8]}" / checked_scenario_id(scenario_id)
        target.mkdir(parents=True)
        for item in sorted(Path(source).iterdir()):
            if item.is_file() and not item.is_symlink():
                shutil.copyfile(item, target / item.name)
        rules_path = target / SCENARIO_FILE
        if rules_path.exists():
            rules = yaml.safe_load(rules_path.read_text(encoding="utf-8-sig")) or {}
            store = rules.get("monitoring_store") if isinstance(rules, dict) else None
            if isinstance(store, str) and (Path(source) / store).is_dir():
                shutil.copytree(Path(source) / store, target / STORE_FOLDER, symlinks=False)
                text = set_yaml_keys(rules_path.read_text(encoding="utf-8-sig"), {"monitoring_store": STORE_FOLDER})
                rules_path.write_text(text, encoding="utf-8")
        os.rename(target, self.scenarios / scenario_id)
        target.parent.rmdir()

    # --- paths --------------------------------------------------------------------------------

    def inside(self, path: Path) -> Path:
        """`path` resolved, refused unless it lies inside the workspace."""
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(self.root):
            raise Refused(
                f"{path} is outside the workspace; the workbench reads and writes only inside {self.root}", 403
            )
        return resolved

    def scenario_dir(self, scenario_id: str) -> Path:
        path = self.scenarios / checked_scenario_id(scenario_id)
        if path.is_symlink() or not path.is_dir():
            raise Refused(f"there is no scenario {scenario_id!r} in this workspace", 404)
        return self.inside(path)

    def scenario_ids(self) -> list[str]:
        return sorted(
            p.name for p in self.scenarios.iterdir() if p.is_dir() and not p.is_symlink() and SCENARIO_ID.match(p.name)
        )

    def contained(self, directory: Path) -> None:
        """Refuse a scenario folder that would make a load read outside the workspace: a link
        anywhere in it, or a scenario.yaml path (`monitoring_store`, a service model file) that
        resolves outside."""
        directory = self.inside(directory)
        for path in [directory, *directory.rglob("*")]:
            if path.is_symlink():
                raise Refused(
                    f"{path.relative_to(self.root)} is a link; the workbench reads only files inside its workspace", 403
                )
        rules_path = directory / SCENARIO_FILE
        if not rules_path.is_file():
            return
        try:
            rules = yaml.safe_load(rules_path.read_text(encoding="utf-8-sig"))
        except (yaml.YAMLError, UnicodeDecodeError):
            return  # the scenario check reports it, at its line
        if not isinstance(rules, dict):
            return
        references = [("monitoring_store", rules.get("monitoring_store"))]
        model = rules.get("service_model")
        if isinstance(model, str) and ("/" in model or "\\" in model or model.endswith((".yaml", ".yml"))):
            references.append(("service_model", model))  # a path; a shipped model's id is the program's own
        for key, value in references:
            if isinstance(value, str) and not Path(os.path.normpath(directory / value)).resolve().is_relative_to(
                self.root
            ):
                raise Refused(
                    f"{directory.name}/{SCENARIO_FILE}: {key}: {value[:80]!r} is outside the workspace; "
                    "the workbench reads only files inside it",
                    403,
                )

    # --- changing a scenario ------------------------------------------------------------------

    def edit_lock(self, scenario_id: str) -> threading.Lock:
        """One edit of a scenario's files at a time in this process (two tabs saving at once)."""
        with self._locks_guard:
            return self._edit_locks.setdefault(scenario_id, threading.Lock())

    @contextlib.contextmanager
    def candidate(self, scenario_id: str) -> Iterator[Path]:
        """A temporary copy of the scenario, named as it (messages then name the scenario), to
        change and check before anything is saved; removed afterwards."""
        source = self.scenario_dir(scenario_id)
        self.contained(source)
        folder = self.tmp / f"check-{uuid.uuid4().hex[:12]}"
        copy = folder / scenario_id
        shutil.copytree(source, copy, symlinks=True)
        try:
            yield copy
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def save_files(self, scenario_id: str, files: dict[str, bytes]) -> None:
        """Write checked files into the working scenario, each one atomically."""
        directory = self.scenario_dir(scenario_id)
        for name, data in files.items():
            atomic_write(self.inside(directory / name), data)

    def copy_scenario(self, source_id: str, new_id: str) -> None:
        """A new scenario `new_id` as a copy of `source_id`'s working files (not its versions)."""
        source = self.scenario_dir(source_id)
        target = self.scenarios / checked_scenario_id(new_id)
        if target.exists():
            raise Refused(f"a scenario named {new_id!r} already exists; choose another name")
        self.contained(source)
        staging = self.tmp / f"copy-{uuid.uuid4().hex[:12]}"
        shutil.copytree(source, staging, symlinks=True)
        os.rename(staging, target)

    # --- versions -----------------------------------------------------------------------------

    def version_folder(self, scenario_id: str) -> Path:
        folder = self.versions / checked_scenario_id(scenario_id)
        folder.mkdir(exist_ok=True)
        return self.inside(folder)

    @contextlib.contextmanager
    def solve_lock(self, scenario_id: str) -> Iterator[None]:
        """Held for a whole solve of the scenario and the numbering of its version (across processes)."""
        with open(self.version_folder(scenario_id) / ".lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def new_job_folder(self, scenario_id: str) -> Path:
        """A folder in .tmp holding a snapshot of the scenario's inputs (inputs/<scenario>) and an
        empty plan/: what a solve reads and writes, taken when the solve is asked for."""
        source = self.scenario_dir(scenario_id)
        self.contained(source)
        job = self.tmp / f"solve-{uuid.uuid4().hex[:12]}"
        shutil.copytree(source, job / "inputs" / scenario_id, symlinks=True)
        (job / "plan").mkdir()
        return job

    def commit_version(self, scenario_id: str, job: Path, meta: dict) -> str:
        """Number the finished job folder and rename it into versions/ in one step (call under
        solve_lock). Returns the new version id."""
        folder = self.version_folder(scenario_id)
        numbers = [int(p.name[1:]) for p in folder.iterdir() if VERSION_ID.match(p.name)]
        version_id = f"v{(max(numbers) + 1) if numbers else 1:04d}"
        meta = {**meta, "id": version_id, "scenario": scenario_id}
        if not meta.get("name"):
            meta["name"] = f"Option {int(version_id[1:])}"
        atomic_write(job / "meta.json", json.dumps(meta, indent=2, sort_keys=True).encode("utf-8"))
        os.rename(job, folder / version_id)
        _fsync_dir(folder)
        return version_id

    def version_dir(self, scenario_id: str, version_id: str) -> Path:
        path = self.versions / checked_scenario_id(scenario_id) / checked_version_id(version_id)
        if path.is_symlink() or not (path / "meta.json").is_file():
            raise Refused(f"scenario {scenario_id!r} has no version {version_id}", 404)
        return self.inside(path)

    def version(self, scenario_id: str, version_id: str) -> Version:
        meta = json.loads((self.version_dir(scenario_id, version_id) / "meta.json").read_text(encoding="utf-8"))
        return Version(version_id, scenario_id, meta)

    def list_versions(self, scenario_id: str) -> list[Version]:
        folder = self.versions / checked_scenario_id(scenario_id)
        if not folder.is_dir():
            return []
        ids = sorted(p.name for p in folder.iterdir() if VERSION_ID.match(p.name) and (p / "meta.json").is_file())
        return [self.version(scenario_id, version_id) for version_id in ids]

    def rename_version(self, scenario_id: str, version_id: str, name: str) -> None:
        name = name.strip()
        if not VERSION_NAME.match(name):
            raise Refused("a version's name is 1 to 80 characters of plain text")
        folder = self.version_dir(scenario_id, version_id)
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        meta["name"] = name
        atomic_write(folder / "meta.json", json.dumps(meta, indent=2, sort_keys=True).encode("utf-8"))

    def plan_file(self, scenario_id: str, version_id: str, name: str) -> Path:
        if name not in (*PACK_FILES, "plan.json"):
            raise Refused(f"{name[:40]!r} is not a plan file", 404)
        path = self.inside(self.version_dir(scenario_id, version_id) / "plan" / name)
        if not path.is_file():
            raise Refused(f"version {version_id} has no {name}", 404)
        return path

    def version_inputs(self, scenario_id: str, version_id: str) -> Path:
        return self.inside(self.version_dir(scenario_id, version_id) / "inputs" / scenario_id)

    def pack(self, scenario_id: str, version_id: str) -> bytes:
        """The version's two packs as a zip (issue #17): internal/ (exact, marked OFFICIAL-SENSITIVE) and
        public/ (disclosure-controlled) as the plan wrote them, each with its README.txt, and the
        README.txt saying which is which, in a folder named after the scenario and version. Not the
        copies directly in the plan folder: those mix the exact tables with the public report."""
        folder = self.version_dir(scenario_id, version_id) / "plan"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
            paths = [folder / "README.txt"] + sorted(p for name in PACK_FOLDERS for p in (folder / name).rglob("*"))
            for path in paths:
                if path.is_file() and not path.is_symlink():
                    name = path.relative_to(folder).as_posix()
                    info = zipfile.ZipInfo(f"{scenario_id}-{version_id}/{name}", date_time=(2000, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    pack.writestr(info, self.inside(path).read_bytes())
        return buffer.getvalue()


def now_text() -> str:
    """The time a version was saved, UTC, to the second (shown to people; not part of any plan file)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
