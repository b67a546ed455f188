"""Calls into the core for the views: parse inputs to EPSG:27700, run the check, shape the output.

Views stay short; what is common to the pages and the API lives here. Reprojection to
EPSG:4326 happens here (the web edge), never in the core.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from flask import g, has_request_context
from sqlalchemy.orm import Session

from geo_risk.contract import evidence_state
from geo_risk.crs import STORE_CRS, LatLon, en_to_lonlat, to_serve
from geo_risk.errors import ValidationError
from geo_risk.store.snapshot import normalise_postcode
from web.presentation import grid_colour

_LATLON_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_postcodes(text: str | list[str] | None) -> list[str]:
    if text is None:
        return []
    items = text if isinstance(text, list) else re.split(r"[\n;,]+", str(text))
    out: list[str] = []
    for item in items:
        item = str(item).strip()
        if item:
            pc = normalise_postcode(item)
            if pc not in out:
                out.append(pc)
    return out


def parse_points(text: str | list[Any] | None) -> list[LatLon]:
    """``lat, lon`` per line or a list of [lat, lon] pairs (an analyst's candidate points)."""
    if text is None:
        return []
    pairs: list[tuple[float, float]] = []
    if isinstance(text, list):
        for item in text:
            try:
                lat, lon = item
                pairs.append((float(lat), float(lon)))
            except (TypeError, ValueError) as exc:
                msg = "points must be [latitude, longitude] pairs"
                raise ValidationError(msg) from exc
    else:
        for line in str(text).splitlines():
            if not line.strip():
                continue
            m = _LATLON_RE.match(line)
            if not m:
                msg = f"{line.strip()[:40]!r} is not a point: write 'latitude, longitude' (one point a line)"
                raise ValidationError(msg)
            pairs.append((float(m.group(1)), float(m.group(2))))
    return [LatLon(lat, lon) for lat, lon in pairs]


# --------------------------------------------------------------------------- placement


def check_time(data) -> dt.datetime:
    """When a check is made for: now (to the minute) in a request, so that a link that expired this
    morning no longer counts; the snapshot's day otherwise."""
    if has_request_context() and g.get("now") is not None:
        return g.now.replace(second=0, microsecond=0)
    return data.as_of


def placement_points(points: list[LatLon]) -> list[tuple[str, LatLon]]:
    """An analyst's points as labelled candidates: ``map point 1``, ``map point 2``, ..."""
    return [(f"map point {i + 1}", p) for i, p in enumerate(points)]


def check_placement(session: Session, data, *, action: str, postcodes: list[str], points: list[LatLon],
                    referral_id: int | None = None, child: str | None = None):
    """:func:`geo_risk.service.check_placement` for the signed-in user, as of now (to the minute)."""
    from geo_risk import service
    from web.access import actor

    return service.check_placement(session, actor(), data, as_of=check_time(data), postcodes=postcodes,
                                   points=placement_points(points), referral_id=referral_id, child=child,
                                   action=action)


def placement_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per candidate of a placement result, safest first, for the page, the map and the API.

    ``result`` is already projected for the viewer's tier (:data:`geo_risk.tiers.PLACEMENT`): a
    row carries what the assessment carries, less what the page shows once for the whole check
    (young person, date, kind), with the point as latitude/longitude. The analyst's rows show the
    reasons with evidence ids.
    """
    rows = []
    for c in result.get("candidates", []):
        a = dict(c["assessment"])
        lon, lat = en_to_lonlat(*a.pop("point"))
        for key in ("kind", "child", "as_of", "advisory"):
            a.pop(key, None)
        if a.get("reasons_analyst"):
            a["reasons"] = a.pop("reasons_analyst")
        rows.append({"rank": c["rank"], "label": c["label"], **a, "lat": float(lat), "lon": float(lon)})
    return rows


def analyst_placement_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The analyst's candidates as GeoJSON points coloured by band, the score in the tooltip."""
    from web.presentation import band_colour

    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(r["lon"], 6), round(r["lat"], 6)]},
         "properties": {"rank": r["rank"], "label": r["label"], "band": r["band"], "score": r["score"],
                        "confidence": r["confidence"], "reasons": r["reasons"],
                        "_tip": f"{r['rank']}. {r['label']}: {r['band']} "
                                + ("(advisory)" if r["score"] is None else f"({r['score']:.0f}, advisory)"),
                        "_label": r["rank"],
                        "_style": {"radius": 9, "color": "#222", "weight": 1.5, "fillColor": band_colour(r["band"]),
                                   "fillOpacity": 0.9}}}
        for r in rows]}


# --------------------------------------------------------------------------- routes


def check_route(session: Session, data, *, action: str, home: str, school_urn: str, referral_id: int | None = None,
                child: str | None = None):
    """:func:`geo_risk.service.check_route` for the signed-in user, as of now (to the minute)."""
    from geo_risk import service
    from web.access import actor

    return service.check_route(session, actor(), data, as_of=check_time(data), home=home, school_urn=school_urn,
                               referral_id=referral_id, child=child, action=action)


# Walks are told apart by colour AND line pattern (solid, dashed, dotted), never by colour alone, and no
# walk colour is a band colour (the street segments on a walk are coloured by their band).
ROUTE_COLOURS = {"shortest": "#1f5f8b", "lowest_risk": "#6a3d9a", "alternative": "#5c6670", "beyond_cap": "#5c6670"}
ROUTE_DASHES = {"shortest": "", "lowest_risk": "14 8", "alternative": "2 7", "beyond_cap": "2 7"}
ENDPOINTS = (("origin", "H", "Home"), ("destination", "S", "School"))
ROUTE_LABELS = {"shortest": "Shortest walk", "lowest_risk": "Lowest-risk walk", "alternative": "Alternative walk",
                "beyond_cap": "Lowest-risk walk beyond the detour cap"}


def route_layers(data, result: dict[str, Any], segment_ids: list[list[int]] | None
                 ) -> tuple[dict[str, Any], dict[str, Any], tuple[float, float, float, float]]:
    """Route lines (one per walk) and their street segments coloured by band, in EPSG:4326.

    ``result`` is a route check as the viewer's tier has it; ``segment_ids`` (one list per walk,
    kept server-side) place its segments on the streets.
    """
    from shapely.geometry import LineString

    from web.presentation import band_colour

    lines = []
    seg_features = []
    streets = data.snapshot.streets.set_index("segment_id", drop=False)
    routes = result.get("routes", [])
    for route, ids in zip(routes, segment_ids or [[] for _ in routes], strict=False):
        lines.append({"role": route["role"], "geometry": LineString(route["geometry"]["coordinates"])})
        segs = list(zip(ids, route.get("segments", []), strict=False))
        present = [(sid, sg) for sid, sg in segs if sid in streets.index]
        geoms = streets.loc[[sid for sid, _ in present], "geometry"] if present else []
        for (_sid, sg), geom in zip(present, geoms, strict=False):
            seg_features.append({"role": route["role"], "band": sg["band"], "street": sg.get("street", ""),
                                 "geometry": geom})
    lines_gdf = to_serve(gpd.GeoDataFrame(lines, geometry="geometry", crs=STORE_CRS))
    segs_gdf = (to_serve(gpd.GeoDataFrame(seg_features, geometry="geometry", crs=STORE_CRS)) if seg_features
                else gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs=4326))
    line_fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": shapely.geometry.mapping(shapely.set_precision(g, 1e-6)),
         "properties": {"role": role, "_tip": ROUTE_LABELS.get(role, role),
                        "_style": {"color": ROUTE_COLOURS.get(role, "#555"), "weight": 9 if role == "shortest" else 6,
                                   "opacity": 0.55, "dashArray": ROUTE_DASHES.get(role) or None}}}
        for role, g in zip(lines_gdf["role"], lines_gdf.geometry, strict=True)]}
    seg_fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": shapely.geometry.mapping(shapely.set_precision(g, 1e-6)),
         "properties": {"role": role, "band": band, "_tip": f"{street}: {band} ({ROUTE_LABELS.get(role, role)})",
                        "_style": {"color": band_colour(band), "weight": 4, "opacity": 0.95}}}
        for role, band, street, g in zip(segs_gdf.get("role", []), segs_gdf.get("band", []),
                                         segs_gdf.get("street", []), segs_gdf.geometry, strict=False)]}
    # the map shows every walk and both ends (an end may lie off the walk, before it joins the streets)
    ends = [en_to_lonlat(result[k]["point"][0], result[k]["point"][1]) for k, _, _ in ENDPOINTS if k in result]
    lon = [*(float(x) for x, _ in ends)]
    lat = [*(float(y) for _, y in ends)]
    if len(lines_gdf):
        b = lines_gdf.total_bounds
        lon += [float(b[0]), float(b[2])]
        lat += [float(b[1]), float(b[3])]
    pad_lat, pad_lon = (max(lat) - min(lat)) * 0.08 + 0.0005, (max(lon) - min(lon)) * 0.08 + 0.0005
    return line_fc, seg_fc, (min(lat) - pad_lat, min(lon) - pad_lon, max(lat) + pad_lat, max(lon) + pad_lon)


def endpoints_geojson(result: dict[str, Any]) -> dict[str, Any]:
    """Home and school as lettered markers (H, S), as the map's key shows them."""
    feats = []
    for (key, letter, words), colour in zip(ENDPOINTS, ("#102a43", "#3b2f80"), strict=True):
        ep = result[key]
        lon, lat = en_to_lonlat(ep["point"][0], ep["point"][1])
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                      "properties": {"_tip": f"{words}: {ep['label']}", "_label": letter,
                                     "_style": {"radius": 8, "color": "#fff", "weight": 2, "fillColor": colour,
                                                "fillOpacity": 1}}})
    return {"type": "FeatureCollection", "features": feats}


def bbox_ll_of_xy(xy: np.ndarray, pad_m: float = 400.0) -> tuple[float, float, float, float]:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    lon, lat = en_to_lonlat([xy[:, 0].min() - pad_m, xy[:, 0].max() + pad_m],
                            [xy[:, 1].min() - pad_m, xy[:, 1].max() + pad_m])
    return float(lat[0]), float(lon[0]), float(lat[1]), float(lon[1])


# --------------------------------------------------------------------------- incidents (analysts)


def incident_months(data) -> list[str]:
    inc = data.snapshot.incidents
    if not len(inc):
        return []
    return sorted(pd.to_datetime(inc["occurred_at"]).dt.strftime("%Y-%m").dropna().unique().tolist())


GRID_FLOOR = 16  # the colour scale reaches its darkest at no fewer incidents than this in one square


def grid_top(counts: np.ndarray) -> float:
    """The count the incident grid's colours reach their darkest at: the busiest squares (98th
    percentile), never fewer than :data:`GRID_FLOOR`, so that a square with 1 incident is drawn light
    even where every square is quiet."""
    if not len(counts):
        return float(GRID_FLOOR)
    return max(float(np.quantile(counts, 0.98)), float(GRID_FLOOR))


def grid_share(count: float, top: float) -> float:
    """Where ``count`` sits on the colour scale, 0..1, on a log scale (1 near the light end)."""
    return float(min(np.log1p(count) / np.log1p(top), 1.0))


def grid_legend(top: float, steps: int = 5) -> list[tuple[str, str]]:
    """(colour, words) for the incident grid's key: counts from 1 up to ``top``, log-spaced."""
    edges = sorted({max(round(float(np.expm1(np.log1p(top) * i / steps))), 1) for i in range(1, steps + 1)})
    out, low = [], 1
    for i, high in enumerate(edges):
        if high < low:
            continue
        last = i == len(edges) - 1
        words = f"{low} or more" if last else (f"{low}" if high == low else f"{low} to {high}")
        middle = top if last else float(np.sqrt(low * high))
        out.append((grid_colour(grid_share(middle, top)), words))
        low = high + 1
    return out


def incident_grid(data, *, months: list[str], category: str | None, cell_m: float = 250.0) -> dict[str, Any]:
    """Incidents counted on a square grid (server-side aggregation), as 4326 polygons."""
    inc = data.snapshot.incidents
    if not len(inc) or not months:
        return {"type": "FeatureCollection", "features": []}
    month = pd.to_datetime(inc["occurred_at"]).dt.strftime("%Y-%m")
    mask = month.isin(months).to_numpy()
    if category:
        mask = mask & (inc["category"].astype(str) == category).to_numpy()
    xy = shapely.get_coordinates(inc.geometry.values[mask])
    if not len(xy):
        return {"type": "FeatureCollection", "features": []}
    ij = np.floor(xy / cell_m).astype(np.int64)
    cells, counts = np.unique(ij, axis=0, return_counts=True)
    x0, y0 = cells[:, 0] * cell_m, cells[:, 1] * cell_m
    lon0, lat0 = en_to_lonlat(x0, y0)
    lon1, lat1 = en_to_lonlat(x0 + cell_m, y0 + cell_m)
    top = grid_top(counts)
    feats = []
    for a, b, c, d, n in zip(lon0, lat0, lon1, lat1, counts, strict=True):
        ring = [[round(float(a), 6), round(float(b), 6)], [round(float(c), 6), round(float(b), 6)],
                [round(float(c), 6), round(float(d), 6)], [round(float(a), 6), round(float(d), 6)],
                [round(float(a), 6), round(float(b), 6)]]
        feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                      "properties": {"count": int(n), "_tip": f"{int(n)} incident{'' if n == 1 else 's'} in this 250 m square",
                                     "_style": {"fillColor": grid_colour(grid_share(int(n), top)), "weight": 0,
                                                "fillOpacity": 0.7}}})
    return {"type": "FeatureCollection", "features": feats}


def places_geojson(data, keys: set[str], *, as_of) -> dict[str, Any]:
    """Places of these entities (never homes), live ones solid, expired faint, in EPSG:4326."""
    pl = data.snapshot.places
    if not len(pl):
        return {"type": "FeatureCollection", "features": []}
    sel = pl[pl["entity_key"].isin(keys) & (pl["kind"].astype(str) != "home")]
    if not len(sel):
        return {"type": "FeatureCollection", "features": []}
    ll = to_serve(sel)
    colours = {"hangout": "#4c6ef5", "exploitation_site": "#7b2cbf", "incident_location": "#d73027"}
    as_of = pd.Timestamp(as_of)
    feats = []
    for row in ll.itertuples(index=False):
        state = evidence_state(row, as_of)
        live = state == "live"
        feats.append({"type": "Feature",
                      "geometry": {"type": "Point", "coordinates": [round(row.geometry.x, 6), round(row.geometry.y, 6)]},
                      "properties": {"_tip": f"{row.place_id}: {str(row.kind).replace('_', ' ')} of {row.entity_key} "
                                             f"(grade {row.evidence_grade or '?'}{'' if live else ', ' + state.replace('_', ' ')})",
                                     "_style": {"radius": 7, "color": "#222", "weight": 1,
                                                "fillColor": colours.get(str(row.kind), "#868e96"),
                                                "fillOpacity": 0.9 if live else 0.25}}})
    return {"type": "FeatureCollection", "features": feats}
