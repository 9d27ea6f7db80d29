"""report.html's "Since the previous snapshot's plan" (issue #17): for a plan made from a refresh
store snapshot, what changed in the data since the plan it replaces, and what changed in the plan.

Disclosure: spokes, hosts and cost are staff and money, shown exactly. Cases (demand, cases
covered) are case-derived, so each plan's figures appear only as its own report published them:
a plan made from a store records those published texts in plan.json (`store.published`,
:func:`published_record`), and the next plan shows the earlier plan's recorded texts beside its
own (never the earlier plan's exact internals, which its report may have hidden to protect other
cells). A change is shown only where both figures were published; an authority is named as having
more or fewer cases covered only where both reports showed its count. The data changes are keys and
column names only (scoping.store.changes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reporting.disclosure import NOT_AVAILABLE, SUPPRESSED
from reporting.published.plan import PublishedCounts
from scoping.store.changes import SnapshotComparison, SourceChange

LISTED = 8  # keys named per source before "and N more"


def _keys(keys: tuple[str, ...]) -> str:
    shown = ", ".join(keys[:LISTED])
    return shown + (f" and {len(keys) - LISTED} more" if len(keys) > LISTED else "")


def source_summary(change: SourceChange) -> str:
    """One source's change in words (keys and columns, no values)."""
    if change.status != "changed":
        return {"new": "new in this snapshot", "removed": "no longer in the snapshot", "unchanged": "unchanged"}[
            change.status
        ]
    if not change.compared:
        return "changed (the earlier file no longer reads, so its rows were not compared)"
    parts = []
    if change.added:
        parts.append(f"{len(change.added)} added ({_keys(change.added)})")
    if change.removed:
        parts.append(f"{len(change.removed)} removed ({_keys(change.removed)})")
    if change.changed:
        parts.append(
            f"{len(change.changed)} with values changed ({_keys(change.changed)}) in {', '.join(change.columns)}"
        )
    return "; ".join(parts) if parts else "changed (the same rows and values: the file's layout or order changed)"


def _spokes_by_host(document: Mapping[str, Any]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for spoke in document.get("spokes", []):
        totals[spoke["host_id"]] = totals.get(spoke["host_id"], 0) + int(spoke["count"])
    return totals


def published_record(counts: PublishedCounts) -> dict[str, Any]:
    """The case counts a plan's report published, as published ("c" when hidden): what the next plan
    from the store may show of this one (recorded in plan.json `store.published`)."""
    codes = sorted({key[1] for key in counts.values if key[0] == "authority" and key[1] != "TOTAL"})
    return {
        "threshold": counts.threshold,
        "demand_total": counts.text(("authority", "TOTAL", "demand")),
        "demand_covered": counts.text(("authority", "TOTAL", "covered")),
        "covered_by_authority": {code: counts.text(("authority", code, "covered")) for code in codes},
    }


def _number(text: str | None) -> int | None:
    """A published count back as a number (None for c, :, z or nothing)."""
    try:
        return int(str(text).replace(",", ""))
    except ValueError:
        return None


def _signed(value: float, money: bool = False) -> str:
    if value == 0:
        return "no change"
    text = f"£{abs(value):,.0f}" if money else f"{abs(value):,.0f}"
    return ("+" if value > 0 else "-") + text


def _cases_row(label: str, before_text: str | None, after_text: str) -> dict[str, str]:
    """A case count as each plan's report published it, and the change where both were shown."""
    before_text = before_text if isinstance(before_text, str) else NOT_AVAILABLE  # a plan that recorded none
    before, after = _number(before_text), _number(after_text)
    if before is not None and after is not None:
        change = _signed(after - before)
    else:
        change = SUPPRESSED if SUPPRESSED in (before_text, after_text) else NOT_AVAILABLE
    return {"label": label, "before": before_text, "after": after_text, "change": change}


def since_previous_view(
    comparison: SnapshotComparison | str | None,
    document: Mapping[str, Any],
    counts: PublishedCounts,
    host_names: Mapping[str, str],
    authority_names: Mapping[str, str],
) -> dict[str, Any] | None:
    """The section's content; None for a plan not made from a store (the section is not shown)."""
    store = document.get("store")
    if comparison is None or store is None:
        return None
    view: dict[str, Any] = {
        "snapshot": store["snapshot"],
        "previous_snapshot": None,
        "note": None,
        "sources": [],
        "figures": [],
        "hosts": [],
        "authorities_more": [],
        "authorities_fewer": [],
    }
    if isinstance(comparison, str):
        view["note"] = comparison[:1].upper() + comparison[1:] + "."
        return view
    before = comparison.previous_plan
    published = before.get("store", {}).get("published")
    published = published if isinstance(published, dict) else {}
    view["previous_snapshot"] = comparison.previous_snapshot
    view["sources"] = [
        {
            "name": c.name,
            "schema": c.schema,
            "read_as": c.read_as or "not data of this plan",
            "status": c.status,
            "summary": source_summary(c),
        }
        for c in comparison.sources
    ]
    old_hosts, new_hosts = _spokes_by_host(before), _spokes_by_host(document)
    cost_before = float(before.get("cost_per_year", 0.0))
    view["figures"] = [
        {
            "label": "Spokes placed",
            "before": f"{sum(old_hosts.values()):,}",
            "after": f"{sum(new_hosts.values()):,}",
            "change": _signed(sum(new_hosts.values()) - sum(old_hosts.values())),
        },
        {
            "label": "Hosts with spokes",
            "before": f"{len(old_hosts):,}",
            "after": f"{len(new_hosts):,}",
            "change": _signed(len(new_hosts) - len(old_hosts)),
        },
        {
            "label": "Cost per year",
            "before": f"£{cost_before:,.0f}",
            "after": f"£{document['cost_per_year']:,.0f}",
            "change": _signed(document["cost_per_year"] - cost_before, money=True),
        },
        _cases_row(
            "Cases needing casework (demand)",
            published.get("demand_total"),
            counts.text(("authority", "TOTAL", "demand")),
        ),
        _cases_row(
            "Cases covered at any one time",
            published.get("demand_covered"),
            counts.text(("authority", "TOTAL", "covered")),
        ),
    ]
    view["hosts"] = [
        {
            "id": host,
            "name": host_names.get(host, "(not in this snapshot's hosts)"),
            "before": old_hosts.get(host, 0),
            "after": new_hosts.get(host, 0),
        }
        for host in sorted(set(old_hosts) | set(new_hosts))
        if old_hosts.get(host, 0) != new_hosts.get(host, 0)
    ]
    old_cover = published.get("covered_by_authority")
    old_cover = old_cover if isinstance(old_cover, dict) else {}
    for code in sorted(authority_names):
        old, new = _number(old_cover.get(code)), _number(counts.text(("authority", code, "covered")))
        if old is None or new is None:
            continue  # hidden (or not published) in either report: not compared
        if new > old:
            view["authorities_more"].append(authority_names[code])
        elif new < old:
            view["authorities_fewer"].append(authority_names[code])
    return view


def since_previous_lines(view: dict[str, Any] | None) -> list[str]:
    """The same, as the few lines the command prints and the Prefect artifact shows."""
    if view is None:
        return []
    if view["note"]:
        return [f"from store snapshot {view['snapshot']}; {view['note'][:1].lower() + view['note'][1:]}"]
    changed = [s["name"] for s in view["sources"] if s["status"] != "unchanged"]
    lines = [
        f"snapshot {view['previous_snapshot']} -> {view['snapshot']}: "
        + (f"changed {', '.join(changed)}" if changed else "no source changed")
    ]
    lines += [f"{f['label'].lower()}: {f['before']} -> {f['after']} ({f['change']})" for f in view["figures"]]
    return lines
