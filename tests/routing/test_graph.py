"""The walk graph: which segments it keeps, its arrays, and snapping points to it (issue 5)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from scipy.sparse.csgraph import connected_components

from geo_risk.crs import EastNorth
from geo_risk.errors import CRSError, ValidationError
from geo_risk.routing import build_walk_graph, snap_points

from .helpers import X0, Y0, grid_streets, streets_frame


def test_grid_graph_arrays_are_consistent():
    graph = build_walk_graph(grid_streets(4), sample_step_m=25.0)
    assert graph.n_nodes == 16
    assert graph.n_edges == 24
    # each edge's geometry runs from its u node to its v node
    starts = shapely.get_coordinates(shapely.get_point(graph.edge_geometry, 0))
    ends = shapely.get_coordinates(shapely.get_point(graph.edge_geometry, -1))
    np.testing.assert_allclose(starts, graph.node_xy[graph.edge_u])
    np.testing.assert_allclose(ends, graph.node_xy[graph.edge_v])
    np.testing.assert_allclose(graph.edge_length, 100.0)
    # the CSR is symmetric and each stored entry maps to the edge joining its row and column
    mat = graph.weighted(np.arange(graph.n_edges, dtype=float) + 1)
    assert (mat != mat.T).nnz == 0
    rows = graph.csr_row
    e = graph.csr_edge
    pairs = {tuple(sorted(p)) for p in zip(graph.edge_u[e], graph.edge_v[e])}
    assert pairs == {tuple(sorted(p)) for p in zip(rows, graph.csr_indices)}
    # arrays cannot be changed by accident
    with pytest.raises(ValueError):
        graph.edge_length[0] = 1.0


def test_footways_kept_and_unwalkable_segments_left_out():
    streets = streets_frame(
        [
            (1, 2, [(0, 0), (100, 0)], "High Street", "primary"),
            (2, 3, [(100, 0), (200, 0)], None, "footway"),
            (3, 4, [(200, 0), (300, 0)], "Bypass", "motorway", False),
        ]
    )
    graph = build_walk_graph(streets)
    assert sorted(graph.edge_highway.tolist()) == ["footway", "primary"]
    assert graph.n_edges == 2
    assert None in graph.edge_name.tolist()


def test_largest_connected_component_only():
    streets = streets_frame(
        [
            (1, 2, [(0, 0), (100, 0)], "A"),
            (2, 3, [(100, 0), (200, 0)], "A"),
            (3, 4, [(200, 0), (200, 100)], "B"),
            # an island far away
            (10, 11, [(1000, 1000), (1100, 1000)], "Island Lane"),
        ]
    )
    graph = build_walk_graph(streets)
    assert graph.n_edges == 3
    assert graph.dropped_segments == 1
    assert "Island Lane" not in graph.edge_name.tolist()
    n, _ = connected_components(graph.weighted(graph.edge_length), directed=False)
    assert n == 1


def test_parallel_segments_and_loops_become_distinct_edges():
    streets = streets_frame(
        [
            (1, 2, [(0, 0), (100, 0)], "Straight Street"),
            # a second, longer way between the same two nodes
            (1, 2, [(0, 0), (50, 80), (100, 0)], "Curved Lane"),
            # a closed loop hanging off node 2
            (2, 2, [(100, 0), (150, 50), (200, 0), (100, 0)], "Loop Close"),
        ]
    )
    graph = build_walk_graph(streets)
    # every edge is a distinct node pair, so the CSR matrix has no duplicates
    lo = np.minimum(graph.edge_u, graph.edge_v)
    hi = np.maximum(graph.edge_u, graph.edge_v)
    assert len(set(zip(lo.tolist(), hi.tolist()))) == graph.n_edges
    assert (graph.edge_u != graph.edge_v).all()
    # the pieces keep the source segment id, name and the total length
    for seg, expected in zip(streets["segment_id"], streets.geometry.length):
        assert graph.edge_length[graph.edge_segment_id == seg].sum() == pytest.approx(expected)
    assert graph.n_edges == 1 + 2 + 3


def test_segment_drawn_backwards_is_turned_round():
    streets = streets_frame(
        [
            (1, 2, [(0, 0), (100, 0)], "A"),
            (3, 2, [(100, 0), (200, 0)], "B"),  # drawn from v (2) to u (3)
        ]
    )
    graph = build_walk_graph(streets)
    starts = shapely.get_coordinates(shapely.get_point(graph.edge_geometry, 0))
    np.testing.assert_allclose(starts, graph.node_xy[graph.edge_u])


def test_samples_every_step_along_each_edge_including_the_middle():
    streets = streets_frame([(1, 2, [(0, 0), (1000, 0)], "Long Road"), (2, 3, [(1000, 0), (1010, 0)], "Short")])
    graph = build_walk_graph(streets, sample_step_m=25.0)
    long_edge = int(np.flatnonzero(graph.edge_length > 500)[0])
    on_long = graph.sample_edge == long_edge
    assert on_long.sum() == 41  # 0, 25, ..., 1000
    np.testing.assert_allclose(np.diff(np.sort(graph.sample_pos[on_long])), 25.0)
    # the trapezoid weights of each edge sum to one
    np.testing.assert_allclose(np.bincount(graph.sample_edge, weights=graph.sample_weight), 1.0)
    # the short edge has its two ends
    assert (graph.sample_edge != long_edge).sum() == 2
    # samples at a shared node are one distinct point
    np.testing.assert_allclose(graph.point_xy[graph.sample_point], graph.sample_xy)
    assert graph.point_xy.shape[0] == graph.sample_xy.shape[0] - 1


def test_wrong_crs_and_missing_columns_are_refused():
    streets = grid_streets(2)
    with pytest.raises(CRSError, match="EPSG:27700"):
        build_walk_graph(streets.to_crs(4326))
    with pytest.raises(ValidationError, match="walkable.*u|u.*walkable"):
        build_walk_graph(streets.drop(columns=["u", "walkable"]))
    with pytest.raises(ValidationError, match="no walkable street segment"):
        build_walk_graph(streets.assign(walkable=False))


def test_snap_to_nearest_point_on_nearest_edge_reports_distance():
    graph = build_walk_graph(grid_streets(3))
    (snap,) = snap_points(graph, [EastNorth(X0 + 30.0, Y0 + 112.0)], max_distance_m=200)
    assert snap.distance_m == pytest.approx(12.0)
    assert snap.joined == EastNorth(X0 + 30.0, Y0 + 100.0)
    assert graph.edge_name[snap.edge] == "Row 1 Street"
    start = graph.node_xy[graph.edge_u[snap.edge]]
    assert snap.position_m == pytest.approx(abs(X0 + 30.0 - start[0]))


def test_points_off_the_network_are_refused_with_a_clear_message():
    graph = build_walk_graph(grid_streets(3))
    far = EastNorth(X0 + 100.0, Y0 + 700.0)  # 500 m north of the top row
    with pytest.raises(ValidationError) as info:
        snap_points(graph, [EastNorth(X0, Y0), far], max_distance_m=200, labels=["home", "school"])
    message = str(info.value)
    assert "school" in message and "home" not in message
    assert "500 m from the nearest walkable street" in message
    assert "snap_max_m" in message and "200 m" in message


def test_cut_coords_matches_shapely_substring():
    from shapely.geometry import LineString
    from shapely.ops import substring

    from geo_risk.routing.graph import cut_coords

    coords = np.array([[0.0, 0.0], [30.0, 0.0], [30.0, 40.0], [100.0, 40.0]])
    line = LineString(coords)
    for a, b in [(0, 140), (10, 55), (55, 10), (30, 30), (35, 70), (-5, 500), (70, 35)]:
        got = LineString(cut_coords(coords, a, b))
        lo, hi = max(min(a, b), 0), min(max(a, b), line.length)
        want = substring(line, lo, hi)
        if a > b:
            want = shapely.reverse(want)
        if want.geom_type == "Point":
            assert got.length == pytest.approx(0.0)
            continue
        assert got.equals_exact(want, 1e-9) or got.length == pytest.approx(want.length)
        np.testing.assert_allclose(got.coords[0], want.coords[0])
        np.testing.assert_allclose(got.coords[-1], want.coords[-1])
        assert got.length == pytest.approx(want.length)
