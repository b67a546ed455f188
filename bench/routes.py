"""Benchmark: school-route checks on a city-sized walk graph.

Measures, in one run:

- the walk graph build time (``build_walk_graph``) for about 100,000 street segments;
- the median time of one full route check after the graph is loaded (shortest,
  lowest-risk and alternative walks, risk sampled along them, places of concern,
  the recommendation) -- ``assess_route`` with a ready ``risk_fn``; and the same
  including the per-child set-up (scoring context, ``child_risk_fn``, concern sites);
- the baseline: a plain ``networkx.shortest_path`` with a weight function
  ``length * (1 + alpha * risk)`` (edge risks precomputed for the whole graph,
  so the baseline does strictly less work than one check), and networkx doing
  the same number of searches one check makes.

The city is ``geo_risk.synth.generate_city(seed, size="city")`` when the
synthetic city generator is installed; otherwise a comparable irregular street
network (Delaunay-based, pruned, with dead ends) is generated here, with
100,000 clustered incidents and a small peer network for the young person.

Usage::

    python bench/routes.py [--pairs 40] [--seed 7] [--segments 100000]

Target: a route check in under 250 ms (median) after the graph is loaded.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import Delaunay

from geo_risk.config import Policy
from geo_risk.crs import EastNorth
from geo_risk.network.testing import groups_frame, links_frame, people_frame, places_frame
from geo_risk.routing import assess_route, build_walk_graph, edge_risk, snap_points
from geo_risk.routing.adapters import child_concern_sites, child_risk_fn, school_run_surface
from geo_risk.routing.paths import plan_routes
from geo_risk.scoring import ScoringSnapshot

AS_OF = datetime(2025, 3, 1)
X0, Y0 = 420_000.0, 180_000.0  # a made-up place in England (synthetic)


# ----------------------------------------------------------------------------- the city


def _synth_streets(seed: int) -> tuple[gpd.GeoDataFrame, str] | None:
    """Streets of the synthetic city, if the generator is available."""
    try:
        from geo_risk.synth import generate_city  # type: ignore[attr-defined]
        from geo_risk.ingest.streets import read_streets
    except ImportError:
        return None
    out = Path(tempfile.mkdtemp(prefix="geo-risk-bench-"))
    try:
        generate_city(seed, size="city", out_dir=out)
    except TypeError:
        generate_city(seed, "city", out)
    files = sorted(out.rglob("*.osm"))
    if not files:
        return None
    return read_streets(files).gdf, f"synthetic city (generate_city seed {seed}, size 'city')"


def irregular_streets(n_segments: int, seed: int) -> gpd.GeoDataFrame:
    """An irregular street network of about ``n_segments`` segments (not a grid).

    Jittered points, Delaunay triangulation, long edges cut, a share of edges removed
    (dead ends and blocks of varied size), gently bent geometries, a river crossed by a
    few bridges only.
    """
    rng = np.random.default_rng(seed)
    n_nodes = int(n_segments / 1.9)
    side = np.sqrt(n_nodes) * 70.0  # about 70 m between junctions
    pts = rng.uniform(0, side, size=(n_nodes, 2))
    tri = Delaunay(pts)
    s = tri.simplices
    e = np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    length = np.hypot(*(pts[e[:, 0]] - pts[e[:, 1]]).T)
    keep = length < np.quantile(length, 0.93)
    # a river along y = side / 2 with a bridge every ~1.5 km
    ya, yb = pts[e[:, 0], 1], pts[e[:, 1], 1]
    crosses = (ya - side / 2) * (yb - side / 2) < 0
    xm = (pts[e[:, 0], 0] + pts[e[:, 1], 0]) / 2
    bridge = (xm % 1500) < 60
    keep &= ~crosses | bridge
    e = e[keep]
    # remove edges at random until about n_segments are left
    if len(e) > n_segments:
        e = e[np.sort(rng.choice(len(e), size=n_segments, replace=False))]
    a, b = pts[e[:, 0]], pts[e[:, 1]]
    mid = (a + b) / 2
    normal = np.column_stack([-(b - a)[:, 1], (b - a)[:, 0]])
    bend = rng.normal(0, 0.06, size=(len(e), 1)) * normal
    coords = np.stack([a, mid + bend, b], axis=1) + [X0, Y0]
    lines = shapely.linestrings(coords)
    highway = rng.choice(
        ["residential", "footway", "tertiary", "secondary", "path", "service", "primary", "motorway"],
        p=[0.45, 0.2, 0.1, 0.06, 0.08, 0.07, 0.03, 0.01],
        size=len(e),
    )
    names = np.array([f"Street {k % 4000}" for k in range(len(e))], dtype=object)
    names[highway == "footway"] = None
    return gpd.GeoDataFrame(
        {
            "segment_id": np.arange(len(e), dtype=np.int64),
            "u": e[:, 0].astype(np.int64),
            "v": e[:, 1].astype(np.int64),
            "length_m": shapely.length(lines),
            "highway": highway,
            "name": names,
            "walkable": highway != "motorway",
            "geometry": lines,
        },
        crs="EPSG:27700",
    )


def city_incidents(bounds: tuple[float, float, float, float], n: int, seed: int) -> gpd.GeoDataFrame:
    """``n`` incidents over 24 months, clustered around hotspots; 10 % timed ED injuries."""
    rng = np.random.default_rng(seed + 1)
    x0, y0, x1, y1 = bounds
    centres = rng.uniform((x0, y0), (x1, y1), size=(150, 2))
    n_hot = int(0.6 * n)
    which = rng.integers(0, len(centres), size=n_hot)
    hot = centres[which] + rng.normal(0, 150, size=(n_hot, 2))
    background = rng.uniform((x0, y0), (x1, y1), size=(n - n_hot, 2))
    xy = np.vstack([hot, background])
    days = rng.integers(1, 730, size=n)
    timed = rng.random(n) < 0.1
    when = pd.Timestamp(AS_OF) - pd.to_timedelta(days, unit="D")
    when = when.where(~timed, when + pd.to_timedelta(rng.integers(0, 24 * 60, size=n), unit="min"))
    when = when.where(timed, when.to_period("M").to_timestamp())
    categories = np.where(
        timed,
        "ED assault injury",
        rng.choice(["Violence and sexual offences", "Anti-social behaviour", "Robbery", "Drugs", "Shoplifting"], size=n),
    )
    return gpd.GeoDataFrame(
        {
            "incident_id": np.arange(n),
            "category": categories,
            "occurred_at": when.astype("datetime64[ns]"),
            "has_time": timed,
            "geometry": shapely.points(xy),
        },
        crs="EPSG:27700",
    )


def peer_network(bounds: tuple[float, float, float, float], seed: int):
    """A young person with five adversaries (three places each) and an exploiter (two sites)."""
    rng = np.random.default_rng(seed + 2)
    x0, y0, x1, y1 = bounds
    people = ["YP-0001"] + [f"YP-{k:04d}" for k in range(2, 7)] + [{"pseudonym": "AD-0001", "is_child": False}]
    links = [
        {"link_id": f"L{k}", "from_key": "YP-0001", "to_key": f"YP-{k:04d}", "type": "in_conflict_with", "age_days": 30 * k}
        for k in range(2, 7)
    ] + [{"link_id": "L99", "from_key": "AD-0001", "to_key": "YP-0001", "type": "exploits", "age_days": 40}]
    places = []
    for k in range(2, 7):
        for j in range(3):
            x, y = rng.uniform((x0, y0), (x1, y1))
            places.append({"place_id": f"P{k}-{j}", "entity_key": f"YP-{k:04d}", "kind": "hangout", "x": x, "y": y, "age_days": 20})
    for j in range(2):
        x, y = rng.uniform((x0, y0), (x1, y1))
        places.append({"place_id": f"X{j}", "entity_key": "AD-0001", "kind": "exploitation_site", "x": x, "y": y, "age_days": 20})
    return (
        people_frame(people),
        groups_frame([]),
        links_frame(links, as_of=AS_OF),
        places_frame(places, as_of=AS_OF),
    )


# ----------------------------------------------------------------------------- timing


def _median_ms(samples: list[float]) -> float:
    return 1000.0 * statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=40, help="home-school pairs to time")
    parser.add_argument("--baseline-pairs", type=int, default=10, help="pairs for the networkx baseline")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--incidents", type=int, default=100_000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    policy = Policy.default()
    rp = policy.routing

    synth = _synth_streets(args.seed)
    if synth is not None:
        streets, label = synth
    else:
        streets = irregular_streets(args.segments, args.seed)
        label = f"irregular Delaunay network generated in the bench (seed {args.seed}); synth.generate_city not available"
    print(f"city: {label}")
    print(f"street segments: {len(streets):,} ({int(streets['walkable'].sum()):,} walkable)")

    builds = []
    for _ in range(3):
        t = time.perf_counter()
        graph = build_walk_graph(streets, sample_step_m=rp.sample_step_m)
        builds.append(time.perf_counter() - t)
    print(
        f"walk graph: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges, {graph.sample_xy.shape[0]:,} risk samples; "
        f"build median {_median_ms(builds):.0f} ms (3 runs)"
    )

    x0, y0 = graph.node_xy.min(axis=0)
    x1, y1 = graph.node_xy.max(axis=0)
    bounds = (float(x0), float(y0), float(x1), float(y1))
    t = time.perf_counter()
    incidents = city_incidents(bounds, args.incidents, args.seed)
    people, groups, links, places = peer_network(bounds, args.seed)
    surface = school_run_surface(incidents, AS_OF, policy)
    snapshot = ScoringSnapshot.from_frames(
        people=people, groups=groups, links=links, places=places, incidents=incidents, surface=surface
    )
    print(f"snapshot set-up (school-run surface on {len(incidents):,} incidents, scoring snapshot): "
          f"{1000 * (time.perf_counter() - t):.0f} ms (once per data snapshot and date)")

    # home-school pairs: 0.5 to 3 km apart, on the walk graph
    rng = np.random.default_rng(args.seed + 3)
    pairs = []
    while len(pairs) < args.pairs + args.baseline_pairs:
        i, j = rng.integers(0, graph.n_nodes, size=2)
        d = np.hypot(*(graph.node_xy[i] - graph.node_xy[j]))
        if 500 <= d <= 3000:
            off = rng.normal(0, 15, size=(2, 2))
            pairs.append((EastNorth(*(graph.node_xy[i] + off[0])), EastNorth(*(graph.node_xy[j] + off[1]))))

    def per_child():
        ctx = snapshot.context("YP-0001", AS_OF, policy)
        return child_risk_fn(ctx), child_concern_sites(ctx)

    risk_fn, concerns = per_child()
    # warm-up (imports, caches)
    assess_route("YP-0001", *pairs[0], AS_OF, policy, graph=graph, risk_fn=risk_fn, concerns=concerns)

    check_times, full_times, runs, corridor, lengths, n_routes, meets = [], [], [], [], [], [], 0
    for home, school in pairs[: args.pairs]:
        t = time.perf_counter()
        result = assess_route("YP-0001", home, school, AS_OF, policy, graph=graph, risk_fn=risk_fn, concerns=concerns)
        check_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        rf, cs = per_child()
        assess_route("YP-0001", home, school, AS_OF, policy, graph=graph, risk_fn=rf, concerns=cs)
        full_times.append(time.perf_counter() - t)
        lengths.append(result.shortest.length_m)
        n_routes.append(len(result.routes))
        meets += result.recommendation.meets_bar
        o, d = snap_points(graph, [home, school], max_distance_m=rp.snap_max_m)
        plan = plan_routes(graph, o, d, risk_fn, rp)
        runs.append(plan.runs)
        corridor.append(plan.corridor_edges)

    check_ms = _median_ms(check_times)
    full_ms = _median_ms(full_times)
    print(
        f"route checks: {args.pairs} pairs, shortest walk median {statistics.median(lengths):.0f} m, "
        f"{statistics.mean(n_routes):.1f} routes shown on average, {meets} meet the bar; "
        f"{statistics.median(runs):.0f} Dijkstra runs and {statistics.median(corridor):,.0f} corridor edges (medians)"
    )
    print(f"one route check after the graph is loaded (assess_route): median {check_ms:.1f} ms, "
          f"p90 {1000 * float(np.quantile(check_times, 0.9)):.1f} ms  [target < 250 ms]")
    print(f"  with the per-child set-up (scoring context, risk_fn, concern sites): median {full_ms:.1f} ms")

    # ---- baseline: networkx shortest_path with a weight function
    t = time.perf_counter()
    mean_all, _ = edge_risk(graph, risk_fn)
    risk_all_ms = 1000 * (time.perf_counter() - t)
    G = nx.Graph()
    G.add_edges_from(
        (int(u), int(v), {"length": float(le), "risk": float(r)})
        for u, v, le, r in zip(graph.edge_u, graph.edge_v, graph.edge_length, mean_all)
    )
    alpha = rp.alpha

    def weight(u, v, data):
        return data["length"] * (1.0 + alpha * data["risk"])

    nx_one, nx_same = [], []
    for home, school in pairs[args.pairs :]:
        o, d = snap_points(graph, [home, school], max_distance_m=rp.snap_max_m)
        src, dst = int(graph.edge_u[o.edge]), int(graph.edge_u[d.edge])
        t = time.perf_counter()
        nx.shortest_path(G, src, dst, weight=weight)
        nx_one.append(time.perf_counter() - t)
        k = int(statistics.median(runs))
        alphas = [0.0] + [alpha * f for f in (1, 0.125, 0.25, 0.5, 2, 4, 8)]
        t = time.perf_counter()
        for a in (alphas * 2)[:k]:
            nx.shortest_path(G, src, dst, weight=lambda u, v, dd, a=a: dd["length"] * (1.0 + a * dd["risk"]))
        nx_same.append(time.perf_counter() - t)
    one_ms = _median_ms(nx_one)
    same_ms = _median_ms(nx_same)
    print(f"baseline networkx.shortest_path with a weight function (edge risks precomputed for the whole graph "
          f"in {risk_all_ms:.0f} ms, not counted): median {one_ms:.1f} ms per search, "
          f"{same_ms:.1f} ms for the {int(statistics.median(runs))} searches one check makes")
    print(f"ratio: one full route check / one networkx search = {check_ms / one_ms:.2f}x "
          f"({one_ms / check_ms:.1f}x faster)")
    print(f"ratio: one full route check / networkx doing the same searches = {check_ms / same_ms:.3f}x "
          f"({same_ms / check_ms:.1f}x faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
