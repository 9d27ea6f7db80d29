"""Offline geocoding through the ONS Postcode Directory (real postcodes, real coordinates)."""

from __future__ import annotations

import pytest

from scoping.scenario.geocode import (
    NOT_A_POSTCODE,
    TERMINATED,
    UNKNOWN,
    GeocodedPostcode,
    GeocodeProblem,
    PostcodeLookup,
    authority_for_district,
    normalise_postcode,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ne1 4lp", "NE1 4LP"),
        ("NE14LP", "NE1 4LP"),
        ("  dh1   3hp ", "DH1 3HP"),
        ("W1A 1AA", "W1A 1AA"),
        ("SW1A2AA", "SW1A 2AA"),
        ("hello", None),
        ("NE1 4L", None),
        ("1NE 4LP", None),
        ("", None),
    ],
)
def test_normalise_postcode(text, expected):
    assert normalise_postcode(text) == expected


def test_real_postcodes_get_directory_coordinates_and_authorities():
    lookup = PostcodeLookup()
    found = lookup.lookup(["ne1 4lp", "NE46 1AA", "DH1 3HP", "TS1 1AA"])
    newcastle, hexham, durham, middlesbrough = (found[k] for k in ("ne1 4lp", "NE46 1AA", "DH1 3HP", "TS1 1AA"))
    frame = lookup._frames["N"].loc["NE14LP"]  # the directory row itself
    assert (newcastle.easting, newcastle.northing) == (frame["oseast1m"], frame["osnrth1m"])
    assert newcastle.postcode == "NE1 4LP"
    assert (newcastle.authority_code, newcastle.authority_name) == ("E08000021", "Newcastle upon Tyne")
    assert hexham.authority_code == "E06000057"  # Northumberland unitary: its own authority
    assert durham.authority_code == "E06000047"
    assert middlesbrough.authority_code == "E06000002"
    # Hexham lies ~31 km west of Newcastle city centre
    assert 25_000 < newcastle.easting - hexham.easting < 35_000


def test_district_in_a_county_maps_to_the_county():
    # Oxford (E07000178) is a district of Oxfordshire (E10000025), the children's services authority
    assert authority_for_district("E07000178") == ("E10000025", "Oxfordshire")
    assert authority_for_district("E09000019")[0] == "E09000019"  # Islington: London borough
    assert authority_for_district("E06000065")[0] == "E06000065"  # North Yorkshire unitary since 2023
    assert authority_for_district("E99999999") is None


def test_county_district_postcode_maps_to_county():
    found = PostcodeLookup().lookup(["OX1 1PT"])["OX1 1PT"]
    assert isinstance(found, GeocodedPostcode)
    assert found.district_code == "E07000178" and found.authority_code == "E10000025"


def test_problems_are_named():
    found = PostcodeLookup().lookup(["hello", "NE99 9ZZ", "N10 9AD"])
    assert isinstance(found["hello"], GeocodeProblem) and found["hello"].message == NOT_A_POSTCODE
    assert found["NE99 9ZZ"].message == UNKNOWN
    assert found["N10 9AD"].message == TERMINATED  # in the directory without a grid reference


def test_only_needed_letters_are_loaded():
    PostcodeLookup._frames.clear()
    lookup = PostcodeLookup()
    lookup.lookup(["TS1 1AA", "DL3 7AA", "bad"])
    assert lookup.letters_loaded == {"T", "D"}


def test_london_and_post_2021_unitary_map_to_themselves_and_progress_is_reported():
    progress: list[tuple[int, int]] = []
    found = PostcodeLookup().lookup(["n1 0aa", "NN1 1ED", "sw1a2aa"], on_progress=lambda d, t: progress.append((d, t)))
    northampton = found["NN1 1ED"]
    assert isinstance(northampton, GeocodedPostcode)
    assert (northampton.easting, northampton.northing) == (475486.0, 260275.0)
    # West Northamptonshire became a unitary in 2021, after the lookup: its own authority
    assert northampton.district_code == northampton.authority_code == "E06000062"
    westminster = found["sw1a2aa"]
    assert westminster.postcode == "SW1A 2AA" and westminster.authority_code == "E09000033"
    assert progress == [(1, 2), (2, 2)]  # one call per letter loaded: N, S
