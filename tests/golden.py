"""Golden outputs of every shipped demo: the SHA-256 of each file it writes.

A refactor must leave every demo's files byte-identical (issue #13); a change that is meant to
alter a plan (a new rule, a new estimate) re-derives the manifest on purpose and says so in its
commit: `python -m tests.golden` (or `make golden`) rewrites tests/data/golden.json.

tests/test_golden.py runs each demo through the real CLI entry point and compares; the session
fixture `shipped_demo` (tests/conftest.py) runs each demo once and shares the run with the tests
that read its outputs (the phased and robust solves take tens of seconds).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "tests" / "data" / "golden.json"

# name -> the spokeplan arguments that write it, with {out} for its output folder. A generous time
# limit: each demo is proven optimal in well under a minute, but on a loaded machine a stage can hit
# its share of the default 60 s and stop FEASIBLE at another, equally good tie (seen with the phased
# demo at load 4.5 on 2 cores); the manifest is about the code's behaviour, not the machine's load.
SOLVER = ["--time-limit", "900"]
DEMOS: dict[str, list[str]] = {
    "demo": ["demo", "--out", "{out}", *SOLVER],
    "demo_no_wrong_door": ["demo", "--model", "no-wrong-door", "--out", "{out}", *SOLVER],
    "demo_phased": ["plan", str(REPO / "inputs" / "demo_phased"), "--out", "{out}", *SOLVER],
    "demo_robust": ["plan", str(REPO / "inputs" / "demo_robust"), "--out", "{out}", *SOLVER],
    "sweep_demo": ["sweep", str(REPO / "inputs" / "sweep_demo.yaml"), "--out", "{out}"],
}


def arguments(name: str, out: Path) -> list[str]:
    return [part.replace("{out}", str(out)) for part in DEMOS[name]]


def file_hashes(out: Path) -> dict[str, str]:
    """SHA-256 of every file under `out` (relative POSIX paths), the sweep's cache left out.

    sweep.json records its base scenario's absolute path, so the checkout's own folder is replaced
    by `<repo>` first: a clean clone anywhere (CI, a worktree) gives the same hashes."""
    return {
        path.relative_to(out).as_posix(): hashlib.sha256(
            path.read_bytes().replace(str(REPO).encode(), b"<repo>")
        ).hexdigest()
        for path in sorted(out.rglob("*"))
        if path.is_file() and ".cache" not in path.relative_to(out).parts
    }


def run_demo(name: str, out: Path) -> int:
    from flows.cli import main

    return main(arguments(name, out))


@dataclass(frozen=True)
class DemoRun:
    """One run of a shipped demo through the CLI: exit code, what it printed, where it wrote."""

    code: int
    out: str
    err: str
    directory: Path


def run_demo_captured(name: str, out: Path) -> DemoRun:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = run_demo(name, out)
    return DemoRun(code, stdout.getvalue(), stderr.getvalue(), out)


def unproven_stages(out: Path) -> list[str]:
    """The objective stages of a demo's plan (internal/plan.json) not proven optimal. A golden file is
    only machine-independent when every stage is proven: a stage stopped by the time limit keeps
    whichever tie the machine's speed reached."""
    document = out / "internal" / "plan.json"
    if not document.is_file():  # the sweep writes sweep.json, one solve per variant
        return []
    stages = json.loads(document.read_text()).get("stages", [])
    return [f"{s['name']} {s['status']}" for s in stages if s["status"] != "OPTIMAL"]


def expected() -> dict[str, dict[str, str]]:
    return json.loads(MANIFEST.read_text())


def rewrite(work: Path) -> None:
    """Run every demo into `work` and write the manifest of what they produced."""
    manifest = {}
    for name in DEMOS:
        out = work / name
        code = run_demo(name, out)
        if code != 0:
            raise SystemExit(f"{name}: exit {code}")
        if unproven := unproven_stages(out):
            raise SystemExit(f"{name}: stages not proven optimal ({', '.join(unproven)}): no golden file from it")
        manifest[name] = file_hashes(out)
    MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(f"wrote {MANIFEST} ({sum(len(v) for v in manifest.values())} files)")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        rewrite(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(work))
