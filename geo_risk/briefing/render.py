"""Render a briefing as a self-contained HTML page (A4 print) with an SVG trend chart and map.

Everything is drawn from the tier's dict (:meth:`Briefing.to_dict`), so a page can never
show more than that tier's JSON. No external assets and no network: CSS is inline, the
chart is SVG written directly (:func:`trend_chart_png` draws the same chart as a PNG with
matplotlib's Agg backend, no pyplot, no display), the map is SVG drawn from the area
polygons (areas only, never incident points).
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import matplotlib
import numpy as np
import shapely
from matplotlib.figure import Figure

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
    serious_categories: Sequence[str] | None = None,
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
    serious_categories
        The policy's serious categories, listed first in the count table (default: the default
        policy's); property and minor crime come last (:mod:`geo_risk.briefing.present`).
    """
    from geo_risk.briefing import present
    from geo_risk.config import BriefingPolicy

    data = briefing.to_dict(tier)
    serious = tuple(serious_categories if serious_categories is not None else BriefingPolicy().serious_categories)
    columns = present.shown_columns(data["counts"])
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
        groups=present.group_rows(data["counts"]["rows"], serious),
        columns=columns,
        not_applicable=present.NOT_APPLICABLE_NOTE if present.has_not_applicable(data["counts"], columns) else "",
        month_only_row=present.has_month_only_row(data["counts"]),
        chart_note=present.chart_agreement(data),
    )


def _value(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _series(data: Mapping[str, Any]) -> list[tuple[str, str, list[str]]]:
    trend = data["trend"]
    return [("all incidents", "#2171b5", trend["all"])]


NO_MONTHS = ("No month-only records (such as police.uk) are loaded, so there is no month-by-month chart; the table "
             "counts dated records in day windows.")


def chart_title(data: Mapping[str, Any]) -> str:
    """What the chart counts, in plain words (the same records and buffer as the count table's month-only rows)."""
    buffer_m = round(float(data["trend"].get("buffer_m") or data["area"]["buffer_m"]))
    return f"Month-only records (such as police.uk) per month within {buffer_m:,} m of the school"


def trend_chart_svg(data: Mapping[str, Any], *, width: int = 680, height: int = 220, ids: str = "small") -> str:
    """Month-only records within the school's buffer, month by month, as an SVG bar chart (published
    values only): the same records as the count table's month-only rows, so the months add up to them.

    Drawn directly as SVG (fast and byte-for-byte stable). A ``"<5"`` month is a hatched bar
    up to 4 labelled "<5"; a hidden month (``"[c]"``) is labelled and left empty; months
    whose month-only data is not yet published are pale. ``ids`` prefixes the drawing's ids, so that
    two copies can share a page.
    """
    trend = data["trend"]
    months = list(trend["months"])
    if not months:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 40" width="{width}" height="40" '
                f'role="img" aria-label="{html.escape(chart_title(data))}" font-family="sans-serif">'
                f'<text x="4" y="24" font-size="11">{html.escape(NO_MONTHS)}</text></svg>')
    series = _series(data)
    left, right, top, bottom = 44, 8, 40, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [_value(t) for _, _, texts in series for t in texts]
    top_value = max([v for v in values if v is not None] + [5.0])
    step = _nice_step(top_value / 4)
    y_max = step * math.ceil(top_value / step)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    n = max(len(months), 1)
    slot = plot_w / n
    bar = slot * 0.76 / len(series)
    out = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
         f'role="img" aria-label="{html.escape(chart_title(data))}" font-family="sans-serif">'),
        '<defs>',
    ]
    for k, (_, colour, _) in enumerate(series):
        out.append(
            f'<pattern id="{ids}{k}" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            f'<rect width="5" height="5" fill="#fff"/><line x1="0" y1="0" x2="0" y2="5" stroke="{colour}" '
            'stroke-width="2"/></pattern>'
        )
    out.append("</defs>")
    out.append(f'<text x="{left}" y="12" font-size="11">{html.escape(chart_title(data))} '
               "(pale: no records for the month)</text>")
    k = 0.0
    while k <= y_max + 1e-9:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(k):.1f}" y2="{y(k):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 4}" y="{y(k) + 3:.1f}" font-size="9" text-anchor="end">{k:g}</text>')
        k += step
    for m, month in enumerate(months):
        x0 = left + m * slot + slot * 0.1
        out.append(f'<text x="{left + (m + 0.5) * slot:.1f}" y="{height - bottom + 13}" font-size="9" '
                   f'text-anchor="middle">{html.escape(month[2:])}</text>')
        opacity = "0.4" if trend["partial"][m] else "1"
        for s_i, (label, colour, texts) in enumerate(series):
            text = texts[m]
            bx = x0 + s_i * bar
            value = _value(text)
            if value is not None:
                out.append(f'<rect x="{bx:.1f}" y="{y(value):.1f}" width="{bar:.1f}" height="{y(0) - y(value):.1f}" '
                           f'fill="{colour}" opacity="{opacity}"><title>{html.escape(label)} {month}: '
                           f"{html.escape(text)}</title></rect>")
                # the number itself above the bar: the chart reads like the table it adds up to
                out.append(f'<text x="{bx + bar / 2:.1f}" y="{y(value) - 2:.1f}" font-size="8" '
                           f'text-anchor="middle">{html.escape(text)}</text>')
            elif text.startswith("<"):
                out.append(f'<rect x="{bx:.1f}" y="{y(4):.1f}" width="{bar:.1f}" height="{y(0) - y(4):.1f}" '
                           f'fill="url(#{ids}{s_i})" stroke="{colour}" opacity="{opacity}"/>')
                out.append(f'<text x="{bx + bar / 2:.1f}" y="{y(4) - 2:.1f}" font-size="8" '
                           f'text-anchor="middle">{html.escape(text)}</text>')
            else:
                out.append(f'<text x="{bx + bar / 2:.1f}" y="{y(0) - 2:.1f}" font-size="8" '
                           f'text-anchor="middle">{html.escape(text)}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#333"/>')
    for s_i, (label, colour, _) in enumerate(series if len(series) > 1 else ()):  # one series: the title says it
        lx = left + 8 + s_i * 130
        out.append(f'<rect x="{lx}" y="{top - 20}" width="10" height="8" fill="{colour}"/>'
                   f'<text x="{lx + 14}" y="{top - 13}" font-size="9">{html.escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def _nice_step(raw: float) -> float:
    exp = 10 ** math.floor(math.log10(max(raw, 1e-9)))
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= mult * exp:
            return max(mult * exp, 1.0)
    return 10 * exp


def trend_chart_png(data: Mapping[str, Any], *, width_in: float = 7.0, height_in: float = 2.4, dpi: int = 150) -> bytes:
    """The same chart as a PNG drawn with matplotlib's Agg backend (no display, no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    trend = data["trend"]
    months = trend["months"]
    x = np.arange(len(months))
    with matplotlib.rc_context({"font.size": 8}):
        fig = Figure(figsize=(width_in, height_in), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        series = _series(data)
        width = 0.8 / len(series)
        offsets = [(k - (len(series) - 1) / 2) * width for k in range(len(series))]
        for offset, (label, colour, texts) in zip(offsets, series, strict=True):
            for k, text in enumerate(texts):
                alpha = 0.4 if trend["partial"][k] else 1.0
                value = _value(text)
                if value is not None:
                    ax.bar(x[k] + offset, value, width=width, color=colour, alpha=alpha, label=label if k == 0 else None)
                elif text.startswith("<"):
                    ax.bar(x[k] + offset, 4, width=width, color="white", edgecolor=colour, hatch="///", alpha=alpha,
                           label=label if k == 0 else None)
                    ax.annotate(text, (x[k] + offset, 4), ha="center", va="bottom", fontsize=6)
                else:
                    ax.annotate(text, (x[k] + offset, 0), ha="center", va="bottom", fontsize=6)
        ax.set_xticks(x)
        ax.set_xticklabels([m[2:] for m in months])
        ax.set_ylabel("records")
        ax.set_title(chart_title(data), fontsize=8, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        if len(series) > 1:
            ax.legend(loc="upper left", fontsize=7, frameon=False)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


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
