"""Compare saved versions of a scenario: figures side by side, what changed, and the map of it.

Every version is compared with the first one picked (the base). Per version: coverage, cost a
year, spokes, hosts and hubs used, and supervision minutes — the total spoke-minutes of travel hub
to host, Σ over placements of spokes × supervision minutes (spokes.csv). Against the base:
authorities gained (hosting a spoke now, none in the base) and lost, hosts added (a spoke now, none
in the base) and dropped, and a map with the added and dropped hosts marked.

Disclosure control: the case counts shown (covered, demand, share) are the version's own published
figures, as its report.html and the CLI print them (1..threshold and what would reveal them shown
as `c`); a difference of covered cases is shown only when both versions show theirs. Spokes,
hosts, minutes and pounds are not counts of young people. Areas on the map are drawn by demand
band and shaded by how much demand is unmet, in words, exactly as report.html's map does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from flows.workbench import pipeline
from flows.workbench.workspace import Version, Workspace


@dataclass
class Figures:
    """One version's figures for comparison (no exact case counts)."""

    version: Version
    covered: str  # published text: '180', '1,204' or 'c'
    demand: str
    share: str
    cost: float
    spokes: int
    hosts_used: int
    hubs_used: int
    supervision_minutes: int
    spokes_by_host: dict[str, int]
    spokes_by_authority: dict[str, int]
    host_names: dict[str, str]
    authority_names: dict[str, str]
    covered_by_area: dict[str, int] = field(default_factory=dict)  # exact; only ever drawn as a band


def figures(workspace: Workspace, version: Version) -> Figures:
    plan_dir = workspace.version_dir(version.scenario, version.id) / "plan"
    spokes = pipeline.plan_spokes(plan_dir)
    by_host: dict[str, int] = {}
    by_authority: dict[str, int] = {}
    for row in spokes:
        by_host[row["host_id"]] = by_host.get(row["host_id"], 0) + row["spokes"]
        by_authority[row["authority_code"]] = by_authority.get(row["authority_code"], 0) + row["spokes"]
    covered_by_area: dict[str, int] = {}
    for assignment in pipeline.plan_document(plan_dir)["assignments"]:
        covered_by_area[assignment["area_id"]] = covered_by_area.get(assignment["area_id"], 0) + assignment["cases"]
    summary = version.meta["summary"]
    return Figures(
        version,
        summary["covered_text"],
        summary["demand_text"],
        summary["share_text"],
        float(summary["cost_per_year"]),
        int(summary["spokes"]),
        int(summary["hosts_used"]),
        int(summary["hubs_used"]),
        sum(row["spokes"] * row["supervision_minutes"] for row in spokes),
        by_host,
        by_authority,
        {row["host_id"]: row["host_name"] for row in spokes},
        pipeline.authority_names(plan_dir),
        covered_by_area,
    )


def _number(text: str) -> int | None:
    """A published count back as a number, or None when it is not shown ('c', ':', 'z')."""
    digits = text.replace(",", "")
    return int(digits) if digits.isdigit() else None


def _signed(value: float, unit: str = "") -> str:
    if value == 0:
        return "no change"
    return f"{'+' if value > 0 else '−'}{unit}{abs(value):,.0f}"


def difference(base: Figures, other: Figures) -> dict:
    """What `other` changes against `base`, in the words and figures the page shows."""
    base_covered, other_covered = _number(base.covered), _number(other.covered)
    names = {**base.authority_names, **other.authority_names}
    host_names = {**base.host_names, **other.host_names}
    gained = sorted(set(other.spokes_by_authority) - set(base.spokes_by_authority))
    lost = sorted(set(base.spokes_by_authority) - set(other.spokes_by_authority))
    added = sorted(set(other.spokes_by_host) - set(base.spokes_by_host))
    dropped = sorted(set(base.spokes_by_host) - set(other.spokes_by_host))
    changed = sorted(
        h
        for h in set(base.spokes_by_host) & set(other.spokes_by_host)
        if base.spokes_by_host[h] != other.spokes_by_host[h]
    )
    return {
        "version": other.version,
        "covered": (
            "c"
            if base_covered is None or other_covered is None
            else _signed(other_covered - base_covered) + (" cases" if other_covered != base_covered else "")
        ),
        "cost": _signed(other.cost - base.cost, "£"),
        "spokes": _signed(other.spokes - base.spokes),
        "supervision_minutes": _signed(other.supervision_minutes - base.supervision_minutes),
        "authorities_gained": [
            {"code": c, "name": names.get(c, c), "spokes": other.spokes_by_authority[c]} for c in gained
        ],
        "authorities_lost": [{"code": c, "name": names.get(c, c), "spokes": base.spokes_by_authority[c]} for c in lost],
        "hosts_added": [{"id": h, "name": host_names.get(h, h), "spokes": other.spokes_by_host[h]} for h in added],
        "hosts_dropped": [{"id": h, "name": host_names.get(h, h), "spokes": base.spokes_by_host[h]} for h in dropped],
        "hosts_changed": [
            {"id": h, "name": host_names.get(h, h), "before": base.spokes_by_host[h], "after": other.spokes_by_host[h]}
            for h in changed
        ],
    }


def difference_map(workspace: Workspace, base: Figures, other: Figures) -> str:
    """An SVG like report.html's map for `other`, with the hosts it adds to `base` and drops from it
    marked (the frame, footprints and demand bands are report.html's: reporting.map_svg)."""
    version = other.version
    threshold = int(version.meta.get("disclosure_threshold", 5))
    geometry = pipeline.map_base(
        workspace.version_inputs(version.scenario, version.id), version.meta["inputs_hash"], threshold
    )
    added = set(other.spokes_by_host) - set(base.spokes_by_host)
    dropped = set(base.spokes_by_host) - set(other.spokes_by_host)
    out = [
        f'<svg class="difference-map" viewBox="0 0 {geometry.width} {geometry.height}" width="100%" role="img" '
        f'aria-label="Map of {escape(version.name)} against {escape(base.version.name)}: hosts added and dropped">',
        f"<title>{escape(version.name)} against {escape(base.version.name)}</title>",
        '<g class="footprints">',
    ]
    for index, (code, name, path, x, y) in enumerate(geometry.footprints):
        out.append(
            f'<path d="{path}" fill="{pipeline.MAP_PALETTE[index % len(pipeline.MAP_PALETTE)]}" stroke="#7a8a99" '
            f'stroke-width="0.8"><title>{escape(name)} ({escape(code)})</title></path>'
        )
        out.append(f'<text x="{x}" y="{y}" class="authority-label" text-anchor="middle">{escape(name)}</text>')
    out.append('</g><g class="areas">')
    for area_id, (x, y, name, radius, demand) in geometry.areas.items():
        band = pipeline.unmet_band(demand, other.covered_by_area.get(area_id, 0))
        out.append(
            f'<circle cx="{x}" cy="{y}" r="{radius:.1f}" fill="#c53030" fill-opacity="{pipeline.UNMET_SHADE[band]:.2f}" '
            f'stroke="#742a2a" stroke-width="0.5"><title>{escape(name)}: {band}</title></circle>'
        )
    out.append('</g><g class="hosts-unused">')
    for host_id, (x, y, name) in geometry.hosts.items():
        if host_id not in other.spokes_by_host and host_id not in dropped:
            out.append(
                f'<rect x="{x - 3}" y="{y - 3}" width="6" height="6" fill="none" stroke="#a0aec0">'
                f"<title>{escape(name)}: not used in either</title></rect>"
            )
    out.append('</g><g class="hosts-kept">')
    for host_id, count in sorted(other.spokes_by_host.items()):
        if host_id in added or host_id not in geometry.hosts:
            continue
        x, y, name = geometry.hosts[host_id]
        out.append(
            f'<rect x="{x - 5}" y="{y - 5}" width="10" height="10" fill="#2f855a" stroke="#1c4532">'
            f"<title>{escape(name)}: {count} spoke(s) in both</title></rect>"
        )
    out.append('</g><g class="hosts-added">')
    for host_id in sorted(added):
        x, y, name = geometry.hosts[host_id]
        out.append(
            f'<rect x="{x - 7}" y="{y - 7}" width="14" height="14" fill="#38a169" stroke="#1a202c" '
            f'stroke-width="2"><title>{escape(name)}: added, {other.spokes_by_host[host_id]} spoke(s)</title></rect>'
        )
        out.append(f'<text x="{x + 9}" y="{y + 5}" class="marker added">+</text>')
    out.append('</g><g class="hosts-dropped">')
    for host_id in sorted(dropped):
        x, y, name = geometry.hosts[host_id]
        out.append(
            f'<rect x="{x - 7}" y="{y - 7}" width="14" height="14" fill="#fff" stroke="#c53030" '
            f'stroke-width="2.5"><title>{escape(name)}: dropped (had {base.spokes_by_host[host_id]} spoke(s))'
            "</title></rect>"
        )
        out.append(
            f'<path d="M{x - 5},{y - 5} L{x + 5},{y + 5} M{x - 5},{y + 5} L{x + 5},{y - 5}" stroke="#c53030" '
            'stroke-width="2"/>'
        )
    out.append('</g><g class="hubs">')
    for x, y, name in geometry.hubs.values():
        out.append(
            f'<polygon points="{x},{y - 9} {x + 8},{y} {x},{y + 9} {x - 8},{y}" fill="#6b46c1" stroke="#322659">'
            f"<title>{escape(name)}</title></polygon>"
        )
    out.append("</g></svg>")
    return "\n".join(out)


def comparison(workspace: Workspace, versions: list[Version]) -> dict:
    """The compare page's view: the first version is the base."""
    all_figures = [figures(workspace, v) for v in versions]
    base = all_figures[0]
    others = [difference(base, f) for f in all_figures[1:]]
    for entry, f in zip(others, all_figures[1:]):
        entry["map"] = difference_map(workspace, base, f)
    return {
        "base": base,
        "figures": all_figures,
        "differences": others,
        "same_inputs": len({v.meta.get("inputs_hash") for v in versions}) == 1,
    }
