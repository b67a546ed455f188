"""Shortest, lowest-risk and alternative walks on hand-made graphs (issue 5)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from geo_risk.crs import EastNorth
from geo_risk.routing import build_walk_graph, detour_allowance_m, edge_risk, plan_routes, snap_points

from .helpers import X0, Y0, gaussian_risk, grid_streets, streets_frame


def _corridor_risk(xy: np.ndarray) -> np.ndarray:
    """High risk on rows y = 300 and 400 between x = 150 and 550; a low background elsewhere."""
    x, y = xy[:, 0] - X0, xy[:, 1] - Y0
    hot = (np.abs(y - 350) <= 60) & (x >= 150) & (x <= 550)
    return np.where(hot, 0.9, 0.02)


def _plan(graph, a, b, risk, policy):
    o, d = snap_points(graph, [EastNorth(X0 + a[0], Y0 + a[1]), EastNorth(X0 + b[0], Y0 + b[1])], max_distance_m=200)
    return plan_routes(graph, o, d, risk, policy)


def test_detour_allowance_is_the_smaller_of_ratio_and_metres(policy):
    rp = policy.routing
    assert detour_allowance_m(1000, rp) == pytest.approx(rp.detour_max_ratio * 1000)
    assert detour_allowance_m(5000, rp) == pytest.approx(rp.detour_max_m)


def test_lowest_risk_walk_avoids_a_high_risk_corridor_when_a_detour_fits(policy):
    graph = build_walk_graph(grid_streets(8))
    plan = _plan(graph, (0, 350), (700, 350), _corridor_risk, policy.routing)
    # the shortest walk (800 m) runs along the corridor ...
    assert plan.shortest.length_m == pytest.approx(800)
    assert plan.shortest.risk.max() == pytest.approx(0.9)
    # ... the lowest-risk walk goes round it through row y = 500, within the cap
    low = plan.lowest_risk
    assert plan.cap_m == pytest.approx(800 + 0.3 * 800)
    assert low.length_m <= plan.cap_m
    assert low.length_m == pytest.approx(1000)
    assert low.risk.max() < 0.5
    assert low.exposure < plan.shortest.exposure / 3
    assert plan.unconstrained is None


def test_takes_the_shortest_walk_when_no_detour_fits_the_cap(policy):
    # a straight 1000 m road with a hotspot, and a 1,500 m way round
    streets = streets_frame(
        [
            (1, 2, [(0, 0), (1000, 0)], "Main Road"),
            (1, 3, [(0, 0), (0, 250)], "West Lane"),
            (3, 4, [(0, 250), (1000, 250)], "Back Lane"),
            (4, 2, [(1000, 250), (1000, 0)], "East Lane"),
        ]
    )
    graph = build_walk_graph(streets)
    risk = gaussian_risk(500, 0, 60)
    plan = _plan(graph, (0, -5), (1000, -5), risk, policy.routing)
    assert plan.cap_m == pytest.approx(1300)
    assert plan.lowest_risk.key == plan.shortest.key
    assert plan.lowest_risk.length_m == pytest.approx(1000)
    # the lower-risk way round exists, but breaks the cap, and is reported as such
    assert plan.unconstrained is not None
    assert plan.unconstrained.length_m == pytest.approx(1500)
    assert plan.unconstrained.exposure < plan.shortest.exposure
    assert plan.alternatives == ()


def test_hotspot_in_the_middle_of_a_long_edge_is_seen(policy):
    # A -> B: one straight 1000 m edge, or two edges via C (1100 m in all)
    cy = float(np.sqrt(550**2 - 500**2))
    streets = streets_frame(
        [
            (1, 2, [(0, 0), (1000, 0)], "Straight Road"),
            (1, 3, [(0, 0), (500, cy)], "Hill Road"),
            (3, 2, [(500, cy), (1000, 0)], "Hill Road"),
        ]
    )
    graph = build_walk_graph(streets, sample_step_m=policy.routing.sample_step_m)
    risk = gaussian_risk(500, 0, 40)
    # nothing at any node: reading the risk only at edge ends would see no hotspot at all
    assert risk(graph.node_xy).max() < 1e-6
    mean, peak = edge_risk(graph, risk)
    straight = int(np.flatnonzero(graph.edge_name == "Straight Road")[0])
    assert peak[straight] == pytest.approx(0.9, abs=0.01)
    assert mean[straight] == pytest.approx(0.9 * 40 * np.sqrt(2 * np.pi) / 1000, rel=0.02)
    plan = _plan(graph, (0, 0), (1000, 0), risk, policy.routing)
    assert plan.shortest.edges.tolist() == [straight]
    assert straight not in plan.lowest_risk.edges.tolist()
    assert plan.lowest_risk.length_m == pytest.approx(1100)


def test_origin_and_destination_on_the_same_edge_walk_straight_along_it(policy):
    graph = build_walk_graph(grid_streets(3))
    plan = _plan(graph, (20, 3), (80, -4), lambda xy: np.zeros(len(xy)), policy.routing)
    assert plan.shortest.length_m == pytest.approx(60)
    assert plan.shortest.edges.size == 1
    assert plan.shortest.geometry.length == pytest.approx(60)


def test_walk_geometry_runs_from_origin_to_destination_and_matches_its_length(policy):
    graph = build_walk_graph(grid_streets(6))
    plan = _plan(graph, (30, 210), (480, 130), gaussian_risk(250, 200, 80), policy.routing)
    for walk in (plan.shortest, plan.lowest_risk, *plan.alternatives):
        coords = np.asarray(walk.geometry.coords)
        # from the points where home and school join the streets
        np.testing.assert_allclose(coords[0], (X0 + 30, Y0 + 200))
        np.testing.assert_allclose(coords[-1], (X0 + 500, Y0 + 130))
        assert walk.geometry.length == pytest.approx(walk.length_m)
        assert walk.piece_length_m.sum() == pytest.approx(walk.length_m)


def test_pareto_alternatives_are_distinct_within_the_cap_and_not_dominated(policy):
    graph = build_walk_graph(grid_streets(10))
    risk_a = gaussian_risk(450, 450, 120, 0.6)
    risk_b = gaussian_risk(250, 650, 90, 0.5)

    def risk(xy):
        return risk_a(xy) + risk_b(xy) + 0.01

    rp = dataclasses.replace(policy.routing, detour_max_ratio=0.6, detour_max_m=2000)
    plan = _plan(graph, (0, 450), (900, 450), risk, rp)
    shown = [plan.shortest, plan.lowest_risk, *plan.alternatives]
    assert len(plan.alternatives) >= 1
    assert len(plan.alternatives) <= rp.alternatives
    assert len({w.key for w in shown}) == len(shown)
    for alt in plan.alternatives:
        assert alt.length_m <= plan.cap_m + 1e-6
        for other in shown:
            if other is alt:
                continue
            dominates = other.length_m <= alt.length_m and other.exposure <= alt.exposure
            assert not dominates or (other.length_m == alt.length_m and other.exposure == alt.exposure)


def test_routes_are_identical_across_runs_and_row_orders(policy):
    streets = grid_streets(8)
    args = ((0, 350), (700, 350), _corridor_risk, policy.routing)
    first = _plan(build_walk_graph(streets), *args)
    again = _plan(build_walk_graph(streets), *args)
    shuffled = _plan(build_walk_graph(streets.sample(frac=1.0, random_state=7)), *args)
    for plan in (again, shuffled):
        for a, b in [(first.shortest, plan.shortest), (first.lowest_risk, plan.lowest_risk)]:
            assert a.key == b.key
            assert a.geometry.equals_exact(b.geometry, 0.0)
            assert a.exposure == b.exposure
        assert [w.key for w in first.alternatives] == [w.key for w in plan.alternatives]


@pytest.mark.parametrize(("a", "b"), [((50, 3), (50, 3)), ((0, 0), (0, 0)), ((100, 100), (100, 100.5))])
def test_home_and_school_at_the_same_place_give_a_zero_length_walk(policy, a, b):
    graph = build_walk_graph(grid_streets(3))
    plan = _plan(graph, a, b, lambda xy: np.full(len(xy), 0.3), policy.routing)
    assert plan.shortest.length_m == pytest.approx(abs(b[1] - a[1]))
    assert plan.lowest_risk.key == plan.shortest.key
    assert plan.alternatives == ()
