"""Disclosure control: nothing 1-4 is published, and no suppressed cell can be worked out."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from geo_risk.briefing.disclosure import (
    PRIMARY,
    SECONDARY,
    SHOWN,
    Constraints,
    check_school_payload,
    protect,
    protect_table,
    publish_derived,
    show_count,
)
from geo_risk.errors import ValidationError
from tests.briefing._enumerate import NODE_BUDGET, OverBudget, consistent, has_alternative, tally

SMALL = st.integers(min_value=0, max_value=12) | st.integers(min_value=0, max_value=4)


@st.composite
def small_tables(draw):
    n_rows = draw(st.integers(1, 4))
    n_cols = draw(st.integers(1, 3))
    counts = np.array([[draw(SMALL) for _ in range(n_cols)] for _ in range(n_rows)], dtype=np.int64)
    nested = draw(st.booleans()) and n_cols > 1
    row_totals = draw(st.booleans()) and not nested
    if nested:
        # make each row non-decreasing across columns, like 7 / 28 / 90-day windows
        counts = np.cumsum(counts, axis=1)
    mask = np.ones_like(counts, dtype=bool)
    if nested and draw(st.booleans()):
        # month-only rows have no 7-day cell
        mask[draw(st.integers(0, n_rows - 1)), 0] = False
    return counts, mask, nested, row_totals


def _published_texts(table) -> list[str]:
    return [table.protected.shown(i) for i in range(table.layout.constraints.n)]


# Tables up to 4 rows x 3 columns (12 cells) with row, column and grand totals, counts 0-12 a cell
# (up to 36 a cell when nested): every suppressed cell of every such table is checked exhaustively
# within NODE_BUDGET search nodes; a draw the search cannot decide inside it is discarded
# (Hypothesis's "over the search budget" event, and the tally printed at the end of the run), never passed
# as protected.
@given(small_tables())
@settings(max_examples=500, deadline=None)
def test_no_published_count_is_small_and_no_suppressed_cell_is_recoverable(case):
    counts, mask, nested, row_totals = case
    nested_columns = [(c, c + 1) for c in range(counts.shape[1] - 1)] if nested else []
    table = protect_table(counts, mask=mask, nested_columns=nested_columns, row_totals=row_totals)
    prot = table.protected
    texts = _published_texts(table)
    for text in texts:
        if text.isdigit():
            assert not 1 <= int(text) <= 4, texts
    _assert_protected(
        list(prot.values), texts, table.layout.constraints, prot.status, test="small tables"
    )


def _assert_protected(values, texts, constraints, statuses, *, test: str | None = None):
    """Check the published table; ``test`` names a property test whose undecided draws are discarded.

    Without ``test`` (a fixed example) a search over its budget fails the test.
    """
    # the truth is consistent with what is published (the model is sound) ...
    assert consistent(values, texts, constraints)
    cap = int(sum(values)) + 5
    for i, status in enumerate(statuses):
        if status != SHOWN:
            # ... and no suppressed cell is pinned to its true value
            try:
                found = has_alternative(texts, constraints, i, values, cap=cap)
            except OverBudget:
                if test is None:
                    raise
                tally(test, "discarded")
                event(f"discarded: over the search budget of {NODE_BUDGET} nodes")
                assume(False)
            assert found, (values, texts, i)
    if test is not None:
        tally(test, "checked")


def test_the_one_line_rule_alone_would_pin_a_cell_so_the_audit_picks_a_cell_that_protects():
    # hiding the 5 beside a "<5" of 1 would leave 1 + [c] = 6, which pins the 1 (the [c]
    # cannot be 1-4): the audit hides the smallest cell that leaves the 1 ambiguous, the 9
    table = protect_table(np.array([[1], [5], [9], [30]]))
    assert table.rows_shown() == [["<5"], ["5"], ["[c]"], ["30"]]
    texts = _published_texts(table)
    truth = list(table.protected.values)
    for other in (2, 3, 4):
        alt = truth.copy()
        alt[0], alt[2] = other, truth[2] + truth[0] - other
        assert consistent(alt, texts, table.layout.constraints)


def test_secondary_is_the_smallest_other_non_zero_cell():
    table = protect_table(np.array([[3], [0], [40], [12], [25]]))
    assert table.rows_shown() == [["<5"], ["0"], ["40"], ["[c]"], ["25"]]
    assert table.total(0) == "80"


def test_zeros_are_published_and_never_hidden_as_secondary():
    table = protect_table(np.array([[2], [0], [0], [9]]))
    assert table.cell(1, 0) == "0" and table.cell(2, 0) == "0"
    assert table.cell(3, 0) == "[c]"


def test_a_line_of_two_fours_is_not_left_pinned():
    # 4 + 4 = 8 published would pin both at 4
    table = protect_table(np.array([[4], [4], [6]]))
    _assert_protected(list(table.protected.values), _published_texts(table), table.layout.constraints,
                      table.protected.status)


def test_nesting_is_part_of_the_audit():
    # 7-day <= 28-day for the same row: the audit must keep both ambiguous
    counts = np.array([[3, 3, 10], [1, 6, 8], [0, 9, 30]])
    table = protect_table(counts, nested_columns=[(0, 1), (1, 2)])
    _assert_protected(list(table.protected.values), _published_texts(table), table.layout.constraints,
                      table.protected.status)


def test_statuses_are_primary_for_small_and_secondary_for_complements():
    table = protect_table(np.array([[2], [7], [8]]))
    status = table.protected.status
    assert status[0] == PRIMARY and SECONDARY in status


def test_protect_refuses_tables_that_do_not_add_up():
    with pytest.raises(ValidationError, match="do not add up"):
        protect([1, 2, 4], Constraints(3, (((0, 1), 2),)))


def test_derived_values_are_suppressed_with_their_counts():
    assert publish_derived(2.5, [True, True]) == 2.5
    assert publish_derived(2.5, [True, False]) is None
    assert show_count(3) == "<5" and show_count(0) == "0" and show_count(5) == "5"


def test_school_payload_guard_refuses_points():
    check_school_payload({"counts": [{"category": "Robbery", "28d": "<5"}]})
    with pytest.raises(ValidationError, match="area-level"):
        check_school_payload({"incidents": [{"easting": 1.0}]})
    with pytest.raises(ValidationError):
        check_school_payload({"conflicts": [{"places": [{"x": 1, "y": 2}]}]})


@st.composite
def area_and_trend_tables(draw):
    """The briefing's area table: areas and months both add up to one total; serious <= all per month."""
    n_areas = draw(st.integers(1, 3))
    n_months = draw(st.integers(1, 3))
    total = draw(st.integers(0, 14))
    areas = _split(draw, total, n_areas)
    months = _split(draw, total, n_months)
    serious = [draw(st.integers(0, m)) for m in months]
    values = [*areas, total, *months, *serious]
    eqs = ((tuple(range(n_areas)), n_areas), (tuple(range(n_areas + 1, n_areas + 1 + n_months)), n_areas))
    ineqs = tuple((n_areas + 1 + n_months + m, n_areas + 1 + m) for m in range(n_months))
    return values, Constraints(len(values), eqs, ineqs)


def _split(draw, total, parts):
    cuts = sorted(draw(st.integers(0, total)) for _ in range(parts - 1))
    bounds = [0, *cuts, total]
    return [bounds[k + 1] - bounds[k] for k in range(parts)]


# Up to 3 areas, 3 months and their serious-incident rows, 0-14 incidents in all: checked exhaustively
# within NODE_BUDGET nodes, as above.
@given(area_and_trend_tables())
@settings(max_examples=200, deadline=None)
def test_area_and_trend_table_is_protected_too(case):
    values, constraints = case
    prot = protect(values, constraints)
    texts = [prot.shown(i) for i in range(constraints.n)]
    assert not any(t.isdigit() and 1 <= int(t) <= 4 for t in texts)
    _assert_protected(list(prot.values), texts, constraints, prot.status, test="area and trend tables")


def test_a_line_that_only_small_cells_can_protect_is_withheld_not_pinned():
    # four 1s under a total of "<5": the total must be 4 and every cell 1. Nothing published
    # is left to hide, so the line is withheld ("[x]": 1 or more), zeros stay published.
    table = protect_table(np.array([[1], [1], [0], [1], [1]]))
    assert table.rows_shown() == [["[x]"], ["[x]"], ["0"], ["[x]"], ["[x]"]]
    assert table.total(0) == "[x]"
    _assert_protected(list(table.protected.values), _published_texts(table), table.layout.constraints,
                      table.protected.status)


def test_the_two_by_two_table_of_ones_is_withheld_but_its_zeros_are_not():
    table = protect_table(np.array([[1, 1], [1, 1], [0, 0]]), row_totals=True)
    assert table.cell(2, 0) == "0" and table.row_total(2) == "0"
    assert table.cell(0, 0) == "[x]"
    _assert_protected(list(table.protected.values), _published_texts(table), table.layout.constraints,
                      table.protected.status)


def test_the_checker_catches_a_pinned_cell():
    # what the naive rule would publish for [1, 5, 30]: "<5", "[c]", "30", total "36"
    constraints = Constraints(4, (((0, 1, 2), 3),))
    texts = ["<5", "[c]", "30", "36"]
    assert consistent([1, 5, 30, 36], texts, constraints)
    assert not has_alternative(texts, constraints, 0, [1, 5, 30, 36], cap=60)
    assert not has_alternative(texts, constraints, 1, [1, 5, 30, 36], cap=60)


def test_the_exhaustive_search_gives_up_over_its_budget_instead_of_answering():
    # issue 20: a search that cannot decide inside its budget says so; the property tests then
    # discard the example and count it, never pass it as protected
    texts = ["<5", "<5", "[c]", "[c]", "[c]", "[c]", "40"]
    constraints = Constraints(7, (((0, 1, 2, 3, 4, 5), 6),), ())
    truth = [2, 3, 8, 9, 9, 9, 40]
    assert has_alternative(texts, constraints, 0, truth, cap=45)
    with pytest.raises(OverBudget, match="no answer within 3 search nodes"):
        has_alternative(texts, constraints, 0, truth, cap=45, budget=3)
