"""The walk graph: street segments as arrays, built once per data snapshot.

A :class:`WalkGraph` holds the largest connected component of the walkable
street segments (footways and paths included, segments with ``walkable`` False
left out) as plain arrays:

- node coordinates (EPSG:27700) and the original node ids;
- one row per undirected edge: end nodes, length, street name, highway class,
  the source ``segment_id`` and the LineString oriented from ``u`` to ``v``;
- the CSR structure of the symmetric adjacency matrix, with a map from each
  stored entry to its edge, so a per-request weight vector becomes a
  :class:`scipy.sparse.csr_matrix` with one gather;
- sample points every ``sample_step_m`` along every edge (ends included), with
  trapezoid weights, so a risk surface is read along an edge and not only at
  its ends;
- an STRtree over the edges, for snapping and for proximity checks.

The graph is simple: parallel segments between the same two nodes and closed
loops are split at interior points when the graph is built, so every edge is
a distinct entry of the adjacency matrix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from shapely.ops import substring

from geo_risk.crs import EastNorth, require_store_crs
from geo_risk.errors import ValidationError

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("segment_id", "u", "v", "length_m", "highway", "name", "walkable", "geometry")
DEFAULT_SAMPLE_STEP_M = 25.0
# Lengths below this are raised to it, so that no edge weighs exactly zero.
MIN_EDGE_LENGTH_M = 1e-6


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class WalkGraph:
    """The walkable street network of one data snapshot, as arrays.

    Build it with :func:`build_walk_graph`; do not construct it by hand.

    Attributes
    ----------
    node_xy
        Node coordinates, shape ``(n_nodes, 2)``, EPSG:27700 metres.
    node_id
        The street data's node id of each node (``-1`` for nodes made when a
        parallel segment or a loop was split).
    edge_u, edge_v
        End nodes of each edge (indices into ``node_xy``); the geometry runs
        from ``edge_u`` to ``edge_v``.
    edge_length
        Length of each edge in metres (planar length of its geometry).
    edge_segment_id
        The ``segment_id`` of the street segment the edge comes from.
    edge_name
        Street name (``None`` where the segment has none).
    edge_highway
        OSM-style highway class.
    edge_geometry
        LineStrings in EPSG:27700, oriented from ``edge_u`` to ``edge_v``.
    csr_indptr, csr_indices, csr_edge
        CSR structure of the symmetric adjacency matrix and, for every stored
        entry, the edge it stands for.
    sample_xy
        Points every ``sample_step_m`` along each edge, ends included, shape ``(n_samples, 2)``.
    sample_edge
        The edge of each sample point.
    sample_pos
        Distance of each sample from the start of its edge, metres.
    sample_weight
        Trapezoid weights; they sum to 1 over each edge, so a weighted sum is the edge mean.
    sample_step_m
        The spacing used for the samples.
    sample_offsets
        Samples of edge ``e`` are ``sample_offsets[e]:sample_offsets[e + 1]``.
    coord_xy, coord_offsets
        Vertices of every edge geometry, flat: edge ``e`` has ``coord_xy[coord_offsets[e]:coord_offsets[e + 1]]``.
    csr_key
        ``row * n_nodes + column`` of every stored CSR entry (sorted), to find edges by node pair.
    sample_point, point_xy
        Distinct sample locations: the nodes, then every sample inside an edge.
        ``point_xy[sample_point[k]]`` is sample ``k``; a node shared by several
        edges is one point, so the risk is read there once.
    length_matrix
        The adjacency matrix weighted by edge length.
    dropped_segments
        Walkable segments left out because they are not in the largest connected component.
    """

    node_xy: np.ndarray
    node_id: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    edge_segment_id: np.ndarray
    edge_name: np.ndarray
    edge_highway: np.ndarray
    edge_geometry: np.ndarray
    csr_indptr: np.ndarray
    csr_indices: np.ndarray
    csr_edge: np.ndarray
    sample_xy: np.ndarray
    sample_edge: np.ndarray
    sample_pos: np.ndarray
    sample_weight: np.ndarray
    sample_step_m: float
    sample_offsets: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    coord_xy: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    coord_offsets: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    csr_key: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    sample_point: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    point_xy: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    length_matrix: sparse.csr_matrix = field(default=None, repr=False)  # type: ignore[assignment]
    dropped_segments: int = 0
    _tree: shapely.STRtree = field(default=None, repr=False)  # type: ignore[assignment]

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of (undirected) edges."""
        return int(self.edge_u.shape[0])

    @property
    def tree(self) -> shapely.STRtree:
        """STRtree over ``edge_geometry`` (positions are edge indices)."""
        return self._tree

    @property
    def csr_row(self) -> np.ndarray:
        """Row (source node) of every stored CSR entry."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.csr_indptr))

    def weighted(self, edge_weight: np.ndarray) -> sparse.csr_matrix:
        """The adjacency matrix with ``edge_weight`` (one value per edge) on both directions.

        Parameters
        ----------
        edge_weight
            Non-negative weight of each edge, shape ``(n_edges,)``.
        """
        data = np.maximum(np.asarray(edge_weight, dtype=float)[self.csr_edge], MIN_EDGE_LENGTH_M)
        return sparse.csr_matrix((data, self.csr_indices, self.csr_indptr), shape=(self.n_nodes, self.n_nodes))

    def edge_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Edge index joining each pair of nodes ``a[i]``, ``b[i]`` (``-1`` where none)."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        key = a * self.n_nodes + b
        pos = np.minimum(np.searchsorted(self.csr_key, key), self.csr_key.size - 1)
        found = self.csr_key[pos] == key
        return np.where(found, self.csr_edge[pos], -1)

    def sample_index(self, edges: np.ndarray) -> np.ndarray:
        """Indices of the sample points of the given edges (an index array), edge by edge."""
        return _ranges(self.sample_offsets, np.asarray(edges, dtype=np.int64))

    def coords_of(self, edges: np.ndarray, forward: np.ndarray) -> np.ndarray:
        """Vertices of whole edges walked in order, joined (shared end points once).

        Parameters
        ----------
        edges
            Edge indices in walking order.
        forward
            True where the edge is walked from ``edge_u`` to ``edge_v``.
        """
        edges = np.asarray(edges, dtype=np.int64)
        if edges.size == 0:
            return np.zeros((0, 2))
        starts = self.coord_offsets[edges]
        counts = self.coord_offsets[edges + 1] - starts
        idx = _ranges(self.coord_offsets, edges)
        # reverse the ranges of edges walked backwards
        first = np.repeat(np.cumsum(counts) - counts, counts)
        local = np.arange(idx.size) - first
        rev = ~np.repeat(np.asarray(forward, dtype=bool), counts)
        idx = np.where(rev, np.repeat(starts + counts - 1, counts) - local, idx)
        # drop the first vertex of every edge after the first (it repeats the last one)
        keep = np.ones(idx.size, dtype=bool)
        keep[first[local == 0][1:]] = False
        return self.coord_xy[idx[keep]]


def cut_coords(coords: np.ndarray, start_m: float, end_m: float) -> np.ndarray:
    """Vertices of a polyline between two distances along it (a fast ``shapely.ops.substring``).

    Parameters
    ----------
    coords
        Polyline vertices, shape ``(k, 2)``.
    start_m, end_m
        Distances from the first vertex; the result runs from ``start_m`` to
        ``end_m`` (reversed when ``start_m > end_m``). Clipped to the line.

    Returns
    -------
    numpy.ndarray
        At least two vertices (equal ones for a zero-length cut).
    """
    seg = np.hypot(*np.diff(coords, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    lo, hi = sorted((float(start_m), float(end_m)))
    lo, hi = max(lo, 0.0), min(hi, float(cum[-1]))
    hi = max(hi, lo)

    def at(d: float) -> np.ndarray:
        i = int(np.clip(np.searchsorted(cum, d, side="right") - 1, 0, len(seg) - 1))
        f = 0.0 if seg[i] <= 0 else (d - cum[i]) / seg[i]
        return coords[i] + f * (coords[i + 1] - coords[i])

    inner = coords[(cum > lo) & (cum < hi)]
    out = np.vstack([at(lo), inner, at(hi)])
    return out[::-1] if start_m > end_m else out


def _ranges(offsets: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(offsets[i], offsets[i + 1])`` for each i in ``items``."""
    starts = offsets[items]
    counts = offsets[items + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return np.arange(total, dtype=np.int64) + shift


@dataclass(frozen=True)
class Snap:
    """Where a point joins the walk graph: the nearest point on the nearest walkable edge.

    Attributes
    ----------
    point
        The point asked for.
    edge
        Index of the nearest edge.
    position_m
        Distance of the joining point from the start (``edge_u``) of that edge.
    distance_m
        Straight-line distance from ``point`` to the joining point: the snap distance.
    joined
        The joining point on the edge.
    """

    point: EastNorth
    edge: int
    position_m: float
    distance_m: float
    joined: EastNorth


def build_walk_graph(
    streets: gpd.GeoDataFrame,
    *,
    sample_step_m: float = DEFAULT_SAMPLE_STEP_M,
) -> WalkGraph:
    """Build the walk graph from the snapshot's street segments.

    Parameters
    ----------
    streets
        The data contract's ``streets`` frame in EPSG:27700. Rows with
        ``walkable`` False are left out; footways, paths and every other
        walkable class are kept.
    sample_step_m
        Spacing of the risk sample points along each edge (use
        ``policy.routing.sample_step_m``).

    Returns
    -------
    WalkGraph
        The largest connected component, frozen.

    Raises
    ------
    ValidationError
        If columns are missing, the frame is in another CRS, or no walkable
        segment is left.
    """
    require_store_crs(streets, "streets")
    missing = [c for c in REQUIRED_COLUMNS if c not in streets.columns]
    if missing:
        msg = (
            f"streets frame is missing column(s) {', '.join(missing)}; it must have "
            f"{', '.join(REQUIRED_COLUMNS)} (load it with geo_risk.ingest.streets or the store snapshot)"
        )
        raise ValidationError(msg)
    if not (np.isfinite(sample_step_m) and sample_step_m > 0):
        msg = f"sample_step_m must be a positive number of metres, got {sample_step_m!r}"
        raise ValidationError(msg)

    walkable = streets["walkable"].fillna(False).astype(bool).to_numpy()
    geoms = np.asarray(streets.geometry.values, dtype=object)
    ok = walkable & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    ok &= shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING
    bad_type = int((walkable & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)).sum() - ok.sum())
    if bad_type:
        log.warning("left out %d walkable segment(s) whose geometry is not a LineString", bad_type)
    rows = streets.loc[ok]
    if rows.empty:
        msg = "no walkable street segment in the streets frame; import streets with footways and paths first"
        raise ValidationError(msg)

    geoms = np.asarray(rows.geometry.values, dtype=object)
    u_id = rows["u"].to_numpy(dtype=np.int64)
    v_id = rows["v"].to_numpy(dtype=np.int64)
    seg = rows["segment_id"].to_numpy(dtype=np.int64)
    names = np.array([_clean_name(x) for x in rows["name"].tolist()], dtype=object)
    highway = rows["highway"].astype(object).to_numpy()

    # Deterministic order whatever the input order: by segment id.
    order = np.argsort(seg, kind="stable")
    geoms, u_id, v_id, seg, names, highway = (a[order] for a in (geoms, u_id, v_id, seg, names, highway))

    # Node index: coordinates from the segment ends (u at the start, v at the end).
    all_ids = np.concatenate([u_id, v_id])
    node_ids, first, inverse = np.unique(all_ids, return_index=True, return_inverse=True)
    starts = shapely.get_coordinates(shapely.get_point(geoms, 0))
    ends = shapely.get_coordinates(shapely.get_point(geoms, -1))
    node_xy = np.concatenate([starts, ends])[first]
    u = inverse[: seg.size].astype(np.int64)
    v = inverse[seg.size :].astype(np.int64)
    # A segment drawn from v to u is turned round so that every geometry runs from u to v.
    backwards = np.hypot(*(starts - node_xy[u]).T) > np.hypot(*(starts - node_xy[v]).T)
    if backwards.any():
        log.debug("walk graph: %d segment(s) drawn from v to u turned round", int(backwards.sum()))
        geoms = geoms.copy()
        geoms[backwards] = shapely.reverse(geoms[backwards])

    # Make the graph simple: split loops in three and repeated node pairs in two.
    u, v, geoms, seg, names, highway, node_xy, node_ids = _make_simple(
        u, v, geoms, seg, names, highway, node_xy, node_ids
    )

    # Largest connected component.
    n = node_xy.shape[0]
    adj = sparse.coo_matrix((np.ones(u.size), (u, v)), shape=(n, n)).tocsr()
    n_comp, labels = connected_components(adj, directed=False)
    dropped = 0
    if n_comp > 1:
        sizes = np.bincount(labels)
        keep_label = int(np.argmax(sizes))
        keep_node = labels == keep_label
        keep_edge = keep_node[u]
        dropped = int((~keep_edge).sum())
        log.info(
            "walk graph: kept the largest of %d components (%d of %d nodes); left out %d segment piece(s)",
            n_comp, int(keep_node.sum()), n, dropped,
        )
        new_index = np.cumsum(keep_node) - 1
        u, v = new_index[u[keep_edge]], new_index[v[keep_edge]]
        geoms, seg, names, highway = geoms[keep_edge], seg[keep_edge], names[keep_edge], highway[keep_edge]
        node_xy, node_ids = node_xy[keep_node], node_ids[keep_node]
        n = node_xy.shape[0]

    length = np.maximum(shapely.length(geoms), MIN_EDGE_LENGTH_M)
    indptr, indices, csr_edge = _csr_structure(u, v, n)
    sample_xy, sample_edge, sample_pos, sample_weight = _edge_samples(geoms, length, sample_step_m)
    sample_offsets = np.zeros(length.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(sample_edge, minlength=length.size), out=sample_offsets[1:])
    # distinct sample locations: nodes first, then interior samples
    local = np.arange(sample_edge.size) - sample_offsets[sample_edge]
    last = local == (sample_offsets[sample_edge + 1] - sample_offsets[sample_edge] - 1)
    interior = (local > 0) & ~last
    sample_point = np.empty(sample_edge.size, dtype=np.int64)
    sample_point[local == 0] = u[sample_edge[local == 0]]
    sample_point[last] = v[sample_edge[last]]
    sample_point[interior] = n + np.arange(int(interior.sum()))
    point_xy = np.vstack([node_xy, sample_xy[interior]])
    coord_xy, coord_index = shapely.get_coordinates(geoms, return_index=True)
    coord_offsets = np.zeros(length.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(coord_index, minlength=length.size), out=coord_offsets[1:])
    csr_rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    csr_key = csr_rows * n + indices.astype(np.int64)

    graph = WalkGraph(
        node_xy=_readonly(node_xy),
        node_id=_readonly(node_ids),
        edge_u=_readonly(u.astype(np.int64)),
        edge_v=_readonly(v.astype(np.int64)),
        edge_length=_readonly(length),
        edge_segment_id=_readonly(seg),
        edge_name=_readonly(names),
        edge_highway=_readonly(highway),
        edge_geometry=_readonly(geoms),
        csr_indptr=_readonly(indptr),
        csr_indices=_readonly(indices),
        csr_edge=_readonly(csr_edge),
        sample_xy=_readonly(sample_xy),
        sample_edge=_readonly(sample_edge),
        sample_pos=_readonly(sample_pos),
        sample_weight=_readonly(sample_weight),
        sample_step_m=float(sample_step_m),
        sample_offsets=_readonly(sample_offsets),
        coord_xy=_readonly(coord_xy),
        coord_offsets=_readonly(coord_offsets),
        csr_key=_readonly(csr_key),
        sample_point=_readonly(sample_point),
        point_xy=_readonly(point_xy),
        length_matrix=sparse.csr_matrix(
            (np.maximum(length[csr_edge], MIN_EDGE_LENGTH_M), indices, indptr), shape=(n, n)
        ),
        dropped_segments=dropped,
        _tree=shapely.STRtree(geoms),
    )
    log.info(
        "walk graph: %d nodes, %d edges, %.1f km, %d risk samples",
        graph.n_nodes, graph.n_edges, float(length.sum()) / 1000, sample_xy.shape[0],
    )
    return graph


def snap_points(
    graph: WalkGraph,
    points: list[EastNorth] | tuple[EastNorth, ...],
    *,
    max_distance_m: float,
    labels: tuple[str, ...] | list[str] | None = None,
) -> list[Snap]:
    """Join points to the nearest point on the nearest walkable edge.

    Parameters
    ----------
    graph
        The walk graph.
    points
        Points in EPSG:27700.
    max_distance_m
        Points farther than this from every walkable street are refused
        (``policy.routing.snap_max_m``).
    labels
        Names for the points in messages (e.g. ``("home", "school")``).

    Returns
    -------
    list of Snap

    Raises
    ------
    ValidationError
        Naming every point that is too far from a walkable street, with its distance.
    """
    if not points:
        return []
    labels = list(labels) if labels is not None else [f"point {i + 1}" for i in range(len(points))]
    xy = np.array([[p.easting, p.northing] for p in points], dtype=float)
    geoms = shapely.points(xy)
    # all_matches=True then the lowest edge index: the same answer whatever the tree's tie order
    (pi, ei), dist = graph.tree.query_nearest(geoms, return_distance=True, all_matches=True)
    order = np.lexsort((ei, pi))
    pi, ei, dist = pi[order], ei[order], dist[order]
    first = np.unique(pi, return_index=True)[1]
    edge = np.full(len(points), -1, dtype=np.int64)
    distance = np.full(len(points), np.inf)
    edge[pi[first]] = ei[first]
    distance[pi[first]] = dist[first]

    too_far = [i for i in range(len(points)) if not distance[i] <= max_distance_m]
    if too_far:
        parts = [
            f"{labels[i]} ({xy[i, 0]:.0f}, {xy[i, 1]:.0f}) is {distance[i]:.0f} m from the nearest walkable street"
            for i in too_far
        ]
        msg = (
            f"{'; '.join(parts)}; the limit is {max_distance_m:.0f} m (policy routing.snap_max_m). "
            "Check the postcode or point, or load the streets that cover it"
        )
        raise ValidationError(msg)

    line = graph.edge_geometry[edge]
    pos = shapely.line_locate_point(line, geoms)
    joined = shapely.get_coordinates(shapely.line_interpolate_point(line, pos))
    return [
        Snap(
            point=points[i],
            edge=int(edge[i]),
            position_m=float(np.clip(pos[i], 0.0, graph.edge_length[edge[i]])),
            distance_m=float(distance[i]),
            joined=EastNorth(float(joined[i, 0]), float(joined[i, 1])),
        )
        for i in range(len(points))
    ]


# ----------------------------------------------------------------------------- helpers


def _clean_name(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and not np.isfinite(value):
        return None
    text = str(value).strip()
    return text or None


def _make_simple(
    u: np.ndarray,
    v: np.ndarray,
    geoms: np.ndarray,
    seg: np.ndarray,
    names: np.ndarray,
    highway: np.ndarray,
    node_xy: np.ndarray,
    node_ids: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Split loops (u == v) in three and every repeat of a node pair in two, at interior points."""
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    loop = u == v
    key = lo * (int(node_xy.shape[0]) + 1) + hi
    _, first = np.unique(key, return_index=True)
    repeat = np.ones(u.size, dtype=bool)
    repeat[first] = False
    repeat &= ~loop
    split = np.flatnonzero(loop | repeat)
    if split.size == 0:
        return u, v, geoms, seg, names, highway, node_xy, node_ids
    log.debug("walk graph: splitting %d loop or parallel segment(s)", split.size)

    keep = np.ones(u.size, dtype=bool)
    keep[split] = False
    new_u, new_v, new_g, new_s, new_n, new_h = [], [], [], [], [], []
    extra_xy: list[tuple[float, float]] = []
    next_node = node_xy.shape[0]
    for i in split.tolist():
        g = geoms[i]
        length = g.length
        fractions = (0.0, 1 / 3, 2 / 3, 1.0) if loop[i] else (0.0, 0.5, 1.0)
        if length <= 0:
            keep[i] = False
            continue
        nodes = [int(u[i])]
        for _ in fractions[1:-1]:
            nodes.append(next_node)
            next_node += 1
        nodes.append(int(v[i]))
        for k in range(len(fractions) - 1):
            piece = substring(g, fractions[k] * length, fractions[k + 1] * length)
            new_u.append(nodes[k])
            new_v.append(nodes[k + 1])
            new_g.append(piece)
            new_s.append(seg[i])
            new_n.append(names[i])
            new_h.append(highway[i])
            if k + 1 < len(fractions) - 1:
                end = piece.coords[-1]
                extra_xy.append((end[0], end[1]))
    node_xy = np.vstack([node_xy, np.array(extra_xy, dtype=float).reshape(-1, 2)])
    node_ids = np.concatenate([node_ids, np.full(len(extra_xy), -1, dtype=np.int64)])
    cat = np.concatenate
    return (
        cat([u[keep], np.array(new_u, dtype=np.int64)]),
        cat([v[keep], np.array(new_v, dtype=np.int64)]),
        cat([geoms[keep], np.array(new_g, dtype=object)]),
        cat([seg[keep], np.array(new_s, dtype=np.int64)]),
        cat([names[keep], np.array(new_n, dtype=object)]),
        cat([highway[keep], np.array(new_h, dtype=object)]),
        node_xy,
        node_ids,
    )


def _csr_structure(u: np.ndarray, v: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    edges = np.concatenate([np.arange(u.size), np.arange(u.size)])
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr.astype(np.int32), cols[order].astype(np.int32), edges[order].astype(np.int64)


def _edge_samples(
    geoms: np.ndarray, length: np.ndarray, step: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Points every ``step`` metres along each edge, both ends included, with trapezoid weights."""
    intervals = np.maximum(1, np.ceil(length / step - 1e-9)).astype(np.int64)
    counts = intervals + 1
    edge = np.repeat(np.arange(length.size), counts)
    offsets = np.zeros(length.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    k = np.arange(edge.size) - offsets[edge]
    spacing = length / intervals
    pos = k * spacing[edge]
    xy = shapely.get_coordinates(shapely.line_interpolate_point(geoms[edge], pos))
    weight = np.where((k == 0) | (k == intervals[edge]), 0.5, 1.0) / intervals[edge]
    return xy, edge.astype(np.int64), pos, weight
