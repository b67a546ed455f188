"""The OSM street file: an irregular, connected walk network with dead ends, a river and few bridges."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse import csgraph

from geo_risk.synth import CityManifest
from geo_risk.synth._spec import SIZES
from geo_risk.synth._streets import WALKABLE_HIGHWAYS
from geo_risk.synth.city import City


@pytest.fixture(scope="module")
def osm(small_city: CityManifest) -> ET.Element:
    return ET.parse(small_city.out_dir / "streets" / "synthetown.osm").getroot()


def _walk_graph(c: City) -> tuple[sparse.csr_matrix, np.ndarray]:
    s = c.streets
    walk = s.walkable
    n = len(s.xy)
    g = sparse.coo_matrix((np.ones(int(walk.sum())), (s.u[walk], s.v[walk])), shape=(n, n)).tocsr()
    used = np.zeros(n, dtype=bool)
    used[s.u[walk]] = used[s.v[walk]] = True
    return g, used


def test_osm_file_is_overpass_style_xml(osm: ET.Element) -> None:
    assert osm.tag == "osm" and osm.get("version") == "0.6"
    assert osm.find("bounds") is not None
    ways = osm.findall("way")
    highways = Counter(t.get("v") for w in ways for t in w.findall("tag") if t.get("k") == "highway")
    for kind in ("primary", "secondary", "residential", "footway", "service", "motorway"):
        assert highways[kind] > 0, kind
    assert any(t.get("k") == "waterway" for w in ways for t in w.findall("tag"))
    place = [n for n in osm.findall("node") if any(t.get("k") == "place" for t in n.findall("tag"))]
    assert [t.get("v") for t in place[0].findall("tag") if t.get("k") == "name"] == ["Synthetown (synthetic)"]
    node_ids = {int(n.get("id")) for n in osm.findall("node")}
    refs = {int(nd.get("ref")) for w in ways for nd in w.findall("nd")}
    assert refs <= node_ids
    assert len(ways) == len({w.get("id") for w in ways})


def test_walk_network_is_connected_apart_from_small_pieces(small_drawn: City) -> None:
    g, used = _walk_graph(small_drawn)
    _, labels = csgraph.connected_components(g, directed=False)
    sizes = np.bincount(labels[used])
    assert sizes.max() >= 0.97 * used.sum()


def test_walk_network_has_dead_ends_and_is_not_a_grid(small_drawn: City) -> None:
    s = small_drawn.streets
    walk = s.walkable
    deg = np.bincount(np.r_[s.u[walk], s.v[walk]], minlength=len(s.xy))
    deg = deg[deg > 0]
    assert (deg == 1).mean() > 0.05
    assert (deg == 3).sum() > (deg == 4).sum()
    # edge bearings spread out: no two 10-degree bins hold most of the streets
    d = s.xy[s.v[walk]] - s.xy[s.u[walk]]
    bearing = np.degrees(np.arctan2(d[:, 1], d[:, 0])) % 180
    hist = np.sort(np.bincount((bearing // 10).astype(int), minlength=18))[::-1]
    assert hist[:2].sum() < 0.35 * hist.sum()


def test_few_walkable_river_crossings(small_drawn: City) -> None:
    s, w = small_drawn.streets, small_drawn.world
    walk = s.walkable
    side = w.river_side(s.xy[:, 0], s.xy[:, 1])
    crossing = walk & (side[s.u] != side[s.v])
    assert crossing.sum() == SIZES["small"].bridges
    assert s.bridge[crossing].all()
    # and the motorway crosses too, but nobody walks on it
    mway = s.highway == "motorway"
    assert (mway & (side[s.u] != side[s.v])).any()
    assert not walk[mway].any()


def test_segment_count_is_about_what_small_promises(small_drawn: City) -> None:
    s = small_drawn.streets
    assert 2_000 <= len(s.u) <= 4_500
    assert set(s.highway) - {"motorway", "motorway_link"} <= WALKABLE_HIGHWAYS
    named = np.array([n is not None for n in s.name])
    assert named[s.highway == "residential"].all()
