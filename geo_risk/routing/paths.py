"""Shortest, lowest-risk and alternative walks over a :class:`~geo_risk.routing.graph.WalkGraph`.

All searches are Dijkstra runs (:func:`scipy.sparse.csgraph.dijkstra`, with
predecessors) from the origin on CSR matrices; nothing is computed for all
pairs. The origin and the destination are points on edges (see
:func:`~geo_risk.routing.graph.snap_points`): each becomes a virtual node joined
to both ends of its edge, and a walk between two points of one edge may go
straight along it.

The detour cap
--------------
A walk may be at most ``min(detour_max_ratio * L, detour_max_m)`` longer than
the shortest walk ``L`` -- the *smaller* of the two. A detour a young person
will not actually walk is no safer walk, and counting it as one would talk a
case out of assisted transport: the ratio keeps short walks short (30 % of
600 m is 180 m), the absolute cap stops long walks from growing by a
kilometre or more (30 % of 4 km would be 1.2 km).

The search
----------
1. shortest by length: one bounded run from the origin and the destination
   together (the bound starts from the straight-line distance and grows until
   it covers the shortest walk plus two detour allowances). Its two distance
   rows give the corridor of edges on walks up to that length (the "ellipse");
2. risk is read only along the corridor's edges (every ``sample_step_m``, see
   :func:`~geo_risk.routing.risk.edge_risk`); the lowest-risk walk minimises
   ``length * (1 + alpha * risk)`` with the policy's ``alpha`` on the corridor;
3. if that walk is longer than the cap, it is kept as ``unconstrained`` (a
   lower-risk walk that is too long) and smaller alphas are tried (halving, then
   bisecting);
4. a sweep of alpha (policy alpha times 1/8 ... 8) gives more candidate walks;
5. band-avoiding searches: with ``band_edges`` given, for each band below the
   best band found so far (lowest first), one search that keeps off every street
   whose risk alone lifts a ``band_window_m`` stretch to that band's upper edge
   (with the policy's alpha, then by length alone if that walk breaks the cap);
   the first that finds a walk within the cap in that band stops them.

Every distinct walk is then sampled along its own geometry and measured with
one call of ``risk_fn``; exposure is the integral of the risk density along the
walk (risk-metres).

The lowest-risk walk is chosen by the measure that bands it: among every walk
found within the cap, the lowest band first (the band of the riskiest
``band_window_m`` stretch, see :func:`band_rank`), then the least exposure,
then the shortest. So no walk offered within the cap is in a lower band than
the lowest-risk walk. The distinct walks within the cap that no other beats on
both length and exposure are the Pareto alternatives (at most
``policy.alternatives``, each sharing less than ``alternative_max_overlap`` of
its length with a walk already shown). The policy-alpha walk that broke the cap
is reported (``unconstrained``) only when it is lower-risk by the same measure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString

from geo_risk.config import RoutingPolicy
from geo_risk.routing.graph import MIN_EDGE_LENGTH_M, Snap, WalkGraph, cut_coords
from geo_risk.routing.risk import LineSamples, RiskFn, edge_risk, evaluate_risk, sample_line, window_peak

log = logging.getLogger(__name__)

SWEEP_FACTORS = (0.125, 0.25, 0.5, 2.0, 4.0, 8.0)
# The searched corridor holds every walk up to the shortest plus this many detour
# allowances, so that a lower-risk walk just beyond the cap is seen and reported.
CORRIDOR_ALLOWANCES = 2.0
CAP_SEARCH_HALVINGS = 6
CAP_SEARCH_BISECTIONS = 3
# a street the band-avoiding search keeps off costs this many times its length
AVOID_FACTOR = 1e4
_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Walk:
    """One walk from the origin point to the destination point.

    Attributes
    ----------
    edges
        Edge indices in walking order (the first and last may be walked in part).
    forward
        For each edge, True when walked from ``edge_u`` to ``edge_v``.
    length_m
        Walking length, metres.
    alpha
        The risk weight of the search that found it (0 for the shortest walk).
    geometry
        The walk as a LineString in EPSG:27700, from origin to destination.
    piece_length_m
        Metres walked on each edge (partial for the first and last).
    samples
        Points along ``geometry`` at which the risk was read.
    risk
        Risk density at ``samples.xy``.
    exposure
        Integral of the risk density along the walk (risk-metres).
    """

    edges: np.ndarray
    forward: np.ndarray
    length_m: float
    alpha: float
    geometry: LineString
    piece_length_m: np.ndarray
    samples: LineSamples
    risk: np.ndarray
    exposure: float

    @property
    def key(self) -> tuple[int, ...]:
        """The edges walked, as a hashable key (same walk, same key)."""
        return tuple(int(e) for e in self.edges)

    @property
    def mean_risk(self) -> float:
        """Exposure per metre walked."""
        return self.exposure / self.length_m if self.length_m > 0 else float(self.risk.max(initial=0.0))

    def stretch_peak(self, window_m: float) -> tuple[float, float]:
        """The highest mean risk density over any ``window_m`` stretch, and where it starts."""
        return window_peak(self.risk, self.samples.position_m, window_m)


def band_rank(walk: Walk, band_edges: Sequence[float], window_m: float) -> int:
    """Index of the walk's band: the band of its riskiest ``window_m`` stretch.

    ``band_edges`` are the policy's band edges on the 0-100 score scale (``100 x`` the
    risk density), as :func:`geo_risk.routing.assess.band_of` reads them.
    """
    peak, _ = walk.stretch_peak(window_m)
    return int(np.searchsorted(np.asarray(band_edges, dtype=float), 100.0 * peak, side="right"))


@dataclass(frozen=True)
class RoutePlan:
    """The walks found for one origin and destination.

    Attributes
    ----------
    shortest
        The shortest walk by length.
    lowest_risk
        The lowest-risk walk within the detour cap (may be the shortest).
    alternatives
        Up to ``policy.alternatives`` further distinct Pareto walks within the cap.
    cap_m
        The longest walk allowed (shortest length plus the detour allowance).
    unconstrained
        The policy-alpha walk when it broke the cap (else None): a lower-risk
        walk exists but is too long.
    runs
        Number of Dijkstra runs made.
    """

    shortest: Walk
    lowest_risk: Walk
    alternatives: tuple[Walk, ...]
    cap_m: float
    unconstrained: Walk | None
    runs: int
    corridor_edges: int = field(default=0)


def detour_allowance_m(shortest_m: float, policy: RoutingPolicy) -> float:
    """Metres a walk may add to the shortest: the smaller of the ratio and the absolute cap."""
    return float(min(policy.detour_max_ratio * shortest_m, policy.detour_max_m))


def plan_routes(
    graph: WalkGraph,
    origin: Snap,
    destination: Snap,
    risk_fn: RiskFn,
    policy: RoutingPolicy,
    *,
    band_edges: Sequence[float] = (),
) -> RoutePlan:
    """Find the shortest walk, the lowest-risk walk within the detour cap and Pareto alternatives.

    Parameters
    ----------
    graph
        The walk graph.
    origin, destination
        Where the two points join the graph.
    risk_fn
        Risk density per metre at ``(n, 2)`` points.
    policy
        The routing policy (alpha, detour caps, sample step, alternatives, band window).
    band_edges
        The scoring policy's band edges (0-100 scale). The lowest-risk walk is the one in the
        lowest band, then with the least exposure, then the shortest; without edges every walk
        is in one band (least exposure first) and no band-avoiding search is made.

    Returns
    -------
    RoutePlan
    """
    # 1. shortest by length, and the corridor of edges on walks up to `reach`
    d_o, pred_o, d_d, reach, runs = _bounded_distances(graph, origin, destination, policy)
    ones = np.ones(graph.n_edges)
    _, short_end = _arrival(graph, origin, destination, d_o, ones)
    shortest = _extract(graph, origin, destination, pred_o, graph.n_nodes, short_end, alpha=0.0)
    cap = shortest.length_m + detour_allowance_m(shortest.length_m, policy)

    length = graph.edge_length
    u, v = graph.edge_u, graph.edge_v
    via = np.minimum(d_o[u] + length + d_d[v], d_o[v] + length + d_d[u])
    usable = via <= reach
    usable[[origin.edge, destination.edge]] = True
    corridor = np.flatnonzero(usable)
    log.debug("corridor: %d of %d edges on walks up to %.0f m", corridor.size, graph.n_edges, reach)

    # 2. risk along the corridor's edges only
    r_mean, _ = edge_risk(graph, risk_fn, corridor)
    sub = _Corridor(graph, corridor, origin, destination)

    found: dict[tuple[int, ...], _Found] = {shortest.key: shortest}

    def run(alpha: float, avoid: np.ndarray | None = None) -> _Found:
        nonlocal runs
        runs += 1
        factor = 1.0 + alpha * r_mean
        if avoid is not None:
            factor = np.where(avoid, factor * AVOID_FACTOR, factor)
        walk = sub.search(factor, alpha)
        return found.setdefault(walk.key, walk)

    def fits(walk: _Found) -> bool:
        return walk.length_m <= cap + 1e-6

    # 3. the policy-alpha walk; if it breaks the cap, smaller alphas (halving, then bisecting)
    alpha0 = float(policy.alpha)
    first = run(alpha0) if alpha0 > 0 else shortest
    if not fits(first):
        hi, lo = alpha0, 0.0
        for _ in range(CAP_SEARCH_HALVINGS):
            mid = hi / 2
            if fits(run(mid)):
                lo = mid
                break
            hi = mid
        if lo > 0:
            for _ in range(CAP_SEARCH_BISECTIONS):
                mid = (lo + hi) / 2
                if fits(run(mid)):
                    lo = mid
                else:
                    hi = mid

    # 4. alpha sweep for the Pareto alternatives
    if alpha0 > 0:
        for f in SWEEP_FACTORS:
            run(alpha0 * f)

    # every distinct walk found is measured with one call of risk_fn
    walks = _measure_all(list(found.values()), risk_fn, policy.sample_step_m)
    window = float(policy.band_window_m)

    def order(w: Walk) -> tuple:
        """Lowest band first, then least exposure, then shortest."""
        return (band_rank(w, band_edges, window), round(w.exposure, 9), w.length_m, w.key)

    # 5. band-avoiding searches: keep off every street that alone lifts a band_window_m stretch to
    # a lower band's upper edge (its mean risk times the share of the stretch it fills); the walk
    # found is measured before it counts, as every other walk is
    edges_risk = np.asarray(band_edges, dtype=float) / 100.0
    if edges_risk.size:
        best = min(order(w)[0] for w in walks.values() if fits(w))
        lift = r_mean[corridor] * np.minimum(1.0, graph.edge_length[corridor] / max(window, _TOL))
        for target in range(best):
            avoid = np.zeros(graph.n_edges, dtype=bool)
            avoid[corridor] = lift >= edges_risk[target]
            # (the origin's and destination's streets too: a point at a corner leaves by another)
            # the policy's alpha first; if that walk breaks the cap, the shortest walk off those streets
            walk = run(alpha0, avoid)
            if not fits(walk) and alpha0 > 0:
                walk = run(0.0, avoid)
            if walk.key in walks or not fits(walk):
                continue
            walks.update(_measure_all([walk], risk_fn, policy.sample_step_m))
            if order(walks[walk.key])[0] <= target:
                break

    shortest = walks[shortest.key]
    within = [w for w in walks.values() if fits(w)]
    lowest = min(within, key=order)
    unconstrained = None
    if not fits(first) and order(walks[first.key])[:2] < order(lowest)[:2]:
        unconstrained = walks[first.key]
    alternatives = _pareto_alternatives(
        within,
        chosen=[shortest, lowest],
        limit=int(policy.alternatives),
        max_overlap=float(policy.alternative_max_overlap),
        graph=graph,
    )
    return RoutePlan(
        shortest=shortest,
        lowest_risk=lowest,
        alternatives=tuple(alternatives),
        cap_m=float(cap),
        unconstrained=unconstrained,
        runs=runs,
        corridor_edges=int(corridor.size),
    )


# ----------------------------------------------------------------------------- internals


@dataclass(frozen=True, eq=False)
class _Found:
    """A walk found by a search, not yet measured against the risk."""

    edges: np.ndarray
    forward: np.ndarray
    piece_length_m: np.ndarray
    geometry: LineString
    alpha: float

    @property
    def key(self) -> tuple[int, ...]:
        return tuple(int(e) for e in self.edges)

    @property
    def length_m(self) -> float:
        return float(self.piece_length_m.sum())


def _bounded_distances(
    graph: WalkGraph, origin: Snap, destination: Snap, policy: RoutingPolicy
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, int]:
    """Length distances from the origin and from the destination, explored only as far as needed.

    One Dijkstra call with both virtual nodes as sources, bounded by a guess from
    the straight-line distance; the bound grows until it covers the shortest walk
    plus ``CORRIDOR_ALLOWANCES`` detour allowances.
    """
    n = graph.n_nodes
    ones = np.ones(graph.n_edges)
    ends = [(graph.edge_u[s.edge], graph.edge_v[s.edge]) for s in (origin, destination)]
    full = _append_virtual(graph.length_matrix, graph, [origin, destination], ends, ones)
    straight = float(np.hypot(origin.joined.easting - destination.joined.easting,
                              origin.joined.northing - destination.joined.northing))
    guess = 1.5 * straight + 100.0
    limit = guess + CORRIDOR_ALLOWANCES * detour_allowance_m(guess, policy)
    runs = 0
    while True:
        dist, pred = dijkstra(full, directed=True, indices=[n, n + 1], return_predecessors=True, limit=limit)
        runs += 2
        cost, _ = _arrival(graph, origin, destination, dist[0], ones)
        reach = cost + CORRIDOR_ALLOWANCES * detour_allowance_m(cost, policy) if np.isfinite(cost) else np.inf
        if reach <= limit or not np.isfinite(limit):
            break
        limit = reach if np.isfinite(reach) else (np.inf if limit > 4 * guess + 10_000 else 2 * limit)
    reach = reach * (1 + 1e-9) + 1e-6
    return dist[0], pred[0], dist[1], float(reach), runs


class _Corridor:
    """The usable edges relabelled as a small graph with a virtual origin node."""

    def __init__(self, graph: WalkGraph, edges: np.ndarray, origin: Snap, destination: Snap) -> None:
        self.graph = graph
        self.origin = origin
        self.destination = destination
        self.edges = edges
        nodes = np.unique(np.concatenate([graph.edge_u[edges], graph.edge_v[edges]]))
        self.local = np.full(graph.n_nodes, -1, dtype=np.int64)
        self.local[nodes] = np.arange(nodes.size)
        self.m = nodes.size
        lu = self.local[graph.edge_u[edges]]
        lv = self.local[graph.edge_v[edges]]
        rows = np.concatenate([lu, lv])
        cols = np.concatenate([lv, lu])
        entry_edge = np.concatenate([edges, edges])
        order = np.lexsort((cols, rows))
        self.cols = cols[order].astype(np.int32)
        self.entry_edge = entry_edge[order]
        self.entry_length = graph.edge_length[self.entry_edge]
        self.indptr = np.zeros(self.m + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=self.m), out=self.indptr[1:])
        self.ends = [(self.local[graph.edge_u[s.edge]], self.local[graph.edge_v[s.edge]]) for s in (origin, destination)]
        # local node -> graph node, then the virtual origin (m) and destination (m + 1)
        self.to_graph = np.concatenate([nodes, [graph.n_nodes, graph.n_nodes + 1]])

    def search(self, factor: np.ndarray, alpha: float) -> _Found:
        g = self.graph
        data = np.maximum(self.entry_length * factor[self.entry_edge], MIN_EDGE_LENGTH_M)
        mat = sparse.csr_matrix((data, self.cols, self.indptr), shape=(self.m, self.m))
        mat = _append_virtual(mat, g, [self.origin, self.destination], self.ends, factor)
        dist, pred = dijkstra(mat, directed=True, indices=self.m, return_predecessors=True)
        _, end = _arrival(g, self.origin, self.destination, dist, factor, local=self.local)
        return _extract(
            g, self.origin, self.destination, pred, self.m, end, alpha=alpha, local=self.local, to_graph=self.to_graph
        )


def _append_virtual(
    mat: sparse.csr_matrix,
    graph: WalkGraph,
    snaps: list[Snap],
    ends: list[tuple[int, int]],
    factor: np.ndarray,
) -> sparse.csr_matrix:
    """Add one row per snap (a virtual node with edges to both ends of its edge)."""
    m = mat.shape[0]
    k = len(snaps)
    extra_idx, extra_data = [], []
    for s, (a, b) in zip(snaps, ends):
        f = factor[s.edge]
        length = graph.edge_length[s.edge]
        extra_idx += [int(a), int(b)]
        extra_data += [max(f * s.position_m, MIN_EDGE_LENGTH_M), max(f * (length - s.position_m), MIN_EDGE_LENGTH_M)]
    indptr = np.concatenate([mat.indptr, mat.indptr[-1] + 2 * np.arange(1, k + 1)])
    indices = np.concatenate([mat.indices, np.array(extra_idx, dtype=mat.indices.dtype)])
    data = np.concatenate([mat.data, np.array(extra_data)])
    return sparse.csr_matrix((data, indices, indptr), shape=(m + k, m + k))


def _arrival(
    graph: WalkGraph,
    origin: Snap,
    destination: Snap,
    dist: np.ndarray,
    factor: np.ndarray,
    *,
    local: np.ndarray | None = None,
) -> tuple[float, str]:
    """Cheapest arrival at the destination point: via the edge's start, its end, or straight along one edge."""
    e = destination.edge
    f = factor[e]
    a, b = graph.edge_u[e], graph.edge_v[e]
    if local is not None:
        a, b = local[a], local[b]
    via_u = dist[a] + f * destination.position_m
    via_v = dist[b] + f * (graph.edge_length[e] - destination.position_m)
    options = [(via_u, "u"), (via_v, "v")]
    if origin.edge == destination.edge:
        options.append((f * abs(destination.position_m - origin.position_m), "direct"))
    cost, how = min(options, key=lambda t: (t[0], t[1]))
    return float(cost), how


def _extract(
    graph: WalkGraph,
    origin: Snap,
    destination: Snap,
    pred: np.ndarray,
    source: int,
    end: str,
    *,
    alpha: float,
    local: np.ndarray | None = None,
    to_graph: np.ndarray | None = None,
) -> _Found:
    """The walk ending ``end`` (``"u"``, ``"v"`` or ``"direct"``), from a predecessor array.

    ``pred`` and ``source`` are in the searched matrix's numbering; ``local``
    maps graph nodes to it and ``to_graph`` back (both None for the whole graph).
    """
    eo, ed = origin.edge, destination.edge
    if end == "direct":
        fwd = destination.position_m >= origin.position_m
        edges = np.array([eo], dtype=np.int64)
        forward = np.array([fwd])
        spans = [(origin.position_m, destination.position_m)]
        return _found(graph, edges, forward, spans, alpha)

    last_graph_node = graph.edge_u[ed] if end == "u" else graph.edge_v[ed]
    node = int(local[last_graph_node]) if local is not None else int(last_graph_node)
    chain = [node]
    while True:
        p = int(pred[node])
        if p < 0:
            msg = "internal error: the walk graph lost its connection from origin to destination"
            raise RuntimeError(msg)
        if p == source:
            break
        chain.append(p)
        node = p
    nodes = np.array(chain[::-1], dtype=np.int64)
    if to_graph is not None:
        nodes = to_graph[nodes]

    first_forward = bool(nodes[0] == graph.edge_v[eo])  # left the origin towards v: walked u -> v
    middle = graph.edge_between(nodes[:-1], nodes[1:]) if nodes.size > 1 else np.zeros(0, dtype=np.int64)
    middle_forward = graph.edge_u[middle] == nodes[:-1] if middle.size else np.zeros(0, dtype=bool)
    last_forward = end == "u"  # reached u, then walked along the edge towards v
    edges = np.concatenate([[eo], middle, [ed]]).astype(np.int64)
    forward = np.concatenate([[first_forward], middle_forward, [last_forward]]).astype(bool)
    first_span = (origin.position_m, graph.edge_length[eo] if first_forward else 0.0)
    last_span = (0.0, destination.position_m) if last_forward else (graph.edge_length[ed], destination.position_m)
    mid_len = graph.edge_length[middle]
    spans = [first_span, *zip(np.where(middle_forward, 0.0, mid_len), np.where(middle_forward, mid_len, 0.0)), last_span]
    # drop zero-length ends (a point joined exactly at a node)
    pieces = np.array([abs(b - a) for a, b in spans])
    keep = pieces > 1e-9
    keep[1:-1] = True
    if not keep.any():
        keep[0] = True
    spans = [sp for sp, k in zip(spans, keep) if k]
    return _found(graph, edges[keep], forward[keep], spans, alpha)


def _found(
    graph: WalkGraph, edges: np.ndarray, forward: np.ndarray, spans: list[tuple[float, float]], alpha: float
) -> _Found:
    """Assemble a walk: metres on each edge and the geometry (partial first and last edges cut)."""
    pieces = np.array([abs(float(b) - float(a)) for a, b in spans])
    lengths = graph.edge_length[edges]
    partial = np.abs(pieces - lengths) > 1e-9
    parts: list[np.ndarray] = []
    k = len(spans)
    inner_from = 1 if partial[0] else 0
    inner_to = k - 1 if (k > 1 and partial[-1]) else k
    if partial[0]:
        parts.append(_cut(graph, int(edges[0]), spans[0]))
    if inner_to > inner_from:
        parts.append(graph.coords_of(edges[inner_from:inner_to], forward[inner_from:inner_to]))
    if k > 1 and partial[-1]:
        parts.append(_cut(graph, int(edges[-1]), spans[-1]))
    xy = np.vstack(parts)
    if xy.shape[0] > 1:
        keep = np.concatenate([[True], np.any(np.abs(np.diff(xy, axis=0)) > 1e-9, axis=1)])
        xy = xy[keep]
    if xy.shape[0] == 1:
        xy = np.vstack([xy, xy])
    for a in (edges, forward, pieces):
        a.setflags(write=False)
    return _Found(edges=edges, forward=forward, piece_length_m=pieces, geometry=LineString(xy), alpha=float(alpha))


def _cut(graph: WalkGraph, edge: int, span: tuple[float, float]) -> np.ndarray:
    """Vertices of the part of ``edge`` from ``span[0]`` to ``span[1]`` metres (in that direction)."""
    coords = graph.coord_xy[graph.coord_offsets[edge] : graph.coord_offsets[edge + 1]]
    return cut_coords(coords, float(span[0]), float(span[1]))


def _measure_all(found: list[_Found], risk_fn: RiskFn, step: float) -> dict[tuple[int, ...], Walk]:
    """Sample every walk every ``step`` metres and read the risk in one call of ``risk_fn``."""
    samples = [sample_line(f.geometry, step) for f in found]
    sizes = [s.xy.shape[0] for s in samples]
    values = evaluate_risk(risk_fn, np.vstack([s.xy for s in samples]))
    out: dict[tuple[int, ...], Walk] = {}
    start = 0
    for f, smp, size in zip(found, samples, sizes):
        risk = values[start : start + size]
        start += size
        risk.setflags(write=False)
        out[f.key] = Walk(
            edges=f.edges,
            forward=f.forward,
            length_m=f.length_m,
            alpha=f.alpha,
            geometry=f.geometry,
            piece_length_m=f.piece_length_m,
            samples=smp,
            risk=risk,
            exposure=float(np.dot(risk, smp.weight_m)),
        )
    return out


def _overlap(a: Walk, b: Walk, graph: WalkGraph) -> float:
    """Share of the shorter walk's length that the other walk also walks (same edges)."""
    _, ia, ib = np.intersect1d(a.edges, b.edges, assume_unique=False, return_indices=True)
    common = float(np.minimum(a.piece_length_m[ia], b.piece_length_m[ib]).sum())
    shorter = min(a.length_m, b.length_m)
    return common / shorter if shorter > 0 else 1.0


def _pareto_alternatives(
    candidates: list[Walk], *, chosen: list[Walk], limit: int, max_overlap: float, graph: WalkGraph
) -> list[Walk]:
    if limit <= 0:
        return []
    cands = sorted(candidates, key=lambda w: (w.length_m, w.exposure, w.key))
    front: list[Walk] = []
    for w in cands:
        dominated = any(
            o.length_m <= w.length_m + _TOL and o.exposure <= w.exposure + _TOL
            and (o.length_m < w.length_m - _TOL or o.exposure < w.exposure - _TOL)
            for o in cands
        )
        if not dominated:
            front.append(w)
    picked: list[Walk] = []
    taken = list(chosen)
    for w in front:
        if any(w.key == t.key or _overlap(w, t, graph) >= max_overlap for t in taken):
            continue
        picked.append(w)
        taken.append(w)
        if len(picked) >= limit:
            break
    return picked
