"""`spokeplan travel PAIRS.csv`: car and public-transport minutes for any list of journeys.

PAIRS.csv has a ``from`` and a ``to`` column (and any ``x_`` note columns, kept): each a UK
postcode, or, with a scenario directory, the id of one of its hubs, hosts, areas or services (an id
wins over a postcode of the same spelling). Each journey gets

* ``car_minutes`` and ``public_transport_minutes`` - whole minutes from ``from`` to ``to``, the
  calibrated estimates of :mod:`scoping.scenario.travel_estimate` (by public transport, the wait is
  at the ``from`` end), with the scenario's travel_times.csv put over them by the one rule of
  :func:`scoping.scenario.travel.apply_measured` when both ends are scenario ids;
* ``source`` (where ``car_minutes`` comes from) and ``public_transport_source``: ``measured`` or
  ``routed`` (travel_times.csv), else ``estimated``.

Not cut at any limit. Every problem (unknown column, a value that is neither a postcode nor a
scenario id, an unknown or terminated postcode) is collected and raised together as an
:class:`InputError` located by file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.errors import InputError, Problem
from scoping.scenario.build import given_times, locate
from scoping.scenario.geocode import GeocodedPostcode, PostcodeLookup, load_density_grid, normalise_postcode
from scoping.scenario.loader import Scenario, load_scenario
from scoping.scenario.schemas import TRAVEL_MODES, TravelPairRow
from scoping.scenario.tables import read_table
from scoping.scenario.travel import NO_GIVEN_TIMES, apply_measured
from scoping.scenario.travel_estimate import Place, minutes_between

COLUMNS = ("from", "to", "car_minutes", "public_transport_minutes", "source", "public_transport_source")
POSTCODE_KEY = "postcode:"  # keys of postcode ends: never equal to a scenario id, so no given time applies


@dataclass(frozen=True)
class Journey:
    """One row of the travel table: the places as written, both modes' minutes and their sources."""

    line: int
    from_text: str
    to_text: str
    minutes: dict[str, int]  # mode -> whole minutes
    sources: dict[str, str]  # mode -> measured / routed / estimated
    notes: tuple[tuple[str, str], ...] = ()

    def cells(self) -> list:
        return [
            self.from_text,
            self.to_text,
            self.minutes["car"],
            self.minutes["public_transport"],
            self.sources["car"],
            self.sources["public_transport"],
            *(value for _, value in self.notes),
        ]


@dataclass(frozen=True)
class TravelTable:
    file: str
    journeys: tuple[Journey, ...]
    note_columns: tuple[str, ...] = ()

    @property
    def header(self) -> list[str]:
        return [*COLUMNS, *self.note_columns]

    def count(self, mode: str) -> dict[str, int]:
        """Journeys by the source of their time in `mode`."""
        counts: dict[str, int] = {}
        for journey in self.journeys:
            counts[journey.sources[mode]] = counts.get(journey.sources[mode], 0) + 1
        return dict(sorted(counts.items()))


def travel_table(pairs_csv: str | Path, scenario_dir: str | Path | None = None) -> TravelTable:
    """Read PAIRS.csv (and the scenario, if given), place every end and time every journey."""
    path = Path(pairs_csv)
    file = str(path)
    if not path.is_file():
        raise InputError([Problem(file, 0, "-", "file not found; expected a CSV file with from and to columns")])
    table, problems = read_table(path, TravelPairRow, file)
    if problems or table is None:
        raise InputError(problems)
    if not table.rows:
        raise InputError([Problem(file, 1, "-", "no journeys listed; expected one from,to row per journey")])
    scenario: Scenario | None = load_scenario(scenario_dir) if scenario_dir is not None else None
    scenario_places = (
        {place_id: Place(place_id, loc.easting, loc.northing) for place_id, loc in locate(scenario).items()}
        if scenario is not None
        else {}
    )

    # Each end: a scenario id, else a postcode (geocoded together below).
    wanted: dict[tuple[int, str], str] = {}  # (line, column) -> canonical postcode
    for row in table.rows:
        for column, text in (("from", row.value.from_place), ("to", row.value.to_place)):
            if text in scenario_places:
                continue
            postcode = normalise_postcode(text)
            if postcode is None:
                where = (
                    f"neither a UK postcode nor an id of scenario {scenario.directory}"
                    if scenario is not None
                    else "not a UK postcode (such as NE1 4LP); to name places by id, give --scenario DIR"
                )
                problems.append(Problem(file, row.line, column, f"{text[:60]!r} is {where}"))
            else:
                wanted[(row.line, column)] = postcode
    found = PostcodeLookup().lookup(sorted(set(wanted.values()))) if wanted else {}
    located = {postcode: result for postcode, result in found.items() if isinstance(result, GeocodedPostcode)}
    for (line, column), postcode in sorted(wanted.items()):
        result = found[postcode]
        if not isinstance(result, GeocodedPostcode):
            problems.append(Problem(file, line, column, f"{postcode!r}: {result}"))
    if problems:
        raise InputError(sorted(problems))

    def place(line: int, column: str, text: str) -> Place:
        if text in scenario_places:
            return scenario_places[text]
        geocoded = located[wanted[(line, column)]]
        return Place(POSTCODE_KEY + geocoded.postcode, geocoded.easting, geocoded.northing)

    origins = [place(row.line, "from", row.value.from_place) for row in table.rows]
    destinations = [place(row.line, "to", row.value.to_place) for row in table.rows]
    given = given_times(scenario) if scenario is not None else NO_GIVEN_TIMES
    grid = load_density_grid()
    minutes: dict[str, list[int]] = {}
    sources: dict[str, list[str]] = {}
    for mode in TRAVEL_MODES:
        estimates = minutes_between(origins, destinations, mode, grid).astype(int).tolist()
        pairs = [(a.place_id, b.place_id) for a, b in zip(origins, destinations)]
        timed = apply_measured(
            dict(zip(pairs, estimates)), given, mode, [a.place_id for a in origins], [b.place_id for b in destinations]
        )
        minutes[mode] = [timed.minutes[pair] for pair in pairs]
        sources[mode] = [timed.source(pair) for pair in pairs]
    journeys = tuple(
        Journey(
            row.line,
            row.value.from_place,
            row.value.to_place,
            {mode: minutes[mode][k] for mode in TRAVEL_MODES},
            {mode: sources[mode][k] for mode in TRAVEL_MODES},
            row.notes,
        )
        for k, row in enumerate(table.rows)
    )
    notes = tuple(name for name in table.columns if name.startswith("x_"))
    return TravelTable(file, journeys, notes)
