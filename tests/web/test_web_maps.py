"""Maps: local assets only, no tiles by default, data never parsed as template code."""

from __future__ import annotations

import re

import geopandas as gpd
from flask import Flask
from shapely.geometry import LineString

from web import maps


def _render(m) -> str:
    parts = maps.render_map(m, "NONCE")
    return parts["head"] + parts["body"] + parts["script"]


def test_map_uses_only_the_apps_assets_and_no_tiles():
    app = Flask("web", root_path="web")
    with app.test_request_context():
        m = maps.new_map((56.0, 2.0, 56.1, 2.1))
        html = _render(m)
    assert not re.findall(r"https?://", html)
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/vendor/leaflet/leaflet.css" in html
    assert "tileLayer" not in html
    assert all('nonce="NONCE"' in tag for tag in re.findall(r"<script[^>]*>", html))
    assert "preferCanvas" in html


def test_self_hosted_tiles_when_configured():
    app = Flask("web", root_path="web")
    with app.test_request_context():
        html = _render(maps.new_map((56.0, 2.0, 56.1, 2.1), tile_url="https://tiles.internal/{z}/{x}/{y}.png"))
    assert "tiles.internal" in html and "tileLayer" in html


def test_layer_data_is_text_not_template_or_markup():
    app = Flask("web", root_path="web")
    evil = "{{ 7*7 }} {% raw %}</script><script>alert(1)</script>"
    gdf = gpd.GeoDataFrame({"name": [evil]}, geometry=[LineString([(2.0, 56.0), (2.01, 56.01)])], crs=4326)
    with app.test_request_context():
        m = maps.new_map((56.0, 2.0, 56.1, 2.1))
        maps.GeoJsonLayer(maps.frame_to_geojson(gdf, tip="name")).add_to(m)
        index = maps.FeatureIndex(gdf, tip="name")
        maps.GeoJsonLayer(index.select(None, limit=10)).add_to(m)
        html = _render(m)
    # Not evaluated as a template: the text is there as written, twice (one per layer).
    assert html.count('"_tip":"{{ 7*7 }} {% raw %}') == 2
    assert "</script><script>alert" not in html  # escaped inside the script element
    assert "textContent" in html  # tooltips are set as text


def test_feature_index_selects_by_box_and_drops_minor_streets_in_wide_views():
    lines = [LineString([(2.0 + i * 0.01, 56.0), (2.005 + i * 0.01, 56.0)]) for i in range(10)]
    gdf = gpd.GeoDataFrame({"highway": ["footway", "primary"] * 5}, geometry=lines, crs=4326)
    index = maps.FeatureIndex(gdf, minor=(gdf["highway"] == "footway").to_numpy())
    narrow = index.select((55.99, 1.99, 56.01, 2.021), limit=100)
    assert narrow.count('"Feature"') == 3
    wide = index.select((55.0, 1.0, 57.0, 3.0), limit=100)
    assert wide.count('"Feature"') == 5
