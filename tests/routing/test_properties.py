"""Properties of the walks on random risk fields over a grid (issue 5)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_risk.config import Policy
from geo_risk.crs import EastNorth
from geo_risk.routing import build_walk_graph, plan_routes, snap_points

from .helpers import X0, Y0, grid_streets

GRAPH = build_walk_graph(grid_streets(9))
POLICY = Policy.default().routing

coord = st.floats(min_value=0.0, max_value=800.0, allow_nan=False)
hotspot = st.tuples(coord, coord, st.floats(30.0, 300.0), st.floats(0.0, 1.0))


def _risk(spots):
    def risk(xy):
        out = np.full(len(xy), 0.01)
        for cx, cy, sigma, peak in spots:
            out += peak * np.exp(-((xy[:, 0] - X0 - cx) ** 2 + (xy[:, 1] - Y0 - cy) ** 2) / (2 * sigma**2))
        return out

    return risk


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=st.tuples(coord, coord), b=st.tuples(coord, coord), spots=st.lists(hotspot, min_size=1, max_size=4))
def test_walks_respect_the_cap_and_never_carry_more_risk_than_the_shortest(a, b, spots):
    o, d = snap_points(GRAPH, [EastNorth(X0 + a[0], Y0 + a[1]), EastNorth(X0 + b[0], Y0 + b[1])], max_distance_m=200)
    plan = plan_routes(GRAPH, o, d, _risk(spots), POLICY)
    short, low = plan.shortest, plan.lowest_risk
    assert plan.cap_m == pytest.approx(short.length_m + min(0.3 * short.length_m, 800.0))
    for walk in (short, low, *plan.alternatives):
        assert walk.length_m <= plan.cap_m + 1e-6
        assert walk.length_m >= short.length_m - 1e-6
        assert walk.geometry.length == pytest.approx(walk.length_m, abs=1e-6)
        np.testing.assert_allclose(walk.geometry.coords[0], (o.joined.easting, o.joined.northing), atol=1e-6)
        np.testing.assert_allclose(walk.geometry.coords[-1], (d.joined.easting, d.joined.northing), atol=1e-6)
    # the searches use edge means and the report samples the walk itself: allow for the difference
    assert low.exposure <= short.exposure * 1.05 + 1.0
    if plan.unconstrained is not None:
        assert plan.unconstrained.length_m > plan.cap_m


def test_a_stretch_lifted_to_a_band_edge_keeps_that_band():
    """A running sum's rounding must not put a stretch whose every sample is at the High edge below
    it: with these samples (a real walk's) the plain running-sum mean of the lifted stretch is
    0.4999999999999999, which would band the walk Medium."""
    from geo_risk.routing.risk import window_peak

    values = np.array([0.0276, 0.0276, 0.0373, 0.0373, 0.0601, 0.0860, 0.1234, 0.1721, 0.1575, 0.1455, 0.1560,
                       0.1801, 0.2411, 0.3131, 0.5, 0.5, 0.5, 0.5, 0.5, 0.2595, 0.2476, 0.2532, 0.2534, 0.2624])
    peak, start = window_peak(values, np.arange(values.size) * 25.0, 100.0)
    assert peak >= 0.5
    assert start == 14 * 25.0
