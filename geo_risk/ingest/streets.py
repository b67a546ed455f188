"""OpenStreetMap highways (OSM XML, Overpass JSON, line GeoJSON/GeoPackage) -> street segments.

Ways are split at every node they share with another way (intersections) and at their
ends, so that each segment runs from node ``u`` to node ``v`` with no junction in
between: the walk graph's edges. ``length_m`` is the segment's length in British
National Grid metres.

For line files without node ids (GeoJSON/GeoPackage), every vertex gets a node id
derived from its coordinates in EPSG:27700 rounded to 0.1 m (a negative int64, so it
never collides with an OSM id): lines that share a vertex share a node.

``walkable`` is decided from the tags:

- ``foot=no|private|use_sidepath`` -> False; ``foot=yes|designated|permissive`` -> True;
- otherwise ``access=no|private`` -> False;
- otherwise by ``highway``: ``motorway``, ``motorway_link``, ``busway``, ``bus_guideway``,
  ``raceway`` -> False; every other road and path class (footway, path, steps, pedestrian,
  residential, living_street, service, cycleway, track, bridleway, trunk, primary...) -> True.

Ways whose ``highway`` is not a way for travel (``proposed``, ``construction``,
``abandoned``, ``platform``, ``bus_stop``...) are rejected with that reason; ways that are
not highways at all (buildings in an OSM extract) are skipped and counted in the notes.
"""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_risk.crs import GB_BOUNDS, STORE_CRS, lonlat_to_en, to_store
from geo_risk.errors import CRSError, ValidationError
from geo_risk.ingest._files import DEFAULT_MAX_BYTES, PathsLike, Source, decode_text, expand_sources, resolve_area
from geo_risk.ingest._report import ImportResult, build_report, empty_rejections, make_rejections

log = logging.getLogger(__name__)

KIND = "streets"
SUFFIXES = [".osm", ".json", ".geojson", ".gpkg", ".shp"]
NOT_A_WAY = {
    "proposed", "construction", "abandoned", "disused", "razed", "platform", "bus_stop", "elevator",
    "street_lamp", "traffic_signals", "crossing", "turning_circle", "mini_roundabout", "give_way", "stop",
    "speed_camera", "emergency_access_point", "services", "rest_area", "milestone", "motorway_junction",
}
NOT_WALKABLE_HIGHWAYS = {"motorway", "motorway_link", "busway", "bus_guideway", "raceway"}
FOOT_NO = {"no", "private", "use_sidepath"}
FOOT_YES = {"yes", "designated", "permissive", "official"}
ACCESS_NO = {"no", "private"}
OUTPUT_COLUMNS = ["segment_id", "u", "v", "length_m", "highway", "name", "walkable", "osm_way_id", "source_file",
                  "geometry"]


@dataclass
class _Ways:
    """Ways of one file as flat arrays: node refs, their coordinates, and per-way attributes."""

    way_id: np.ndarray  # (n_ways,) int64, OSM id or -1
    row: np.ndarray  # (n_ways,) int64, position in the file (1-based)
    tags: list[dict[str, str]]
    offsets: np.ndarray  # (n_ways + 1,) into refs
    refs: np.ndarray  # (n_refs,) int64 node ids
    x: np.ndarray  # (n_refs,) easting (NaN when the node is missing)
    y: np.ndarray
    skipped: int = 0  # non-highway ways


def is_walkable(tags: dict[str, str]) -> bool:
    """Walkability of one way from its OSM tags (see module docstring)."""
    foot = str(tags.get("foot") or "").strip().lower()
    if foot in FOOT_NO:
        return False
    if foot in FOOT_YES:
        return True
    access = str(tags.get("access") or "").strip().lower()
    if access in ACCESS_NO:
        return False
    return str(tags.get("highway") or "").strip().lower() not in NOT_WALKABLE_HIGHWAYS


def read_streets(
    paths_or_path: PathsLike,
    *,
    area: object = None,
    crs: object = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> ImportResult:
    """Read OSM highways into street segments split at intersections.

    Parameters
    ----------
    paths_or_path
        ``.osm`` (OSM XML), ``.json`` (Overpass JSON), ``.geojson``/``.gpkg``/``.shp`` (lines),
        folders or zips of them.
    area
        Optional area of interest; segments that do not touch it are dropped (a way with no
        segment left is ``out_of_area``).
    crs
        CRS to label line files that have none.
    max_bytes
        Size limit per file.

    Returns
    -------
    ImportResult
        ``gdf`` with ``segment_id``, ``u``, ``v``, ``length_m``, ``highway``, ``name``,
        ``walkable``, ``osm_way_id`` and LineString ``geometry``; report rows are ways.
    """
    sources = expand_sources(paths_or_path, suffixes=SUFFIXES, max_bytes=max_bytes, what="street")
    geom_area = resolve_area(area)
    frames, rej_parts = [], []
    rows_read: dict[str, int] = {}
    accepted: dict[str, int] = {}
    notes: dict[str, dict[str, str]] = {}
    seen_ways: dict[int, str] = {}
    for src in sources:
        ways = _load(src, crs)
        seg, rej, n_acc = _segments(src, ways, geom_area, seen_ways)
        frames.append(seg)
        rej_parts.append(rej)
        rows_read[src.name] = len(ways.way_id)
        accepted[src.name] = n_acc
        notes[src.name] = {
            "segments": str(len(seg)),
            "walkable_segments": str(int(seg["walkable"].sum())) if len(seg) else "0",
            "non_highway_ways_skipped": str(ways.skipped),
        }
    gdf = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OUTPUT_COLUMNS)
    gdf["segment_id"] = np.arange(len(gdf), dtype="int64")
    gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs=STORE_CRS)[OUTPUT_COLUMNS]
    rejections = pd.concat([r for r in rej_parts if len(r)], ignore_index=True) if any(
        len(r) for r in rej_parts) else empty_rejections()
    report = build_report(KIND, [s.name for s in sources], rows_read, accepted, rejections, notes)
    log.info("%s; %d segments", report.summary(), len(gdf))
    return ImportResult(kind=KIND, gdf=gdf, report=report)


# --- loading ---------------------------------------------------------------------------------------

def _load(src: Source, crs: object) -> _Ways:
    if src.suffix == ".osm":
        return _from_osm_xml(src)
    if src.suffix == ".json":
        text = decode_text(src)
        head = text.lstrip()[:2000]
        if '"elements"' in head or '"elements"' in text[:100000]:
            return _from_overpass(src, text)
    return _from_lines(src, crs)


def _assemble(src: Source, node_xy: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict[str, str]]],
              skipped: int, lonlat: bool) -> _Ways:
    if not ways:
        msg = f"{src.name} holds no highway ways; export highways (e.g. Overpass `way[highway]`) and try again"
        raise ValidationError(msg)
    ids = np.fromiter(node_xy.keys(), dtype="int64", count=len(node_xy))
    coords = np.array(list(node_xy.values()), dtype=float).reshape(-1, 2)
    if lonlat and len(coords):
        ex, ny = lonlat_to_en(coords[:, 0], coords[:, 1])
        coords = np.column_stack([ex, ny])
    order = np.argsort(ids)
    ids, coords = ids[order], coords[order]
    lengths = np.array([len(w[1]) for w in ways], dtype="int64")
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    refs = np.fromiter((r for w in ways for r in w[1]), dtype="int64", count=int(offsets[-1]))
    pos = np.searchsorted(ids, refs)
    pos = np.clip(pos, 0, max(len(ids) - 1, 0))
    found = (ids[pos] == refs) if len(ids) else np.zeros(len(refs), dtype=bool)
    x = np.where(found, coords[pos, 0] if len(ids) else np.nan, np.nan)
    y = np.where(found, coords[pos, 1] if len(ids) else np.nan, np.nan)
    return _Ways(
        way_id=np.array([w[0] for w in ways], dtype="int64"),
        row=np.arange(1, len(ways) + 1, dtype="int64"),
        tags=[w[2] for w in ways],
        offsets=offsets,
        refs=refs,
        x=x,
        y=y,
        skipped=skipped,
    )


def _from_osm_xml(src: Source) -> _Ways:
    data = src.read_bytes()
    if not data.strip():
        msg = f"{src.name} is empty; export the OSM data again"
        raise ValidationError(msg)
    node_xy: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    skipped = 0
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        msg = f"{src.name} is not well-formed OSM XML (line {line}: {exc}); download the extract again"
        raise ValidationError(msg) from exc
    if root.tag != "osm":
        msg = f"{src.name} is XML but not OSM XML (root element <{root.tag}>, expected <osm>)"
        raise ValidationError(msg)
    bad_nodes = []
    for nd in root.iter("node"):
        try:
            node_xy[int(nd.get("id"))] = (float(nd.get("lon")), float(nd.get("lat")))
        except (TypeError, ValueError):
            bad_nodes.append(nd.get("id"))
    if bad_nodes:
        msg = f"{src.name}: node(s) {', '.join(map(str, bad_nodes[:5]))} lack a numeric id, lat or lon; export again"
        raise ValidationError(msg)
    for w in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in w.iter("tag")}
        if "highway" not in tags:
            skipped += 1
            continue
        refs = [int(nd.get("ref")) for nd in w.iter("nd")]
        ways.append((int(w.get("id")), refs, tags))
    return _assemble(src, node_xy, ways, skipped, lonlat=True)


def _from_overpass(src: Source, text: str) -> _Ways:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{src.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); download it again"
        raise ValidationError(msg) from exc
    elements = doc.get("elements") if isinstance(doc, dict) else None
    if not isinstance(elements, list):
        msg = f"{src.name} is JSON but not Overpass output (no 'elements' list); use `[out:json]` in the query"
        raise ValidationError(msg)
    node_xy: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    skipped = 0
    for i, e in enumerate(elements):
        t = e.get("type")
        try:
            if t == "node":
                node_xy[int(e["id"])] = (float(e["lon"]), float(e["lat"]))
            elif t == "way":
                tags = e.get("tags") or {}
                if "highway" not in tags:
                    skipped += 1
                    continue
                refs = [int(r) for r in e.get("nodes", [])]
                geom = e.get("geometry")
                if geom and len(geom) == len(refs):  # `out geom`: coordinates inline
                    for r, g in zip(refs, geom, strict=True):
                        if g:
                            node_xy.setdefault(r, (float(g["lon"]), float(g["lat"])))
                ways.append((int(e["id"]), refs, {str(k): str(v) for k, v in tags.items()}))
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"{src.name}: element {i + 1} ({t} {e.get('id')}) is malformed ({exc!r}); download the data again"
            raise ValidationError(msg) from exc
    return _assemble(src, node_xy, ways, skipped, lonlat=True)


def _from_lines(src: Source, crs: object) -> _Ways:
    try:
        raw = gpd.read_file(src.local_path())
    except Exception as exc:  # pyogrio's own error types
        msg = (
            f"{src.name} cannot be read as a line file ({type(exc).__name__}: {exc}); "
            "give GeoJSON or GeoPackage lines"
        )
        raise ValidationError(msg) from exc
    if len(raw) == 0:
        msg = f"{src.name} has no features"
        raise ValidationError(msg)
    if raw.crs is None:
        if crs is None:
            msg = (
                f"{src.name} has no coordinate reference system; geo-risk never guesses one: "
                "pass crs='EPSG:27700' (or the right one)"
            )
            raise CRSError(msg)
        raw = raw.set_crs(crs)
    raw = to_store(raw)
    if "highway" not in raw.columns:
        msg = (
            f"{src.name} has no 'highway' column (it has {', '.join(map(str, raw.columns))}); "
            "export OSM highways with their tags"
        )
        raise ValidationError(msg)
    geoms = raw.geometry.to_numpy()
    tag_cols = [c for c in raw.columns if c != raw.geometry.name]
    records = raw[tag_cols].astype(object).where(raw[tag_cols].notna(), None).to_dict("records")
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    node_xy: dict[int, tuple[float, float]] = {}
    bad: list[int] = []
    for i, (g, rec) in enumerate(zip(geoms, records, strict=True)):
        tags = {str(k): str(v) for k, v in rec.items() if v is not None}
        if g is None or g.is_empty or g.geom_type not in ("LineString", "MultiLineString"):
            bad.append(i + 1)
            continue
        osm_id = _int_or(tags.get("osmid", tags.get("osm_id", tags.get("id"))), -1)
        for part in (g.geoms if g.geom_type == "MultiLineString" else [g]):
            xy = np.asarray(part.coords)[:, :2]
            ids = coord_node_ids(xy[:, 0], xy[:, 1])
            for nid, (px, py) in zip(ids.tolist(), xy.tolist(), strict=True):
                node_xy.setdefault(nid, (px, py))
            ways.append((osm_id, ids.tolist(), tags))
    if bad:
        msg = (
            f"{src.name}: feature(s) {', '.join(map(str, bad[:10]))}{' and more' if len(bad) > 10 else ''} "
            "are not lines (or have no geometry); give LineString/MultiLineString features only"
        )
        raise ValidationError(msg)
    return _assemble(src, node_xy, ways, 0, lonlat=False)


def _int_or(v: object, default: int) -> int:
    try:
        return int(str(v).split(";")[0].strip("[] "))
    except (TypeError, ValueError):
        return default


def coord_node_ids(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Stable negative int64 node ids from EPSG:27700 coordinates rounded to 0.1 m."""
    xi = np.round(np.asarray(x, dtype=float) * 10).astype("int64")
    yi = np.round(np.asarray(y, dtype=float) * 10).astype("int64")
    return -(xi * 100_000_000 + yi) - 1


# --- splitting -------------------------------------------------------------------------------------

def _segments(
    src: Source, ways: _Ways, area: object, seen_ways: dict[int, str]
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    n_ways = len(ways.way_id)
    highway = np.array([str(t.get("highway", "")).strip() for t in ways.tags], dtype=object)
    status = np.zeros(n_ways, dtype="int8")  # 0 ok, 1 out of area, 2 rejected, 3 duplicate
    reason = np.full(n_ways, "", dtype=object)
    not_way = np.isin(highway, list(NOT_A_WAY)) | (highway == "")
    status[not_way] = 2
    reason[not_way] = ["highway=" + h + " is not a way for travel" for h in highway[not_way]]
    for i, wid in enumerate(ways.way_id.tolist()):
        if wid >= 0 and status[i] == 0:
            if wid in seen_ways:
                status[i] = 3
                reason[i] = f"duplicate way {wid}; kept the one in {seen_ways[wid]}"
            else:
                seen_ways[wid] = src.name

    way_of_ref = np.repeat(np.arange(n_ways), np.diff(ways.offsets))
    keep_ref = (status[way_of_ref] == 0) & np.isfinite(ways.x)
    missing_nodes = (status[way_of_ref] == 0) & ~np.isfinite(ways.x)
    # parts: a way is cut where a node is missing from the file
    start_of_way = np.zeros(len(ways.refs), dtype=bool)
    start_of_way[ways.offsets[:-1][np.diff(ways.offsets) > 0]] = True
    prev_missing = np.concatenate([[False], ~np.isfinite(ways.x[:-1])]) if len(ways.refs) else np.zeros(0, bool)
    new_part = (start_of_way | prev_missing)[keep_ref]
    refs = ways.refs[keep_ref]
    x = ways.x[keep_ref]
    y = ways.y[keep_ref]
    way_idx = way_of_ref[keep_ref]

    # split points: part ends and nodes used more than once (by any way or twice by one)
    _uniq, inverse, counts = np.unique(refs, return_inverse=True, return_counts=True)
    shared = counts[inverse] > 1
    first = new_part
    last = np.concatenate([new_part[1:], [True]]) if len(refs) else np.zeros(0, bool)
    split = shared | first | last
    # a segment starts at every split point that is not the last point of its part
    seg_start = np.flatnonzero(split & ~last)
    split_pos = np.flatnonzero(split)
    nxt = split_pos[np.searchsorted(split_pos, seg_start, side="right")] if len(seg_start) else seg_start
    n_pts = nxt - seg_start + 1
    seg_of_pt = np.repeat(np.arange(len(seg_start)), n_pts)
    pt_idx = np.repeat(seg_start, n_pts) + (np.arange(n_pts.sum()) - np.repeat(np.cumsum(n_pts) - n_pts, n_pts))
    coords = np.column_stack([x[pt_idx], y[pt_idx]]) if len(pt_idx) else np.zeros((0, 2))
    lines = shapely.linestrings(coords, indices=seg_of_pt) if len(seg_start) else np.array([], dtype=object)
    seg_way = way_idx[seg_start] if len(seg_start) else np.zeros(0, dtype="int64")
    u = refs[seg_start] if len(seg_start) else np.zeros(0, dtype="int64")
    v = refs[nxt] if len(seg_start) else np.zeros(0, dtype="int64")

    keep_seg = np.ones(len(seg_start), dtype=bool)
    if len(seg_start):
        xmin, ymin, xmax, ymax = GB_BOUNDS
        inside_gb = shapely.intersects(lines, shapely.box(xmin, ymin, xmax, ymax))
        keep_seg &= inside_gb
        if area is not None:
            keep_seg &= shapely.intersects(lines, area)
        # zero-length segments (a node repeated in a row) carry no walk; closed loops (u == v) are kept
        keep_seg &= shapely.length(lines) > 0
    has_seg = np.zeros(n_ways, dtype=bool)
    has_seg[seg_way[keep_seg]] = True
    had_any = np.zeros(n_ways, dtype=bool)
    had_any[seg_way] = True
    ok = status == 0
    no_geom = ok & ~had_any
    status[no_geom] = 2
    reason[no_geom] = "fewer than two of its nodes are in the file"
    out = ok & had_any & ~has_seg
    status[out] = 1
    gone_gb = np.zeros(n_ways, dtype=bool)
    if len(seg_start):
        gone_gb[seg_way[~inside_gb]] = True
    reason[out] = np.where(gone_gb[out], "outside Great Britain", "outside the area of interest")
    if missing_nodes.any():
        log.info("%s: %d node reference(s) missing from the file; ways were cut there", src.name,
                 int(missing_nodes.sum()))

    sw = seg_way[keep_seg]
    tags = ways.tags
    walk = np.array([is_walkable(tags[i]) for i in range(n_ways)], dtype=bool)
    names = np.array([tags[i].get("name") or None for i in range(n_ways)], dtype=object)
    seg = pd.DataFrame(
        {
            "u": u[keep_seg].astype("int64"),
            "v": v[keep_seg].astype("int64"),
            "length_m": shapely.length(lines[keep_seg]) if len(seg_start) else np.zeros(0),
            "highway": highway[sw],
            "name": names[sw],
            "walkable": walk[sw],
            "osm_way_id": pd.array(np.where(ways.way_id[sw] >= 0, ways.way_id[sw], -1), dtype="Int64"),
            "source_file": src.name,
            "geometry": lines[keep_seg] if len(seg_start) else np.array([], dtype=object),
        }
    )
    seg.loc[seg["osm_way_id"] < 0, "osm_way_id"] = pd.NA
    rej = []
    for code, label in ((2, "rejected"), (1, "out_of_area"), (3, "duplicate")):
        m = status == code
        if m.any():
            rej.append(make_rejections(src.name, ways.row[m], label, reason[m]))
    rejections = pd.concat(rej, ignore_index=True) if rej else empty_rejections()
    return seg, rejections, int((status == 0).sum())
