"""Two packs from one run (issue #17): every command that writes reports writes the same files twice.

* ``OUT/internal/`` — exact figures, for the commissioning team that decides on them; every page, sheet
  and file marked "OFFICIAL-SENSITIVE — not for publication" (reporting.disclosure.MARKING);
* ``OUT/public/`` — the pack that may be published: counts from case data disclosure-controlled
  (1..threshold as ``c``, secondary suppression audited over every file of the pack), modelled
  estimates rounded to the nearest 5 and marked ``≈``;
* ``OUT/`` itself keeps the file names DESIGN.md's output contract gives, each a copy of one pack's file
  as before issue #17: the machine-readable files (plan.json, the CSV tables) from the internal pack, the
  reports (report.html, plan.xlsx, plan.geojson; scoping pages) from the public pack.

Each pack folder and ``OUT/`` get a README.txt saying which file is which (:func:`assemble`).
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatch

from reporting.disclosure import INTERNAL, MARKING, PUBLIC, Pack

# What each file holds, in words: (name pattern, what it is). First match wins.
FILE_NOTES = (
    ("report.html", "the report: headline figures, map, coverage and unmet need by authority, hubs, hosts, rules"),
    ("plan.xlsx", "the report's tables as a workbook"),
    ("plan.geojson", "hubs, hosts, spokes and assignment lines for GIS"),
    ("plan.json", "the machine-readable plan"),
    ("allocation.csv", "cases per area and host"),
    ("spokes.csv", "spokes per hub and host (no counts of children)"),
    ("coverage.csv", "demand, covered and unmet cases per authority"),
    ("robustness.csv", "this plan and the central plan in each demand scenario"),
    ("scope/*", "scoping reports (spokeplan scope), one page per authority and an index"),
    ("scoping-*.html", "a scoping report of one authority"),
    ("index.html", "the index of the scoping reports"),
    ("scoping_summary.csv", "one row per authority of the scoping reports"),
    ("sweep.json", "every variant of the sweep, machine-readable"),
    ("variants.csv", "one row per variant of the sweep"),
)

PACK_WORDS = {
    INTERNAL.name: (
        f"{MARKING}.\n\nExact figures, for the commissioning team that decides on them. Counts of "
        "children and young people from case data are NOT disclosure-controlled here: small counts "
        "can identify children. Do not publish, attach to public papers or send outside the team; "
        "publish the public pack instead. Every page, sheet and file is marked: HTML pages carry a "
        "banner at the top and foot (and on every printed page), workbook sheets a first row and a "
        'print header, plan.json and plan.geojson a first field "classification", CSV tables a last '
        'column "classification" on every row (a first-line comment would break CSV readers).'
    ),
    PUBLIC.name: (
        "Disclosure-controlled for publication. Counts from case data of 1 to the scenario's "
        "disclosure_threshold (5 by default) are shown as c, and further cells are hidden where totals, "
        "caseloads or the map would let a reader work one out (the audit covers every file of this "
        "pack together); : not available; z not applicable. Modelled estimates (figures worked out "
        "from populations, rates or the plan's rules, not counts of children) are rounded to the "
        'nearest 5 and marked: ≈ in pages and sheets, {"estimate": n} in plan.json, a "figures" '
        "column in CSV tables. Input files are named without their SHA-256 (a hash lets a reader test "
        "guesses of the counts a file holds)."
    ),
}


def note(name: str) -> str:
    return next((words for pattern, words in FILE_NOTES if fnmatch(name, pattern)), "")


def _listing(names: list[str]) -> list[str]:
    shown, lines = set(), []
    for name in names:
        entry = f"{name.split('/')[0]}/" if "/" in name else name
        if entry in shown:
            continue
        shown.add(entry)
        lines.append(f"  {entry:<22} {note(name)}".rstrip())
    return lines


def pack_readme(pack: Pack, names: list[str]) -> bytes:
    """README.txt of one pack: what the pack is and what each file holds."""
    lines = [f"spokeplan: the {pack.name} pack", "", PACK_WORDS[pack.name], "", "Files:", *_listing(names), ""]
    return "\n".join(lines).encode("utf-8")


def top_readme(top_level: Mapping[str, Pack]) -> bytes:
    """README.txt of OUT: the two packs, and which pack each file directly under OUT is a copy of."""
    lines = [
        "spokeplan: what is in this folder",
        "",
        f"  internal/              exact figures, {MARKING}",
        "  public/                disclosure-controlled: the pack that may be published",
        "",
        "The files directly in this folder keep the names of spokeplan's output contract (DESIGN.md) for "
        "scripts and links; each is a copy of one pack's file:",
        "",
    ]
    shown = set()
    for name, pack in top_level.items():
        entry = f"{name.split('/')[0]}/" if "/" in name else name  # a folder (a demo's scope/) once
        if entry in shown:
            continue
        shown.add(entry)
        marking = f" ({MARKING})" if pack.marking else ""
        lines.append(f"  {entry:<22} = {pack.name}/{entry}{marking}")
    lines += ["", "Publish only what is in public/.", ""]
    return "\n".join(lines).encode("utf-8")


Folders = Mapping[str, Mapping[str, dict[str, bytes]]]  # folder -> pack name -> that pack's files in it


def assemble(
    internal: dict[str, bytes],
    public: dict[str, bytes],
    top_level: Mapping[str, Pack],
    last: str | None = None,
    folders: Folders | None = None,
) -> dict[str, bytes]:
    """The whole set of files a command writes into OUT, by name: internal/..., public/..., each pack's
    README.txt, the copies named by `top_level` (name -> the pack it is taken from) and OUT/README.txt.
    `last`: a file name written after every other (plan.json: it names the plan the others belong to).
    `folders`: more files of each pack in a folder of it (the demo's scope/), the public ones also in
    that folder of OUT (as before issue #17)."""
    internal, public, top_level = dict(internal), dict(public), dict(top_level)
    for folder, own in (folders or {}).items():
        internal.update({f"{folder}/{name}": data for name, data in own[INTERNAL.name].items()})
        public.update({f"{folder}/{name}": data for name, data in own[PUBLIC.name].items()})
        top_level.update({f"{folder}/{name}": PUBLIC for name in own[PUBLIC.name]})
    packs = {INTERNAL.name: internal, PUBLIC.name: public}
    files: dict[str, bytes] = {}
    for pack in (INTERNAL, PUBLIC):
        pack_files = packs[pack.name]
        ordered = [name for name in pack_files if name != last] + (
            [last] if last is not None and last in pack_files else []
        )
        files[f"{pack.name}/README.txt"] = pack_readme(pack, ordered)
        files.update({f"{pack.name}/{name}": pack_files[name] for name in ordered})
    copies = {name: packs[pack.name][name] for name, pack in top_level.items() if name in packs[pack.name]}
    files["README.txt"] = top_readme({name: pack for name, pack in top_level.items() if name in copies})
    files.update({name: data for name, data in copies.items() if name != last})
    if last in copies:
        files[last] = copies[last]
    return files
