"""The area forecast: features are counts in the point's square, weights learned by rolling origin (issue 19)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from geo_risk.config import Policy, SurfacePolicy
from geo_risk.errors import ValidationError
from geo_risk.surface.forecast import AreaForecast, feature_names, square_mass

X0, Y0 = 358_000.0, 173_000.0
VIOLENCE = "Violence and sexual offences"
ORDER = "Public order"


def _policy(**kw) -> SurfacePolicy:
    return dataclasses.replace(Policy.default().surface, **kw)


def test_square_mass_is_a_count_inside_the_square_or_its_gaussian_share():
    dx = np.array([0.0, 49.9, 50.0, -50.0, 120.0])
    assert square_mass(dx, np.zeros(5), 100.0, 0.0).tolist() == [1, 1, 0, 1, 0]
    # spread by a Gaussian: at the centre of a square of side 2h the share is (2 Phi(1) - 1)^2
    assert square_mass(np.zeros(1), np.zeros(1), 200.0, 100.0)[0] == pytest.approx(0.6827**2, rel=1e-3)
    assert square_mass(np.array([1000.0]), np.zeros(1), 200.0, 100.0)[0] == 0.0


def _months(make_incidents, rng, n_months):
    """Each month: target incidents at the places of last month's public-order incidents, plus noise."""
    places = rng.uniform([X0, Y0], [X0 + 3000, Y0 + 3000], size=(60, 2))
    frames = []
    prev_order = places[:0]
    for i in range(n_months):
        month = pd.Period("2024-01", "M") + i
        order_at = places[rng.choice(60, 20, replace=False)]
        frames.append(make_incidents(np.repeat(order_at, 3, axis=0), ORDER, month.to_timestamp(), has_time=False))
        if len(prev_order):
            frames.append(make_incidents(np.repeat(prev_order, 2, axis=0), VIOLENCE, month.to_timestamp(),
                                         has_time=False))
        noise = rng.uniform([X0, Y0], [X0 + 3000, Y0 + 3000], size=(10, 2))
        frames.append(make_incidents(noise, VIOLENCE, month.to_timestamp(), has_time=False))
        prev_order = order_at
    return pd.concat(frames, ignore_index=True)


def test_weights_are_learned_from_the_areas_own_history(make_incidents, rng):
    inc = _months(make_incidents, rng, 8)
    # defaults that know nothing of public order: only the target's own counts
    policy = _policy(forecast_weights={"target": 1.0}, forecast_prior_months=0.0)
    model = AreaForecast(policy, cell_m=100.0).fit(inc, "2024-09-01")
    assert model.n_fit_months_ == 7
    coef = model.coefficients_frame().set_index("feature")
    # last month's public order is where the target goes next: the recent public-order rate
    # carries weight that the defaults did not give it
    assert coef.loc[f"{ORDER}@0", "fitted"] > 0
    assert coef.loc[f"{ORDER}@0", "default"] == 0
    assert (coef["weight"] >= 0).all()
    # shrinkage: with a strong prior the weights stay near the defaults
    strong = AreaForecast(_policy(forecast_weights={"target": 1.0}, forecast_prior_months=1e6), cell_m=100.0)
    strong.fit(inc, "2024-09-01")
    assert strong.coefficients_[f"{ORDER}@0"] < 1e-3 * model.coefficients_[f"{ORDER}@0"]


def test_one_month_of_history_uses_the_default_weights(make_incidents, rng):
    inc = _months(make_incidents, rng, 1)
    policy = _policy(forecast_weights={f"{ORDER}@0": 1.0})
    model = AreaForecast(policy, cell_m=100.0).fit(inc, "2024-02-01")
    assert model.n_fit_months_ == 0 and model.fitted_weights_ is None
    assert {k for k, v in model.coefficients_.items() if v > 0} == {f"{ORDER}@0"}
    order_xy = np.column_stack([inc.geometry.x, inc.geometry.y])[inc["category"].to_numpy() == ORDER]
    f = model.forecast_at(np.vstack([order_xy[:1], [[X0 - 5000, Y0]]]))
    assert f[0] > 0 and f[1] == 0
    # calibrated: the forecast over every occupied cell totals the month's target count
    assert model.scale_ > 0


def test_the_forecast_only_sees_months_before_as_of(make_incidents):
    hot = np.array([[X0 + 50, Y0 + 50]] * 10)
    later = np.array([[X0 + 2050, Y0 + 50]] * 50)
    inc = pd.concat([make_incidents(hot, VIOLENCE, pd.Timestamp("2024-01-01"), has_time=False),
                     make_incidents(later, VIOLENCE, pd.Timestamp("2024-02-01"), has_time=False)],
                    ignore_index=True)
    model = AreaForecast(_policy(), cell_m=100.0).fit(inc, "2024-02-01")
    f = model.forecast_at(np.array([[X0 + 50, Y0 + 50], [X0 + 2050, Y0 + 50]]))
    assert f[0] > 0 and f[1] == 0
    assert model.history_months_ == ("2024-01",)


def test_harm_weights_change_what_is_forecast(make_incidents):
    a, b = np.array([[X0 + 50, Y0 + 50]]), np.array([[X0 + 1050, Y0 + 50]])
    inc = pd.concat([make_incidents(np.repeat(a, 4, axis=0), VIOLENCE, pd.Timestamp("2024-01-01"), has_time=False),
                     make_incidents(np.repeat(b, 2, axis=0), "Robbery", pd.Timestamp("2024-01-01"), has_time=False)],
                    ignore_index=True)
    xy = np.vstack([a, b])
    counts = AreaForecast(_policy(forecast_weights={"target": 1.0}), cell_m=100.0).fit(inc, "2024-02-01")
    harm = AreaForecast(_policy(forecast_weights={"target": 1.0}, forecast_harm_weights={"Robbery": 5.0}),
                        cell_m=100.0).fit(inc, "2024-02-01")
    c, h = counts.forecast_at(xy), harm.forecast_at(xy)
    assert c[0] > c[1]
    assert h[1] > h[0]


def test_bad_forecast_settings_are_refused():
    with pytest.raises(ValidationError, match="unknown feature"):
        AreaForecast(_policy(forecast_weights={"Violence@0": 1.0}))
    with pytest.raises(ValidationError, match=">= 0"):
        AreaForecast(_policy(forecast_weights={"target": -1.0}))
    with pytest.raises(ValidationError, match="forecast_targets"):
        AreaForecast(_policy(forecast_targets=()))
    with pytest.raises(ValidationError, match="forecast_scales_m"):
        AreaForecast(_policy(forecast_scales_m=(-5.0,)))
    assert "target_last@150" in feature_names((150.0,))


def test_the_default_policy_names_only_known_features():
    policy = Policy.default().surface
    AreaForecast(policy)  # refuses unknown names
    assert policy.forecast_weights
    assert set(policy.forecast_weights) <= set(feature_names(policy.forecast_scales_m))


def test_raster_sums_are_exact_counts_at_scale_0_and_close_to_the_gaussian_share(rng):
    from geo_risk.surface.forecast import Nodes, square_sums

    xy = rng.uniform([X0, Y0], [X0 + 2000, Y0 + 2000], size=(400, 2))
    xy[:20] = np.round(xy[:20] / 50.0) * 50.0  # some on the squares' edges (half-open squares)
    layer = rng.integers(0, 2, size=len(xy))
    weight = rng.uniform(0.5, 2.0, size=len(xy))
    for step, side in ((100.0, 100.0), (50.0, 150.0)):  # one square per cell, and overlapping squares
        nodes = Nodes(X0, Y0, step, int(2000 / step), int(2000 / step), side)
        centres = nodes.centres()
        for scale in (0.0, 150.0):
            got = square_sums(xy, layer, weight, 2, nodes, scale)
            for k in range(2):
                sel = layer == k
                exact = np.array([
                    (square_mass(xy[sel, 0] - c[0], xy[sel, 1] - c[1], side, scale) * weight[sel]).sum()
                    for c in centres
                ]).reshape(nodes.ny, nodes.nx)
                if scale == 0:
                    np.testing.assert_allclose(got[k], exact, atol=1e-9)
                else:
                    busy = exact > 0.2 * exact.max()
                    np.testing.assert_allclose(got[k][busy], exact[busy], rtol=0.05)


def test_cells_from_rasters_agree_with_exact_squares(make_incidents, rng):
    inc = _months(make_incidents, rng, 6)
    model = AreaForecast(_policy(), cell_m=100.0).fit(inc, "2024-07-01", bounds=(X0, Y0, X0 + 3000, Y0 + 3000))
    cells = model.forecast_cells(X0, Y0, 30, 30)
    centres = np.column_stack([g.ravel() for g in np.meshgrid(X0 + 50 + 100 * np.arange(30),
                                                              Y0 + 50 + 100 * np.arange(30))])
    exact = model.forecast_at(centres).reshape(30, 30)
    busy = exact > 0.2 * exact.max()
    assert busy.sum() > 10
    np.testing.assert_allclose(cells[busy], exact[busy], rtol=0.05)
    assert np.corrcoef(cells.ravel(), exact.ravel())[0, 1] > 0.99


def test_the_forecast_stands_where_an_area_surface_is_asked_for(make_incidents, rng):
    from geo_risk.surface.forecast import forecast_surface

    inc = _months(make_incidents, rng, 6)
    bounds = (X0, Y0, X0 + 3000, Y0 + 3000)
    surface = forecast_surface(inc, "2024-07-01", _policy(), bounds=bounds)
    order_xy = np.column_stack([inc.geometry.x, inc.geometry.y])[inc["category"].to_numpy() == ORDER]
    xy = np.vstack([order_xy[:5], [[X0 + 20_000, Y0]]])
    pct = surface.percentile_at(xy)
    assert ((pct >= 0) & (pct <= 100)).all()
    assert (pct[:5] > 50).all() and pct[-1] == 0  # busy places rank high; nowhere ranks 0
    # routes read a grid: close to the exact forecast where it is busy
    exact = surface.forecast_at(order_xy[:5])
    np.testing.assert_allclose(surface.sample(order_xy[:5]), exact, rtol=0.25)
    assert (surface.percentile_of(surface.sample(order_xy[:5])) > 50).all()
    # a fingerprint that follows the data
    again = forecast_surface(inc, "2024-07-01", _policy(), bounds=bounds)
    fewer = forecast_surface(inc.iloc[5:], "2024-07-01", _policy(), bounds=bounds)
    assert surface.fingerprint() == again.fingerprint() != fewer.fingerprint()
