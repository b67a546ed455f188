"""The route check: RouteAssessment, tiers, recommendation and JSON (issue 5)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import numpy as np
import pytest
from shapely.geometry import Point

from geo_risk.crs import EastNorth
from geo_risk.errors import ValidationError
from geo_risk.routing import (
    ADVISORY,
    MEETS_BAR,
    NOT_MEETS_BAR,
    ConcernSite,
    RouteAssessment,
    assess_route,
    build_walk_graph,
)
from tests._tree import keys

from .helpers import X0, Y0, grid_streets, streets_frame

AS_OF = datetime(2025, 3, 1)
HOME = EastNorth(X0 + 0.0, Y0 + 350.0)
SCHOOL = EastNorth(X0 + 700.0, Y0 + 350.0)


def _corridor_risk(xy: np.ndarray) -> np.ndarray:
    x, y = xy[:, 0] - X0, xy[:, 1] - Y0
    hot = (np.abs(y - 350) <= 60) & (x >= 150) & (x <= 550)
    return np.where(hot, 0.9, 0.02)


@pytest.fixture(scope="module")
def grid():
    return build_walk_graph(grid_streets(8))


def _concerns():
    return [
        ConcernSite("adversary_activity", Point(X0 + 350, Y0 + 330), ref="PL-0007"),
        ConcernSite("exploitation_site", Point(X0 + 650, Y0 + 420), ref="PL-0012"),
    ]


def test_safer_detour_within_cap_does_not_meet_the_bar(grid, policy):
    result = assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk)
    assert isinstance(result, RouteAssessment)
    assert result.shortest.band == "Very high"
    assert result.lowest_risk.role == "lowest_risk"
    assert result.lowest_risk.band == "Low"
    assert result.lowest_risk.detour_m == pytest.approx(200)
    assert result.lowest_risk.walk_minutes == pytest.approx(1000 / policy.routing.walk_speed_m_s / 60)
    rec = result.recommendation
    assert rec.meets_bar is False
    assert rec.text == NOT_MEETS_BAR
    assert rec.policy_version == policy.version
    assert any("adds 200 m" in r for r in rec.reasons)
    assert result.advisory == ADVISORY and "Advisory" in result.advisory


def test_risk_everywhere_on_every_walk_meets_the_bar(grid, policy):
    result = assess_route(
        "YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=lambda xy: np.full(len(xy), 0.6)
    )
    assert result.lowest_risk.band == "High"
    assert result.recommendation.meets_bar is True
    assert result.recommendation.text == MEETS_BAR
    assert any("High or above" in r for r in result.recommendation.reasons)


def test_lower_risk_walk_beyond_the_cap_is_reported_but_not_taken(policy):
    streets = streets_frame(
        [
            (1, 2, [(0, 0), (1000, 0)], "Main Road"),
            (1, 3, [(0, 0), (0, 250)], "West Lane"),
            (3, 4, [(0, 250), (1000, 250)], "Back Lane"),
            (4, 2, [(1000, 250), (1000, 0)], "East Lane"),
        ]
    )
    graph = build_walk_graph(streets)

    def risk(xy):
        return np.where(np.abs(xy[:, 1] - Y0) < 50, 0.8, 0.05)

    result = assess_route(
        "YP-0042", EastNorth(X0, Y0 - 5), EastNorth(X0 + 1000, Y0 - 5), AS_OF, policy, graph=graph, risk_fn=risk
    )
    assert [r.role for r in result.routes] == ["shortest"]
    assert result.beyond_cap is not None and result.beyond_cap.role == "beyond_cap"
    assert result.beyond_cap.detour_m == pytest.approx(500)
    assert result.to_dict()["beyond_cap"]["length_m"] == pytest.approx(1500)
    assert result.lowest_risk is result.shortest
    assert result.recommendation.meets_bar is True
    reasons = " ".join(result.recommendation.reasons)
    assert "the lowest-risk walk is the shortest" in reasons
    assert "500 m longer than the shortest, beyond the detour cap of 300 m" in reasons


def test_transport_tier_names_streets_not_people(grid, policy):
    result = assess_route(
        "YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk, concerns=_concerns()
    )
    near = result.shortest.near
    assert {n.kind for n in near} == {"adversary_activity", "exploitation_site"}
    assert all(n.distance_m <= policy.probing.distance_step_m for n in near)
    assert all(n.refs == () for n in near)
    assert all(n.text.startswith("segment near ") for n in near)
    # at the analyst's reach, three consecutive segments of Row 3 Street pass the hangout: one stretch,
    # closest approach 30 m
    analyst = assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk,
                           concerns=_concerns(), tier="analyst")
    (stretch,) = [n for n in analyst.shortest.near if n.kind == "adversary_activity"]
    assert stretch.street == "Row 3 Street"
    assert len(stretch.segment_ids) == 3
    assert stretch.distance_m == pytest.approx(30)
    text = result.to_json()
    assert "PL-0007" not in text and "PL-0012" not in text
    for word in (("g" "ang"), ("nomin" "al")):  # words never shown to users (split so this file does not contain them)
        assert word not in text.lower()
    # the site by the school is passed by every walk and is a reason on the lowest-risk walk
    assert any("exploitation" in r and "near" in r for r in result.recommendation.reasons)


def test_analyst_tier_carries_place_references(grid, policy):
    result = assess_route(
        "YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk, concerns=_concerns(), tier="analyst"
    )
    refs = {r for n in result.shortest.near for r in n.refs}
    assert refs == {"PL-0007", "PL-0012"}


def test_segments_cover_the_walk_and_carry_the_risk(grid, policy):
    result = assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk)
    for route in result.routes:
        assert sum(s.length_m for s in route.segments) == pytest.approx(route.length_m)
        assert max(s.peak_risk for s in route.segments) == pytest.approx(route.peak_exposure)
    hot = [s for s in result.shortest.segments if s.band == "Very high"]
    assert hot and all(s.street in ("Row 3 Street", "Row 4 Street") for s in hot)


def test_to_dict_is_stable_json(grid, policy):
    a = assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk, concerns=_concerns())
    b = assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk, concerns=_concerns())
    assert a.to_json() == b.to_json()
    data = json.loads(a.to_json())
    assert data["crs"] == "EPSG:27700"
    assert data["policy_version"] == policy.version
    assert data["recommendation"]["text"] == NOT_MEETS_BAR
    assert data["routes"][0]["role"] == "shortest"
    assert data["routes"][0]["geometry"]["type"] == "LineString"
    assert data["origin"]["snap_distance_m"] == 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.tier = "analyst"  # type: ignore[misc]


@pytest.mark.parametrize("tier", ["transport", "analyst"])
def test_notes_go_into_the_dict_at_every_tier(grid, policy, tier):
    result = assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk, tier=tier)
    assert result.notes == () and result.to_dict()["notes"] == []
    noted = dataclasses.replace(result, notes=["School holidays not supplied.", "Another note."])
    assert noted.notes == ("School holidays not supplied.", "Another note.")  # a tuple, whatever was given
    data = json.loads(noted.to_json())
    assert data["tier"] == tier and data["notes"] == ["School holidays not supplied.", "Another note."]
    assert data["advisory"] == ADVISORY
    with pytest.raises(dataclasses.FrozenInstanceError):
        noted.notes = ()  # type: ignore[misc]
    with pytest.raises(TypeError, match=r"one string; pass \(note,\)"):
        dataclasses.replace(result, notes="School holidays not supplied.")
    with pytest.raises(TypeError, match="must hold strings, got int"):
        dataclasses.replace(result, notes=("a note", 3))


def test_home_off_the_network_is_refused(grid, policy):
    with pytest.raises(ValidationError, match=r"home \(.*\) is \d+ m from the nearest walkable street"):
        assess_route(
            "YP-0042", EastNorth(X0 - 900, Y0), SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk
        )


def test_graph_built_with_another_sample_step_is_refused(policy):
    graph = build_walk_graph(grid_streets(3), sample_step_m=10.0)
    with pytest.raises(ValidationError, match="rebuild it with build_walk_graph"):
        assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=graph, risk_fn=_corridor_risk)


def test_bad_tier_and_bad_risk_values_are_refused(grid, policy):
    with pytest.raises(ValidationError, match="tier must be one of"):
        assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk, tier="school")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="risk_fn"):
        assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=lambda xy: -np.ones(len(xy)))




def test_transport_json_has_no_exact_distances_and_no_ids(grid, policy):
    """The transport tier has no exact distances or segment ids with which to triangulate a place."""
    concerns = [*_concerns(), ConcernSite("exploiter_activity", Point(X0 + 263, Y0 + 263), ref="PL-0020")]
    result = assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk,
                          concerns=concerns)
    near = [n for r in result.routes for n in r.near]
    assert {round(n.distance_m) for n in near} >= {30, 37}  # exact approaches exist inside the result ...
    text = result.to_json()
    data = json.loads(text)
    found = keys(data)
    assert not found & {"segment_ids", "segment_id", "distance_m", "refs"}  # ... but never reach the JSON
    for n in (n for r in data["routes"] for n in r["near"]):
        assert n["within_m"] % 500 == 0 and n["within_m"] >= 500  # the policy's step (issue 14)
        assert f"passes within {n['within_m']} m of " in n["text"]
    assert "within 500 m of" in text
    for exact in ("within 30 m", "within 37 m", "within 86 m", "within 10 m"):
        assert exact not in text
    assert any("passes within 500 m of" in r for r in result.recommendation.reasons)
    # the objects' own wording follows the tier too (the CLI and web pages print n.text)
    assert all(n.text == n.text_for("transport") for n in near)
    # a Route serialised on its own (the web API does this) is the transport tier unless asked
    assert not keys(result.shortest.to_dict()) & {"segment_ids", "segment_id", "distance_m"}


def test_analyst_json_keeps_exact_distances_and_ids(grid, policy):
    result = assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk,
                          concerns=_concerns(), tier="analyst")
    data = json.loads(result.to_json())
    (stretch,) = [n for n in data["routes"][0]["near"] if n["kind"] == "adversary_activity"]
    assert stretch["distance_m"] == pytest.approx(30.0) and len(stretch["segment_ids"]) == 3
    assert stretch["within_m"] == 500 and "passes within 30 m of" in stretch["text"]
    assert all("segment_id" in s for s in data["routes"][0]["segments"])
    assert any("passes within 86 m of a place associated with the exploitation" in r
               for r in result.recommendation.reasons)


def test_the_transport_tier_flags_streets_as_far_as_its_words_say(grid, policy):
    """A street flagged for the transport tier is "within 500 m" of a place, and so is every street that
    close: a flag cannot mean "within 100 m" (the analyst's reach), which many walks could intersect."""
    transport = assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk,
                             concerns=_concerns())
    analyst = assess_route("YP-0042", HOME, SCHOOL, AS_OF, policy, graph=grid, risk_fn=_corridor_risk,
                           concerns=_concerns(), tier="analyst")
    step = policy.probing.distance_step_m
    assert step > policy.routing.near_distance_m
    assert all(n.distance_m <= policy.routing.near_distance_m for n in analyst.shortest.near)
    far = [n for n in transport.shortest.near if n.distance_m > policy.routing.near_distance_m]
    assert far and all(n.distance_m <= step for n in far)
    flagged = {i for n in transport.shortest.near for i in n.segment_ids}
    assert {i for n in analyst.shortest.near for i in n.segment_ids} < flagged
