"""Back-testing: hit rate and PAI by hand, fair ties, the rolling origin (issue 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo_risk.config import SurfacePolicy
from geo_risk.errors import ValidationError
from geo_risk.surface.evaluate import (
    METHODS,
    backtest,
    boundary_grid,
    capture,
    hit_rate_pai,
    summarise,
)

X0, Y0 = 358_000.0, 173_000.0
VIOLENCE = "Violence and sexual offences"


def test_hit_rate_and_pai_by_hand():
    scores = np.array([3.0, 2.0, 2.0, 1.0, 0.0])
    targets = np.array([1, 0, 2, 0, 1])
    # coverage 40 % of 5 cells = 2 cells: the 3 (1 target) plus one of the two tied 2s,
    # which hold 0 and 2 targets: expected capture 1 + (0 + 2) / 2 = 2 of 4 targets.
    assert capture(scores, targets, 2) == pytest.approx(2.0)
    hit, pai, k = hit_rate_pai(scores, targets, 0.4)
    assert k == 2
    assert hit == pytest.approx(0.5)
    assert pai == pytest.approx(0.5 / 0.4)
    # 20 %: one cell, no tie
    hit, pai, k = hit_rate_pai(scores, targets, 0.2)
    assert (k, hit, pai) == (1, pytest.approx(0.25), pytest.approx(1.25))
    # 100 %: everything
    assert hit_rate_pai(scores, targets, 1.0)[:2] == (pytest.approx(1.0), pytest.approx(1.0))


def test_ties_never_favour_a_method(rng):
    targets = rng.poisson(1.0, size=1000)
    flat = np.zeros(1000)
    for cov in (0.01, 0.05, 0.1):
        hit, pai, k = hit_rate_pai(flat, targets, cov)
        assert pai == pytest.approx(1.0)
        assert hit == pytest.approx(k / 1000)
    # expected capture equals the mean of many random tie-breaks
    scores = rng.integers(0, 3, size=200).astype(float)
    t = rng.poisson(2.0, size=200)
    k = 37
    draws = []
    for _ in range(3000):
        order = np.lexsort((rng.random(200), -scores))
        draws.append(t[order[:k]].sum())
    assert capture(scores, t, k) == pytest.approx(np.mean(draws), rel=0.01)


def test_flagged_area_is_exactly_k_cells():
    scores = np.array([5.0, 5.0, 5.0, 1.0])
    targets = np.array([3.0, 0.0, 0.0, 9.0])
    # one slot among three tied cells: a third of the first cell's targets
    assert capture(scores, targets, 1) == pytest.approx(1.0)
    with pytest.raises(ValidationError):
        capture(scores, targets, 5)


def test_boundary_grid_keeps_cells_whose_centre_is_inside():
    grid = boundary_grid(box(X0, Y0, X0 + 1000, Y0 + 500), 250.0)
    assert (grid.nx, grid.ny, grid.n_cells) == (4, 2, 8)
    tri = boundary_grid(box(X0, Y0, X0 + 1000, Y0 + 1000).difference(box(X0, Y0, X0 + 500, Y0 + 500)), 250.0)
    assert tri.n_cells == 12
    xy = np.array([[X0 + 10, Y0 + 10], [X0 + 900, Y0 + 900], [X0 + 901, Y0 + 901], [X0 - 5, Y0]])
    counts = tri.counts(xy)
    assert counts.sum() == 2  # the first point's cell is outside the L shape, the last is off the grid


def _hotspot_months(make_incidents, rng, months=("2025-01", "2025-02", "2025-03", "2025-04")):
    """Incidents that recur at a few fixed hot spots each month, plus background noise."""
    hot = np.array([[X0 + 300, Y0 + 300], [X0 + 1700, Y0 + 1200], [X0 + 900, Y0 + 1800]])
    frames = []
    for m in months:
        n_hot = rng.poisson(15, size=len(hot))
        pts = [np.repeat(hot[i : i + 1], n_hot[i], axis=0) for i in range(len(hot))]
        pts.append(rng.uniform([X0, Y0], [X0 + 2000, Y0 + 2000], size=(20, 2)))
        xy = np.vstack(pts)
        cats = rng.choice([VIOLENCE, "Robbery", "Anti-social behaviour"], size=len(xy))
        frames.append(make_incidents(xy, cats, pd.Timestamp(f"{m}-01"), has_time=False))
    return pd.concat(frames, ignore_index=True)


def test_backtest_rolls_over_months_and_finds_hot_spots(make_incidents, rng):
    inc = _hotspot_months(make_incidents, rng)
    area = box(X0, Y0, X0 + 2000, Y0 + 2000)
    policy = SurfacePolicy(bandwidth_m=50.0, half_life_days=90.0, cell_m=25.0, category_weights={VIOLENCE: 1.0})
    table = backtest(inc, area, policy=policy, cell_m=250.0, coverages=(0.05, 0.1))
    assert sorted(table["month"].unique()) == ["2025-02", "2025-03", "2025-04"]
    assert set(table["method"]) == set(METHODS)
    assert (table["n_cells"] == 64).all()
    assert (table["k_cells"].isin([3, 6])).all()
    means = summarise(table).set_index(["method", "coverage"])
    # 3 of 64 cells hold most targets: every method that remembers them has a PAI well above 1
    for method in METHODS:
        assert means.loc[(method, 0.05), "pai"] > 5
    assert ((table["hit_rate"] >= 0) & (table["hit_rate"] <= 1)).all()


def test_backtest_needs_consecutive_months(make_incidents, rng):
    inc = _hotspot_months(make_incidents, rng, months=("2014-05", "2023-01"))
    with pytest.raises(ValidationError, match="previous calendar month"):
        backtest(inc, box(X0, Y0, X0 + 2000, Y0 + 2000), policy=SurfacePolicy(cell_m=25.0))


def test_backtest_does_not_see_the_test_month(make_incidents, rng):
    # the test month's hot spot is somewhere the training months never were
    train = make_incidents(np.array([[X0 + 100, Y0 + 100]] * 30), VIOLENCE, pd.Timestamp("2025-01-01"))
    test = make_incidents(np.array([[X0 + 1900, Y0 + 1900]] * 30), VIOLENCE, pd.Timestamp("2025-02-01"))
    inc = pd.concat([train, test], ignore_index=True)
    policy = SurfacePolicy(bandwidth_m=50.0, cell_m=25.0, category_weights={VIOLENCE: 1.0})
    table = backtest(inc, box(X0, Y0, X0 + 2000, Y0 + 2000), policy=policy, coverages=(0.05,))
    model = table[table["method"] == "model"].iloc[0]
    assert model["hit_rate"] == 0.0
