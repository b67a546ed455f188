"""An irregular street network: organic and planned neighbourhoods, arterials, footpaths, a river.

Junctions are sampled with a spacing that follows population density (and on
rotated lattices in planned neighbourhoods); streets are the relative
neighbourhood graph of the junctions' Delaunay triangulation, plus some extra
Gabriel edges for loops, measured in a locally stretched metric so blocks come out
long; short cul-de-sacs then branch off into the blocks. That gives a planar network
with dead ends, long blocks, irregular angles and a few grids, much like a British city. The river
cuts every edge across it except a few bridges; arterials are shortest paths
between the centre, district centres and the city edge; footpaths cut through
between dead ends and cross the parks; a motorway passes by the west side and
is not walkable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import Delaunay, cKDTree

from geo_risk.synth import _names
from geo_risk.synth._world import World

WALKABLE_HIGHWAYS = frozenset(
    {"primary", "secondary", "tertiary", "residential", "service", "footway", "path", "pedestrian", "steps"}
)
_ARTERIAL = ("primary", "secondary", "tertiary")


@dataclass(frozen=True)
class Streets:
    """The street network as arrays (coordinates in EPSG:27700).

    Attributes
    ----------
    xy
        Node coordinates, shape ``(n, 2)``.
    node_id
        OSM node ids, shape ``(n,)``.
    u, v
        Edge end nodes (indices into ``xy``), shape ``(m,)``.
    highway
        OSM ``highway`` value per edge.
    name
        Street name per edge (``None`` when unnamed).
    chain
        Way index per edge: edges of one chain form one OSM way.
    bridge
        Whether the edge is a bridge over the river.
    leaf
        Boolean per node: a dead end of the walk network.
    snap_xy
        police.uk-style street snap points, shape ``(k, 2)``.
    snap_name
        The street name of each snap point.
    """

    xy: np.ndarray
    node_id: np.ndarray
    u: np.ndarray
    v: np.ndarray
    highway: np.ndarray
    name: np.ndarray
    chain: np.ndarray
    bridge: np.ndarray
    leaf: np.ndarray
    snap_xy: np.ndarray
    snap_name: np.ndarray

    @property
    def walkable(self) -> np.ndarray:
        """Boolean per edge: pedestrians may use it."""
        return np.isin(self.highway, list(WALKABLE_HIGHWAYS))

    @property
    def length(self) -> np.ndarray:
        """Edge lengths in metres."""
        d = self.xy[self.u] - self.xy[self.v]
        return np.hypot(d[:, 0], d[:, 1])


def _sample_nodes(world: World, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Junction positions and a per-node flag for planned (grid) neighbourhoods."""
    spec = world.spec
    xmin, ymin, xmax, ymax = world.bbox
    area = (xmax - xmin) * (ymax - ymin)
    n_cand = int(spec.target_nodes * 6)
    cx = rng.uniform(xmin, xmax, n_cand)
    cy = rng.uniform(ymin, ymax, n_cand)
    dens = world.density(cx, cy)
    park = world.in_park(cx, cy) & world.inside(cx, cy)
    lam = np.where(park, 0.08, (0.06 + dens) ** 0.9)
    lam = np.where(world.river_distance(cx, cy) < world.river_width * 0.5 + 12.0, 0.0, lam)
    # Intensity c * lam nodes per m2 integrates to about target_nodes.
    c = spec.target_nodes / (area * lam.mean())
    spacing = 1.0 / np.sqrt(c * np.maximum(lam, 1e-9))
    keep = rng.uniform(0, 1, n_cand) < lam / lam.max()
    pts = np.column_stack([cx, cy])[keep]
    r = 0.45 * spacing[keep]

    # Planned neighbourhoods: replace random junctions with jittered rotated lattices.
    grid_pts = []
    in_zone = np.zeros(len(pts), dtype=bool)
    pts_park = world.in_park(pts[:, 0], pts[:, 1])
    for zx, zy, zr, ang, dx, dy in world.grid_zones:
        in_zone |= ((pts[:, 0] - zx) ** 2 + (pts[:, 1] - zy) ** 2 < zr**2) & ~pts_park
        ni, nj = int(zr / dx) + 1, int(zr / dy) + 1
        ii, jj = np.meshgrid(np.arange(-ni, ni + 1), np.arange(-nj, nj + 1), indexing="ij")
        lx, ly = ii.ravel() * dx, jj.ravel() * dy
        inside = lx**2 + ly**2 < zr**2
        lx, ly = lx[inside], ly[inside]
        gx = zx + lx * np.cos(ang) - ly * np.sin(ang) + rng.normal(0, 2.5, lx.size)
        gy = zy + lx * np.sin(ang) + ly * np.cos(ang) + rng.normal(0, 2.5, lx.size)
        ok = world.inside(gx, gy) & (world.river_distance(gx, gy) > world.river_width * 0.5 + 12.0)
        ok &= ~world.in_park(gx, gy)
        grid_pts.append(np.column_stack([gx[ok], gy[ok]]))
    pts, r = pts[~in_zone], r[~in_zone]

    # Poisson-disk thinning: of two junctions closer than their spacing, drop the later one.
    tree = cKDTree(pts)
    pairs = tree.query_pairs(float(r.max()), output_type="ndarray")
    if len(pairs):
        d = np.hypot(*(pts[pairs[:, 0]] - pts[pairs[:, 1]]).T)
        close = d < 0.5 * (r[pairs[:, 0]] + r[pairs[:, 1]])
        drop = np.zeros(len(pts), dtype=bool)
        drop[pairs[close].max(axis=1)] = True
        pts = pts[~drop]
    grid = np.vstack(grid_pts) if grid_pts else np.empty((0, 2))
    if len(grid):
        # Drop lattice points that land on top of a random junction at a zone's rim.
        dist, _ = cKDTree(pts).query(grid)
        grid = grid[dist > 20.0]
    xy = np.vstack([pts, grid])
    is_grid = np.r_[np.zeros(len(pts), dtype=bool), np.ones(len(grid), dtype=bool)]
    order = np.lexsort((xy[:, 0], xy[:, 1]))
    return xy[order], is_grid[order]


def _delaunay_edges(xy: np.ndarray) -> tuple[np.ndarray, Delaunay]:
    tri = Delaunay(xy)
    s = tri.simplices
    e = np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
    e.sort(axis=1)
    n = np.int64(len(xy))
    code = np.unique(e[:, 0].astype(np.int64) * n + e[:, 1])
    return np.column_stack([code // n, code % n]), tri


def _proximity_filters(
    xy: np.ndarray, edges: np.ndarray, tri: Delaunay, angle: np.ndarray, stretch: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Relative-neighbourhood and Gabriel masks for Delaunay ``edges``.

    Distances are measured in a local metric that shrinks the direction ``angle``
    (per edge) by ``stretch``, so edges along the local street direction survive
    more often than edges across it: blocks come out long, as in real cities.
    """
    indptr, indices = tri.vertex_neighbor_vertices
    deg = np.diff(indptr)
    p, q = edges[:, 0], edges[:, 1]
    n_e = len(edges)
    # Flat (edge, candidate witness) pairs: every Delaunay neighbour of either end.
    cnt = deg[p] + deg[q]
    e_of = np.repeat(np.arange(n_e), cnt)
    offs = np.arange(len(e_of)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    from_p = offs < deg[p][e_of]
    pos = np.where(from_p, indptr[p[e_of]] + offs, indptr[q[e_of]] + offs - deg[p][e_of])
    cand = indices[pos]
    pe, qe = p[e_of], q[e_of]
    valid = (cand != pe) & (cand != qe)
    c, s = np.cos(angle), np.sin(angle)
    ce, se, ke = c[e_of], s[e_of], stretch[e_of]

    def d2(a: np.ndarray, b: np.ndarray, c: np.ndarray, s: np.ndarray, k: np.ndarray) -> np.ndarray:
        dx, dy = (a[:, 0] - b[:, 0]), (a[:, 1] - b[:, 1])
        along = dx * c + dy * s
        across = -dx * s + dy * c
        return along**2 + (k * across) ** 2

    dpq2 = d2(xy[p], xy[q], c, s, stretch)[e_of]
    dpr2 = d2(xy[cand], xy[pe], ce, se, ke)
    dqr2 = d2(xy[cand], xy[qe], ce, se, ke)
    rng_w = valid & (np.maximum(dpr2, dqr2) < dpq2 - 1e-9)
    gab_w = valid & (dpr2 + dqr2 < dpq2 - 1e-9)
    rng_any = np.bincount(e_of, weights=rng_w, minlength=n_e) > 0
    gab_any = np.bincount(e_of, weights=gab_w, minlength=n_e) > 0
    return ~rng_any, ~gab_any


def _direction_field(world: World, pts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A smoothly varying street direction (radians) at ``pts``: a mix of radial and random waves."""
    cx, cy = world.centre
    radial = np.arctan2(pts[:, 1] - cy, pts[:, 0] - cx)
    scale = min(world.spec.width_m, world.spec.height_m)
    wave = np.zeros(len(pts))
    for _ in range(4):
        kx, ky = rng.normal(0, 1, 2) / (0.25 * scale)
        wave += rng.uniform(0.4, 0.9) * np.sin(pts[:, 0] * kx + pts[:, 1] * ky + rng.uniform(0, 2 * np.pi))
    return radial + wave


def _cut_for_dead_ends(
    n: int,
    p: np.ndarray,
    q: np.ndarray,
    length: np.ndarray,
    cand: np.ndarray,
    dens: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Edges to remove so suburbs get cul-de-sacs; the minimum spanning tree is never cut."""
    idx = np.flatnonzero(cand)
    graph = sparse.coo_matrix((length[idx], (p[idx], q[idx])), shape=(n, n)).tocsr()
    tree = csgraph.minimum_spanning_tree(graph)
    tree = (tree + tree.T).tocsr()
    in_tree = np.zeros(len(p), dtype=bool)
    in_tree[idx] = np.asarray(tree[p[idx], q[idx]]).ravel() != 0
    prob = 0.42 * (1.0 - dens) ** 1.5
    return cand & ~in_tree & (rng.uniform(0, 1, len(p)) < prob)


def _add_spurs(
    world: World, xy: np.ndarray, u: np.ndarray, v: np.ndarray, no_spur: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cul-de-sacs: short dead-end streets branching off existing streets into the blocks.

    Each chosen edge ``a-b`` is split at a new junction ``m`` and a spur ``m-s`` runs
    into the block. Spurs that would cross a street, another spur, the river or a
    park, or end too close to a junction, are not built. Returns the new ``u``,
    ``v``, ``xy`` and a per-edge flag for spur edges.
    """
    n, m_edges = len(xy), len(u)
    a, b = xy[u], xy[v]
    length = np.hypot(*(b - a).T)
    mid0 = 0.5 * (a + b)
    dens = world.density(mid0[:, 0], mid0[:, 1])
    prob = 0.6 * np.clip(1.2 - dens, 0.0, 1.0)
    choose = np.flatnonzero(~no_spur & (length > 50.0) & (rng.uniform(0, 1, m_edges) < prob))
    t = rng.uniform(0.35, 0.65, len(choose))[:, None]
    mpt = a[choose] * (1 - t) + b[choose] * t
    d = (b[choose] - a[choose]) / length[choose][:, None]
    normal = np.column_stack([-d[:, 1], d[:, 0]]) * rng.choice([-1.0, 1.0], len(choose))[:, None]
    spur_len = np.clip(length[choose] * rng.uniform(0.45, 0.9, len(choose)), 25.0, 90.0)[:, None]
    end = mpt + normal * spur_len
    ok = world.inside(end[:, 0], end[:, 1]) & ~world.in_park(end[:, 0], end[:, 1])
    ok &= world.river_distance(end[:, 0], end[:, 1]) > world.river_width * 0.5 + 15.0
    ok &= world.river_side(end[:, 0], end[:, 1]) == world.river_side(mpt[:, 0], mpt[:, 1])
    dist, _ = cKDTree(xy).query(end)
    ok &= dist > 0.45 * spur_len[:, 0]
    start = mpt + normal * 2.0
    spur_lines = shapely.linestrings(np.stack([start, end + normal * 8.0], axis=1))
    street_lines = shapely.linestrings(np.stack([a, b], axis=1))
    hit = shapely.STRtree(street_lines).query(spur_lines, predicate="intersects")
    ok[np.unique(hit[0])] = False
    # Spurs crossing or crowding each other: keep the first.
    cand = np.flatnonzero(ok)
    pair = shapely.STRtree(spur_lines[cand]).query(spur_lines[cand], predicate="intersects")
    clash = pair[:, pair[0] < pair[1]] if pair.size else pair
    ok[cand[np.unique(clash[1])]] = False
    cand = np.flatnonzero(ok)
    close = cKDTree(end[cand]).query_pairs(25.0, output_type="ndarray")
    if len(close):
        ok[cand[np.unique(close.max(axis=1))]] = False
    sel = np.flatnonzero(ok)
    k = len(sel)
    base = choose[sel]
    m_idx = n + np.arange(k)
    s_idx = n + k + np.arange(k)
    xy = np.vstack([xy, mpt[sel], end[sel]])
    old_v = v[base].copy()
    v = v.copy()
    v[base] = m_idx
    u = np.r_[u, m_idx, m_idx]
    v = np.r_[v, old_v, s_idx]
    spur = np.r_[np.zeros(m_edges + k, dtype=bool), np.ones(k, dtype=bool)]
    return u, v, xy, spur


def _degree(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.bincount(u, minlength=n) + np.bincount(v, minlength=n)


def _shortest_paths(
    n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, pairs: list[tuple[int, int]]
) -> list[np.ndarray]:
    """Edge-index arrays of shortest paths between node pairs (empty if unreachable)."""
    graph = sparse.coo_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()
    edge_of = sparse.coo_matrix(
        (np.r_[np.arange(len(u)), np.arange(len(u))] + 1, (np.r_[u, v], np.r_[v, u])), shape=(n, n)
    ).tocsr()
    sources = sorted({a for a, _ in pairs})
    _, pred = csgraph.dijkstra(graph, indices=sources, return_predecessors=True)
    out = []
    for a, b in pairs:
        row = pred[sources.index(a)]
        path = []
        node = b
        while node != a and node >= 0:
            prev = row[node]
            if prev < 0:
                path = []
                break
            path.append(int(edge_of[prev, node]) - 1)
            node = prev
        out.append(np.asarray(path, dtype=np.int64))
    return out


def _nearest_node(xy: np.ndarray, mask: np.ndarray, points: np.ndarray) -> np.ndarray:
    idx = np.flatnonzero(mask)
    _, j = cKDTree(xy[idx]).query(points)
    return idx[j]


def _pair_edges(xy: np.ndarray, u: np.ndarray, v: np.ndarray, group: np.ndarray, max_turn_deg: float) -> np.ndarray:
    """Pair edges that continue each other straight through a node; return (k, 2) edge pairs."""
    m = len(u)
    ends = np.r_[u, v]
    other = np.r_[v, u]
    eidx = np.r_[np.arange(m), np.arange(m)]
    d = xy[other] - xy[ends]
    bearing = np.arctan2(d[:, 1], d[:, 0])
    order = np.argsort(ends, kind="stable")
    ends_s, eidx_s, bear_s = ends[order], eidx[order], bearing[order]
    starts = np.flatnonzero(np.r_[True, ends_s[1:] != ends_s[:-1]])
    stops = np.r_[starts[1:], len(ends_s)]
    limit = np.deg2rad(max_turn_deg)
    pairs: list[tuple[int, int]] = []
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        if b - a < 2:
            continue
        es = eidx_s[a:b]
        bs = bear_s[a:b]
        gs = group[es]
        cand = []
        for i in range(len(es)):
            for j in range(i + 1, len(es)):
                if gs[i] != gs[j]:
                    continue
                turn = abs(abs((bs[i] - bs[j] + np.pi) % (2 * np.pi) - np.pi) - np.pi)
                if turn < limit:
                    cand.append((turn, i, j))
        cand.sort()
        used: set[int] = set()
        for _, i, j in cand:
            if i in used or j in used:
                continue
            used.update((i, j))
            pairs.append((int(es[i]), int(es[j])))
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def _chains(n_edges: int, pairs: np.ndarray) -> np.ndarray:
    """Chain id per edge: connected components of the edge-pairing graph, numbered by first edge."""
    adj = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n_edges, n_edges)).tocsr()
    _, labels = csgraph.connected_components(adj, directed=False)
    # Renumber by first appearance so chain ids follow edge order.
    _, first = np.unique(labels, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[labels]


def make_streets(world: World, rng: np.random.Generator) -> Streets:
    """Draw the street network of ``world``."""
    xy, is_grid = _sample_nodes(world, rng)
    n = len(xy)
    edges, tri = _delaunay_edges(xy)
    p, q = edges[:, 0], edges[:, 1]
    mid = 0.5 * (xy[p] + xy[q])
    angle = _direction_field(world, mid, rng)
    grid_edge = is_grid[p] & is_grid[q]
    stretch = np.where(grid_edge, 1.0, 1.8)
    is_rng, is_gab = _proximity_filters(xy, edges, tri, angle, stretch)
    length = np.hypot(*(xy[p] - xy[q]).T)
    side = world.river_side(xy[:, 0], xy[:, 1])
    crosses = side[p] != side[q]
    mid_in = world.inside(mid[:, 0], mid[:, 1])
    mid_park = world.in_park(mid[:, 0], mid[:, 1])

    # Streets: the relative neighbourhood graph plus some Gabriel edges for loops;
    # planned neighbourhoods keep their lattice (Gabriel) edges.
    dens = world.density(mid[:, 0], mid[:, 1])
    extra = is_gab & ~is_rng & (rng.uniform(0, 1, len(edges)) < 0.25 * dens)
    street = (is_rng | (extra & ~grid_edge)) & mid_in & ~crosses
    street &= length < 450.0
    # Cul-de-sacs: cut some suburban edges that are not needed to keep the network whole.
    street &= ~_cut_for_dead_ends(len(xy), p, q, length, street & ~grid_edge, dens, rng)

    # Bridges: the crossing edge nearest each chosen position along the river.
    xmin, _, xmax, _ = world.bbox
    n_br = world.spec.bridges
    cross_idx = np.flatnonzero(crosses & mid_in & is_gab & (length < 220.0))
    targets = np.linspace(xmin, xmax, n_br + 2)[1:-1] + rng.normal(0, 0.03 * (xmax - xmin), n_br)
    bridges: list[int] = []
    for t in np.sort(targets):
        cost = np.abs(mid[cross_idx, 0] - t) + 2.0 * length[cross_idx]
        for k in np.argsort(cost):
            e = int(cross_idx[k])
            if all(abs(mid[e, 0] - mid[b, 0]) > 150.0 for b in bridges):
                bridges.append(e)
                break
    is_bridge = np.zeros(len(edges), dtype=bool)
    is_bridge[bridges] = True
    street |= is_bridge

    # Footpaths: cut-throughs from dead ends and a few alleys, from Delaunay edges not used yet.
    deg = _degree(n, p[street], q[street])
    leaf = deg == 1
    unused = ~street & mid_in & ~crosses & (length < 160.0)
    cut = unused & (leaf[p] | leaf[q]) & (rng.uniform(0, 1, len(edges)) < 0.45)
    alley = unused & is_gab & (rng.uniform(0, 1, len(edges)) < 0.06)
    park_path = unused & mid_park & is_gab
    foot = cut | alley | park_path
    # One footbridge among the crossing edges away from the road bridges.
    if len(cross_idx) and world.spec.name != "small":
        far = [int(e) for e in cross_idx if all(abs(mid[e, 0] - mid[b, 0]) > 400.0 for b in bridges)]
        if far:
            fb = far[int(rng.integers(len(far)))]
            foot[fb] = True
            is_bridge[fb] = True
    keep = street | foot
    u, v = p[keep], q[keep]
    is_bridge = is_bridge[keep]
    foot = foot[keep]
    mid_park = mid_park[keep]
    grid_edge = grid_edge[keep]
    elen = length[keep]

    # Drop junctions no edge uses, renumber.
    used = np.zeros(n, dtype=bool)
    used[u] = used[v] = True
    new = np.cumsum(used) - 1
    xy = xy[used]
    u, v = new[u], new[v]
    n = len(xy)

    u, v, xy, _spur = _add_spurs(world, xy, u, v, foot | mid_park | is_bridge, rng)
    k = len(u) - len(foot)
    foot = np.r_[foot, np.zeros(k, dtype=bool)]
    mid_park = np.r_[mid_park, np.zeros(k, dtype=bool)]
    is_bridge = np.r_[is_bridge, np.zeros(k, dtype=bool)]
    elen = np.hypot(*(xy[u] - xy[v]).T)
    n = len(xy)

    highway = np.where(foot, "footway", "residential").astype(object)
    highway[mid_park & ~foot] = "path"
    highway[mid_park & foot] = "path"

    # Arterials: shortest paths (avoiding footpaths and parks) from the centre to the
    # edge of the city and between district centres.
    road = highway == "residential"
    w = elen * np.where(road, 1.0, 8.0)
    road_nodes = np.zeros(n, dtype=bool)
    road_nodes[u[road]] = road_nodes[v[road]] = True
    centre = _nearest_node(xy, road_nodes, np.array([world.centre]))[0]
    districts = _nearest_node(xy, road_nodes, world.districts)
    ring = world.outline.exterior
    n_rad = 4 if world.spec.name == "small" else 8
    fr = (np.arange(n_rad) + rng.uniform(0.2, 0.8, n_rad)) / n_rad
    edge_pts = np.array([ring.interpolate(f, normalized=True).coords[0] for f in fr])
    edge_nodes = _nearest_node(xy, road_nodes, edge_pts)
    primary_pairs = [(int(centre), int(t)) for t in edge_nodes]
    secondary_pairs = [(int(centre), int(d)) for d in districts]
    k = len(districts)
    secondary_pairs += [(int(districts[i]), int(districts[(i + 1) % k])) for i in range(k) if k > 2]
    paths = _shortest_paths(n, u, v, w, primary_pairs + secondary_pairs)
    for i, path in enumerate(paths):
        cls = "primary" if i < len(primary_pairs) else "secondary"
        sel = path[highway[path] != "primary"] if cls == "secondary" else path
        sel = sel[np.isin(highway[sel], ["residential", "secondary"])]
        highway[sel] = cls
    # A few tertiary roads: shortest paths between random district-ish points.
    n_ter = 2 if world.spec.name == "small" else 14
    a_pts = xy[_nearest_node(xy, road_nodes, xy[rng.choice(np.flatnonzero(road_nodes), n_ter)])]
    b_pts = xy[_nearest_node(xy, road_nodes, xy[rng.choice(np.flatnonzero(road_nodes), n_ter)])]
    a_nodes = _nearest_node(xy, road_nodes, a_pts)
    b_nodes = _nearest_node(xy, road_nodes, b_pts)
    for path in _shortest_paths(n, u, v, w, [(int(a), int(b)) for a, b in zip(a_nodes, b_nodes, strict=True)]):
        sel = path[highway[path] == "residential"]
        highway[sel] = "tertiary"

    # Service roads at short dead ends; a pedestrianised core.
    deg = _degree(n, u, v)
    leaf_edge = (deg[u] == 1) | (deg[v] == 1)
    svc = (highway == "residential") & leaf_edge & (elen < 90.0) & (rng.uniform(0, 1, len(u)) < 0.45)
    highway[svc] = "service"
    midxy = 0.5 * (xy[u] + xy[v])
    near_centre = np.hypot(midxy[:, 0] - world.centre[0], midxy[:, 1] - world.centre[1]) < (
        180.0 if world.spec.name == "small" else 350.0
    )
    ped = (highway == "residential") & near_centre & (rng.uniform(0, 1, len(u)) < 0.5)
    highway[ped] = "pedestrian"
    # Some footways are steps (on the river banks).
    near_river = world.river_distance(midxy[:, 0], midxy[:, 1]) < world.river_width + 60.0
    steps = (highway == "footway") & near_river & ~is_bridge & (rng.uniform(0, 1, len(u)) < 0.3)
    highway[steps] = "steps"

    # Motorway: north-south past the west side, not walkable, joined by two slip roads.
    xmin, ymin, xmax, ymax = world.bbox
    mx0 = xmin + 0.1 * (xmax - xmin)
    my = np.arange(ymin, ymax + 1.0, 180.0)
    mxs = mx0 + 0.04 * (xmax - xmin) * np.sin(np.pi * (my - ymin) / (ymax - ymin)) + rng.normal(0, 3.0, my.size)
    mway = np.column_stack([mxs, my])
    m_start = n
    xy = np.vstack([xy, mway])
    mu = np.arange(m_start, m_start + len(mway) - 1)
    mv = mu + 1
    m_side = world.river_side(mway[:, 0], mway[:, 1])
    m_bridge = m_side[:-1] != m_side[1:]
    n_links = 1 if world.spec.name == "small" else 3
    link_rows = np.linspace(len(mway) * 0.2, len(mway) * 0.8, n_links).astype(int)
    arterial_nodes = np.zeros(n, dtype=bool)
    art = np.isin(highway, _ARTERIAL)
    arterial_nodes[u[art]] = arterial_nodes[v[art]] = True
    link_targets = _nearest_node(xy[:n], arterial_nodes, mway[link_rows])
    lu = m_start + link_rows
    lv = link_targets

    u = np.r_[u, mu, lu]
    v = np.r_[v, mv, lv]
    highway = np.r_[
        highway, np.full(len(mu), "motorway", dtype=object), np.full(len(lu), "motorway_link", dtype=object)
    ]
    is_bridge = np.r_[is_bridge, m_bridge, np.zeros(len(lu), dtype=bool)]
    n = len(xy)

    # Ways: chains of edges that continue each other, within one class of road.
    cls_group = np.select(
        [
            np.isin(highway, ["primary"]),
            np.isin(highway, ["secondary"]),
            np.isin(highway, ["tertiary"]),
            np.isin(highway, ["residential", "pedestrian"]),
            highway == "service",
            np.isin(highway, ["footway", "path", "steps"]),
            highway == "motorway",
        ],
        [0, 1, 2, 3, 4, 5, 6],
        7,
    )
    # Bridges are their own ways (OSM tags bridge=yes on a short way).
    cls_group = np.where(is_bridge, 10 + np.arange(len(u)), cls_group)
    # Highway kind must be uniform within a way.
    kind_code = np.unique(highway, return_inverse=True)[1]
    cls_group = cls_group * 16 + kind_code
    pairs = _pair_edges(xy, u, v, cls_group, 50.0)
    chain = _chains(len(u), pairs)
    names = _name_chains(chain, highway, is_bridge, u, v, n, rng)
    deg = _degree(n, u, v)
    leaf_node = deg == 1
    snap_xy, snap_name = _snap_points(xy, u, v, chain, names, highway, rng)
    node_id = 100_000_001 + np.arange(n, dtype=np.int64)
    return Streets(
        xy=xy,
        node_id=node_id,
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        highway=highway,
        name=names,
        chain=chain,
        bridge=is_bridge,
        leaf=leaf_node,
        snap_xy=snap_xy,
        snap_name=snap_name,
    )


def _name_chains(
    chain: np.ndarray,
    highway: np.ndarray,
    bridge: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """A street name per edge, shared along each chain."""
    n_chain = int(chain.max()) + 1
    deg = _degree(n, u, v)
    dead = np.zeros(n_chain, dtype=bool)
    np.logical_or.at(dead, chain, (deg[u] == 1) | (deg[v] == 1))
    first = np.zeros(n_chain, dtype=np.int64)
    first[chain[::-1]] = np.arange(len(chain))[::-1]
    kind = highway[first]
    stems = np.asarray(_names.STEMS, dtype=object)[rng.integers(len(_names.STEMS), size=n_chain)]
    s_through = np.asarray(_names.THROUGH_SUFFIXES, dtype=object)[
        rng.integers(len(_names.THROUGH_SUFFIXES), size=n_chain)
    ]
    s_close = np.asarray(_names.CLOSE_SUFFIXES, dtype=object)[rng.integers(len(_names.CLOSE_SUFFIXES), size=n_chain)]
    s_art = np.asarray(_names.ARTERIAL_SUFFIXES, dtype=object)[
        rng.integers(len(_names.ARTERIAL_SUFFIXES), size=n_chain)
    ]
    s_path = np.asarray(_names.PATH_SUFFIXES, dtype=object)[rng.integers(len(_names.PATH_SUFFIXES), size=n_chain)]
    named_path = rng.uniform(0, 1, n_chain) < 0.15
    named_service = rng.uniform(0, 1, n_chain) < 0.2
    out = np.empty(n_chain, dtype=object)
    for i in range(n_chain):
        k = kind[i]
        if bridge[first[i]] and k != "motorway":
            out[i] = f"{stems[i]} Bridge"
        elif k in ("primary", "secondary", "tertiary"):
            out[i] = f"{stems[i]} {s_art[i]}"
        elif k in ("residential", "pedestrian"):
            out[i] = f"{stems[i]} {s_close[i] if dead[i] else s_through[i]}"
        elif k == "service":
            out[i] = f"{stems[i]} Yard" if named_service[i] else None
        elif k in ("footway", "path", "steps"):
            out[i] = f"{stems[i]} {s_path[i]}" if named_path[i] else None
        else:
            out[i] = None
    return out[chain]


def _snap_points(
    xy: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    chain: np.ndarray,
    names: np.ndarray,
    highway: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """police.uk-style snap points: one per named street and one more per 250 m of it."""
    ok = (names != None) & (highway != "motorway") & (highway != "motorway_link")
    idx = np.flatnonzero(ok)
    length = np.hypot(*(xy[u[idx]] - xy[v[idx]]).T)
    ch = chain[idx]
    n_chain = int(chain.max()) + 1
    total = np.bincount(ch, weights=length, minlength=n_chain)
    quota = np.ceil(total / 250.0).astype(np.int64)
    key = rng.uniform(0, 1, len(idx))
    order = np.lexsort((key, ch))
    ch_sorted = ch[order]
    start = np.searchsorted(ch_sorted, ch_sorted, side="left")
    rank = np.arange(len(order)) - start
    pick = idx[order[rank < quota[ch_sorted]]]
    pick.sort()
    t = rng.uniform(0.35, 0.65, len(pick))[:, None]
    pts = xy[u[pick]] * (1 - t) + xy[v[pick]] * t
    return pts, names[pick]
