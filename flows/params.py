"""Pydantic parameter models of the flows (Prefect shows them as forms in the UI).

Validation happens before the flow body runs: a bad runner name or address is refused by Prefect
with the field named, like any other parameter error.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scoping.scenario.settings import DISCLOSURE_THRESHOLD
from scoping.store.snapshots import SNAPSHOT_ID

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_SCENARIO = REPO_ROOT / "inputs" / "demo"
# `spokeplan demo --model ID`: the shipped demo of each service model, and its default output folder.
DEMOS = {
    "cse-hub-and-spoke": (DEMO_SCENARIO, "outputs/demo"),
    "no-wrong-door": (REPO_ROOT / "inputs" / "demo_no_wrong_door", "outputs/demo-no-wrong-door"),
}

ADDRESS_PATTERN = r"^(tcp|tls|inproc|ucx)://\S+$"


def dask_address(text: str) -> str:
    """argparse type for --address: a Dask scheduler address such as tcp://10.0.0.5:8786."""
    if not re.match(ADDRESS_PATTERN, text):
        raise argparse.ArgumentTypeError(f"expected a scheduler address like tcp://HOST:8786, got {text!r}")
    return text


class SweepParams(BaseModel):
    """Run every variant of a SWEEP.yaml file and write the comparison report."""

    model_config = ConfigDict(extra="forbid")

    sweep_file: str = Field(description="SWEEP.yaml: the base scenario and its variants")
    out_dir: str = Field(
        description="folder for sweep.json, variants.csv and report.html; "
        "finished variants are cached in OUT_DIR/.cache"
    )
    runner: Literal["local", "dask"] = Field("local", description="local threads, or Dask via prefect-dask")
    address: str | None = Field(
        None,
        pattern=ADDRESS_PATTERN,
        description="scheduler address of an existing Dask cluster (runner dask); empty: a temporary local cluster",
    )
    max_parallel: int | None = Field(
        None, ge=1, le=256, description="variants solved at once (local threads or Dask workers); empty: one per CPU"
    )
    time_limit: float | None = Field(None, gt=0, description="solver seconds per variant; empty: the file's")
    workers: int | None = Field(None, ge=1, le=64, description="solver threads per variant; empty: the file's")


class RefreshParams(BaseModel):
    """Collect the scoping sources of a SOURCES.yaml file into a versioned store."""

    model_config = ConfigDict(extra="forbid")

    sources_file: str = Field(description="SOURCES.yaml: the sources to collect")
    store_dir: str = Field(description="the versioned store: snapshots/, reports/, latest.json")
    attempts: int = Field(3, ge=1, le=10, description="tries per HTTP source before it is reported broken")
    backoff_seconds: float = Field(1.0, ge=0, le=60, description="first wait between tries (doubles each time)")
    timeout_seconds: float = Field(30.0, gt=0, le=600, description="HTTP timeout per try")


STORE_DESCRIPTION = (
    "a refresh store (spokeplan refresh ... --store DIR) whose snapshot gives the scenario's "
    "tables (and scoping's indicator files); empty: the scenario directory alone"
)
SNAPSHOT_DESCRIPTION = "the store snapshot to use, e.g. 20250801T063000Z; empty: the latest"


class StoreChoice(BaseModel):
    """`store_dir` and `snapshot` (issue #17): a snapshot is one of a store's."""

    @model_validator(mode="after")
    def _snapshot_of_a_store(self):
        if getattr(self, "snapshot", None) is not None and getattr(self, "store_dir", None) is None:
            raise ValueError("snapshot names a snapshot of a store: give store_dir too")
        return self


class PlanParams(StoreChoice):
    """Allocate spokes for one scenario directory and write the plan files."""

    model_config = ConfigDict(extra="forbid")

    scenario_dir: str = Field(description="the scenario directory (hubs.csv, hosts.csv, areas.csv, ...)")
    out_dir: str = Field(description="folder for plan.json, report.html, plan.xlsx, ...")
    time_limit: float = Field(60.0, gt=0, le=86_400, description="solver seconds, all objective stages together")
    workers: int = Field(1, ge=1, le=64, description="solver threads (SCIP runs one)")
    store_dir: str | None = Field(None, description=STORE_DESCRIPTION)
    snapshot: str | None = Field(None, pattern=SNAPSHOT_ID, description=SNAPSHOT_DESCRIPTION)
    runner: Literal["local", "dask"] = Field("local", description="regions solved in turn, or on Dask via prefect-dask")
    address: str | None = Field(
        None,
        pattern=ADDRESS_PATTERN,
        description="scheduler address of an existing Dask cluster (runner dask); empty: a temporary local cluster",
    )


class DemoParams(BaseModel):
    """Scope and plan a shipped demo scenario: inputs/demo (CSE Hub and Spoke) or inputs/demo_no_wrong_door."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        "cse-hub-and-spoke",
        max_length=100,
        description="service model of the demo: cse-hub-and-spoke (inputs/demo) or no-wrong-door "
        "(inputs/demo_no_wrong_door)",
    )
    out_dir: str | None = Field(
        None,
        description="folder for the plan files; scoping reports go to OUT_DIR/scope; "
        "empty: outputs/demo (CSE) or outputs/demo-no-wrong-door",
    )
    time_limit: float = Field(60.0, gt=0, le=86_400, description="solver seconds, all objective stages together")
    workers: int = Field(1, ge=1, le=64, description="solver threads (SCIP runs one)")


class ScopeParams(StoreChoice):
    """Scoping profiles and one scoping report per authority."""

    model_config = ConfigDict(extra="forbid")

    scenario_dir: str = Field(
        description="the scenario directory (optional neighbours.csv, indicators/*.csv, indicators/filters.yaml)"
    )
    out_dir: str = Field(description="folder for scoping-<code>.html, index.html and scoping_summary.csv")
    store_dir: str | None = Field(None, description=STORE_DESCRIPTION)
    snapshot: str | None = Field(None, pattern=SNAPSHOT_ID, description=SNAPSHOT_DESCRIPTION)


class ValidateParams(BaseModel):
    """Check a scenario's inputs only."""

    model_config = ConfigDict(extra="forbid")

    scenario_dir: str = Field(description="the scenario directory to check")


class MonitorParams(BaseModel):
    """Track one service model's outcome measures across a refresh store's snapshots."""

    model_config = ConfigDict(extra="forbid")

    store_dir: str = Field(description="the refresh store (spokeplan refresh ... --store DIR) holding outcomes sources")
    service_model: str = Field(
        min_length=1,
        max_length=300,
        description="whose outcome measures: a shipped service model id (cse-hub-and-spoke, no-wrong-door) or the "
        "path of a service-model .yaml file; its `outcomes_catalogue` names the catalogue",
    )
    out_dir: str = Field(description="folder for monitoring.html and monitoring.csv")
    disclosure_threshold: int = Field(
        DISCLOSURE_THRESHOLD, ge=0, le=100, description="case-derived counts 1..threshold shown as c"
    )
