"""Disclosure control: the one module every area output goes through.

Rules
-----
- **Primary suppression.** A count of 1 to ``threshold - 1`` (1-4 by default) is shown as
  ``"<5"``. Zeros are published: a zero identifies no one, so ``"<5"`` means 1-4.
- **Secondary suppression.** A suppressed cell must not be recoverable from the totals and
  the other cells. After primary suppression every suppressed cell is *audited*: it is safe
  only if the published table is consistent with at least two values of it. While some are
  not safe, one more published non-zero cell of a line (row, column or total) through them,
  or through a cell they are ordered against, is suppressed and shown ``"[c]"``: of the few
  smallest, the one that leaves the fewest cells pinned; repeat.
  Where no published cell is left that could protect it (four cells of 1 whose total is
  "<5", and so must be 4), the cell and the hidden cells of its lines are *withheld*,
  shown ``"[x]"``: 1 or more, with no upper bound; if need be, the lines of the cells it is
  ordered against, then every non-zero cell. Zeros are never hidden.
  A rows/columns-with-one-suppressed-cell rule alone is not enough (a ``"<5"`` of 1 beside
  a ``"[c]"`` of 5 in a line of total 6 is pinned at 1), hence the audit.
- **Derived values** (rates, rate ratios, intervals, expected counts, shading classes) are
  published only when every count they are computed from is published
  (:func:`publish_derived`), so they never add information about a suppressed cell.
- **School users never see incident points**: :func:`check_school_payload` refuses a
  payload holding coordinates, incident ids or people.

What an attacker is assumed to know (the audit's model of "consistent")
--------------------------------------------------------------------------
Every published number exactly; that ``"<5"`` is 1-4; that ``"[c]"`` is at least
``threshold`` and ``"[x]"`` at least 1 (zeros are never hidden, so a hidden cell is known
not to be 0, and a ``"[c]"`` not to be 1-4: the strongest reading of the markers); every
additive relation of the table (cells sum to their totals) and every ordering between
cells (a 7-day count is at most the 28-day count of the same row). Not modelled: the tie-breaking order of the secondary choice, and
differences between tables of other geographies (a buffer against whole LSOAs), which share
no exact relation.

The audit first looks for a witness cheaply (the true table with one suppressed cell moved
by one and a partner moved to compensate, checked with array algebra); cells without such
a witness go to a small exact search (bounds propagation and branching over the linear
constraints). A search that runs out of budget counts as "pinned", so the audit errs on
the side of suppressing more.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from geo_risk.errors import ValidationError

log = logging.getLogger(__name__)

SHOWN = "shown"
PRIMARY = "primary"
SECONDARY = "secondary"
WITHHELD = "withheld"
SECONDARY_MARK = "[c]"
WITHHELD_MARK = "[x]"
NOT_APPLICABLE = "n/a"

_SEARCH_BUDGET = 5_000


def primary_mark(threshold: int = 5) -> str:
    """The text shown for a primary-suppressed count, ``"<5"`` for the default threshold."""
    return f"<{threshold}"


@dataclass(frozen=True)
class Constraints:
    """The linear structure of a table of ``n`` non-negative integer cells.

    Parameters
    ----------
    n
        Number of cells (totals included).
    equations
        ``(parts, total)`` pairs: the cells ``parts`` sum to the cell ``total``.
    inequalities
        ``(a, b)`` pairs: cell ``a`` is at most cell ``b`` (nested time windows).
    moves
        Optional: sets of cells that rise by one together when one more record is counted
        (its row's cells, their totals, its month in a chart), so that every equation still
        holds. The audit tries one record more or fewer, or one record moved from one such set
        to another, as a cheap witness before its search; a move that breaks an equation is
        refused.
    """

    n: int
    equations: tuple[tuple[tuple[int, ...], int], ...] = ()
    inequalities: tuple[tuple[int, int], ...] = ()
    moves: tuple[tuple[int, ...], ...] = ()

    def __post_init__(self) -> None:
        for parts, total in self.equations:
            for i in (*parts, total):
                if not 0 <= i < self.n:
                    msg = f"equation cell {i} is outside 0..{self.n - 1}"
                    raise ValidationError(msg)
        for a, b in self.inequalities:
            if not (0 <= a < self.n and 0 <= b < self.n):
                msg = f"inequality cells ({a}, {b}) are outside 0..{self.n - 1}"
                raise ValidationError(msg)
        for i in (i for move in self.moves for i in move):
            if not 0 <= i < self.n:
                msg = f"move cell {i} is outside 0..{self.n - 1}"
                raise ValidationError(msg)

    def move_matrix(self) -> np.ndarray:
        """One row per move: 1 for each cell it raises."""
        m = np.zeros((len(self.moves), self.n), dtype=np.int64)
        for k, cells in enumerate(self.moves):
            m[k, list(cells)] = 1
        return m

    def matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """Equation matrix ``A`` (``A @ x == 0``) and inequality matrix ``G`` (``G @ x <= 0``)."""
        a = np.zeros((len(self.equations), self.n), dtype=np.int64)
        for e, (parts, total) in enumerate(self.equations):
            for i in parts:
                a[e, i] += 1
            a[e, total] -= 1
        g = np.zeros((len(self.inequalities), self.n), dtype=np.int64)
        for k, (lo_cell, hi_cell) in enumerate(self.inequalities):
            g[k, lo_cell] += 1
            g[k, hi_cell] -= 1
        return a, g

    @property
    def totals(self) -> frozenset[int]:
        return frozenset(total for _, total in self.equations)


@dataclass(frozen=True)
class Protected:
    """A table after disclosure control.

    ``values`` are the true counts (analyst tier only); ``status`` says for each cell whether
    it is ``shown``, ``primary`` (``"<5"``), ``secondary`` (``"[c]"``) or ``withheld``.
    """

    values: tuple[int, ...]
    status: tuple[str, ...]
    threshold: int = 5

    def shown(self, i: int) -> str:
        """The published text of cell ``i``."""
        status = self.status[i]
        if status == SHOWN:
            return str(self.values[i])
        if status == PRIMARY:
            return primary_mark(self.threshold)
        if status == WITHHELD:
            return WITHHELD_MARK
        return SECONDARY_MARK

    def published(self, i: int) -> int | None:
        """The published number of cell ``i``, or None when it is suppressed."""
        return self.values[i] if self.status[i] == SHOWN else None

    def is_published(self, i: int) -> bool:
        return self.status[i] == SHOWN

    @property
    def n_suppressed(self) -> int:
        return sum(s != SHOWN for s in self.status)


def protect(
    values: Sequence[int] | np.ndarray,
    constraints: Constraints,
    *,
    threshold: int = 5,
    search_budget: int = _SEARCH_BUDGET,
) -> Protected:
    """Apply primary and audited secondary suppression to a table.

    Parameters
    ----------
    values
        True non-negative integer counts, one per cell (totals included).
    constraints
        The table's sums and orderings; the true values must satisfy them.
    threshold
        Counts from 1 to ``threshold - 1`` are suppressed.
    search_budget
        Nodes the exact search may visit per suppressed cell that has no cheap witness; over
        it the cell counts as pinned (more is suppressed, never less). A table with ``moves``
        finds most witnesses without it and can afford a small budget.

    Returns
    -------
    Protected
        Every suppressed cell is consistent with at least two values given what is published.
    """
    v = np.asarray(values, dtype=np.int64).ravel()
    if v.size != constraints.n:
        msg = f"got {v.size} values for a table of {constraints.n} cells"
        raise ValidationError(msg)
    if (v < 0).any():
        msg = "counts must not be negative"
        raise ValidationError(msg)
    if threshold < 1:
        msg = f"threshold must be at least 1, got {threshold}"
        raise ValidationError(msg)
    a, g = constraints.matrices()
    if a.size and (a @ v != 0).any():
        msg = "the counts do not add up to their totals; fix the table before disclosure control"
        raise ValidationError(msg)
    if g.size and (g @ v > 0).any():
        msg = "the counts break an ordering of the table (e.g. a 7-day count above its 28-day count)"
        raise ValidationError(msg)
    moves = constraints.move_matrix()
    if a.size and moves.size and (a @ moves.T != 0).any():
        msg = "a move of the table breaks one of its sums; each move must raise a record's cells and their totals"
        raise ValidationError(msg)
    status = np.where((v > 0) & (v < threshold), PRIMARY, SHOWN).astype(object)
    auditor = _Auditor(v, a, g, threshold, moves, search_budget)
    own_lines, related_lines = _neighbourhoods(constraints)
    totals = constraints.totals
    # Hiding more never narrows what a hidden cell could be, so a cell found safe stays
    # safe: only cells not yet found safe are audited again.
    safe: set[int] = set()
    while True:
        pinned = auditor.pinned(status, skip=safe)
        safe |= {int(i) for i in np.flatnonzero(status != SHOWN)} - set(pinned)
        if not pinned:
            break
        pick = _choose_secondary(pinned, status, v, auditor, own_lines, related_lines, totals, safe)
        if pick is not None:
            status[pick] = SECONDARY
            continue
        cell = pinned[0]
        # No published cell left that could hide it: withhold the cell and what is hidden in
        # its lines, then in the lines of the cells it is ordered against, then every
        # non-zero cell. "[x]" is 1 or more, unbounded above, so every non-zero cell hidden
        # this way can always be raised by one together with its totals: never pinned.
        for pool in ([cell, *own_lines[cell]], [cell, *related_lines[cell]], range(v.size)):
            grow = [j for j in pool if v[j] > 0 and status[j] != WITHHELD]
            if grow:
                status[grow] = WITHHELD
                break
        else:  # pragma: no cover - every non-zero cell withheld is never pinned (see above)
            msg = "disclosure control could not protect a table"
            raise RuntimeError(msg)
        log.info("disclosure control withheld cells that suppression alone could not protect")
    return Protected(tuple(int(x) for x in v), tuple(str(s) for s in status), threshold)


def _choose_secondary(
    pinned: list[int],
    status: np.ndarray,
    v: np.ndarray,
    auditor: _Auditor,
    own_lines: list[list[int]],
    related_lines: list[list[int]],
    totals: frozenset[int],
    safe: set[int],
    *,
    tries: int = 8,
) -> int | None:
    """The published non-zero cell to hide next, or None when there is none to hide.

    Candidates are the cells of the lines through the pinned cells, smallest first (the
    "smallest other cell" rule), then those of the lines through cells they are ordered
    against. Of the first few, the one leaving the fewest cells pinned wins (the smallest
    on a tie); if none helps, the smallest is hidden anyway and the audit goes round again.
    """

    def open_cells(pools: Iterable[Iterable[int]]) -> list[int]:
        cells = {j for pool in pools for j in pool if status[j] == SHOWN and v[j] > 0}
        return sorted(cells, key=lambda j: (int(v[j]), j in totals, j))

    own = open_cells(own_lines[c] for c in pinned)
    related = [j for j in open_cells(related_lines[c] for c in pinned) if j not in own]
    best, best_left = None, len(pinned)
    for pool in (own, related):
        for j in pool[:tries]:
            trial = status.copy()
            trial[j] = SECONDARY
            left = len(auditor.pinned(trial, skip=safe, search=False))
            if left < best_left:
                best, best_left = j, left
                if left == 0:
                    return j
        if best is not None:
            return best
    return own[0] if own else None


def _neighbourhoods(constraints: Constraints) -> tuple[list[list[int]], list[list[int]]]:
    """For each cell: the cells sharing a line with it, and those sharing a line with a cell
    it is ordered against."""
    lines: list[set[int]] = [set() for _ in range(constraints.n)]
    for parts, total in constraints.equations:
        members = {*parts, total}
        for i in members:
            lines[i] |= members
    related: list[set[int]] = [set() for _ in range(constraints.n)]
    for a, b in constraints.inequalities:
        related[a].add(b)
        related[b].add(a)
    own, near = [], []
    for i in range(constraints.n):
        own.append(sorted(lines[i] - {i}))
        cells: set[int] = set(related[i])
        for j in related[i]:
            cells |= lines[j]
        near.append(sorted(cells - {i}))
    return own, near


class _Auditor:
    """Decides which suppressed cells the published table pins to one value."""

    def __init__(self, v: np.ndarray, a: np.ndarray, g: np.ndarray, threshold: int,
                 moves: np.ndarray | None = None, budget: int = _SEARCH_BUDGET) -> None:
        self.budget = budget
        self.v = v
        self.a = a
        self.g = g
        self.t = threshold
        self.slack = -(g @ v) if g.size else np.zeros(0, dtype=np.int64)
        self.moves = moves.astype(np.int8) if moves is not None and moves.size else None

    def domains(self, status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = self.v.astype(float).copy()
        hi = self.v.astype(float).copy()
        prim = status == PRIMARY
        sec = status == SECONDARY
        lo[prim], hi[prim] = 1.0, float(self.t - 1)
        lo[sec], hi[sec] = float(self.t), math.inf
        gone = status == WITHHELD
        lo[gone], hi[gone] = 1.0, math.inf
        return lo, hi

    def pinned(self, status: np.ndarray, *, skip: set[int] | frozenset[int] = frozenset(),
               search: bool = True) -> list[int]:
        """Hidden cells (other than ``skip``) that the published table pins to one value.

        Without ``search`` a cell with no cheap witness counts as pinned: an overestimate, good
        enough to rank the candidates for the next secondary cell, never to decide a table.
        """
        hidden = np.flatnonzero(status != SHOWN)
        todo = [int(i) for i in hidden if int(i) not in skip]
        if not todo:
            return []
        lo, hi = self.domains(status)
        ok = self._pair_witnesses(hidden, lo, hi)
        witnessed = {int(i) for i, good in zip(hidden, ok) if good}
        if self.moves is not None and any(i not in witnessed for i in todo):
            witnessed |= self._move_witnesses(status, lo, hi, [i for i in todo if i not in witnessed])
        out = []
        finder: _Search | None = None
        for i in todo:
            if i in witnessed:
                continue
            if not search:
                out.append(i)
                continue
            finder = finder or _Search(self.a, self.g, hidden, self.v, lo, hi, self.cap, self.budget)
            if not finder.has_alternative(i):
                out.append(i)
        return out

    @property
    def cap(self) -> float:
        # An alternative far above every true count is never needed to show ambiguity;
        # capping open domains keeps the search finite (missing one only suppresses more).
        return float(2 * int(self.v.sum()) + 2 * self.t + 10)

    def _move_witnesses(self, status: np.ndarray, lo: np.ndarray, hi: np.ndarray, cells: list[int]) -> set[int]:
        """Those of ``cells`` that one record more or fewer, or one record moved, changes while
        the table stays consistent with what is published."""
        moves = self.moves
        assert moves is not None
        shown = status == SHOWN
        targets = np.zeros(self.v.size, dtype=bool)
        targets[cells] = True
        own = moves[:, targets].any(axis=1)
        # a record moved from q's cells to p's changes no published cell only if p and q raise
        # the same published cells (which then cancel): group the moves by those
        # a hash of the published cells each move raises (a collision only costs a wasted pair:
        # the deltas that change a published cell are dropped below)
        weights = np.random.default_rng(0).integers(1, 2**62, size=int(shown.sum()), dtype=np.int64)
        group = moves[:, shown].astype(np.int64) @ weights
        order = np.argsort(group, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(group[order]) != 0, True])
        deltas = []
        for g0, g1 in itertools.pairwise(starts):
            idx = order[g0:g1]
            mine = idx[own[idx]]
            if mine.size == 0:
                continue
            if not moves[idx[0], shown].any():  # one record more or fewer touches nothing published
                deltas += [moves[mine], -moves[mine]]
            if idx.size > 1:
                deltas.append((moves[mine][:, None, :] - moves[idx][None, :, :]).reshape(-1, self.v.size))
        if not deltas:
            return set()
        delta = np.concatenate(deltas).astype(np.int64)
        delta = delta[(delta[:, targets] != 0).any(axis=1) & ~(delta[:, shown] != 0).any(axis=1)]
        after = self.v[None, :] + delta
        fine = ((after >= lo[None, :]) & (after <= hi[None, :])).all(axis=1)
        if self.g.size:
            fine &= ((delta @ self.g.T) <= self.slack[None, :]).all(axis=1)
        changed = (delta[fine] != 0).any(axis=0) & targets
        return {int(i) for i in np.flatnonzero(changed)}

    def _pair_witnesses(self, hidden: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """True where moving the cell by one, alone or with one partner, stays consistent."""
        k = hidden.size
        vals = self.v[hidden].astype(float)
        a_h = self.a[:, hidden]
        g_h = self.g[:, hidden]
        ok = np.zeros(k, dtype=bool)
        for si in (-1, 1):
            dom_i = (vals + si >= lo[hidden]) & (vals + si <= hi[hidden])
            # alone (a cell in no sum)
            eq_alone = (a_h * si == 0).all(axis=0) if a_h.size else np.ones(k, dtype=bool)
            ineq_alone = (g_h * si <= self.slack[:, None]).all(axis=0) if g_h.size else np.ones(k, dtype=bool)
            ok |= dom_i & eq_alone & ineq_alone
            for sj in (-1, 1):
                dom_j = (vals + sj >= lo[hidden]) & (vals + sj <= hi[hidden])
                if a_h.size:
                    eq = ((a_h[:, :, None] * si + a_h[:, None, :] * sj) == 0).all(axis=0)
                else:
                    eq = np.ones((k, k), dtype=bool)
                if g_h.size:
                    ineq = ((g_h[:, :, None] * si + g_h[:, None, :] * sj) <= self.slack[:, None, None]).all(axis=0)
                else:
                    ineq = np.ones((k, k), dtype=bool)
                pair = eq & ineq & dom_i[:, None] & dom_j[None, :]
                np.fill_diagonal(pair, False)
                ok |= pair.any(axis=1)
        return ok


class _Search:
    """Integer feasibility over the hidden cells, the published ones being constants.

    ``sum(c_i x_i) = k`` per line (``c_i`` is +1 or -1), ``x_a <= x_b`` per ordering and
    finite bounds per cell, by bounds propagation and branching with a node budget.
    """

    def __init__(
        self,
        a: np.ndarray,
        g: np.ndarray,
        hidden: np.ndarray,
        v: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        cap: float,
        budget: int = _SEARCH_BUDGET,
    ) -> None:
        self.budget = budget
        self.cells = [int(i) for i in hidden]
        local = {cell: k for k, cell in enumerate(self.cells)}
        self.local = local
        self.truth = [float(v[c]) for c in self.cells]
        self.lo0 = [float(lo[c]) for c in self.cells]
        self.hi0 = [min(float(hi[c]), cap) for c in self.cells]
        self.eqs: list[tuple[list[tuple[int, int]], float]] = []
        is_hidden = np.zeros(v.size, dtype=bool)
        is_hidden[hidden] = True
        # the published cells' part of each equation, all equations at once
        consts = -(a[:, ~is_hidden] @ v[~is_hidden]) if a.size else np.zeros(0)
        rows, cols = np.nonzero(a[:, is_hidden]) if a.size else (np.zeros(0, int), np.zeros(0, int))
        coef = a[:, is_hidden][rows, cols] if a.size else np.zeros(0, int)
        bounds = np.searchsorted(rows, np.arange(a.shape[0] + 1)) if a.size else np.zeros(1, int)
        for e in range(a.shape[0] if a.size else 0):
            lo_e, hi_e = bounds[e], bounds[e + 1]
            if lo_e == hi_e:
                continue
            terms = list(zip(cols[lo_e:hi_e].tolist(), coef[lo_e:hi_e].tolist()))
            self.eqs.append((terms, float(consts[e])))
        self.ineqs: list[tuple[int, int]] = []
        lows = np.argmax(g > 0, axis=1) if g.size else np.zeros(0, int)
        highs = np.argmin(g, axis=1) if g.size else np.zeros(0, int)
        for a_cell, b_cell in zip(lows.tolist(), highs.tolist()):
            if a_cell in local and b_cell in local:
                self.ineqs.append((local[a_cell], local[b_cell]))
            elif a_cell in local:
                k = local[a_cell]
                self.hi0[k] = min(self.hi0[k], float(v[b_cell]))
            elif b_cell in local:
                k = local[b_cell]
                self.lo0[k] = max(self.lo0[k], float(v[a_cell]))
        self.nodes = 0

    def has_alternative(self, cell: int) -> bool:
        """Whether some consistent table gives ``cell`` another value than its true one."""
        k = self.local[cell]
        true = self.truth[k]
        for below in (True, False):
            lo, hi = list(self.lo0), list(self.hi0)
            if below:
                hi[k] = true - 1
            else:
                lo[k] = true + 1
            if lo[k] > hi[k]:
                continue
            self.nodes = 0
            found = self._dfs(lo, hi)
            if found is None:
                log.debug("disclosure audit search ran out of budget on cell %d; treating it as pinned", cell)
            elif found:
                return True
        return False

    def _propagate(self, lo: list[float], hi: list[float]) -> bool:
        for _ in range(500):
            changed = False
            for terms, const in self.eqs:
                # sum(c_i x_i) == const
                total_min = 0.0
                total_max = 0.0
                for i, c in terms:
                    if c > 0:
                        total_min += lo[i]
                        total_max += hi[i]
                    else:
                        total_min -= hi[i]
                        total_max -= lo[i]
                for i, c in terms:
                    if c > 0:
                        rest_min = total_min - lo[i]
                        rest_max = total_max - hi[i]
                        new_lo, new_hi = const - rest_max, const - rest_min
                    else:
                        rest_min = total_min + hi[i]
                        rest_max = total_max + lo[i]
                        new_lo, new_hi = rest_min - const, rest_max - const
                    if new_lo > lo[i]:
                        lo[i] = float(math.ceil(new_lo))
                        changed = True
                    if new_hi < hi[i]:
                        hi[i] = float(math.floor(new_hi))
                        changed = True
                    if lo[i] > hi[i]:
                        return False
            for a_cell, b_cell in self.ineqs:
                if hi[b_cell] < hi[a_cell]:
                    hi[a_cell] = hi[b_cell]
                    changed = True
                if lo[a_cell] > lo[b_cell]:
                    lo[b_cell] = lo[a_cell]
                    changed = True
                if lo[a_cell] > hi[a_cell] or lo[b_cell] > hi[b_cell]:
                    return False
            if not changed:
                return True
        return True

    def _dfs(self, lo: list[float], hi: list[float]) -> bool | None:
        self.nodes += 1
        if self.nodes > self.budget:
            return None
        if not self._propagate(lo, hi):
            return False
        open_cells = [i for i in range(len(lo)) if lo[i] < hi[i]]
        if not open_cells:
            return True
        cell = min(open_cells, key=lambda i: (hi[i] - lo[i], i))
        true = self.truth[cell]
        mid = math.floor((lo[cell] + hi[cell]) / 2)
        halves = [(lo[cell], float(mid)), (float(mid + 1), hi[cell])]
        if not (halves[0][0] <= true <= halves[0][1]):
            halves.reverse()
        unknown = False
        for h_lo, h_hi in halves:
            if h_lo > h_hi:
                continue
            lo2, hi2 = list(lo), list(hi)
            lo2[cell], hi2[cell] = h_lo, h_hi
            result = self._dfs(lo2, hi2)
            if result:
                return True
            if result is None:
                unknown = True
        return None if unknown else False


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class TableLayout:
    """Where each cell of an ``R x C`` matrix with a total row (and column) lives in a flat table."""

    n_rows: int
    n_cols: int
    index: tuple[tuple[int | None, ...], ...]
    total_row: tuple[int, ...]
    total_col: tuple[int, ...] | None
    constraints: Constraints

    def place(self, counts: np.ndarray) -> np.ndarray:
        """A flat vector of the table's size with the body cells of ``counts`` (``R x C``) in place; the
        margins are left at 0 for the caller to fill."""
        values = np.zeros(self.constraints.n, dtype=np.int64)
        for r in range(self.n_rows):
            for c in range(self.n_cols):
                i = self.index[r][c]
                if i is not None:
                    values[i] = counts[r, c]
        return values


def table_layout(
    mask: np.ndarray,
    *,
    column_totals: bool = True,
    row_totals: bool = False,
    nested_columns: Iterable[tuple[int, int]] = (),
) -> TableLayout:
    """Lay out a table of counts with margins for :func:`protect`.

    Parameters
    ----------
    mask
        ``R x C`` booleans: False for cells that do not exist (shown ``"n/a"``).
    column_totals
        Add a total row (each column's cells sum to it).
    row_totals
        Add a total column (each row's cells sum to it; the grand total closes both).
    nested_columns
        ``(a, b)`` column pairs where every row's cell in ``a`` is at most its cell in ``b``
        (a 7-day window inside a 28-day one).
    """
    mask = np.asarray(mask, dtype=bool)
    n_rows, n_cols = mask.shape
    index: list[list[int | None]] = []
    k = 0
    for r in range(n_rows):
        row: list[int | None] = []
        for c in range(n_cols):
            if mask[r, c]:
                row.append(k)
                k += 1
            else:
                row.append(None)
        index.append(row)
    total_col: list[int] | None = None
    if row_totals:
        total_col = list(range(k, k + n_rows))
        k += n_rows
    total_row = list(range(k, k + n_cols)) if column_totals else []
    k += len(total_row)
    grand = None
    if column_totals and row_totals:
        grand = k
        k += 1
    equations: list[tuple[tuple[int, ...], int]] = []
    if column_totals:
        for c in range(n_cols):
            parts = tuple(index[r][c] for r in range(n_rows) if index[r][c] is not None)
            equations.append((parts, total_row[c]))
    if row_totals and total_col is not None:
        for r in range(n_rows):
            parts = tuple(i for i in index[r] if i is not None)
            equations.append((parts, total_col[r]))
        if grand is not None:
            equations.append((tuple(total_row), grand))
    inequalities: list[tuple[int, int]] = []
    for ca, cb in nested_columns:
        for r in range(n_rows):
            ia, ib = index[r][ca], index[r][cb]
            if ia is not None and ib is not None:
                inequalities.append((ia, ib))
        if column_totals:
            inequalities.append((total_row[ca], total_row[cb]))
    if grand is not None:
        total_row = [*total_row, grand]
    return TableLayout(
        n_rows,
        n_cols,
        tuple(tuple(r) for r in index),
        tuple(total_row),
        tuple(total_col) if total_col is not None else None,
        Constraints(k, tuple(equations), tuple(inequalities)),
    )


@dataclass(frozen=True)
class ProtectedTable:
    """A matrix of counts with its total row after disclosure control."""

    layout: TableLayout
    protected: Protected

    def cell(self, r: int, c: int) -> str:
        """Published text of body cell ``(r, c)``; ``"n/a"`` where the cell does not exist."""
        i = self.layout.index[r][c]
        return NOT_APPLICABLE if i is None else self.protected.shown(i)

    def total(self, c: int) -> str:
        return self.protected.shown(self.layout.total_row[c])

    def row_total(self, r: int) -> str:
        if self.layout.total_col is None:
            msg = "this table has no row totals"
            raise ValidationError(msg)
        return self.protected.shown(self.layout.total_col[r])

    def is_published(self, r: int, c: int) -> bool:
        i = self.layout.index[r][c]
        return i is not None and self.protected.is_published(i)

    def total_published(self, c: int) -> bool:
        return self.protected.is_published(self.layout.total_row[c])

    def value(self, r: int, c: int) -> int | None:
        """True value (analyst tier); None where the cell does not exist."""
        i = self.layout.index[r][c]
        return None if i is None else self.protected.values[i]

    def rows_shown(self) -> list[list[str]]:
        return [[self.cell(r, c) for c in range(self.layout.n_cols)] for r in range(self.layout.n_rows)]

    def totals_shown(self) -> list[str]:
        return [self.total(c) for c in range(self.layout.n_cols)]


def protect_table(
    counts: np.ndarray,
    *,
    mask: np.ndarray | None = None,
    column_totals: bool = True,
    row_totals: bool = False,
    nested_columns: Iterable[tuple[int, int]] = (),
    threshold: int = 5,
) -> ProtectedTable:
    """Protect an ``R x C`` matrix of counts together with its totals.

    Totals are computed here from the cells, so they always add up.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim != 2:
        msg = f"counts must be a 2-D matrix, got {counts.ndim} dimensions"
        raise ValidationError(msg)
    if mask is None:
        mask = np.ones(counts.shape, dtype=bool)
    layout = table_layout(mask, column_totals=column_totals, row_totals=row_totals, nested_columns=nested_columns)
    body = np.where(mask, counts, 0)
    values = layout.place(body)
    if layout.total_col is not None:
        values[list(layout.total_col)] = body.sum(axis=1)
    if column_totals:
        values[list(layout.total_row[: layout.n_cols])] = body.sum(axis=0)
        if layout.total_col is not None:
            values[layout.total_row[-1]] = body.sum()
    return ProtectedTable(layout, protect(values, layout.constraints, threshold=threshold))


def publish_derived(value: float | None, inputs_published: Iterable[bool]) -> float | None:
    """``value`` if every count it is computed from is published, else None (suppressed)."""
    return value if all(inputs_published) else None


def show_count(value: int, *, threshold: int = 5) -> str:
    """Primary suppression of a lone count that belongs to no table."""
    if 0 < value < threshold:
        return primary_mark(threshold)
    return str(int(value))


# --------------------------------------------------------------------------- school-tier guard

#: Keys a school-user payload may never contain: points, ids that lead to points, people.
FORBIDDEN_SCHOOL_KEYS = frozenset(
    {
        "easting",
        "northing",
        "x",
        "y",
        "lat",
        "lon",
        "latitude",
        "longitude",
        "geometry",
        "coordinates",
        "wkt",
        "points",
        "incidents",
        "incident_id",
        "incident_ids",
        "external_id",
        "place_id",
        "link_id",
        "link_ids",
        "pseudonym",
        "people",
        "person",
        "raw_counts",
        "set_by",
    }
)


def check_school_payload(payload: Mapping[str, Any] | Sequence[Any]) -> None:
    """Raise :class:`ValidationError` if a school-user payload holds points, ids or people."""
    stack: list[tuple[str, Any]] = [("", payload)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, Mapping):
            for key, value in node.items():
                if str(key).lower() in FORBIDDEN_SCHOOL_KEYS:
                    msg = (
                        f"a school-user payload may not contain {where}/{key}; school users see "
                        "area-level figures only: build it with tier='school'"
                    )
                    raise ValidationError(msg)
                stack.append((f"{where}/{key}", value))
        elif isinstance(node, (list, tuple)):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(node))
