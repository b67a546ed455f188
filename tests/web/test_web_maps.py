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


def test_the_layer_switch_names_each_layer_in_words_and_labels_are_text():
    app = Flask("web", root_path="web")
    with app.test_request_context():
        m = maps.new_map((56.0, 2.0, 56.1, 2.1))
        maps.GeoJsonLayer({"type": "FeatureCollection", "features": []}, name="routes").add_to(m)
        maps.LayerSwitch({"routes": "Walks </script>", "streets": "Streets"}).add_to(m)
        html = _render(m)
    assert "L.control.layers(null, overlays" in html
    # the base map's name layers follow the page's own layers in every switch
    assert ('[["routes","Walks \\u003c/script\\u003e"],["streets","Streets"],["place-names","School names"],'
            '["street-names","Street names"]]') in html
    assert "el.textContent = String(f.properties._label)" in html  # numbered markers: the number as text


def test_walks_are_told_apart_by_pattern_and_never_take_a_band_colour():
    from web.presentation import BAND_COLOURS
    from web.services import ROUTE_COLOURS, ROUTE_DASHES

    assert not set(ROUTE_COLOURS.values()) & {c.lower() for c in BAND_COLOURS.values()}
    assert ROUTE_DASHES["shortest"] != ROUTE_DASHES["lowest_risk"] != ROUTE_DASHES["alternative"]


def test_one_incident_is_drawn_light_however_busy_the_busiest_square():
    import numpy as np

    from web.presentation import grid_colour
    from web.services import grid_legend, grid_share, grid_top

    quiet = grid_top(np.array([1, 1, 2]))
    busy = grid_top(np.arange(1, 401))
    assert grid_share(1, quiet) < 0.3 and grid_share(1, busy) < 0.2
    assert grid_share(400, busy) == 1.0 and busy > 300
    key = grid_legend(busy)
    assert key[0][1].startswith("1") and key[-1][1].endswith("or more") and len(key) == 5
    assert key[-1][0] == grid_colour(1.0)


def test_the_route_map_fits_both_ends_even_off_the_walk(monkeypatch):
    from types import SimpleNamespace

    import geopandas as gpd_

    from web import services

    ends = {"origin": {"point": [600000.0, 860000.0], "label": "home"},
            "destination": {"point": [601500.0, 861200.0], "label": "school"}}
    walk = {"role": "shortest", "geometry": {"type": "LineString", "coordinates": [[600300.0, 860300.0],
                                                                                   [601000.0, 860900.0]]},
            "segments": []}
    data = SimpleNamespace(snapshot=SimpleNamespace(streets=gpd_.GeoDataFrame({"segment_id": []}, geometry=[],
                                                                              crs=27700)))
    _lines, _segs, (s, w, n, e) = services.route_layers(data, {**ends, "routes": [walk]}, [[]])
    from geo_risk.crs import en_to_lonlat

    for end in ends.values():
        lon, lat = en_to_lonlat(*end["point"])
        assert s < float(lat) < n and w < float(lon) < e


def test_names_are_placed_once_per_street_and_square_as_text():
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    streets = gpd.GeoDataFrame(
        {"name": ["Mill Lane", "Mill Lane", "Mill Lane", None, "  "], "highway": ["residential"] * 5},
        geometry=[LineString([(10, 10), (50, 10)]), LineString([(50, 10), (250, 10)]),
                  LineString([(1000, 10), (1100, 10)]), LineString([(0, 0), (0, 90)]), LineString([(5, 5), (9, 9)])],
        crs=27700)
    schools = gpd.GeoDataFrame({"name": ["Kiln <School>"]}, geometry=[Point(20, 20)], crs=27700)
    found = maps.label_points(streets, schools)
    # the longest segment of Mill Lane in the first 300 m square, and the one in another square; nameless ones never
    assert found["street"]["_name"].tolist() == ["Mill Lane", "Mill Lane"]
    assert [(round(p.x), round(p.y)) for p in found["street"].geometry] == [(150, 10), (1050, 10)]
    assert found["school"]["_name"].tolist() == ["Kiln <School>"]
    app = Flask("web", root_path="web")
    with app.test_request_context():
        m = maps.new_map((56.0, 2.0, 56.1, 2.1))
        index = maps.FeatureIndex(found["school"].to_crs(4326), props=("_name", "_kind"))
        maps.LabelLayer(index.select(None, limit=10), name="place-names").add_to(m)
        html = _render(m)
    assert "el.textContent = String(f.properties._name)" in html and "<School>" not in html
    assert '"school":14' in html and '"street":16' in html
