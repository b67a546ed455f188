"""Render a briefing as a self-contained HTML page (A4 print) with an SVG trend chart and map.

Everything is drawn from the tier's dict (:meth:`Briefing.to_dict`), so a page can never
show more than that tier's JSON. No external assets and no network: CSS is inline, the
chart is matplotlib's SVG backend (no pyplot, no display), the map is SVG drawn from the
area polygons (areas only, never incident points).
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import matplotlib
import numpy as np
import shapely
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from geo_risk.briefing.disclosure import SECONDARY_MARK, WITHHELD_MARK
from geo_risk.briefing.model import Briefing, Tier

TEMPLATES = Path(__file__).parent / "templates"
SHADES = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(
    briefing: Briefing,
    *,
    tier: Tier = "school",
    areas: gpd.GeoDataFrame | None = None,
) -> str:
    """The briefing as one self-contained HTML page that prints on A4.

    Parameters
    ----------
    briefing
        The briefing.
    tier
        ``"school"`` (default) or ``"analyst"``; the page shows only that tier's data.
    areas
        The data-contract areas frame (EPSG:27700), to draw the neighbourhood map. Without
        it the page has no map.
    """
    data = briefing.to_dict(tier)
    # all categories for every window; single categories for the 28-day window, when shown
    rates = [
        r for r in data["rate_ratios"]
        if r["resolution"] == "all" or (r["window"] == "28d" and r["status"] == "shown")
    ]
    map_svg = area_map_svg(data, areas, centre=(briefing.school_point.easting, briefing.school_point.northing)) if (
        areas is not None
    ) else ""
    template = _ENV.get_template("briefing.html.j2")
    return template.render(
        b=data,
        rates=rates,
        chart_svg=trend_chart_svg(data),
        map_svg=map_svg,
        previous_given=bool(data["changes"]),
    )


def _value(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def trend_chart_svg(data: Mapping[str, Any], *, width_in: float = 7.0, height_in: float = 2.4) -> str:
    """Monthly incidents in the school's neighbourhoods as an SVG bar chart (published values only).

    A ``"<5"`` month is drawn as a hatched bar up to 4 and labelled; a hidden (``"[c]"``)
    month is labelled and left empty. Months whose month-only data is not yet published are
    drawn pale.
    """
    trend = data["trend"]
    months = trend["months"]
    x = np.arange(len(months))
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "geo-risk-briefing", "font.size": 8}):
        fig = Figure(figsize=(width_in, height_in))
        FigureCanvasSVG(fig)
        ax = fig.add_subplot(1, 1, 1)
        for series, colour, offset, label in (("all", "#6baed6", -0.2, "all incidents"),
                                               ("serious", "#de2d26", 0.2, "serious incidents")):
            for k, text in enumerate(trend[series]):
                partial = trend["partial"][k]
                alpha = 0.4 if partial else 1.0
                value = _value(text)
                if value is not None:
                    ax.bar(x[k] + offset, value, width=0.4, color=colour, alpha=alpha,
                           label=label if k == 0 else None)
                elif text.startswith("<"):
                    ax.bar(x[k] + offset, 4, width=0.4, color="white", edgecolor=colour, hatch="///", alpha=alpha,
                           label=label if k == 0 else None)
                    ax.annotate(text, (x[k] + offset, 4), ha="center", va="bottom", fontsize=6)
                elif text in (SECONDARY_MARK, WITHHELD_MARK):
                    ax.annotate(text, (x[k] + offset, 0), ha="center", va="bottom", fontsize=6)
        ax.set_xticks(x)
        ax.set_xticklabels([m[2:] for m in months], rotation=0)
        ax.set_ylabel("incidents")
        ax.set_title("Incidents per month in the school's neighbourhoods (pale: month not yet fully published)",
                     fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="upper left", fontsize=7, frameon=False)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    return text[text.index("<svg"):]


def area_map_svg(
    data: Mapping[str, Any],
    areas: gpd.GeoDataFrame,
    *,
    centre: tuple[float, float],
    size_px: int = 320,
    margin_m: float = 150.0,
) -> str:
    """The neighbourhoods the area touches, shaded by their published class, with the buffer.

    Only area polygons are drawn; no incident or place is ever placed on this map.
    """
    shades = {a["code"]: a["shade"] for a in data["area"]["areas"]}
    sub = areas[areas["code"].astype(str).isin(shades)]
    if "level" in sub:
        sub = sub[sub["level"].astype(str) == data["area"]["level"]]
    buffer_m = float(data["area"]["buffer_m"])
    cx, cy = centre
    half = buffer_m + margin_m
    scale = size_px / (2 * half)

    def path(geom) -> str:
        parts = []
        polys = getattr(geom, "geoms", [geom])
        for poly in polys:
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)
                px = (xy[:, 0] - (cx - half)) * scale
                py = ((cy + half) - xy[:, 1]) * scale
                parts.append("M" + " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py)) + " Z")
        return " ".join(parts)

    window = shapely.box(cx - half, cy - half, cx + half, cy + half)
    items = []
    for code, geom in zip(sub["code"].astype(str), sub.geometry):
        clipped = shapely.intersection(geom, window)
        if clipped.is_empty:
            continue
        shade = shades.get(code)
        fill = SHADES[min(max(int(shade), 1), len(SHADES)) - 1] if shade else "url(#few)"
        items.append(
            f'<path d="{path(clipped)}" fill="{fill}" stroke="#555" stroke-width="0.6" fill-rule="evenodd">'
            f"<title>{html.escape(code)}</title></path>"
        )
    r = buffer_m * scale
    c = size_px / 2
    legend = "".join(
        f'<rect x="{6 + k * 22}" y="{size_px + 6}" width="20" height="10" fill="{colour}" stroke="#555" '
        f'stroke-width="0.5"/><text x="{16 + k * 22}" y="{size_px + 26}" font-size="9" text-anchor="middle">{k + 1}'
        "</text>"
        for k, colour in enumerate(SHADES)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size_px} {size_px + 32}" width="{size_px}" '
        f'height="{size_px + 32}" role="img" aria-label="Neighbourhood shading around the school">'
        '<defs><pattern id="few" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#f0f0f0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#aaa" stroke-width="2"/>'
        "</pattern></defs>"
        + "".join(items)
        + f'<circle cx="{c:.1f}" cy="{c:.1f}" r="{r:.1f}" fill="none" stroke="#000" stroke-width="1.2" '
        'stroke-dasharray="5,3"/>'
        + f'<rect x="{c - 4:.1f}" y="{c - 4:.1f}" width="8" height="8" fill="#000"><title>school</title></rect>'
        + legend
        + f'<text x="{6 + 5 * 22 + 4}" y="{size_px + 15}" font-size="9">hatched: too few to shade</text>'
        "</svg>"
    )
