"""Shortest, lowest-risk and alternative walks over a :class:`~geo_risk.routing.graph.WalkGraph`.

All searches are single-source Dijkstra runs from the origin
(:func:`scipy.sparse.csgraph.dijkstra`) on CSR matrices. The origin and the
destination are points on edges (see :func:`~geo_risk.routing.graph.snap_points`):
the origin becomes a virtual node joined to both ends of its edge, and the
destination is reached from either end of its edge.

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
1. shortest by length (one run from the origin over the whole graph; a second
   from the destination, bounded, gives the corridor of edges that walks up to
   the cap plus one more allowance can use, the "ellipse");
2. risk is read only along edges in that corridor; the lowest-risk walk
   minimises ``length * (1 + alpha * risk)`` with the policy's ``alpha``;
3. if that walk is longer than the cap, smaller alphas are tried (halving,
   then bisecting) and the walk within the cap with the least exposure is
   taken -- at worst the shortest walk itself;
4. a sweep of alpha (policy alpha times 1/8 ... 8) gives candidate walks; the
   distinct ones within the cap that no other candidate beats on both length
   and exposure are the Pareto alternatives.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString
from shapely.ops import substring

from geo_risk.config import RoutingPolicy
from geo_risk.routing.graph import MIN_EDGE_LENGTH_M, Snap, WalkGraph
from geo_risk.routing.risk import LineSamples, RiskFn, edge_risk, evaluate_risk, sample_line

log = logging.getLogger(__name__)

SWEEP_FACTORS = (0.125, 0.25, 0.5, 2.0, 4.0, 8.0)
# The searched corridor holds every walk up to the shortest plus this many detour
# allowances, so that a lower-risk walk just beyond the cap is seen and reported.
CORRIDOR_ALLOWANCES = 2.0
CAP_SEARCH_HALVINGS = 6
CAP_SEARCH_BISECTIONS = 3
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
        The routing policy (alpha, detour caps, sample step, alternatives).

    Returns
    -------
    RoutePlan
    """
    step = policy.sample_step_m
    runs = 0

    # 1. shortest by length, and the corridor of nodes a capped walk can use
    length = graph.edge_length
    n = graph.n_nodes
    ones = np.ones(graph.n_edges)
    ends = [(graph.edge_u[s.edge], graph.edge_v[s.edge]) for s in (origin, destination)]
    full = _append_virtual(graph.weighted(length), graph, [origin, destination], ends, ones)
    d_o, pred_o = dijkstra(full, directed=True, indices=n, return_predecessors=True)
    runs += 1
    _, short_end = _arrival(graph, origin, destination, d_o, ones)
    shortest_geo = _extract(graph, origin, destination, pred_o, n, short_end)
    shortest = _measure(graph, *shortest_geo, alpha=0.0, risk_fn=risk_fn, step=step)
    allowance = detour_allowance_m(shortest.length_m, policy)
    cap = shortest.length_m + allowance
    reach = (shortest.length_m + CORRIDOR_ALLOWANCES * allowance) * (1 + 1e-9) + 1e-6
    d_d = dijkstra(full, directed=True, indices=n + 1, limit=reach)
    runs += 1

    u, v = graph.edge_u, graph.edge_v
    via = np.minimum(d_o[u] + length + d_d[v], d_o[v] + length + d_d[u])
    usable = via <= reach
    usable[[origin.edge, destination.edge]] = True
    log.debug("corridor: %d of %d edges on walks up to %.0f m", int(usable.sum()), graph.n_edges, reach)

    # 2. risk along the corridor's edges only
    r_mean, _ = edge_risk(graph, risk_fn, usable)
    sub = _Corridor(graph, usable, origin, destination)

    found: dict[tuple[int, ...], Walk] = {shortest.key: shortest}

    def run(alpha: float) -> Walk:
        nonlocal runs
        runs += 1
        factor = 1.0 + alpha * r_mean
        geo = sub.search(factor)
        walk = _measure(graph, *geo, alpha=alpha, risk_fn=risk_fn, step=step)
        if walk.key in found:
            return found[walk.key]
        found[walk.key] = walk
        return walk

    def fits(walk: Walk) -> bool:
        return walk.length_m <= cap + 1e-6

    # 3. the lowest-risk walk within the cap
    alpha0 = float(policy.alpha)
    first = run(alpha0) if alpha0 > 0 else shortest
    unconstrained = None
    if fits(first):
        lowest = first
    else:
        unconstrained = first
        feasible: list[Walk] = [shortest]
        hi, lo = alpha0, 0.0
        for _ in range(CAP_SEARCH_HALVINGS):
            mid = hi / 2
            walk = run(mid)
            if fits(walk):
                feasible.append(walk)
                lo = mid
                break
            hi = mid
        if lo > 0:
            for _ in range(CAP_SEARCH_BISECTIONS):
                mid = (lo + hi) / 2
                walk = run(mid)
                if fits(walk):
                    feasible.append(walk)
                    lo = mid
                else:
                    hi = mid
        lowest = min(feasible, key=lambda w: (round(w.exposure, 9), w.length_m, w.key))

    # 4. alpha sweep -> Pareto alternatives within the cap
    if alpha0 > 0:
        for f in SWEEP_FACTORS:
            run(alpha0 * f)
    alternatives = _pareto_alternatives(
        [w for w in found.values() if fits(w)],
        chosen=[shortest, lowest],
        limit=int(policy.alternatives),
        max_overlap=float(getattr(policy, "alternative_max_overlap", 0.9)),
        graph=graph,
    )
    return RoutePlan(
        shortest=shortest,
        lowest_risk=lowest,
        alternatives=tuple(alternatives),
        cap_m=float(cap),
        unconstrained=unconstrained,
        runs=runs,
        corridor_edges=int(usable.sum()),
    )


# ----------------------------------------------------------------------------- internals


class _Corridor:
    """The usable edges relabelled as a small graph with a virtual origin node."""

    def __init__(self, graph: WalkGraph, usable: np.ndarray, origin: Snap, destination: Snap) -> None:
        self.graph = graph
        self.origin = origin
        self.destination = destination
        self.edges = np.flatnonzero(usable)
        nodes = np.unique(np.concatenate([graph.edge_u[self.edges], graph.edge_v[self.edges]]))
        self.nodes = nodes
        self.local = np.full(graph.n_nodes, -1, dtype=np.int64)
        self.local[nodes] = np.arange(nodes.size)
        self.m = nodes.size
        lu = self.local[graph.edge_u[self.edges]]
        lv = self.local[graph.edge_v[self.edges]]
        rows = np.concatenate([lu, lv])
        cols = np.concatenate([lv, lu])
        self.entry_edge = np.concatenate([self.edges, self.edges])
        order = np.lexsort((cols, rows))
        self.rows, self.cols, self.entry_edge = rows[order], cols[order], self.entry_edge[order]
        self.indptr = np.zeros(self.m + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.rows, minlength=self.m), out=self.indptr[1:])
        # map from local node back to the graph, plus the virtual origin (m) and destination (m + 1)
        self.to_graph = np.concatenate([nodes, [graph.n_nodes, graph.n_nodes + 1]])

    def search(self, factor: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
        g = self.graph
        data = np.maximum(g.edge_length[self.entry_edge] * factor[self.entry_edge], MIN_EDGE_LENGTH_M)
        mat = sparse.csr_matrix((data, self.cols, self.indptr), shape=(self.m, self.m))
        ends = [
            (self.local[g.edge_u[s.edge]], self.local[g.edge_v[s.edge]]) for s in (self.origin, self.destination)
        ]
        mat = _append_virtual(mat, g, [self.origin, self.destination], ends, factor)
        dist, pred = dijkstra(mat, directed=True, indices=self.m, return_predecessors=True)
        _, end = _arrival(g, self.origin, self.destination, dist, factor, local=self.local)
        return _extract(g, self.origin, self.destination, pred, self.m, end, local=self.local, to_graph=self.to_graph)


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
    local: np.ndarray | None = None,
    to_graph: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, LineString]:
    """Edges, directions, metres per edge and geometry of the walk ending ``end``.

    ``pred`` and ``source`` are in the searched matrix's numbering; ``local``
    maps graph nodes to it and ``to_graph`` back (both None for the whole graph).
    """
    eo, ed = origin.edge, destination.edge
    if end == "direct":
        fwd = destination.position_m >= origin.position_m
        edges = np.array([eo])
        forward = np.array([fwd])
        pieces = np.array([abs(destination.position_m - origin.position_m)])
        spans = [(origin.position_m, destination.position_m)]
        return edges, forward, pieces, _geometry(graph, edges, forward, spans, origin, destination)

    last_graph_node = graph.edge_u[ed] if end == "u" else graph.edge_v[ed]
    # walk the predecessor chain back to the virtual origin, in the searched numbering
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

    first_node = nodes[0]
    first_forward = bool(first_node == graph.edge_v[eo])  # walked towards v means u->v direction
    middle = graph.edge_between(nodes[:-1], nodes[1:]) if nodes.size > 1 else np.zeros(0, dtype=np.int64)
    middle_forward = graph.edge_u[middle] == nodes[:-1] if middle.size else np.zeros(0, dtype=bool)
    last_forward = end == "u"  # arriving at u then walking along the edge towards v
    lo_len, le_len = graph.edge_length[eo], graph.edge_length[ed]
    edges = np.concatenate([[eo], middle, [ed]]).astype(np.int64)
    forward = np.concatenate([[first_forward], middle_forward, [last_forward]]).astype(bool)
    first_span = (origin.position_m, lo_len if first_forward else 0.0)
    last_span = (0.0, destination.position_m) if last_forward else (le_len, destination.position_m)
    spans = [first_span] + [
        (0.0, graph.edge_length[e]) if f else (graph.edge_length[e], 0.0) for e, f in zip(middle, middle_forward)
    ] + [last_span]
    pieces = np.array([abs(b - a) for a, b in spans])
    # drop zero-length ends (a point snapped exactly onto a node)
    keep = pieces > 1e-9
    keep[1:-1] = True
    if not keep.any():
        keep[0] = True
    spans = [s for s, k in zip(spans, keep) if k]
    edges, forward, pieces = edges[keep], forward[keep], pieces[keep]
    return edges, forward, pieces, _geometry(graph, edges, forward, spans, origin, destination)


def _geometry(
    graph: WalkGraph,
    edges: np.ndarray,
    forward: np.ndarray,
    spans: list[tuple[float, float]],
    origin: Snap,
    destination: Snap,
) -> LineString:
    parts = []
    for i, (e, (a, b)) in enumerate(zip(edges.tolist(), spans)):
        line = graph.edge_geometry[e]
        length = graph.edge_length[e]
        lo, hi = min(a, b), max(a, b)
        if i in (0, len(spans) - 1) and (lo > 1e-9 or hi < length - 1e-9):
            piece = substring(line, lo, hi)
            coords = shapely.get_coordinates(piece)
            if coords.shape[0] == 1:
                coords = np.vstack([coords, coords])
        else:
            coords = shapely.get_coordinates(line)
        if a > b:
            coords = coords[::-1]
        parts.append(coords)
    xy = np.vstack(parts)
    if xy.shape[0] > 1:
        keep = np.concatenate([[True], np.any(np.abs(np.diff(xy, axis=0)) > 1e-9, axis=1)])
        xy = xy[keep]
    if xy.shape[0] == 1:
        xy = np.vstack([xy, xy])
    return LineString(xy)


def _measure(
    graph: WalkGraph,
    edges: np.ndarray,
    forward: np.ndarray,
    pieces: np.ndarray,
    geometry: LineString,
    *,
    alpha: float,
    risk_fn: RiskFn,
    step: float,
) -> Walk:
    samples = sample_line(geometry, step)
    risk = evaluate_risk(risk_fn, samples.xy)
    exposure = float(np.dot(risk, samples.weight_m))
    for a in (edges, forward, pieces):
        a.setflags(write=False)
    return Walk(
        edges=edges,
        forward=forward,
        length_m=float(pieces.sum()),
        alpha=float(alpha),
        geometry=geometry,
        piece_length_m=pieces,
        samples=samples,
        risk=risk,
        exposure=exposure,
    )


def _overlap(a: Walk, b: Walk, graph: WalkGraph) -> float:
    """Share of the shorter walk's full-edge length that the other walk also uses."""
    shared = np.intersect1d(a.edges, b.edges)
    common = float(graph.edge_length[shared].sum())
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
