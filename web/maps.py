"""folium maps served entirely by the app: local Leaflet, no third-party tiles, canvas layers.

- :class:`LocalMap` replaces folium's CDN asset URLs with the app's ``/static/vendor/`` copies
  (installed by :mod:`web.assets`); no tile layer unless ``GEO_RISK_TILE_URL`` names a
  self-hosted tile server.
- The base map is drawn from the loaded streets and boundaries (:func:`add_base_layers`),
  clipped to the view and simplified, on a canvas renderer.
- :class:`GeoJsonLayer` is a small element: one ``L.geoJSON`` call with per-feature styles
  from properties, and tooltips set as *text* (never HTML) so no data can inject markup.
- :func:`render_map` splits the figure into head, body and script parts carrying the
  page's CSP nonce.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from flask import url_for
from jinja2 import Template
from markupsafe import Markup

from web.assets import JQUERY_JS, LEAFLET_CSS, LEAFLET_JS

COORD_DIGITS = 5  # about 1 m


def _cache_branca_templates() -> None:
    """Compile each of branca's per-instance template strings once, not on every map.

    ``branca.element.Element(template=...)`` builds a ``jinja2.Template`` from its string
    for every element of every figure (about 10 compilations, ~80 ms, per map page).
    Templates are immutable once compiled and safe to share between threads, so an LRU
    cache keyed on the source gives the same output for a fraction of the time.
    """
    import functools

    import branca.element as branca_element
    from jinja2 import Template as JinjaTemplate

    if not getattr(branca_element.Template, "_geo_risk_cached", False):
        cached = functools.lru_cache(maxsize=512)(JinjaTemplate)
        cached._geo_risk_cached = True  # type: ignore[attr-defined]
        branca_element.Template = cached  # type: ignore[assignment]


_cache_branca_templates()


class LocalMap(folium.Map):
    """A folium map whose Leaflet and jQuery come from the app, with no default tiles."""

    def __init__(self, *args: Any, tile_url: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("tiles", None)
        kwargs.setdefault("prefer_canvas", True)
        kwargs.setdefault("control_scale", True)
        super().__init__(*args, **kwargs)
        self.default_js = [("leaflet", url_for("static", filename=LEAFLET_JS)),
                           ("jquery", url_for("static", filename=JQUERY_JS))]
        self.default_css = [("leaflet_css", url_for("static", filename=LEAFLET_CSS)),
                            ("geo_risk_css", url_for("static", filename="map.css"))]
        if tile_url:
            folium.TileLayer(tiles=tile_url, attr="self-hosted tiles", name="tiles", max_zoom=19).add_to(self)


class _RawScript(Element):
    """Script text added to the figure as it is (never compiled as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class _DataElement(MacroElement):
    """A macro element whose rendered script goes into the figure as plain text.

    branca's ``MacroElement.render`` wraps each rendered macro in a new ``Element(text)``,
    which compiles that text as a Jinja template: data in it (street names, reasons)
    would be parsed as template code, and slowly. These elements skip that step.
    """

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        script = self._template.module.__dict__.get("script")
        if script is not None:
            figure.script.add_child(_RawScript(str(script(self, kwargs))), name=self.get_name())


class GeoJsonLayer(_DataElement):
    """GeoJSON drawn with ``L.geoJSON``: base style, per-feature ``_style``, text tooltips."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoJSON({{ this.data_json }}, {
    interactive: {{ this.interactive_json }},
    style: function (f) { return Object.assign({}, {{ this.style_json }}, (f.properties && f.properties._style) || {}); },
    pointToLayer: function (f, latlng) {
        var st = Object.assign({}, {{ this.style_json }}, (f.properties && f.properties._style) || {});
        if (f.properties && f.properties._label !== undefined) {
            // a numbered marker: the same number as the row of the table beside the map
            var el = document.createElement("span");
            el.textContent = String(f.properties._label);
            el.style.background = st.fillColor || "#102a43";
            return L.marker(latlng, {icon: L.divIcon({html: el, className: "num-marker", iconSize: [26, 26]}),
                                     keyboard: false, title: ""});
        }
        return L.circleMarker(latlng, st);
    },
    onEachFeature: function (f, layer) {
        if (f.properties && f.properties._tip) {
            var tip = document.createElement("div");
            tip.textContent = String(f.properties._tip);
            layer.bindTooltip(tip, {sticky: true});
        }
    }
});
{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
{% if this.layer_name %}
window.geoRiskLayers = window.geoRiskLayers || {};
window.geoRiskLayers[{{ this.layer_name_json }}] = {{ this.get_name() }};
{% endif %}
{% endmacro %}
""")

    def __init__(self, data: dict[str, Any] | str, *, style: dict[str, Any] | None = None, name: str = "",
                 show: bool = True, interactive: bool = True) -> None:
        super().__init__()
        self._name = "GeoJsonLayer"
        # A str is GeoJSON text already made safe for a script element (see FeatureIndex).
        self.data_json = Markup(data if isinstance(data, str) else _safe_json(data))
        self.style_json = Markup(_safe_json(style or {}))
        self.interactive_json = Markup("true" if interactive else "false")
        self.layer_name = name
        self.layer_name_json = Markup(_safe_json(name))
        self.show = show
        self.data = data


class MapReady(_DataElement):
    """Marks the map element once Leaflet has drawn it (tests and print wait for it)."""

    _template = Template("""
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.whenReady(function () {
    var el = document.getElementById({{ this.map_id_json }});
    if (el) { el.setAttribute("data-ready", "1"); }
    window.geoRiskMap = {{ this._parent.get_name() }};
});
{% endmacro %}
""")

    def __init__(self, map_id: str) -> None:
        super().__init__()
        self._name = "MapReady"
        self.map_id_json = Markup(_safe_json(map_id))


class LayerSwitch(_DataElement):
    """Leaflet's layer control over the map's named layers, each with the words of ``labels``
    (layer name -> label, in the order given); collapsed behind a button on a narrow screen."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
    var named = window.geoRiskLayers || {}, overlays = {}, labels = {{ this.labels_json }};
    labels.forEach(function (pair) { if (named[pair[0]]) { overlays[pair[1]] = named[pair[0]]; } });
    L.control.layers(null, overlays, {collapsed: window.innerWidth < 640, position: "topright"})
        .addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
""")

    def __init__(self, labels: dict[str, str]) -> None:
        super().__init__()
        self._name = "LayerSwitch"
        # the base map's labels (see add_base_layers) are in every switch, after the page's own layers
        labels = {**labels, **{k: v for k, v in LABEL_LAYERS.items() if k not in labels}}
        self.labels = dict(labels)
        self.labels_json = Markup(_safe_json([[k, v] for k, v in labels.items()]))


#: The base map's label layers: layer name -> the words of the layer switch.
LABEL_LAYERS = {"place-names": "School names", "street-names": "Street names"}
#: The zoom from which each kind of label shows (a whole town at 13; a few streets at 16).
LABEL_MIN_ZOOM = {"school": 14, "street": 16}


class LabelLayer(_DataElement):
    """Text labels drawn by the app (no tiles): a point feature's ``_name`` at its place, as a
    non-interactive marker. Each kind of label (``_kind``: street or school) shows only from its
    zoom in :data:`LABEL_MIN_ZOOM` (the map's element carries ``labels-<kind>`` while it does), and
    the layer switch can hide the layer."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function (map) {
    var group = L.layerGroup(), minZoom = {{ this.min_zoom_json }}, data = {{ this.data_json }};
    data.features.forEach(function (f) {
        var c = f.geometry.coordinates, el = document.createElement("span");
        el.textContent = String(f.properties._name);
        L.marker([c[1], c[0]], {icon: L.divIcon({html: el, className: "map-label map-label-" + f.properties._kind,
                                                  iconSize: null}),
                                interactive: false, keyboard: false, title: ""}).addTo(group);
    });
    var show = function () {
        var z = map.getZoom(), box = map.getContainer();
        Object.keys(minZoom).forEach(function (kind) { box.classList.toggle("labels-" + kind, z >= minZoom[kind]); });
    };
    map.on("zoomend", show);
    map.whenReady(show);
    group.addTo(map);
    window.geoRiskLayers = window.geoRiskLayers || {};
    window.geoRiskLayers[{{ this.layer_name_json }}] = group;
    return group;
})({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, data: str, *, name: str) -> None:
        super().__init__()
        self._name = "LabelLayer"
        self.data_json = Markup(data)
        self.layer_name_json = Markup(_safe_json(name))
        self.min_zoom_json = Markup(_safe_json(LABEL_MIN_ZOOM))


def _safe_json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def new_map(bounds_ll: Sequence[float] | None, *, tile_url: str = "", height: str = "520px") -> LocalMap:
    """A map fitted to ``bounds_ll`` = (south, west, north, east)."""
    m = LocalMap(location=None, zoom_start=13, tile_url=tile_url, height=height, width="100%")
    if bounds_ll is not None:
        s, w, n, e = bounds_ll
        m.fit_bounds([[s, w], [n, e]])
    MapReady(m.get_name()).add_to(m)
    return m


def bounds_of_points(lat: Sequence[float], lon: Sequence[float], pad_deg: float = 0.004):
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    return (float(lat.min() - pad_deg), float(lon.min() - pad_deg), float(lat.max() + pad_deg),
            float(lon.max() + pad_deg))


def frame_to_geojson(gdf: gpd.GeoDataFrame, props: Sequence[str] = (), *, tip: str | None = None,
                     style: Any = None) -> dict[str, Any]:
    """A FeatureCollection with rounded coordinates; ``style`` a column name or callable(row) -> dict."""
    geoms = shapely.set_precision(gdf.geometry.values, 10 ** -COORD_DIGITS) if len(gdf) else []
    features = []
    records = gdf.drop(columns=gdf.geometry.name).to_dict("records") if len(gdf) else []
    for geom, rec in zip(geoms, records, strict=True):
        if geom is None or geom.is_empty:
            continue
        p = {k: _plain(rec.get(k)) for k in props}
        if tip:
            p["_tip"] = _plain(rec.get(tip))
        if style is not None:
            p["_style"] = style(rec) if callable(style) else rec.get(style)
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": p})
    return {"type": "FeatureCollection", "features": features}


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        if isinstance(value, float) and not np.isfinite(value):
            return None
        return value
    return str(value)


MAJOR_HIGHWAYS = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
                  "secondary_link", "tertiary", "tertiary_link")
PATH_HIGHWAYS = ("footway", "path", "steps", "cycleway", "pedestrian", "bridleway", "track")


def street_class_style(cls: str) -> dict[str, Any] | None:
    """Line style of a street class: major roads wider, paths dashed."""
    if cls == "major":
        return {"weight": 2.5, "color": "#7b8794"}
    if cls == "path":
        return {"weight": 1, "dashArray": "3 3"}
    return None


class FeatureIndex:
    """Features serialised once, selected per request by bounding box (no per-request geometry work).

    Built once per data snapshot from an EPSG:4326 frame: each feature's GeoJSON text,
    its bounds, and whether it is a minor feature (left out of wide views).
    """

    def __init__(self, gdf: gpd.GeoDataFrame, *, tip: str | None = None, style=None,
                 minor: np.ndarray | None = None, props: Sequence[str] = ()) -> None:
        fc = frame_to_geojson(gdf, props, tip=tip, style=style)
        self.strings = np.array([_safe_json(f) for f in fc["features"]], dtype=object)
        kept = [g for g in gdf.geometry.values if g is not None and not g.is_empty]
        self.bounds = shapely.bounds(np.array(kept, dtype=object)) if kept else np.zeros((0, 4))
        keep_mask = np.array([g is not None and not g.is_empty for g in gdf.geometry.values], dtype=bool)
        self.minor = (np.asarray(minor, dtype=bool)[keep_mask] if minor is not None
                      else np.zeros(len(self.strings), dtype=bool))

    def __len__(self) -> int:
        return len(self.strings)

    def select(self, bounds_ll: Sequence[float] | None, *, limit: int, wide_deg2: float = 0.0012) -> str:
        """FeatureCollection text of the features meeting ``bounds_ll`` (south, west, north, east)."""
        if not len(self.strings):
            return '{"type":"FeatureCollection","features":[]}'
        mask = np.ones(len(self.strings), dtype=bool)
        if bounds_ll is not None:
            s_, w, n, e = bounds_ll
            b = self.bounds
            mask = (b[:, 0] <= e) & (b[:, 2] >= w) & (b[:, 1] <= n) & (b[:, 3] >= s_)
            wide = (n - s_) * (e - w) > wide_deg2
        else:
            wide = True
        if wide or mask.sum() > limit:
            mask = mask & ~self.minor
        idx = np.flatnonzero(mask)[:limit]
        return '{"type":"FeatureCollection","features":[' + ",".join(self.strings[idx]) + "]}"


#: The base layers' entries in a map's key (see templates/_map_key.html).
BASE_KEY = ({"kind": "line", "colour": "#9aa5b1", "label": "Streets (from the loaded street network)"},
            {"kind": "area", "colour": "#eef1f5", "edge": "#6b7a8f", "label": "Neighbourhood boundaries"},
            {"kind": "text", "style": "school", "text": "School",
             "label": f"School names (from zoom {LABEL_MIN_ZOOM['school']})"},
            {"kind": "text", "style": "street", "text": "High St",
             "label": f"Street names (zoom in: from zoom {LABEL_MIN_ZOOM['street']})"})


def add_base_layers(m: folium.Map, data, bounds_ll: Sequence[float] | None, *, max_streets: int = 1500,
                    max_labels: int = 600) -> None:
    """Streets, boundaries, and school and street names of the view, from the loaded data (no tiles)."""
    view = _grow(bounds_ll) if bounds_ll is not None else None
    areas = data.area_index()
    if areas is not None:
        GeoJsonLayer(areas.select(view, limit=2000, wide_deg2=1e9),
                     style={"color": "#6b7a8f", "weight": 1, "fill": True, "fillColor": "#eef1f5",
                            "fillOpacity": 0.5},
                     name="boundaries", interactive=False).add_to(m)
    GeoJsonLayer(data.street_index().select(view, limit=max_streets),
                 style={"color": "#9aa5b1", "weight": 1.5, "opacity": 0.9}, name="streets",
                 interactive=False).add_to(m)
    labels = data.label_index()
    LabelLayer(labels["school"].select(view, limit=200, wide_deg2=1e9), name="place-names").add_to(m)
    LabelLayer(labels["street"].select(view, limit=max_labels, wide_deg2=1e9), name="street-names").add_to(m)


def label_points(streets: gpd.GeoDataFrame, schools: gpd.GeoDataFrame, *, cell_m: float = 300.0
                 ) -> dict[str, gpd.GeoDataFrame]:
    """Where the base map writes names (EPSG:27700 in, 27700 out): each school at its point, and each
    named street once per ``cell_m`` square it runs through, at the middle of its longest segment there.

    Returns
    -------
    dict
        ``{"street": frame, "school": frame}``, each with ``_name`` and ``_kind`` columns.
    """
    named = streets[streets["name"].notna() & (streets["name"].astype(str).str.strip() != "")]
    if len(named):
        geoms = named.geometry.values
        mid = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
        xy = shapely.get_coordinates(mid)
        cells = np.floor(xy / cell_m).astype(np.int64)
        frame = pd.DataFrame({"name": named["name"].astype(str).str.strip().to_numpy(), "i": cells[:, 0],
                              "j": cells[:, 1], "length": shapely.length(geoms), "k": np.arange(len(named))})
        best = frame.sort_values("length", ascending=False, kind="stable").drop_duplicates(["name", "i", "j"])
        best = best.sort_values("k")
        street = gpd.GeoDataFrame({"_name": best["name"].to_numpy(), "_kind": "street"},
                                  geometry=mid[best["k"].to_numpy()], crs=streets.crs)
    else:
        street = gpd.GeoDataFrame({"_name": [], "_kind": []}, geometry=[], crs=streets.crs)
    school = gpd.GeoDataFrame({"_name": schools["name"].astype(str).to_numpy(), "_kind": "school"},
                              geometry=schools.geometry.values, crs=schools.crs)
    return {"street": street, "school": school}


def _grow(bounds_ll: Sequence[float], factor: float = 0.25, aspect: float = 2.6) -> tuple[float, float, float, float]:
    """The box the base map covers: ``bounds_ll`` grown by ``factor`` and widened to the map's
    aspect ratio (maps are wider than tall), so the streets fill the visible view."""
    s, w, n, e = bounds_ll
    dy, dx = (n - s) * factor, (e - w) * factor
    s, w, n, e = s - dy, w - dx, n + dy, e + dx
    coslat = max(np.cos(np.radians((s + n) / 2)), 0.1)
    width_m, height_m = (e - w) * coslat, (n - s)
    if width_m < aspect * height_m:
        extra = (aspect * height_m - width_m) / coslat / 2
        w, e = w - extra, e + extra
    elif height_m < width_m / aspect:
        extra = (width_m / aspect - height_m) / 2
        s, n = s - extra, n + extra
    return s, w, n, e


_SCRIPT_TAG = re.compile(r"<script\b")


def render_map(m: folium.Map, nonce: str) -> dict[str, Markup]:
    """Head, body and script parts of a map, with the CSP nonce on every script element."""
    fig = m.get_root()
    fig.render()
    header = _SCRIPT_TAG.sub(f'<script nonce="{nonce}"', fig.header.render())
    # folium's own viewport meta and page-wide CSS reset are the page's business, not the map's.
    header = re.sub(r"<meta[^>]*>", "", header)
    header = re.sub(r"<style>\s*(html, body|#map)\s*\{[^<]*</style>", "", header)
    body = fig.html.render()
    script = f'<script nonce="{nonce}">{fig.script.render()}</script>'
    return {"head": Markup(header), "body": Markup(body), "script": Markup(script), "id": m.get_name()}
