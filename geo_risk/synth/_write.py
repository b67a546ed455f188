"""Writers for the real input formats, byte for byte deterministic.

Every number is formatted explicitly (no ``repr`` of floats), rows are written in a
fixed order, and nothing depends on the clock, the locale or dict ordering beyond
insertion order.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import shapely

from geo_risk.crs import en_to_lonlat

POLICE_UK_HEADER = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]
CODEPOINT_HEADER_LINES = (
    "PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC\r\n"
    "Postcode,Positional_quality_indicator,Eastings,Northings,Country_code,NHS_regional_HA_code,NHS_HA_code,"
    "Admin_county_code,Admin_district_code,Admin_ward_code\r\n"
)


def write_bytes(path: Path, data: bytes) -> str:
    """Write ``data`` to ``path`` (creating folders) and return its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def csv_bytes(header: Sequence[str] | None, rows: Iterable[Sequence[object]], *, line_end: str = "\n") -> bytes:
    """CSV text (minimal quoting, UTF-8) of ``rows`` under ``header``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=line_end, quoting=csv.QUOTE_MINIMAL)
    if header is not None:
        w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def fmt(values: np.ndarray, spec: str) -> np.ndarray:
    """Format numbers with ``spec`` (e.g. ``"{:.6f}"``); NaN becomes the empty string."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(np.asarray(values, dtype=float).tolist()):
        out[i] = "" if math.isnan(v) else spec.format(v)
    return out


def _ring_text(coords: np.ndarray) -> str:
    lon, lat = en_to_lonlat(coords[:, 0], coords[:, 1])
    return "[ " + ", ".join(f"[ {a:.8f}, {b:.8f} ]" for a, b in zip(lon.tolist(), lat.tolist(), strict=True)) + " ]"


def _polygon_text(poly: shapely.Polygon) -> str:
    poly = shapely.orient_polygons(poly)  # exterior anticlockwise, holes clockwise (RFC 7946)
    rings = [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords) for r in poly.interiors]
    return "[ " + ", ".join(_ring_text(r) for r in rings) + " ]"


def geometry_text(geom: shapely.Geometry) -> str:
    """GeoJSON geometry (longitude/latitude, 8 decimals) of a polygon or multipolygon in EPSG:27700."""
    if geom.geom_type == "Polygon":
        return '{ "type": "Polygon", "coordinates": ' + _polygon_text(geom) + " }"
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    if len(parts) == 1:
        return '{ "type": "Polygon", "coordinates": ' + _polygon_text(parts[0]) + " }"
    return '{ "type": "MultiPolygon", "coordinates": [ ' + ", ".join(_polygon_text(p) for p in parts) + " ] }"


def _json_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ons_geojson_bytes(
    layer: str, fields: Sequence[str], rows: Sequence[Sequence[str]], geoms: Sequence[shapely.Geometry]
) -> bytes:
    """An ONS-style boundary GeoJSON (CRS84, one feature per line, like the ONS downloads)."""
    lines = [
        "{",
        '"type": "FeatureCollection",',
        f'"name": {_json_str(layer)},',
        '"crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:OGC:1.3:CRS84" } },',
        '"features": [',
    ]
    feats = []
    for row, geom in zip(rows, geoms, strict=True):
        props = ", ".join(f"{_json_str(f)}: {_json_str(v)}" for f, v in zip(fields, row, strict=True))
        feats.append('{ "type": "Feature", "properties": { ' + props + ' }, "geometry": ' + geometry_text(geom) + " }")
    lines.append(",\n".join(feats))
    lines += ["]", "}", ""]
    return "\n".join(lines).encode("utf-8")


def osm_xml_bytes(
    *,
    generator: str,
    note: str,
    node_ids: np.ndarray,
    node_xy: np.ndarray,
    node_tags: dict[int, list[tuple[str, str]]],
    ways: Sequence[tuple[int, Sequence[int], Sequence[tuple[str, str]]]],
) -> bytes:
    """OSM XML (API 0.6 style, as Overpass writes it) for nodes in EPSG:27700 and ways."""
    lon, lat = en_to_lonlat(node_xy[:, 0], node_xy[:, 1])
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<osm version="0.6" generator={quoteattr(generator)}>',
        f"<note>{_xml_text(note)}</note>",
        "",
        (f'  <bounds minlat="{lat.min():.7f}" minlon="{lon.min():.7f}" '
         f'maxlat="{lat.max():.7f}" maxlon="{lon.max():.7f}"/>'),
        "",
    ]
    for i, (nid, a, b) in enumerate(zip(node_ids.tolist(), lat.tolist(), lon.tolist(), strict=True)):
        tags = node_tags.get(i)
        if tags:
            out.append(f'  <node id="{nid}" lat="{a:.7f}" lon="{b:.7f}">')
            out.extend(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags)
            out.append("  </node>")
        else:
            out.append(f'  <node id="{nid}" lat="{a:.7f}" lon="{b:.7f}"/>')
    for wid, refs, tags in ways:
        out.append(f'  <way id="{wid}">')
        out.extend(f'    <nd ref="{r}"/>' for r in refs)
        out.extend(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags)
        out.append("  </way>")
    out += ["", "</osm>", ""]
    return "\n".join(out).encode("utf-8")


def _xml_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chain_node_sequences(u: np.ndarray, v: np.ndarray, chain: np.ndarray) -> list[tuple[int, list[int]]]:
    """``(chain id, nodes in walking order)`` for every chain; a chain that cannot be walked
    in one go (it crosses itself) comes out as several sequences."""
    order = np.argsort(chain, kind="stable")
    bounds = np.flatnonzero(np.r_[True, chain[order][1:] != chain[order][:-1], True])
    seqs: list[tuple[int, list[int]]] = []
    uu, vv, cc = u.tolist(), v.tolist(), chain.tolist()
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        edges = order[a:b].tolist()
        cid = cc[edges[0]]
        if len(edges) == 1:
            e = edges[0]
            seqs.append((cid, [uu[e], vv[e]]))
            continue
        adj: dict[int, list[int]] = {}
        for e in edges:
            adj.setdefault(uu[e], []).append(e)
            adj.setdefault(vv[e], []).append(e)
        used: set[int] = set()
        while len(used) < len(edges):
            free = {n: [e for e in es if e not in used] for n, es in adj.items()}
            ends = sorted(n for n, es in free.items() if len(es) == 1)
            start = ends[0] if ends else min(n for n, es in free.items() if es)
            seq = [start]
            node = start
            while True:
                nxt = [e for e in adj[node] if e not in used]
                if not nxt:
                    break
                e = min(nxt)
                used.add(e)
                node = vv[e] if uu[e] == node else uu[e]
                seq.append(node)
            seqs.append((cid, seq))
    return seqs
