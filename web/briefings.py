"""School briefings for the web: the briefing engine's result, with a map of shaded neighbourhoods.

:func:`geo_risk.service.brief_school` runs the briefing (counts, rate ratios, tension level,
disclosure control, live notices and overrides); this module only adds what a page needs (the
areas as GeoJSON in EPSG:4326, shaded by their published class, the school's marker and the
trend chart). School users get the school tier (areas, never incident points).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import shapely
from markupsafe import Markup

from geo_risk.crs import to_serve
from web.presentation import grid_colour, level_colour


@dataclass(frozen=True)
class BriefingPage:
    urn: str
    tier: str
    data: dict[str, Any]
    level_colour: str
    shading: dict[str, Any]
    school_marker: dict[str, Any]
    chart: Markup
    chart_print: Markup  # the same chart beside the map when printed (two A4 pages)
    bounds_ll: tuple[float, float, float, float]
    key: tuple[dict[str, Any], ...] = ()
    groups: tuple[Any, ...] = ()  # the count table's rows, serious first (geo_risk.briefing.present)
    columns: tuple[str, ...] = ()  # the count table's columns that hold a value
    not_applicable: str = ""  # what "n/a" means, when a shown cell reads so
    month_only_row: bool = False  # the table shows its month-only total (what the chart adds up to) as a row
    chart_note: str = ""  # how the chart's months add up to the table


def build(app_data, checked) -> BriefingPage:
    """The page of a school briefing (:class:`geo_risk.service.SchoolBriefing`): its tier's data, the
    areas shaded for the map, the school's marker and the trend chart."""
    from geo_risk.briefing import present
    from geo_risk.briefing.render import trend_chart_svg

    snap = app_data.snapshot
    urn, tier = checked.urn, checked.tier
    data = checked.result
    classes = max(int(getattr(app_data.policy.briefing, "shade_classes", 5) or 5), 1)
    shown = {a["code"]: a for a in data["area"]["areas"]}
    areas = snap.areas[(snap.areas["level"] == data["area"]["level"]) & snap.areas["code"].isin(list(shown))]
    if len(areas):
        newest = max(areas["version"].astype(str).unique())
        areas = areas[areas["version"].astype(str) == newest]
    served = to_serve(areas[["code", "name", "geometry"]].assign(geometry=areas.geometry.simplify(10.0)))
    features = []
    for code, name, geom in served[["code", "name", "geometry"]].itertuples(index=False, name=None):
        a = shown[code]
        shade = a["shade"]
        features.append({
            "type": "Feature",
            "geometry": shapely.geometry.mapping(shapely.set_precision(geom, 1e-6)),
            "properties": {"code": code, "name": name, "count_12m": a["count_12m"], "shade": shade,
                           "_tip": f"{name}: {a['count_12m']} incidents in 12 months",
                           "_style": {"fillColor": grid_colour(shade / classes) if shade else "#dee2e6",
                                      "fillOpacity": 0.55, "color": "#495057", "weight": 1}},
        })
    point = snap.school(urn).geometry
    pt = to_serve(gpd.GeoDataFrame(geometry=[point], crs=27700)).geometry.iloc[0]
    marker = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [round(pt.x, 6), round(pt.y, 6)]},
        "properties": {"_tip": data["school"]["name"], "_label": "S",
                       "_style": {"radius": 8, "color": "#fff", "weight": 2, "fillColor": "#5f3dc4",
                                  "fillOpacity": 1}}}]}
    columns = present.shown_columns(data["counts"])
    ring = to_serve(gpd.GeoDataFrame(geometry=[point.buffer(float(data["area"]["buffer_m"]) * 1.2)], crs=27700))
    b = ring.total_bounds
    return BriefingPage(urn=str(urn), tier=tier, data=data, level_colour=level_colour(data["tension"]["level"]),
                        shading={"type": "FeatureCollection", "features": features}, school_marker=marker,
                        chart=Markup(trend_chart_svg(data)),
                        chart_print=Markup(trend_chart_svg(data, ids="print-small")),
                        bounds_ll=(float(b[1]), float(b[0]), float(b[3]), float(b[2])),
                        key=_key(classes),
                        groups=present.group_rows(data["counts"]["rows"],
                                                  tuple(app_data.policy.briefing.serious_categories)),
                        columns=tuple(columns),
                        not_applicable=present.NOT_APPLICABLE_NOTE if present.has_not_applicable(
                            data["counts"], columns) else "",
                        month_only_row=present.has_month_only_row(data["counts"]),
                        chart_note=present.chart_agreement(data))


def _key(classes: int) -> tuple[dict[str, Any], ...]:
    """The briefing map's key: the school, the shading classes (fewest to most incidents), the base map."""
    from web.maps import BASE_KEY

    shades = [{"kind": "area", "colour": grid_colour(k / classes), "edge": "#495057",
               "label": ("Fewest incidents" if k == 1 else "Most incidents" if k == classes else f"Shade {k}")}
              for k in range(1, classes + 1)]
    return ({"kind": "marker", "colour": "#5f3dc4", "letter": "S", "label": "The school"}, *shades,
            {"kind": "area", "colour": "#dee2e6", "edge": "#495057", "label": "No incidents shown"}, *BASE_KEY)
