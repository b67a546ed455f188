"""Every audience projection (geo_risk.tiers) is walked: no tier below the analyst's carries a
continuous risk number, and each result kind's analyst tier keeps what the lower tiers keep.

The school briefing is walked too: the tension rule's points, a conflict's grade weight and its
evidence age in days never reach the school tier, nor does a conflict or place disclosure control
withholds from schools."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping

import pytest
from shapely.geometry import LineString

from geo_risk import tiers
from geo_risk.crs import EastNorth
from geo_risk.routing.assess import Endpoint, NearSegment, Recommendation, Route, RouteAssessment, RouteSegment
from geo_risk.scoring.assessment import Assessment, Factor, Freshness, PlacementRanking, RankedCandidate
from tests._tree import keys, numbers

# Keys that carry a continuous risk number (or an exact distance to someone's places) in any result.
RISK_NUMBER_KEYS = {"score", "value", "raw", "weight", "contribution", "threshold", "nearest_adversary_m",
                    "nearest_exploiter_m", "mean_exposure", "peak_exposure", "exposure", "alpha", "mean_risk",
                    "peak_risk", "distance_m", "rate_ratio", "ci_low", "ci_high", "percentile", "points",
                    "counts_as"}
# Numbers a lower tier may carry: the rank, the candidate point the user gave, a walk's own geometry
# and length, and a route endpoint's join to the streets.
ALLOWED_NUMBERS = ("rank", "point", "coordinates", "length_m", "walk_minutes", "detour_m", "detour_ratio",
                   "within_m", "detour_cap_m", "joined", "snap_distance_m", "shortest_m", "statutory_m")
CANARY = 87.5  # survives every rounding the results make


def _spec_keys(spec) -> set[str]:
    out = set()
    for key, sub in spec.items():
        out.add(key)
        if isinstance(sub, tiers.Where):
            out |= _spec_keys(sub.spec)
        elif isinstance(sub, list):
            out |= _spec_keys(sub[0])
        elif isinstance(sub, Mapping):
            out |= _spec_keys(sub)
    return out


@pytest.mark.parametrize(("kind", "tier"), [(k, t) for k, p in tiers.PROJECTIONS.items() for t in p])
def test_no_lower_tier_declares_a_risk_number(kind, tier):
    declared = _spec_keys(tiers.PROJECTIONS[kind][tier])
    if tier == "analyst":
        assert declared  # the analyst tier is declared too
        return
    assert not declared & RISK_NUMBER_KEYS, f"{kind}/{tier} carries {sorted(declared & RISK_NUMBER_KEYS)}"
    assert declared <= _spec_keys(tiers.PROJECTIONS[kind]["analyst"])


def _ranking() -> PlacementRanking:
    factor = Factor(name="conflict_exposure", value=CANARY / 100, raw=CANARY, weight=CANARY, contribution=CANARY,
                    threshold=CANARY / 100, lifts_band=True)
    a = Assessment(child="YP-1", point=(600000.0, 860000.0), as_of="2026-11-20T12:00:00", score=CANARY, band="High",
                   lifted_by=("conflict_exposure",), factors=(factor,), nearest_adversary_m=CANARY,
                   nearest_exploiter_m=CANARY, reasons_analyst=("near place P1",), reasons_housing=("within 100 m",),
                   evidence=("P1",), freshness=Freshness("2026-11-01", None, None), confidence="high",
                   policy_version="p", inputs_hash="h")
    return PlacementRanking(child="YP-1", as_of=a.as_of, policy_version="p",
                            candidates=(RankedCandidate(1, "ZZ1 1AA", a),
                                        RankedCandidate(2, "ZZ1 1AB", dataclasses.replace(a, band="Very high"))))


def _route(tier: str) -> RouteAssessment:
    seg = RouteSegment(segment_id=7, street="Row 1 Road", highway="residential", length_m=100.0,
                       mean_risk=CANARY / 100, peak_risk=CANARY / 100, band="High")
    near = NearSegment(street="Row 1 Road", segment_ids=(7,), kind="adversary_activity", distance_m=CANARY,
                       refs=("P1",), tier=tier)
    walk = Route(role="shortest", geometry=LineString([(600000, 860000), (600100, 860000)]), length_m=100.0,
                 walk_minutes=1.3, band="High", score=CANARY, mean_exposure=CANARY / 100, peak_exposure=CANARY / 100,
                 exposure=CANARY, detour_m=0.0, detour_ratio=1.0, riskiest_street="Row 1 Road", alpha=CANARY,
                 segments=(seg,), near=(near,))
    end = Endpoint(label="home", point=EastNorth(600000, 860000), joined=EastNorth(600000, 860000),
                   snap_distance_m=3.0, street="Row 1 Road")
    rec = Recommendation(meets_bar=True, text="Meets the bar", reasons=("the walk passes near a place",),
                         bar_band="High", policy_version="p")
    return RouteAssessment(child="YP-1", as_of=dt.datetime(2026, 11, 20), tier=tier, origin=end, destination=end,
                           detour_cap_m=500.0, routes=(walk,), recommendation=rec, policy_version="p",
                           policy_digest="d", beyond_cap=walk)


def _full_route() -> dict:
    return _route("analyst").to_dict()


BRIEFING_CANARY = 8675309  # the rule's points, a grade weight, an evidence age: found nowhere else


@functools.cache
def _briefing() -> dict:
    """A school briefing's full (analyst) data with a conflict a school may see, one it may not (a
    group of one member) and a place one source reports, its numbers set to the canary."""
    import pandas as pd

    from geo_risk.briefing import brief_all
    from geo_risk.config import Policy
    from tests.briefing import _world as w

    groups, links, places, _people = w.network()
    lone = pd.DataFrame([{**links.iloc[0].to_dict(), "link_id": "LX", "from_key": "G09", "to_key": "G03"}])
    solo = pd.DataFrame([{**links.iloc[1].to_dict(), "link_id": "LY", "from_key": "YP-0077", "to_key": "G09"}])
    links = pd.concat([links, lone, solo], ignore_index=True)
    hang = places.iloc[[0]].assign(place_id="PX", entity_key="YP-0077", source="a parent")
    places = pd.concat([places, hang], ignore_index=True).set_crs(places.crs, allow_override=True)
    b = brief_all(w.schools(), w.incidents(n_police=600, n_dated=60), w.areas(), as_of=w.AS_OF, policy=Policy.default(),
                  links=links, places=places, groups=groups)["900001"]
    conflicts = tuple(dataclasses.replace(c, weight=BRIEFING_CANARY, evidence_age_days=BRIEFING_CANARY)
                      for c in b.conflicts)
    b = dataclasses.replace(b, tension=dataclasses.replace(b.tension, points=BRIEFING_CANARY), conflicts=conflicts)
    return b._full("analyst")


RESULTS = {"placement": lambda: _ranking().to_dict(audience="analyst"),
           "placement_assessment": lambda: _ranking().candidates[0].assessment.to_dict(audience="analyst"),
           "placement_factor": lambda: _ranking().candidates[0].assessment.factors[0].to_dict(audience="analyst"),
           "route": _full_route,
           "route_walk": lambda: _full_route()["routes"][0],
           "route_segment": lambda: _full_route()["routes"][0]["segments"][0],
           "route_near": lambda: _full_route()["routes"][0]["near"][0],
           "briefing": _briefing,
           "briefing_tension": lambda: _briefing()["tension"],
           "briefing_conflict": lambda: _briefing()["conflicts"][0]}


def test_every_projection_has_a_result_to_walk():
    assert set(RESULTS) == set(tiers.PROJECTIONS)


@pytest.mark.parametrize(("kind", "tier"), [(k, t) for k, p in tiers.PROJECTIONS.items() for t in p])
def test_projected_results_carry_no_risk_number_below_the_analyst(kind, tier):
    full = RESULTS[kind]()
    canaries = {CANARY, CANARY / 100, BRIEFING_CANARY}
    assert canaries & set(numbers(full))  # the walker sees them in the full result
    shown = tiers.project(kind, tier, full)
    if tier == "analyst":
        assert shown == full
        return
    assert not keys(shown) & RISK_NUMBER_KEYS
    assert not canaries & set(numbers(shown, skip=ALLOWED_NUMBERS))


def test_the_school_tier_is_given_only_what_disclosure_control_lets_a_school_see():
    full = _briefing()
    withheld = [c for c in full["conflicts"] if not c["shown_to_school"]]
    assert withheld and all("fewer than 3 live members" in c["withheld"] for c in withheld)
    assert any(not p["shown_to_school"] for c in full["conflicts"] for p in c["places"])
    school = tiers.project("briefing", "school", full)
    assert len(school["conflicts"]) == len(full["conflicts"]) - len(withheld)
    assert "peer group 9" not in str(school) and "peer group 9" in str(full)
    shown_places = [p for c in school["conflicts"] for p in c["places"]]
    assert shown_places and len(shown_places) < sum(len(c["places"]) for c in full["conflicts"])
    assert "points" not in school["tension"] and "score" not in school["tension"]


def test_a_projection_refuses_a_result_missing_a_declared_field_and_an_unknown_tier():
    full = _ranking().to_dict(audience="analyst")
    del full["candidates"][0]["assessment"]["band"]
    with pytest.raises(ValueError, match="band"):
        tiers.project("placement", "housing", full)
    partial = tiers.project("placement", "housing", full, partial=True)
    assert "band" not in partial["candidates"][0]["assessment"]
    with pytest.raises(ValueError, match="school"):
        tiers.project("placement", "school", full)


def test_a_field_no_projection_names_reaches_no_tier():
    full = _ranking().to_dict(audience="analyst")
    full["candidates"][0]["assessment"]["new_number"] = CANARY
    for tier in tiers.tiers_of("placement"):
        assert "new_number" not in keys(tiers.project("placement", tier, full))


def test_a_transport_tier_route_check_is_its_projection_and_words_distances_in_500_m_steps():
    shown = _route("transport").to_dict()
    assert shown == tiers.project("route", "transport", _full_route() | {"tier": "transport"}) | {
        "routes": shown["routes"], "beyond_cap": shown["beyond_cap"]}
    near = shown["routes"][0]["near"][0]
    assert "within 500 m" in near["text"] and str(CANARY) not in near["text"]
    assert not keys(shown) & RISK_NUMBER_KEYS
