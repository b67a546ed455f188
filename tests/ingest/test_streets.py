"""OSM street importer (issue 2)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pytest
from shapely.geometry import LineString

from geo_risk.errors import CRSError, ValidationError
from geo_risk.ingest.streets import coord_node_ids, is_walkable, read_streets

# a plus-shaped crossing at node 5, a motorway, a private footway and a non-highway way
OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="51.4500" lon="-2.6000"/>
  <node id="2" lat="51.4500" lon="-2.5990"/>
  <node id="5" lat="51.4500" lon="-2.5980"/>
  <node id="3" lat="51.4500" lon="-2.5970"/>
  <node id="4" lat="51.4510" lon="-2.5980"/>
  <node id="6" lat="51.4490" lon="-2.5980"/>
  <node id="7" lat="51.4600" lon="-2.6000"/>
  <node id="8" lat="51.4600" lon="-2.5900"/>
  <way id="100"><nd ref="1"/><nd ref="2"/><nd ref="5"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="name" v="High Street"/></way>
  <way id="101"><nd ref="4"/><nd ref="5"/><nd ref="6"/><tag k="highway" v="footway"/></way>
  <way id="102"><nd ref="7"/><nd ref="8"/><tag k="highway" v="motorway"/></way>
  <way id="103"><nd ref="1"/><nd ref="7"/><tag k="highway" v="footway"/><tag k="access" v="private"/></way>
  <way id="104"><nd ref="2"/><nd ref="4"/><tag k="building" v="yes"/></way>
  <way id="105"><nd ref="3"/><nd ref="8"/><tag k="highway" v="proposed"/></way>
</osm>
"""


def test_walkability_rules() -> None:
    assert is_walkable({"highway": "footway"})
    assert is_walkable({"highway": "steps"}) and is_walkable({"highway": "pedestrian"})
    assert is_walkable({"highway": "trunk"})
    assert not is_walkable({"highway": "trunk", "foot": "no"})
    assert not is_walkable({"highway": "motorway"}) and not is_walkable({"highway": "motorway_link"})
    assert not is_walkable({"highway": "service", "access": "private"})
    assert is_walkable({"highway": "service", "access": "private", "foot": "permissive"})
    assert not is_walkable({"highway": "residential", "foot": "private"})


def test_osm_xml_split_at_intersections(tmp_path: Path) -> None:
    f = tmp_path / "x.osm"
    f.write_text(OSM)
    r = read_streets(f)
    g = r.gdf
    assert g.crs.to_epsg() == 27700
    # way 100 splits at 1 (shared with 103), 2 (shared with... no: 104 is not a highway) and 5
    pairs = sorted(zip(g["u"], g["v"], strict=True))
    assert pairs == [(1, 5), (1, 7), (4, 5), (5, 3), (5, 6), (7, 8)]
    seg = g.set_index(["u", "v"])
    assert seg.loc[(1, 5), "name"] == "High Street" and seg.loc[(1, 5), "osm_way_id"] == 100
    assert not seg.loc[(7, 8), "walkable"] and not seg.loc[(1, 7), "walkable"]
    assert seg.loc[(5, 6), "walkable"]
    # 0.002 degrees of longitude at 51.45 N is about 139 m
    assert seg.loc[(1, 5), "length_m"] == pytest.approx(139, abs=2)
    assert len(seg.loc[(1, 5)].geometry.coords) == 3  # through node 2, which is not a junction
    assert r.report.rows_read == 5 and r.report.files[0].notes["non_highway_ways_skipped"] == "1"
    assert r.report.rejected[0][2] == "highway=proposed is not a way for travel"


def test_overpass_json_equals_xml(tmp_path: Path) -> None:
    elements = [
        {"type": "node", "id": 1, "lat": 51.45, "lon": -2.600}, {"type": "node", "id": 2, "lat": 51.45, "lon": -2.599},
        {"type": "node", "id": 3, "lat": 51.451, "lon": -2.599},
        {"type": "way", "id": 10, "nodes": [1, 2], "tags": {"highway": "residential"}},
        {"type": "way", "id": 11, "nodes": [2, 3], "tags": {"highway": "path"}},
    ]
    f = tmp_path / "o.json"
    f.write_text(json.dumps({"version": 0.6, "elements": elements}))
    g = read_streets(f).gdf
    assert sorted(zip(g["u"], g["v"], strict=True)) == [(1, 2), (2, 3)]
    assert g["walkable"].all()


def test_geojson_lines_get_node_ids_from_coordinates(tmp_path: Path) -> None:
    # a T-junction: the second line ends on an interior vertex of the first
    lines = gpd.GeoDataFrame(
        {"highway": ["residential", "footway"], "name": ["Long Road", None]},
        geometry=[LineString([(358000, 173000), (358100, 173000), (358200, 173000)]),
                  LineString([(358100, 173100), (358100, 173000)])],
        crs=27700,
    )
    f = tmp_path / "lines.geojson"
    lines.to_file(f, driver="GeoJSON")
    g = read_streets(f).gdf
    assert len(g) == 3
    junction = int(coord_node_ids([358100.0], [173000.0])[0])
    assert junction < 0
    graph = nx.Graph(list(zip(g["u"], g["v"], strict=True)))
    assert graph.degree[junction] == 3
    assert g["length_m"].sum() == pytest.approx(300)


def test_geojson_without_crs_or_highway(tmp_path: Path) -> None:
    f = tmp_path / "n.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kind": "x"},
         "geometry": {"type": "LineString", "coordinates": [[-2.6, 51.45], [-2.59, 51.45]]}}]}))
    with pytest.raises(ValidationError, match=r"n\.geojson has no 'highway' column"):
        read_streets(f)
    gpkg = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning, match="crs"):
        gpd.GeoDataFrame({"highway": ["footway"]}, geometry=[LineString([(0, 0), (1, 1)])]).to_file(gpkg)
    with pytest.raises(CRSError, match="never guesses"):
        read_streets(gpkg)


def test_broken_xml_and_non_overpass_json(tmp_path: Path) -> None:
    f = tmp_path / "b.osm"
    f.write_text("<osm><node id='1'")
    with pytest.raises(ValidationError, match=r"b\.osm is not well-formed OSM XML"):
        read_streets(f)
    j = tmp_path / "b.json"
    j.write_text("{not json")
    with pytest.raises(ValidationError, match=r"b\.json"):
        read_streets(j)


# measured independently: splitting every highway way at its ends and at nodes used by another
# way, in a plain Python loop (Oxford: 1,136 pieces, one of them a zero-length repeat of node
# 2578689351 in way 251686320, dropped; 724 walkable pieces including it)
@pytest.mark.realdata
def test_real_oxford_osm(shared_data: Path) -> None:
    r = read_streets(shared_data / "streets" / "oxford_centre_2015.osm")
    g = r.gdf
    assert r.report.rows_read == 623 and r.report.accepted == 623
    assert len(g) == 1135 and int(g["walkable"].sum()) == 723
    assert (g["highway"] == "footway").sum() == 577
    assert (g["length_m"] > 0).all()
    assert g.total_bounds[0] > 450_000 and g.total_bounds[3] < 210_000  # central Oxford


@pytest.mark.realdata
def test_real_nailsea_overpass_and_lines_agree(shared_data: Path) -> None:
    a = read_streets(shared_data / "streets" / "nailsea_overpass_highways.json").gdf
    b = read_streets(shared_data / "streets" / "DERIVED_nailsea_highways_lines.geojson").gdf
    assert len(a) == len(b) == 1364
    assert a["walkable"].all()  # drivable roads only, no motorway
    assert a["length_m"].sum() == pytest.approx(b["length_m"].sum(), rel=1e-6)
    ga = nx.Graph(list(zip(a["u"], a["v"], strict=True)))
    gb = nx.Graph(list(zip(b["u"], b["v"], strict=True)))
    assert ga.number_of_nodes() == gb.number_of_nodes() == 1272
    assert nx.number_connected_components(ga) == nx.number_connected_components(gb)
