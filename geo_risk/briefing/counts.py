"""A school's count table and its month-by-month chart, protected as one table.

The chart counts the same records as the table's month-only rows, within the same buffer, in
the months the table counts them: its last month is the 28-day column, its last three the
90-day column, the twelve before them the comparison period (with the default windows). So
the numbers agree, and a reader can add and subtract across the two: a ``"<5"`` in the table
could be worked out from the chart's months and the other rows, or a small month of the chart
from the table. Disclosure control therefore sees one table with every relation between them:

- each column's rows sum to its total (as before), and its month-only rows to the month-only
  total, a row of its own when the table also has dated rows (else the total is that sum);
- the chart's months of a column sum to that column's month-only total;
- a 7-day count is at most its 28-day count.

The chart has one series, all records. A second series of the serious categories would tie the
serious rows of every column to the chart as well, and on the synthetic city it cost the table
its most important number (the 28-day count of violence, hidden so that robbery's "<5" could
not be worked out from it): 195 hidden cells in its 12 schools' tables against 152 with one series.
The table's serious rows say it better.

Dated records (emergency department injuries, partners' incidents) are counted in day windows
ending at the briefing's moment, which do not line up with calendar months; the chart leaves
them out and says so, so that no relation between them is left unprotected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geo_risk.briefing import disclosure
from geo_risk.briefing.periods import DATED, MONTH_ONLY
from geo_risk.errors import ValidationError

#: Nodes of disclosure control's exact search per suppressed cell (see :func:`protect_counts`).
SEARCH_BUDGET = 50


@dataclass(frozen=True)
class Trend:
    """Where the chart's months live in the protected table.

    Attributes
    ----------
    months
        ``YYYY-MM``, oldest first.
    partial
        Per month: True where the month-only data has no records for it (not published yet,
        or missing from the import).
    all_cells
        Per month, the cell of the protected table holding its month-only records.
    month_only_total
        Per column of the count table, the cell holding the column's month-only records
        (the total row's cell when the table has no dated rows), or None where the column
        counts none (the 7-day window).
    """

    months: tuple[str, ...]
    partial: tuple[bool, ...]
    all_cells: tuple[int, ...]
    month_only_total: tuple[int | None, ...]


@dataclass(frozen=True)
class CountsLayout:
    """The count table's layout with the chart's cells and every relation between them."""

    table: disclosure.TableLayout
    trend: Trend


def counts_layout(
    mask: np.ndarray,
    resolutions: Sequence[str],
    column_months: Sequence[Sequence[str]],
    chart_months: Sequence[str],
    partial: Sequence[bool],
    *,
    nested_columns: Sequence[tuple[int, int]] = (),
) -> CountsLayout:
    """Lay out the count table (rows x columns, with a total row) and the chart as one table.

    Parameters
    ----------
    mask
        ``R x C`` booleans: whether row ``r`` is counted in column ``c``.
    resolutions
        Per row, ``"dated"`` or ``"month only"``.
    column_months
        Per column, the months of month-only records it counts (empty for none).
    chart_months
        The chart's months; they must include every month a column counts.
    partial
        Per chart month, whether the month-only data lacks it.
    nested_columns
        ``(a, b)`` column pairs where column ``a``'s cells are at most column ``b``'s.
    """
    mask = np.asarray(mask, dtype=bool)
    n_rows, n_cols = mask.shape
    if not (len(resolutions) == n_rows and len(column_months) == n_cols):
        msg = "one resolution per row and the months of each column are needed"
        raise ValidationError(msg)
    if len(partial) != len(chart_months):
        msg = "one partial flag per chart month is needed"
        raise ValidationError(msg)
    position = {m: k for k, m in enumerate(chart_months)}
    missing = sorted({m for months in column_months for m in months} - set(position))
    if missing:
        msg = f"the chart must cover every month the table counts; it lacks {', '.join(missing)}"
        raise ValidationError(msg)
    base = disclosure.table_layout(mask, nested_columns=nested_columns)
    month_only = np.array([r == MONTH_ONLY for r in resolutions], dtype=bool)
    dated = np.array([r == DATED for r in resolutions], dtype=bool)
    equations = list(base.constraints.equations)
    n = base.constraints.n
    # the month-only records need a total of their own when a column that counts months has dated rows too
    month_columns = np.array([bool(m) for m in column_months], dtype=bool)
    own_total = bool((mask[:, month_columns] & dated[:, None]).any())

    def cells_of(c: int, rows: np.ndarray) -> tuple[int, ...]:
        return tuple(i for r in np.flatnonzero(rows & mask[:, c]) if (i := base.index[r][c]) is not None)

    # the month-only total of each column that counts months
    month_total: list[int | None] = []
    for c in range(n_cols):
        if not column_months[c]:
            month_total.append(None)
            continue
        if own_total:
            equations.append((cells_of(c, month_only), n))
            month_total.append(n)
            n += 1
        else:
            month_total.append(base.total_row[c])
    # the chart: the records of each month
    all_cells = tuple(range(n, n + len(chart_months)))
    n += len(chart_months)
    for c in range(n_cols):
        total = month_total[c]
        if total is not None:
            equations.append((tuple(all_cells[position[m]] for m in column_months[c]), total))
    # one record more: the cells it raises (the audit's cheap witnesses)
    later = {c: {c} for c in range(n_cols)}
    for _ in range(n_cols):
        for a, b in nested_columns:
            later[a] |= later[b]
    moves: set[tuple[int, ...]] = set()
    for r in range(n_rows):
        if dated[r]:
            for c in range(n_cols):
                cols = [k for k in later[c] if mask[r, k]]
                if mask[r, c]:
                    moves.add(tuple(sorted({base.index[r][k] for k in cols} | {base.total_row[k] for k in cols})))
        elif month_only[r]:
            for m, month in enumerate(chart_months):
                cols = [c for c in range(n_cols) if month in column_months[c] and mask[r, c]]
                cells = {all_cells[m]} | {base.index[r][c] for c in cols} | {base.total_row[c] for c in cols}
                cells |= {month_total[c] for c in cols}
                moves.add(tuple(sorted(i for i in cells if i is not None)))
    constraints = dataclasses.replace(base.constraints, n=n, equations=tuple(equations), moves=tuple(sorted(moves)))
    trend = Trend(months=tuple(chart_months), partial=tuple(bool(p) for p in partial), all_cells=all_cells,
                  month_only_total=tuple(month_total))
    return CountsLayout(table=dataclasses.replace(base, constraints=constraints), trend=trend)


def protect_counts(
    layout: CountsLayout,
    counts: np.ndarray,
    chart: Sequence[int],
    *,
    threshold: int = 5,
) -> disclosure.ProtectedTable:
    """Protect the count table (``R x C``, cells outside the mask ignored) and the chart together.

    The totals are computed here from the cells, so they always add up;
    the chart must count the same records as the table's month-only rows (else the relations
    do not hold and this raises).
    """
    table, trend = layout.table, layout.trend
    counts = np.asarray(counts, dtype=np.int64)
    if counts.shape != (table.n_rows, table.n_cols):
        msg = f"counts must be {table.n_rows} x {table.n_cols}, got {counts.shape}"
        raise ValidationError(msg)
    if len(chart) != len(trend.months):
        msg = "one chart count per month is needed"
        raise ValidationError(msg)
    values = table.place(counts)
    values[list(trend.all_cells)] = np.asarray(chart, dtype=np.int64)
    # totals from the table's own cells; the chart's equations are then checked by protect
    known = {i for row in table.index for i in row if i is not None} | set(trend.all_cells)
    for parts, total in table.constraints.equations:
        if total not in known:
            values[total] = values[list(parts)].sum() if parts else 0
            known.add(total)
    # one record more, fewer or moved finds nearly every witness (the moves of the layout), so
    # the exact search is kept short: a cell it cannot decide counts as pinned (more is hidden)
    prot = disclosure.protect(values, table.constraints, threshold=threshold, search_budget=SEARCH_BUDGET)
    return disclosure.ProtectedTable(table, prot)
