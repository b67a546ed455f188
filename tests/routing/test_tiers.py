"""The transport tier carries bands, never a walk's score, exposures or a segment's risk numbers.

A transport officer who probes many walks could triangulate a place of concern from
continuous risk numbers, so those stay in the analyst tier; segments are banded with the
policy's bands.
"""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
from shapely.geometry import Point

from geo_risk.crs import EastNorth
from geo_risk.routing import ConcernSite, assess_route, build_walk_graph
from geo_risk.routing.assess import band_of
from tests._tree import keys, numbers

from .helpers import X0, Y0, grid_streets

AS_OF = datetime(2025, 3, 1)
HOME = EastNorth(X0 + 0.0, Y0 + 350.0)
SCHOOL = EastNorth(X0 + 700.0, Y0 + 350.0)
ROUTE_KEYS = {"role", "geometry", "length_m", "walk_minutes", "band", "detour_m", "detour_ratio", "riskiest_street",
              "segments", "near"}
SEGMENT_KEYS = {"street", "highway", "length_m", "band"}
RISK_NUMBERS = {"score", "mean_exposure", "peak_exposure", "exposure", "alpha", "mean_risk", "peak_risk"}


def _risk(xy: np.ndarray) -> np.ndarray:
    """A hot corridor along Row 3 Street, and a gentle slope elsewhere (distinctive numbers)."""
    x, y = xy[:, 0] - X0, xy[:, 1] - Y0
    hot = (np.abs(y - 350) <= 60) & (x >= 150) & (x <= 550)
    return np.where(hot, 0.8731, 0.0123 + 0.0001 * (x / 700.0))


GRID = build_walk_graph(grid_streets(8))


def _check(policy, tier):
    concerns = [ConcernSite("adversary_activity", Point(X0 + 350, Y0 + 330), ref="PL-0007")]
    return assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=GRID,
                        risk_fn=_risk, concerns=concerns, tier=tier)






def test_transport_json_has_bands_and_no_risk_numbers(policy):
    result = _check(policy, "transport")
    data = json.loads(result.to_json())
    assert not keys(data) & RISK_NUMBERS
    for route in [*data["routes"], data["beyond_cap"] or {}]:
        if route:
            assert set(route) == ROUTE_KEYS
            assert all(set(s) == SEGMENT_KEYS for s in route["segments"])
    # a number that leaked back (a score, an exposure, a segment's risk) would be one of these
    analyst = json.loads(_check(policy, "analyst").to_json())
    hidden = {float(r[k]) for r in analyst["routes"] for k in ("score", "mean_exposure", "peak_exposure", "exposure")}
    hidden |= {float(s[k]) for r in analyst["routes"] for s in r["segments"] for k in ("mean_risk", "peak_risk")}
    hidden.discard(0.0)
    assert hidden and not set(numbers(data, skip=("geometry", "origin", "destination"))) & hidden


def test_each_segment_is_banded_with_the_policys_bands(policy):
    result = _check(policy, "transport")
    bands = set(policy.scoring.bands)
    for route, data in zip(result.routes, result.to_dict()["routes"], strict=True):
        assert data["band"] == route.band and route.band in bands
        for seg, d in zip(route.segments, data["segments"], strict=True):
            assert d["band"] == seg.band == band_of(100 * seg.peak_risk, policy)
            assert d["band"] in bands
    shortest = result.to_dict()["routes"][0]
    assert {"Very high", "Low"} <= {s["band"] for s in shortest["segments"]}  # the hot corridor stands out
    # the route and the segment serialised on their own are the transport tier too
    assert not keys(result.shortest.to_dict()) & RISK_NUMBERS
    assert set(result.shortest.segments[0].to_dict()) == SEGMENT_KEYS


def test_lengths_minutes_and_detours_stay_for_the_transport_officer(policy):
    result = _check(policy, "transport")
    data = result.to_dict()
    for route, d in zip(result.routes, data["routes"], strict=True):
        assert d["length_m"] == round(route.length_m, 1)
        assert d["walk_minutes"] == round(route.walk_minutes, 1)
        assert d["detour_m"] == round(route.detour_m, 1)
    near = [n for r in data["routes"] for n in r["near"]]
    assert near and all(n["within_m"] % 500 == 0 for n in near)  # rounded up to the policy's 500 m step


def test_analyst_json_keeps_every_risk_number(policy):
    result = _check(policy, "analyst")
    data = result.to_dict()
    for route, d in zip(result.routes, data["routes"], strict=True):
        assert d["score"] == round(route.score, 2) and d["alpha"] == round(route.alpha, 6)
        assert d["peak_exposure"] == round(route.peak_exposure, 6)
        assert d["mean_exposure"] == round(route.mean_exposure, 6) and d["exposure"] == round(route.exposure, 4)
        for seg, s in zip(route.segments, d["segments"], strict=True):
            assert s["peak_risk"] == round(seg.peak_risk, 6) and s["mean_risk"] == round(seg.mean_risk, 6)
            assert s["segment_id"] == seg.segment_id and s["band"] == seg.band
    assert data["routes"][0]["score"] > 80  # the shortest walk goes along the hot corridor
