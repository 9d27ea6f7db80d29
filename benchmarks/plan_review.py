"""A plan read as a hub director reads it (issue #14), for one or more plan folders side by side.

Solver-free and version-free: it reads only the internal pack's CSVs (spokes.csv, allocation.csv),
plan.json's cost and the scenario's hosts.csv, so a plan written before issue #14 and one written
after are measured by the same lines. Figures per plan:

* covered cases; spokes; hosts; hubs used;
* hosts supervised by more than one hub (issue #14 item 1: one agreement, one line manager per host);
* supervision spoke-minutes Σ spokes × minutes (hub → host, one way) and the longest trip;
* cases served by a host of another authority, split into statutory hosts (police, social care,
  multi-agency: item 3's home-authority rule) and the rest;
* cost per year as plan.json gives it, and its breakdown when the plan has one.

    .venv/bin/python -m benchmarks.plan_review inputs/demo OUT_BEFORE OUT_AFTER

Each OUT is a `spokeplan plan --out` folder (its internal/ pack is read) or an internal pack itself.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path

STATUTORY_HOST_TYPES = (
    "police",
    "social_care",
    "multi_agency",
)  # issue #14 item 3 (the rule's own list is in the model)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def review(scenario: Path, out: Path) -> dict[str, object]:
    """The hub director's figures for one plan folder."""
    pack = out / "internal" if (out / "internal").is_dir() else out
    host_authority = {r["host_id"]: r["authority_code"] for r in rows(scenario / "hosts.csv")}
    host_type = {r["host_id"]: r["host_type"] for r in rows(scenario / "hosts.csv")}
    spokes = rows(pack / "spokes.csv")
    allocation = rows(pack / "allocation.csv")
    plan = json.loads((pack / "plan.json").read_text())

    hubs_at: dict[str, set[str]] = defaultdict(set)
    spoke_minutes = 0
    longest = (0, "", "")
    for r in spokes:
        count, minutes = int(r["spokes"]), int(r["supervision_minutes"])
        hubs_at[r["host_id"]].add(r["hub_id"])
        spoke_minutes += count * minutes
        longest = max(longest, (minutes, r["hub_id"], r["host_id"]))
    cross_statutory = cross_other = 0
    for r in allocation:
        if r["authority_code"] != host_authority[r["host_id"]]:
            if host_type[r["host_id"]] in STATUTORY_HOST_TYPES:
                cross_statutory += int(r["cases"])
            else:
                cross_other += int(r["cases"])
    return {
        "covered cases": sum(int(r["cases"]) for r in allocation),
        "spokes": sum(int(r["spokes"]) for r in spokes),
        "hosts": len(hubs_at),
        "hubs used": len({r["hub_id"] for r in spokes}),
        "hosts with two or more hubs": sum(len(hubs) > 1 for hubs in hubs_at.values()),
        "supervision spoke-minutes": spoke_minutes,
        "longest supervision trip": f"{longest[0]} min ({longest[1]} -> {longest[2]})",
        "cases at a statutory host of another authority": cross_statutory,
        "cases at another host of another authority": cross_other,
        "cost per year": f"£{plan['cost_per_year']:,.0f}",
        **{f"  {part}": f"£{value:,.0f}" for part, value in (plan.get("cost_breakdown") or {}).items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("plans", type=Path, nargs="+")
    args = parser.parse_args()
    reviews = [review(args.scenario, out) for out in args.plans]
    names = list(dict.fromkeys(name for r in reviews for name in r))
    width = max(len(n) for n in names)
    print(f"{'':<{width}}  " + "  ".join(f"{str(p):>28}" for p in args.plans))
    for name in names:
        print(f"{name:<{width}}  " + "  ".join(f"{str(r.get(name, '—')):>28}" for r in reviews))


if __name__ == "__main__":
    main()
