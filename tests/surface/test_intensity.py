"""IntensitySurface: golden values on hand-made cases, grid/point agreement, percentiles (issue 4)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from geo_risk.config import Policy, SurfacePolicy
from geo_risk.errors import CRSError, ValidationError
from geo_risk.surface import IntensitySurface
from geo_risk.surface.kernel import gaussian_kernel

X0, Y0 = 358_000.0, 173_000.0
AS_OF = pd.Timestamp("2025-04-01")
VIOLENCE = "Violence and sexual offences"


def _policy(**overrides) -> SurfacePolicy:
    base = SurfacePolicy(
        bandwidth_m=200.0,
        half_life_days=90.0,
        horizon_days=365,
        cell_m=25.0,
        default_weight=0.5,
        category_weights={VIOLENCE: 1.0, "Drugs": 0.3},
    )
    return dataclasses.replace(base, **overrides)


def test_single_incident_matches_gaussian_formula(make_incidents):
    # one violence incident exactly one half-life old
    inc = make_incidents([[X0, Y0]], VIOLENCE, [AS_OF - pd.Timedelta(days=90)])
    surface = IntensitySurface(_policy()).fit(inc, AS_OF)
    d = np.array([0.0, 100.0, 250.0, 599.0, 601.0])
    got = surface.intensity_at(np.column_stack([X0 + d, np.full_like(d, Y0)]))
    h = 200.0
    expected = 0.5 * 1e6 * np.exp(-(d**2) / (2 * h**2)) / (2 * np.pi * h**2)
    expected[d > 3 * h] = 0.0
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    # golden literal: 0.5 * 1e6 / (2 pi 200^2) * exp(-1/8) incidents per km2 at 100 m
    assert got[1] == pytest.approx(1.7556718, rel=1e-6)


def test_kernel_integrates_to_one_per_incident():
    step = 5.0
    g = np.arange(-700, 700 + step, step)
    dx, dy = np.meshgrid(g, g)
    mass = gaussian_kernel(np.hypot(dx, dy), 150.0).sum() * step * step / 1e6
    assert mass == pytest.approx(1 - np.exp(-4.5), rel=2e-3)


def test_half_life_halves_the_weight(make_incidents):
    here = np.array([[X0, Y0]])
    ages = [10, 10 + 90, 10 + 180]
    values = []
    for age in ages:
        inc = make_incidents(here, VIOLENCE, [AS_OF - pd.Timedelta(days=age)])
        values.append(IntensitySurface(_policy()).fit(inc, AS_OF).intensity_at(here)[0])
    assert values[1] == pytest.approx(values[0] / 2, rel=1e-12)
    assert values[2] == pytest.approx(values[0] / 4, rel=1e-12)


def test_incidents_at_or_after_as_of_and_beyond_horizon_are_ignored(make_incidents):
    here = np.array([[X0, Y0]])
    when = [AS_OF - pd.Timedelta(days=30), AS_OF, AS_OF + pd.Timedelta(days=1), AS_OF - pd.Timedelta(days=400)]
    inc = make_incidents(np.repeat(here, 4, axis=0), VIOLENCE, when)
    only_first = make_incidents(here, VIOLENCE, when[:1])
    a = IntensitySurface(_policy()).fit(inc, AS_OF)
    b = IntensitySurface(_policy()).fit(only_first, AS_OF)
    assert a.n_incidents_ == 1
    assert a.intensity_at(here)[0] == pytest.approx(b.intensity_at(here)[0], rel=1e-12)
    # the same data fitted later sees the later incidents
    later = IntensitySurface(_policy()).fit(inc, AS_OF + pd.Timedelta(days=2))
    assert later.n_incidents_ == 3


def test_enforcement_categories_weigh_less_under_the_default_policy(make_incidents):
    surface_policy = Policy.default().surface
    here = np.array([[X0, Y0]])
    when = [AS_OF - pd.Timedelta(days=30)]

    def value(category: str) -> float:
        inc = make_incidents(here, category, when)
        return IntensitySurface(surface_policy).fit(inc, AS_OF).intensity_at(here)[0]

    reported = min(value(VIOLENCE), value("Robbery"), value("ED assault injury"))
    for enforcement in ("Drugs", "Possession of weapons"):
        assert 0 < value(enforcement) < reported
    assert value("ED assault injury") >= value(VIOLENCE)


def test_unlisted_category_gets_default_weight(make_incidents):
    here = np.array([[X0, Y0]])
    when = [AS_OF - pd.Timedelta(days=30)]
    v = IntensitySurface(_policy()).fit(make_incidents(here, VIOLENCE, when), AS_OF).intensity_at(here)[0]
    u = IntensitySurface(_policy()).fit(make_incidents(here, "Something new", when), AS_OF).intensity_at(here)[0]
    assert u == pytest.approx(0.5 * v)


def test_time_weight_multiplies_timed_rows_only(make_incidents):
    here = np.array([[X0, Y0]])
    when = [AS_OF - pd.Timedelta(days=30)]
    plain = IntensitySurface(_policy()).fit(make_incidents(here, VIOLENCE, when), AS_OF).intensity_at(here)[0]
    timed = make_incidents(here, VIOLENCE, when, has_time=True, time_weight=2.0)
    month_only = make_incidents(here, VIOLENCE, when, has_time=False, time_weight=2.0)
    assert IntensitySurface(_policy()).fit(timed, AS_OF).intensity_at(here)[0] == pytest.approx(2 * plain)
    assert IntensitySurface(_policy()).fit(month_only, AS_OF).intensity_at(here)[0] == pytest.approx(plain)


def test_wide_term_blends_two_kernels(make_incidents):
    inc = make_incidents([[X0, Y0]], VIOLENCE, [AS_OF - pd.Timedelta(days=180)])
    pol = _policy(bandwidth_m=50.0, half_life_days=90.0, wide_bandwidth_m=300.0, wide_half_life_days=360.0,
                  wide_share=0.25)
    d = np.array([0.0, 120.0, 500.0])
    got = IntensitySurface(pol).fit(inc, AS_OF).intensity_at(np.column_stack([X0 + d, np.full(3, Y0)]))
    expected = 0.75 * 0.25 * gaussian_kernel(d, 50.0) + 0.25 * 2 ** (-0.5) * gaussian_kernel(d, 300.0)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_grid_agrees_with_point_queries(make_incidents, rng):
    xy = rng.normal([X0, Y0], [1500.0, 1000.0], size=(3000, 2))
    cats = rng.choice([VIOLENCE, "Drugs", "Burglary"], size=len(xy))
    when = AS_OF - pd.to_timedelta(rng.integers(1, 300, size=len(xy)), unit="D")
    inc = make_incidents(xy, cats, when)
    surface = IntensitySurface(_policy()).fit(inc, AS_OF)
    grid = surface.grid((X0 - 3000, Y0 - 2000, X0 + 3000, Y0 + 2000), 25.0)
    centres = grid.centres_xy()
    pick = rng.choice(len(centres), 4000, replace=False)
    exact = surface.intensity_at(centres[pick])
    on_grid = grid.values.ravel()[pick]
    scale = exact.max()
    assert scale > 0
    np.testing.assert_allclose(on_grid, exact, atol=0.01 * scale, rtol=0.02)
    # and the fast bilinear sampler, anywhere (not only at centres)
    q = rng.uniform([X0 - 2500, Y0 - 1500], [X0 + 2500, Y0 + 1500], size=(4000, 2))
    np.testing.assert_allclose(surface.grid(grid.bounds, 25.0).sample(q), surface.intensity_at(q),
                               atol=0.01 * scale, rtol=0.03)


def test_grid_mass_is_conserved_for_points_inside(make_incidents):
    inc = make_incidents([[X0 + 7.0, Y0 - 13.0]], VIOLENCE, [AS_OF - pd.Timedelta(days=1)])
    surface = IntensitySurface(_policy(half_life_days=0.0)).fit(inc, AS_OF)
    grid = surface.grid((X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000), 25.0)
    mass = grid.values.sum() * 25.0**2 / 1e6
    # the kernel is cut where |dx| or |dy| exceeds 3h: (1 - 2 * (1 - Phi(3)))^2 of the mass is kept
    assert mass == pytest.approx((1 - 2 * 0.0013499) ** 2, rel=2e-3)


def test_percentiles_and_far_points(make_incidents, rng):
    xy = rng.normal([X0, Y0], 500.0, size=(200, 2))
    inc = make_incidents(xy, VIOLENCE, AS_OF - pd.Timedelta(days=20))
    surface = IntensitySurface(_policy()).fit(inc, AS_OF)
    far = np.array([[X0 + 50_000, Y0], [100.0, 100.0]])
    assert np.all(surface.intensity_at(far) == 0)
    assert np.all(surface.percentile_at(far) == 0)
    q = np.array([[X0, Y0], [X0 + 800, Y0], [X0 + 1500, Y0]])
    inten = surface.intensity_at(q)
    pct = surface.percentile_at(q)
    assert np.all(np.diff(inten) < 0)
    assert np.all(np.diff(pct) <= 0)
    assert 90 < pct[0] <= 100
    assert not np.isnan(pct).any()
    # percentile is the share of fitted-area cells strictly below
    ref = surface.grid_.values.ravel()
    assert pct[1] == pytest.approx(100 * np.mean(ref < inten[1]))


def test_fit_returns_self_and_refuses_bad_input(make_incidents):
    inc = make_incidents([[X0, Y0]], VIOLENCE, [AS_OF - pd.Timedelta(days=1)])
    est = IntensitySurface(_policy())
    with pytest.raises(ValidationError, match="not fitted"):
        est.intensity_at(np.array([[X0, Y0]]))
    assert est.fit(inc, AS_OF) is est
    assert est.grid_.cell_m == 25.0
    with pytest.raises(CRSError, match="27700"):
        IntensitySurface(_policy()).fit(inc.to_crs(4326), AS_OF)
    with pytest.raises(ValidationError, match="category"):
        IntensitySurface(_policy()).fit(inc.drop(columns="category"), AS_OF)
    with pytest.raises(ValidationError, match=r"\(n, 2\)"):
        est.intensity_at(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValidationError, match="wide_share"):
        IntensitySurface(_policy(wide_share=1.5)).fit(inc, AS_OF)


def test_no_incidents_gives_zero_surface(make_incidents):
    inc = make_incidents([[X0, Y0]], VIOLENCE, [AS_OF + pd.Timedelta(days=5)])
    surface = IntensitySurface(_policy()).fit(inc, AS_OF)
    assert surface.n_incidents_ == 0
    assert np.all(surface.intensity_at(np.array([[X0, Y0]])) == 0)
    assert np.all(surface.percentile_at(np.array([[X0, Y0]])) == 0)


def test_duplicate_snap_points_sum(make_incidents):
    here = np.array([[X0, Y0]])
    when = AS_OF - pd.Timedelta(days=10)
    one = IntensitySurface(_policy()).fit(make_incidents(here, VIOLENCE, [when]), AS_OF)
    three = IntensitySurface(_policy()).fit(make_incidents(np.repeat(here, 3, axis=0), VIOLENCE, when), AS_OF)
    assert len(three.xy_) == 1
    assert three.intensity_at(here)[0] == pytest.approx(3 * one.intensity_at(here)[0])


def test_many_point_queries_are_chunked_consistently(make_incidents, rng):
    xy = rng.normal([X0, Y0], 300.0, size=(500, 2))
    surface = IntensitySurface(_policy()).fit(make_incidents(xy, VIOLENCE, AS_OF - pd.Timedelta(days=3)), AS_OF)
    q = rng.normal([X0, Y0], 600.0, size=(3000, 2))
    whole = surface.intensity_at(q)
    parts = np.concatenate([surface.intensity_at(q[i : i + 7]) for i in range(0, 70, 7)])
    np.testing.assert_allclose(parts, whole[:70], rtol=1e-12)


def test_fitted_grid_is_coarsened_only_for_huge_areas(make_incidents, monkeypatch):
    from geo_risk.surface import intensity

    inc = make_incidents([[X0, Y0], [X0 + 4000, Y0 + 3000]], VIOLENCE, AS_OF - pd.Timedelta(days=3))
    surface = IntensitySurface(_policy(cell_m=25.0)).fit(inc, AS_OF)
    assert surface.fitted_cell_m_ == 25.0
    monkeypatch.setattr(intensity, "FITTED_GRID_MAX_CELLS", 10_000)
    coarse = IntensitySurface(_policy(cell_m=25.0)).fit(inc, AS_OF)
    assert coarse.fitted_cell_m_ in (50.0, 100.0, 200.0)
    assert coarse.grid_.cell_m == coarse.fitted_cell_m_
    assert coarse.grid_.values.size <= 10_000


def test_block_support_is_the_mean_over_the_block(make_incidents):
    from scipy.special import ndtr

    inc = make_incidents([[X0, Y0]], VIOLENCE, [AS_OF - pd.Timedelta(days=1)])
    pol = _policy(bandwidth_m=40.0, half_life_days=0.0, support_m=250.0)
    surface = IntensitySurface(pol).fit(inc, AS_OF)
    q = np.array([[X0, Y0], [X0 + 100.0, Y0 - 30.0], [X0 + 160.0, Y0], [X0 + 400.0, Y0]])
    got = surface.intensity_at(q)
    # by hand: Gaussian mass inside the 250 m block around each point, per km2 of block
    h, half = 40.0, 125.0
    dx, dy = q[:, 0] - X0, q[:, 1] - Y0
    mass = (ndtr((dx + half) / h) - ndtr((dx - half) / h)) * (ndtr((dy + half) / h) - ndtr((dy - half) / h))
    expected = mass / 0.0625
    expected[3] = 0.0  # beyond 3h + half the block along x
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert got[0] == pytest.approx(1 / 0.0625, rel=0.005)  # nearly all the mass is in the block
    # brute force: the mean of point values over the block
    step = 2.5
    g = np.arange(-half + step / 2, half, step)
    bx, by = np.meshgrid(g, g)
    block = np.column_stack([bx.ravel() + X0 + 100.0, by.ravel() + Y0 - 30.0])
    # (the point kernel is cut at 3h per axis, about 0.5 % of the mass)
    assert surface.intensity_at(block, support_m=0.0).mean() == pytest.approx(got[1], rel=0.01)


def test_grid_with_support_agrees_with_point_queries(make_incidents, rng):
    xy = rng.normal([X0, Y0], [800.0, 600.0], size=(2000, 2))
    inc = make_incidents(xy, rng.choice([VIOLENCE, "Drugs"], size=len(xy)), AS_OF - pd.Timedelta(days=10))
    pol = _policy(bandwidth_m=25.0, wide_bandwidth_m=150.0, wide_half_life_days=90.0, wide_share=0.3,
                  support_m=250.0, cell_m=12.5)
    surface = IntensitySurface(pol).fit(inc, AS_OF)
    grid = surface.grid((X0 - 1500, Y0 - 1000, X0 + 1500, Y0 + 1000), 12.5)
    centres = grid.centres_xy()
    pick = rng.choice(len(centres), 3000, replace=False)
    exact = surface.intensity_at(centres[pick])
    np.testing.assert_allclose(grid.values.ravel()[pick], exact, atol=0.01 * exact.max(), rtol=0.02)
    # a cell-sized block at cell centres is the mean over each cell
    cells = surface.grid((X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000), 250.0, support_m=250.0)
    fine = surface.grid((X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000), 12.5, support_m=0.0).aggregate(20)
    assert fine.shape == cells.shape
    np.testing.assert_allclose(cells.values, fine.values, atol=0.01 * cells.values.max(), rtol=0.03)
