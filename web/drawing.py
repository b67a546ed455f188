"""Small server-side SVG drawings: the peer network around a young person, trend charts.

Drawn on the server so the pages need no charting library and make no extra requests.
All text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import networkx as nx
from markupsafe import Markup

LINK_COLOURS = {
    "in_conflict_with": "#d73027",
    "exploits": "#7b2cbf",
    "associates_with": "#4c6ef5",
    "member_of": "#868e96",
    "family": "#2b8a3e",
}
LINK_WORDS = {
    "in_conflict_with": "in conflict with",
    "exploits": "may exploit",
    "associates_with": "associates with",
    "member_of": "member of",
    "family": "family",
}


def network_svg(g: nx.MultiGraph, pseudonym: str, *, width: int = 640, height: int = 460) -> Markup:
    me = ("person", pseudonym)
    if g.number_of_nodes() == 0:
        return Markup("")
    simple = nx.Graph(g)
    pos = nx.spring_layout(simple, seed=7, k=1.2 / math.sqrt(max(1, simple.number_of_nodes())))
    if me in pos:
        cx, cy = pos[me]
        pos = {n: (x - cx, y - cy) for n, (x, y) in pos.items()}
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    span = max(max(map(abs, xs)), max(map(abs, ys)), 1e-6)
    pad = 40

    def sx(x: float) -> float:
        return width / 2 + x / span * (width / 2 - pad)

    def sy(y: float) -> float:
        return height / 2 + y / span * (height / 2 - pad)

    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
              f'aria-label="Peer network around young person {escape(pseudonym)}">')]
    for u, v, data in g.edges(data=True):
        colour = LINK_COLOURS.get(data.get("type"), "#999") if data.get("live") else "#ced4da"
        dash = "" if data.get("live") else ' stroke-dasharray="4 3"'
        title = f"{LINK_WORDS.get(data.get('type'), data.get('type'))} (grade {data.get('grade') or '?'})"
        if not data.get("live"):
            title += ", expired: does not score"
        parts.append(f'<line x1="{sx(pos[u][0]):.1f}" y1="{sy(pos[u][1]):.1f}" x2="{sx(pos[v][0]):.1f}" '
                     f'y2="{sy(pos[v][1]):.1f}" stroke="{colour}" stroke-width="2"{dash}>'
                     f'<title>{escape(title)}</title></line>')
    for node, data in g.nodes(data=True):
        x, y = sx(pos[node][0]), sy(pos[node][1])
        label = escape(str(data.get("label", node[1])))
        if node[0] == "group":
            shape = f'<rect x="{x - 9:.1f}" y="{y - 9:.1f}" width="18" height="18" fill="#adb5bd" stroke="#495057"/>'
        else:
            fill = "#1f5f8b" if node == me else "#ffffff"
            shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{11 if node == me else 8}" fill="{fill}" stroke="#1f2933" stroke-width="1.5"/>'
        parts.append(f'<g>{shape}<text x="{x + 12:.1f}" y="{y + 4:.1f}" font-size="12" fill="#1f2933">{label}</text>'
                     f'<title>{label}</title></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart_svg(labels: Sequence[str], series: dict[str, Sequence[float]], *, width: int = 640,
                  height: int = 220, colours: Sequence[str] = ("#1f5f8b", "#d73027", "#2b8a3e")) -> Markup:
    """A simple line chart of a few series over ``labels`` (e.g. months)."""
    n = len(labels)
    if n == 0:
        return Markup("")
    values = [v for s in series.values() for v in s if v is not None]
    top = max(values) if values else 1.0
    top = top if top > 0 else 1.0
    left, bottom, right, topm = 40, 30, 10, 10
    w, h = width - left - right, height - bottom - topm

    def px(i: int) -> float:
        return left + (i + 0.5) * w / n

    def py(v: float) -> float:
        return topm + h - v / top * h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="Trend chart">',
             f'<line x1="{left}" y1="{topm + h}" x2="{left + w}" y2="{topm + h}" stroke="#9aa5b1"/>',
             f'<text x="4" y="{topm + 10}" font-size="11" fill="#52606d">{top:.0f}</text>',
             f'<text x="4" y="{topm + h}" font-size="11" fill="#52606d">0</text>']
    step = max(1, n // 8)
    for i, lab in enumerate(labels):
        if i % step == 0:
            parts.append(f'<text x="{px(i):.1f}" y="{height - 8}" font-size="10" text-anchor="middle" fill="#52606d">{escape(str(lab))}</text>')
    for k, (name, vals) in enumerate(series.items()):
        colour = colours[k % len(colours)]
        pts = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(vals) if v is not None)
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"><title>{escape(name)}</title></polyline>')
        parts.append(f'<text x="{left + 8 + 150 * k}" y="{topm + 12}" font-size="11" fill="{colour}">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
