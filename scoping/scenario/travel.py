"""A scenario's travel times: the calibrated estimate, with measured and routed times put over it.

* **Supervision** (hub -> host) is by car.
* **Casework** follows scenario.yaml ``casework_mode``: ``car``, the spoke drives from the host to
  the area (host -> area); ``public_transport``, young people travel from their area to the spoke's
  host by bus (area -> host: the wait for the bus is at the area's end). Either way the instance
  keys casework minutes by (host_id, area_id).
* **Estimates** come from :mod:`scoping.scenario.travel_estimate` (car or bus formula on
  straight-line distance and postcode density, calibrated on published journey times).
* **Given times** (``travel_times.csv``; ``source`` ``measured`` or ``routed``, ``mode`` ``car``
  or ``public_transport``, default ``measured`` and ``car``) always override estimates, by one rule,
  :func:`apply_measured`: a given time of the same mode for a pair, as listed or else in the reverse
  direction (times are symmetric unless both directions are listed), replaces the estimate; a given
  time over the limit removes the pair even if the estimate was within it.

Every time says where it came from (:attr:`TravelPairs.sources`): ``measured``, ``routed`` or
``estimated``; the reports name it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from scoping.scenario.geocode import DensityGrid
from scoping.scenario.schemas import TravelTimeRow
from scoping.scenario.travel_estimate import Place, estimated_pairs, nearest_estimates

ESTIMATED = "estimated"
Pair = tuple[str, str]
Limit = int | Mapping[str, int] | None  # minutes; per source id if a mapping; None: no limit

# The direction of a casework journey in each mode, in words for the reports.
CASEWORK_DIRECTION = {"car": "host to area", "public_transport": "area to host"}
MODE_WORDS = {"car": "car", "public_transport": "public transport"}


@dataclass(frozen=True)
class GivenTime:
    """A time from travel_times.csv: whole minutes and where they come from (measured or routed)."""

    minutes: int
    source: str


@dataclass(frozen=True)
class GivenTimes:
    """travel_times.csv by mode: mode -> (from_id, to_id) -> GivenTime, as listed."""

    by_mode: Mapping[str, Mapping[Pair, GivenTime]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[TravelTimeRow]) -> GivenTimes:
        by_mode: dict[str, dict[Pair, GivenTime]] = {}
        for row in rows:
            by_mode.setdefault(row.mode, {})[(row.from_id, row.to_id)] = GivenTime(row.minutes, row.source)
        return cls(by_mode)

    def lookup(self, mode: str, source: str, target: str) -> GivenTime | None:
        """The given time from `source` to `target` in `mode`: as listed, else the reverse if only that is listed."""
        times = self.by_mode.get(mode, {})
        return times.get((source, target)) or times.get((target, source))

    def listed(self, mode: str) -> list[Pair]:
        return sorted(self.by_mode.get(mode, {}))


NO_GIVEN_TIMES = GivenTimes()


@dataclass(frozen=True)
class TravelPairs:
    """Whole minutes of every pair within the limit, and the source of each pair's time."""

    minutes: dict[Pair, int]
    sources: dict[Pair, str] = field(default_factory=dict)  # pairs with a given time; the rest are estimated

    def source(self, pair: Pair) -> str:
        return self.sources.get(pair, ESTIMATED)

    def flipped(self) -> TravelPairs:
        """The same times keyed (target, source), in that order."""
        return TravelPairs(
            dict(sorted(((b, a), m) for (a, b), m in self.minutes.items())),
            dict(sorted(((b, a), s) for (a, b), s in self.sources.items())),
        )


def _limit_of(limit: Limit, source: str) -> int | None:
    return limit[source] if isinstance(limit, Mapping) else limit


def apply_measured(
    estimated: Mapping[Pair, int],
    given: GivenTimes,
    mode: str,
    sources: Iterable[str],
    targets: Iterable[str],
    limit: Limit = None,
) -> TravelPairs:
    """Given times over estimates: the one rule (module docstring).

    For every (source, target) of `sources` x `targets` with a given time in `mode` (as listed, else
    the reverse), that time replaces the estimate in `estimated` (or adds the pair); if it is over
    the source's limit the pair is removed. Pairs come back ordered by (source, target) when
    `estimated` is (as :func:`~scoping.scenario.travel_estimate.estimated_pairs` returns it).
    """
    listed = given.listed(mode)
    if not listed:
        return TravelPairs(dict(estimated))
    minutes = dict(estimated)
    origin: dict[Pair, str] = {}
    source_set, target_set = set(sources), set(targets)
    for a, b in listed:
        for source, target in ((a, b), (b, a)):
            if source in source_set and target in target_set:
                time = given.lookup(mode, source, target)
                source_limit = _limit_of(limit, source)
                if time is not None and (source_limit is None or time.minutes <= source_limit):
                    minutes[(source, target)] = time.minutes
                    origin[(source, target)] = time.source
                else:
                    minutes.pop((source, target), None)
    return TravelPairs(dict(sorted(minutes.items())), dict(sorted(origin.items())))


def travel_pairs(
    sources: Sequence[Place],
    targets: Sequence[Place],
    limit: int | Mapping[str, int],
    mode: str,
    given: GivenTimes = NO_GIVEN_TIMES,
    grid: DensityGrid | None = None,
) -> TravelPairs:
    """Every (source, target) within the limit in `mode`: the estimate, with given times over it."""
    estimated = estimated_pairs(sources, targets, limit, mode, grid)
    return apply_measured(estimated, given, mode, [p.place_id for p in sources], [p.place_id for p in targets], limit)


def supervision_pairs(
    hubs: Sequence[Place],
    hosts: Sequence[Place],
    limits: Mapping[str, int],
    given: GivenTimes = NO_GIVEN_TIMES,
    grid: DensityGrid | None = None,
) -> TravelPairs:
    """(hub_id, host_id) pairs within each hub's supervision limit, by car."""
    return travel_pairs(hubs, hosts, limits, "car", given, grid)


def casework_pairs(
    hosts: Sequence[Place],
    areas: Sequence[Place],
    limit: int,
    mode: str,
    given: GivenTimes = NO_GIVEN_TIMES,
    grid: DensityGrid | None = None,
) -> TravelPairs:
    """(host_id, area_id) pairs within the casework limit: host -> area by car, or area -> host by
    public transport (young people's own journeys), keyed (host_id, area_id) either way."""
    if mode == "car":
        return travel_pairs(hosts, areas, limit, "car", given, grid)
    return travel_pairs(areas, hosts, limit, mode, given, grid).flipped()


@dataclass(frozen=True)
class Nearest:
    """The quickest candidate for one place: its id, whole minutes and the source of that time."""

    place_id: str
    minutes: int
    source: str


def nearest(
    places: Sequence[Place],
    candidates: Sequence[Place],
    mode: str,
    candidates_are_origins: bool,
    given: GivenTimes = NO_GIVEN_TIMES,
    grid: DensityGrid | None = None,
) -> dict[str, Nearest]:
    """For each place, the candidate with the fewest minutes (ties: the smaller id), not cut at a limit.

    Journeys run candidate -> place when `candidates_are_origins` (a host's nearest hub: hub -> host;
    an area's nearest host by car: host -> area), else place -> candidate (by public transport:
    area -> host). Given times count, by :func:`apply_measured`.
    """
    candidates = sorted(candidates, key=lambda p: p.place_id)
    if not places or not candidates:
        return {}
    origins, destinations = (candidates, places) if candidates_are_origins else (places, candidates)
    estimate = nearest_estimates(origins, destinations, mode, grid)
    by_candidate = estimate if candidates_are_origins else estimate.T  # (candidates x places)
    origin_ids, destination_ids = [p.place_id for p in origins], [p.place_id for p in destinations]
    given_pairs = apply_measured({}, given, mode, origin_ids, destination_ids)
    candidate_index = {p.place_id: k for k, p in enumerate(candidates)}
    place_index = {p.place_id: k for k, p in enumerate(places)}
    for (origin, destination), minutes in given_pairs.minutes.items():
        candidate_id, place_id = (origin, destination) if candidates_are_origins else (destination, origin)
        by_candidate[candidate_index[candidate_id], place_index[place_id]] = minutes
    best = np.argmin(by_candidate, axis=0)  # first of equal minimums: the smaller candidate id
    result = {}
    for k, place in enumerate(places):
        candidate = candidates[int(best[k])].place_id
        pair = (candidate, place.place_id) if candidates_are_origins else (place.place_id, candidate)
        result[place.place_id] = Nearest(candidate, int(by_candidate[best[k], k]), given_pairs.source(pair))
    return result
