"""Walk graphs from real OpenStreetMap extracts and routes between real postcodes (issue 5)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from geo_risk.config import Policy
from geo_risk.crs import EastNorth
from geo_risk.errors import ValidationError
from geo_risk.ingest.postcodes import postcode_lookup, read_postcodes
from geo_risk.ingest.streets import read_streets
from geo_risk.routing import assess_route, build_walk_graph

pytestmark = pytest.mark.realdata

AS_OF = datetime(2025, 3, 1)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.default()


def _graph(shared_data, name, policy):
    streets = read_streets(shared_data / "streets" / name).gdf
    return streets, build_walk_graph(streets, sample_step_m=policy.routing.sample_step_m)


def _points(shared_data, area, *codes):
    lookup = postcode_lookup(read_postcodes(shared_data / "postcodes" / "codepoint_open_2025" / f"{area}.csv"))
    return [EastNorth(*lookup[c]) for c in codes]


def _hotspot_between(a: EastNorth, b: EastNorth, sigma: float = 80.0):
    cx, cy = (a.easting + b.easting) / 2, (a.northing + b.northing) / 2

    def risk(xy):
        return 0.9 * np.exp(-((xy[:, 0] - cx) ** 2 + (xy[:, 1] - cy) ** 2) / (2 * sigma**2)) + 0.02

    return risk


def _check_walks(result, home: EastNorth, school: EastNorth):
    straight = np.hypot(home.easting - school.easting, home.northing - school.northing)
    short = result.shortest
    assert result.origin.snap_distance_m < 100 and result.destination.snap_distance_m < 100
    assert 0.8 * straight < short.length_m < 2.0 * straight
    for route in result.routes:
        assert route.geometry.length == pytest.approx(route.length_m, rel=1e-6)
        assert route.length_m <= result.detour_cap_m + 1e-6
        assert sum(s.length_m for s in route.segments) == pytest.approx(route.length_m)
    return short


def test_oxford_walk_graph_keeps_footways_and_routes_between_postcodes(shared_data, policy):
    streets, graph = _graph(shared_data, "oxford_centre_2015.osm", policy)
    assert graph.n_edges > 500
    assert "footway" in set(graph.edge_highway.tolist())
    unwalkable = set(streets.loc[~streets["walkable"], "segment_id"])
    assert not unwalkable & set(graph.edge_segment_id.tolist())

    home, school = _points(shared_data, "ox", "OX2 6HZ", "OX1 2AX")
    risk = _hotspot_between(home, school)
    result = assess_route("YP-0001", home, school, AS_OF, policy, graph=graph, risk_fn=risk)
    short = _check_walks(result, home, school)
    # the walk goes round the hotspot where the streets allow it within the cap
    assert result.lowest_risk.exposure < short.exposure
    assert result.lowest_risk.peak_exposure < short.peak_exposure
    # the same inputs give the same routes
    again = assess_route("YP-0001", home, school, AS_OF, policy, graph=graph, risk_fn=risk)
    assert again.to_json() == result.to_json()


def test_nailsea_overpass_routes_between_postcodes(shared_data, policy):
    _, graph = _graph(shared_data, "nailsea_overpass_highways.json", policy)
    assert graph.n_edges > 1000
    home, school = _points(shared_data, "bs", "BS48 2JW", "BS48 1BH")
    result = assess_route("YP-0001", home, school, AS_OF, policy, graph=graph, risk_fn=_hotspot_between(home, school))
    _check_walks(result, home, school)
    assert {s.street for s in result.shortest.segments} - {"an unnamed path"}


def test_postcode_outside_the_extract_is_refused(shared_data, policy):
    _, graph = _graph(shared_data, "oxford_centre_2015.osm", policy)
    home, far = _points(shared_data, "ox", "OX1 2AX", "OX3 9DU")  # Headington, about 3 km east
    with pytest.raises(ValidationError, match=r"school .* m from the nearest walkable street.*snap_max_m"):
        assess_route("YP-0001", home, far, AS_OF, policy, graph=graph, risk_fn=lambda xy: np.zeros(len(xy)))
