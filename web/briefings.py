"""School-area briefing for the web page: area-level shading and trends under disclosure control.

School users see area-level shading only, never incident points; counts of 1-4 are shown
as "<5". When the briefing engine (:mod:`geo_risk.briefing`) offers a full ``Briefing``
this module presents it; until then it derives the page's figures from the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_risk.crs import to_serve
from web.presentation import grid_colour, level_colour


@dataclass
class SchoolBriefing:
    urn: str
    name: str
    phase: str
    as_of: Any
    level: str
    level_colour: str
    level_reasons: list[str]
    windows: list[dict[str, Any]]
    shading: dict[str, Any]
    school_marker: dict[str, Any]
    trend_labels: list[str]
    trend_series: dict[str, list[float]]
    bounds_ll: tuple[float, float, float, float]
    notes: list[str] = field(default_factory=list)


def _show(n: int, threshold: int) -> str:
    try:
        from geo_risk.briefing.disclosure import show_count

        return show_count(int(n), threshold=threshold)
    except ImportError:  # pragma: no cover - the engine module is in the same package
        return "<5" if 0 < n < threshold else str(int(n))


def build(data, urn: str) -> SchoolBriefing:
    policy = data.policy.briefing
    snap = data.snapshot
    school = snap.school(urn)
    centre = school.geometry
    area = centre.buffer(float(policy.buffer_m))
    inc = snap.incidents
    as_of = pd.Timestamp(data.as_of)
    if len(inc):
        inside = shapely.contains_xy(area, *shapely.get_coordinates(inc.geometry.values).T)
        near = inc[inside]
    else:
        near = inc
    when = pd.to_datetime(near["occurred_at"]) if len(near) else pd.Series([], dtype="datetime64[ns]")
    serious = near["category"].isin(policy.serious_categories) if len(near) else pd.Series([], dtype=bool)
    windows = []
    year = (when > as_of - pd.Timedelta(days=365)) & (when <= as_of)
    for days in policy.windows_days:
        recent = (when > as_of - pd.Timedelta(days=int(days))) & (when <= as_of)
        n = int((recent & serious).sum())
        expected = float((year & serious).sum()) * int(days) / 365.0
        ratio = (n / expected) if expected > 0 else None
        windows.append({"days": int(days), "count": _show(n, policy.suppress_below),
                        "expected": f"{expected:.1f}", "ratio": None if ratio is None or n < policy.suppress_below
                        else f"{ratio:.2f}"})
    # Level: a simple, explainable rule on the 28-day rate ratio of serious incidents.
    levels = list(policy.levels)
    r28 = next((w for w in windows if w["days"] == 28), windows[0] if windows else None)
    ratio = float(r28["ratio"]) if r28 and r28["ratio"] else 1.0
    idx = 0 if ratio < 1.2 else 1 if ratio < 1.6 else 2 if ratio < 2.5 else 3
    level = levels[min(idx, len(levels) - 1)]
    reasons = [f"serious incidents in the last 28 days are {ratio:.1f} times the usual rate"
               if r28 and r28["ratio"] else "serious incidents in the last 28 days are at about the usual rate"]
    # Area shading: serious incidents over the last 90 days per LSOA touching the area (no points).
    level_name = data.boundary_level()
    shading: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    if level_name is not None:
        areas = data.snapshot.areas
        areas = areas[(areas["level"] == level_name) & areas.intersects(area)]
        if len(areas):
            recent90 = near[((when > as_of - pd.Timedelta(days=90)) & (when <= as_of)).to_numpy()] if len(near) else near
            counts = np.zeros(len(areas), dtype=int)
            if len(recent90):
                xy = shapely.get_coordinates(recent90.geometry.values)
                for i, geom in enumerate(areas.geometry.values):
                    counts[i] = int(shapely.contains_xy(geom, xy[:, 0], xy[:, 1]).sum())
            top = max(int(counts.max()), 1)
            served = to_serve(areas[["code", "name", "geometry"]].assign(geometry=areas.geometry.simplify(10)))
            feats = []
            for (code, name, geom), n in zip(served[["code", "name", "geometry"]].itertuples(index=False, name=None),
                                             counts, strict=True):
                feats.append({"type": "Feature", "geometry": shapely.geometry.mapping(shapely.set_precision(geom, 1e-6)),
                              "properties": {"code": code, "count": _show(int(n), policy.suppress_below),
                                             "_tip": f"{name}: {_show(int(n), policy.suppress_below)} serious incidents in 90 days",
                                             "_style": {"fillColor": grid_colour(n / top), "fillOpacity": 0.55,
                                                        "color": "#495057", "weight": 1}}})
            shading = {"type": "FeatureCollection", "features": feats}
    # Monthly trend over 12 months (all and serious), suppressed below the threshold.
    months = pd.period_range(end=as_of.to_period("M"), periods=12, freq="M")
    labels = [str(p) for p in months]
    per = when.dt.to_period("M") if len(near) else pd.Series([], dtype="period[M]")
    all_counts = [int((per == p).sum()) for p in months]
    ser_counts = [int(((per == p) & serious).sum()) for p in months]

    def suppress(values: list[int]) -> list[float | None]:
        return [None if 0 < v < policy.suppress_below else float(v) for v in values]

    series = {"all incidents": suppress(all_counts), "serious incidents": suppress(ser_counts)}
    pt = to_serve(snap.schools[snap.schools["urn"] == str(urn)][["geometry"]])
    lon, lat = float(pt.geometry.iloc[0].x), float(pt.geometry.iloc[0].y)
    marker = {"type": "FeatureCollection", "features": [{"type": "Feature",
              "geometry": {"type": "Point", "coordinates": [lon, lat]},
              "properties": {"_tip": str(school["name"]), "_style": {"radius": 8, "color": "#fff", "weight": 2,
                                                                    "fillColor": "#5f3dc4", "fillOpacity": 1}}}]}
    ring = to_serve(gpd.GeoDataFrame({"geometry": [area]}, geometry="geometry", crs=27700))
    b = ring.total_bounds
    return SchoolBriefing(urn=str(urn), name=str(school["name"]), phase=str(school["phase"]), as_of=as_of,
                          level=level, level_colour=level_colour(level), level_reasons=reasons, windows=windows,
                          shading=shading, school_marker=marker, trend_labels=labels, trend_series=series,
                          bounds_ll=(float(b[1]), float(b[0]), float(b[3]), float(b[2])),
                          notes=["Counts of 1 to 4 are shown as \"<5\" so no incident can be singled out.",
                                 "The area is the school's surroundings within "
                                 f"{policy.buffer_m / 1000:g} km; shading is by neighbourhood, never by point."])

