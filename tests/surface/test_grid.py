"""IntensityGrid: layout, sampling, aggregation, binning (issue 4)."""

from __future__ import annotations

import numpy as np
import pytest

from geo_risk.errors import ValidationError
from geo_risk.surface.grid import IntensityGrid, aligned_grid_spec, bin_linear


def test_grid_layout_and_nearest_sampling():
    values = np.arange(12, dtype=float).reshape(3, 4)  # 3 rows (south to north), 4 columns
    g = IntensityGrid(1000.0, 2000.0, 10.0, values)
    assert g.bounds == (1000.0, 2000.0, 1040.0, 2030.0)
    xs, ys = g.cell_centres()
    np.testing.assert_allclose(xs, [1005, 1015, 1025, 1035])
    np.testing.assert_allclose(ys, [2005, 2015, 2025])
    np.testing.assert_allclose(g.centres_xy()[5], [1015, 2015])  # row 1, column 1 == values.ravel()[5]
    pts = np.array([[1001.0, 2001.0], [1039.0, 2029.0], [999.0, 2010.0]])
    np.testing.assert_allclose(g.sample(pts, method="nearest"), [0.0, 11.0, 0.0])
    with pytest.raises(ValueError):
        g.values[0, 0] = 5.0  # frozen


def test_bilinear_sampling_is_exact_for_a_plane():
    ys, xs = np.mgrid[0:5, 0:6]
    g = IntensityGrid(0.0, 0.0, 1.0, 2.0 * (xs + 0.5) + 3.0 * (ys + 0.5))
    rng = np.random.default_rng(3)
    pts = rng.uniform([0.5, 0.5], [5.5, 4.5], size=(100, 2))
    np.testing.assert_allclose(g.sample(pts), 2 * pts[:, 0] + 3 * pts[:, 1])
    assert g.sample(np.array([[-3.0, 1.0]]))[0] == 0.0


def test_aggregate_means_blocks():
    g = IntensityGrid(0.0, 0.0, 5.0, np.arange(16, dtype=float).reshape(4, 4))
    c = g.aggregate(2)
    assert c.cell_m == 10.0
    np.testing.assert_allclose(c.values, [[2.5, 4.5], [10.5, 12.5]])


def test_linear_binning_conserves_weight_and_centroid():
    xy = np.array([[12.0, 7.0], [33.3, 21.9]])
    w = np.array([2.0, 1.0])
    b = bin_linear(xy, w, 0.0, 0.0, 10.0, (5, 5))
    assert b.sum() == pytest.approx(3.0)
    _ys, xs = np.mgrid[0:5, 0:5]
    cx = ((xs + 0.5) * 10 * b).sum() / b.sum()
    assert cx == pytest.approx((2 * 12.0 + 33.3) / 3)


def test_aligned_grid_spec_and_limits():
    assert aligned_grid_spec((1003.0, 2007.0, 1051.0, 2010.0), 25.0) == (1000.0, 2000.0, 3, 1)
    with pytest.raises(ValidationError, match="larger cell"):
        aligned_grid_spec((0.0, 0.0, 1e6, 1e6), 1.0)
    with pytest.raises(ValidationError, match="positive"):
        aligned_grid_spec((0.0, 0.0, 1.0, 1.0), 0.0)
