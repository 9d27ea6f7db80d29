"""The allocation model, independent of any solver: named columns, tagged rows, objective vectors.

A :class:`LinearModel` is what every back end solves (optimisation/backends.py: HiGHS through
scipy.optimize.milp and SCIP through OR-Tools model_builder read it as one sparse matrix; the
OR-Tools pywraplp back ends, SCIP and CBC, read it column by column and row by row). It is built
by the constraint families (optimisation/families.py, optimisation/team.py), each emitting its rows
tagged with

* its **family** name ("caseload", "hub_size", ...), so tests and readers can find a family's rows;
* its **rule group** when the diagnosis may relax it ("caseload_min", "budget",
  "required:E06000001", ...): a model built with ``relax`` containing a group has none of that
  group's rows (optimisation/diagnosis.py relaxes groups one at a time).

The decision variables are columns, grouped per snapshot of the plan in a :class:`Columns` (the
one-snapshot plan has one; the phased/robust model of optimisation/phased.py has one set of
placements per phase and one set of cases per phase × demand-scenario block, each tagged). Notation:

* ``o[j]`` binary — host j is open (has a spoke); ``u[h]`` binary — hub h is used;
* ``y[h, j]`` — spokes employed by hub h and based at host j (integer, or continuous with the
  spokes-per-host layout, where ``S[j]`` integer counts the spokes at host j);
* ``x[i, j]`` continuous ≥ 0 — cases of area i served from host j;
* ``n[r, h]`` integer — staff of support role r in hub h's team (service models only);
* ``w[h, j]`` binary — hub h supervises host j (one hub per host, issue #14: only for hosts that
  more than one hub reaches and that can take two spokes or more);
* ``m[h]`` integer — managers hub h needs (only when the budget costs managers, issue #14).

**Travel reach lives in the columns** (families "supervision travel" and "casework travel"):
:func:`placement_columns` makes ``y[h, j]`` only for pairs within the hub's supervision limit and
:func:`case_columns` makes ``x[i, j]`` only for pairs within casework reach, at hosts that can have a
spoke, for areas with demand. A pair without a column can carry no spokes or cases.

Column and row order are part of the model: solvers break ties between equally good plans by
them, so they are kept as they were when the families were first written (shipped plans stay
byte-identical): columns o, u, y, [S], x, [n], [w], [m]; rows in the assembler's order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix

from optimisation.instance import Instance
from optimisation.rules import ExistingSpokes, HostCapacity, HubSize, TravelReach

INF = math.inf


class LinearModel:
    """Columns (bounds, integrality), rows (sparse coefficients, bounds, family, rule group, name)
    and objective vectors, for any back end. Rows of a relaxed rule group are left out."""

    def __init__(self, relax: frozenset[str] = frozenset()) -> None:
        self.relax = frozenset(relax)
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self._column_names: list[tuple[int, str, list, str]] = []  # (first column, kind, keys, tag)
        self.entry_row: list[int] = []  # the coefficients of add_row, as (row, column, value) triplets
        self.entry_col: list[int] = []
        self.entry_val: list[float] = []
        self._entry_blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # those of add_rows
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []
        self.row_family: list[str] = []
        self.row_group: list[str | None] = []
        self._row_names: list[str | None] = []
        self._row_name_blocks: list[tuple[int, str, list]] = []  # (first row, label, keys) of add_rows
        self.objectives: dict[str, np.ndarray] = {}  # name -> one coefficient per column
        self._csr: csr_matrix | None = None

    # Columns.
    @property
    def columns(self) -> int:
        return len(self.lower)

    @property
    def integer_columns(self) -> int:
        return sum(self.integer)

    def add_columns(
        self, kind: str, keys: list, lower: Sequence[float], upper: Sequence[float], integer: bool, tag: str = ""
    ) -> dict:
        """Columns `kind[key]` for `keys` (in that order), with bounds; returns key -> column."""
        start = len(self.lower)
        self.lower.extend(lower)
        self.upper.extend(upper)
        self.integer.extend([int(integer)] * len(keys))
        self._column_names.append((start, kind, keys, tag))
        return dict(zip(keys, range(start, start + len(keys))))

    def column_names(self) -> list[str]:
        """Every column's name, e.g. ``y[HUB1,HOST2]`` or ``x[A1,J1,one/central]`` (built on demand)."""
        names: list[str] = []
        for _, kind, keys, tag in self._column_names:
            suffix = f",{tag}" if tag else ""
            for key in keys:
                if key is None:  # a single column named by its kind, e.g. "worst_case_coverage"
                    names.append(kind)
                else:
                    names.append(f"{kind}[{','.join(key) if isinstance(key, tuple) else key}{suffix}]")
        return names

    # Rows.
    @property
    def rows(self) -> int:
        return len(self.row_lower)

    def relaxed(self, group: str) -> bool:
        return group in self.relax

    def add_row(
        self,
        family: str,
        cols: list[int],
        vals: list[float],
        lower: float,
        upper: float,
        *,
        group: str | None = None,
        name: str = "",
    ) -> int | None:
        """lower ≤ Σ vals · columns ≤ upper, owned by `family`; left out (None) if `group` is relaxed."""
        if group is not None and group in self.relax:
            return None
        row = len(self.row_lower)
        self.entry_row.extend([row] * len(cols))
        self.entry_col.extend(cols)
        self.entry_val.extend(vals)
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        self.row_family.append(family)
        self.row_group.append(group)
        self._row_names.append(name)
        return row

    def add_rows(
        self,
        family: str,
        cols: np.ndarray,
        vals: np.ndarray,
        lower: float,
        upper: float,
        *,
        group: str | None = None,
        names: tuple[str, list] | None = None,
    ) -> range:
        """Many rows of one shape at once: row k is lower ≤ Σ_t vals[k, t] · cols[k, t] ≤ upper (a
        family with one row per column, e.g. the linking rows). `names` = (label, keys): row k is
        named ``label[key_k]`` when names are asked for."""
        if group is not None and group in self.relax or len(cols) == 0:
            return range(0)
        start, count = len(self.row_lower), len(cols)
        width = cols.shape[1]
        self._entry_blocks.append((np.repeat(np.arange(start, start + count), width), cols.ravel(), vals.ravel()))
        self.row_lower.extend([lower] * count)
        self.row_upper.extend([upper] * count)
        self.row_family.extend([family] * count)
        self.row_group.extend([group] * count)
        self._row_names.extend([None] * count)
        if names is not None:
            self._row_name_blocks.append((start, names[0], names[1]))
        return range(start, start + count)

    def row_names(self) -> list[str]:
        """Every row's name, e.g. ``caseload_max[J1]`` or ``link[A1,J1]`` (built on demand)."""
        names = [name or "" for name in self._row_names]
        for start, label, keys in self._row_name_blocks:
            for k, key in enumerate(keys):
                names[start + k] = f"{label}[{','.join(key) if isinstance(key, tuple) else key}]"
        return names

    def rows_of(self, family: str) -> list[int]:
        return [r for r, f in enumerate(self.row_family) if f == family]

    def coefficient(self, row: int, col: int) -> float:
        return float(self.matrix()[row, col])

    # For the back ends.
    def matrix(self) -> csr_matrix:
        """The rows as one sparse matrix (each row's terms in the order they were emitted)."""
        shape = (len(self.row_lower), len(self.lower))
        if self._csr is None or self._csr.shape != shape:
            blocks = [
                (
                    np.array(self.entry_row, np.int64),
                    np.array(self.entry_col, np.int64),
                    np.array(self.entry_val, float),
                )
            ] + self._entry_blocks
            rows, cols, vals = (np.concatenate([block[k] for block in blocks]) for k in range(3))
            self._csr = csr_matrix((vals, (rows, cols)), shape=shape)
        return self._csr

    def column_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(column lower bounds, column upper bounds, integrality 0/1) as arrays."""
        return np.array(self.lower, float), np.array(self.upper, float), np.array(self.integer, np.int8)

    def row_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(row lower bounds, row upper bounds) as arrays."""
        return np.array(self.row_lower, float), np.array(self.row_upper, float)

    def vector(self, cols: Sequence[int] = (), vals: Sequence[float] = ()) -> np.ndarray:
        """A vector over the columns (an objective): `vals` at `cols`, 0 elsewhere."""
        vector = np.zeros(len(self.lower))
        if len(cols):
            vector[np.asarray(cols, dtype=np.int64)] = vals
        return vector


@dataclass
class Columns:
    """The columns of one snapshot of the plan: a one-snapshot plan, one phase's placements, or one
    phase × demand-scenario block (its cases, sharing its phase's placements). `tag` names it."""

    tag: str = ""
    host_open: dict[str, int] = field(default_factory=dict)  # o[j]
    hub_used: dict[str, int] = field(default_factory=dict)  # u[h]
    spokes: dict[tuple[str, str], int] = field(default_factory=dict)  # y[h, j]
    host_spokes: dict[str, int] = field(default_factory=dict)  # S[j] (spokes-per-host layout only)
    cases: dict[tuple[str, str], int] = field(default_factory=dict)  # x[i, j]
    team: dict[tuple[str, str], int] = field(default_factory=dict)  # n[r, h] (service models)
    spokes_at: dict[str, list[int]] = field(default_factory=dict)  # host -> its y columns
    spokes_of: dict[str, list[int]] = field(default_factory=dict)  # hub -> its y columns
    cases_at: dict[str, list[int]] = field(default_factory=dict)  # host -> its x columns
    cases_of: dict[str, list[int]] = field(default_factory=dict)  # area -> its x columns
    # Issue #14 (hub side), appended after every other column so models without them are unchanged:
    hub_host: dict[tuple[str, str], int] = field(default_factory=dict)  # w[h, j] binary (one hub per host)
    managers: dict[str, int] = field(default_factory=dict)  # m[h] integer (managers costed in the budget)

    def host_total(self, host_id: str, coefficient: float) -> tuple[list[int], list[float]]:
        """coefficient × S_j as (columns, values): the S column, or the sum of the host's y."""
        if self.host_spokes:
            return [self.host_spokes[host_id]], [coefficient]
        cols = self.spokes_at[host_id]
        return cols, [coefficient] * len(cols)

    def all_spokes(self) -> list[int]:
        """Columns whose sum is every spoke of the plan: Σ_j S_j, or Σ_{h,j} y[h, j]."""
        return list(self.host_spokes.values()) if self.host_spokes else list(self.spokes.values())


def placement_columns(m: LinearModel, inst: Instance, *, spokes_per_host: bool = False, tag: str = "") -> Columns:
    """o[j] for every host some hub can supervise (instance order), u[h] per hub, y[h, j] per pair
    within the hub's supervision limit (sorted), and with `spokes_per_host` S[j] per host.

    Supervision travel: y exists only within reach. Bounds: y[h, j] ≤ max(min(max_spokes_j,
    capacity_h), spokes in post); S[j] ≤ Σ_h of those. With `spokes_per_host` the S are integer and
    y continuous (whole y are recovered afterwards, optimisation/integral.py); else y are integer.
    """
    reach = TravelReach.of(inst)
    existing = ExistingSpokes.of(inst)
    supervised = reach.supervised_hosts()
    c = Columns(tag=tag)
    hosts = [h.host_id for h in inst.hosts if h.host_id in supervised]
    c.host_open = m.add_columns("o", hosts, [0] * len(hosts), [1] * len(hosts), True, tag)
    hubs = [h.hub_id for h in inst.hubs]
    c.hub_used = m.add_columns("u", hubs, [0] * len(hubs), [1] * len(hubs), True, tag)
    host_max = {h.host_id: HostCapacity.of(h).maximum for h in inst.hosts}
    hub_max = {h.hub_id: HubSize.of(h).maximum for h in inst.hubs}
    pairs = sorted(inst.supervision_minutes)
    uppers = [max(min(host_max[j], hub_max[h]), existing.at_least(h, j)) for (h, j) in pairs]
    c.spokes = m.add_columns("y", pairs, [0] * len(pairs), uppers, not spokes_per_host, tag)
    c.spokes_at = {j: [] for j in c.host_open}
    c.spokes_of = {h: [] for h in c.hub_used}
    for (hub_id, host_id), col in c.spokes.items():
        c.spokes_at[host_id].append(col)
        c.spokes_of[hub_id].append(col)
    if spokes_per_host:
        upper = m.upper
        most = [sum(upper[y] for y in c.spokes_at[j]) for j in hosts]
        c.host_spokes = m.add_columns("S", hosts, [0] * len(hosts), most, True, tag)
    return c


def case_columns(m: LinearModel, inst: Instance, placements: Columns, *, tag: str = "") -> Columns:
    """x[i, j] over `placements` for every pair within casework reach (sorted by host, area), at a
    host that can have a spoke, for an area with demand; bound: x[i, j] ≤ demand_i.

    Casework travel: x exists only within reach. `tag` names a block (a phase × demand scenario)."""
    demand = {a.area_id: a.demand for a in inst.areas}
    host_open = placements.host_open
    keys = [
        (area_id, host_id)
        for (host_id, area_id) in sorted(inst.casework_minutes)
        if host_id in host_open and demand[area_id] > 0
    ]
    c = Columns(
        tag=tag or placements.tag,
        host_open=host_open,
        hub_used=placements.hub_used,
        spokes=placements.spokes,
        host_spokes=placements.host_spokes,
        team=placements.team,
        spokes_at=placements.spokes_at,
        spokes_of=placements.spokes_of,
        hub_host=placements.hub_host,
        managers=placements.managers,
    )
    c.cases = m.add_columns("x", keys, [0] * len(keys), [demand[i] for i, _ in keys], False, tag)
    c.cases_at = {j: [] for j in host_open}
    for (area_id, host_id), col in c.cases.items():
        c.cases_at[host_id].append(col)
        c.cases_of.setdefault(area_id, []).append(col)
    return c
