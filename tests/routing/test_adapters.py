"""Routing wired to the risk engine: a young person's risk along the streets (issue 5)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo_risk.crs import EastNorth
from geo_risk.routing import assess_route, build_walk_graph
from geo_risk.routing.adapters import child_concern_sites, child_risk_fn, school_run_surface
from geo_risk.scoring import ScoringSnapshot
from tests._network_frames import groups_frame, links_frame, people_frame, places_frame

from .helpers import X0, Y0, grid_streets

AS_OF = datetime(2025, 3, 1)


def _incidents() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(5)
    n = 300
    # a cluster of violence north of the grid's middle, plus scattered background
    xy = np.vstack([rng.normal((X0 + 350, Y0 + 600), 60, size=(n // 2, 2)), rng.uniform((X0, Y0), (X0 + 700, Y0 + 700), size=(n // 2, 2))])
    days = rng.integers(1, 200, size=n)
    return gpd.GeoDataFrame(
        {
            "incident_id": np.arange(n),
            "category": "Violence and sexual offences",
            "occurred_at": pd.Timestamp(AS_OF) - pd.to_timedelta(days, unit="D"),
            "has_time": False,
            "geometry": [Point(x, y) for x, y in xy],
        },
        crs="EPSG:27700",
    )


def _context(policy, *, home=(150.0, 150.0), conflict=None):
    """The test world; ``home`` places YP-2's home, ``conflict`` overrides fields of the conflict link L1
    (``conflict=False``: no conflict link at all)."""
    people = people_frame(["YP-1", "YP-2", {"pseudonym": "AD-9", "is_child": False}])
    l1 = {"link_id": "L1", "from_key": "YP-1", "to_key": "YP-2", "type": "in_conflict_with", "age_days": 20,
          "evidence_grade": "A", **(conflict or {})}
    links = links_frame(
        [
            *([l1] if conflict is not False else []),
            {"link_id": "L2", "from_key": "AD-9", "to_key": "YP-1", "type": "exploits", "age_days": 20, "evidence_grade": "A"},
        ],
        as_of=AS_OF,
    )
    places = places_frame(
        [
            {"place_id": "PL-H", "entity_key": "YP-2", "kind": "hangout", "x": X0 + 350, "y": Y0 + 330, "age_days": 10, "evidence_grade": "A"},
            {"place_id": "PL-HOME", "entity_key": "YP-2", "kind": "home", "x": X0 + home[0], "y": Y0 + home[1], "age_days": 10},
            {"place_id": "PL-X", "entity_key": "AD-9", "kind": "exploitation_site", "x": X0 + 600, "y": Y0 + 100, "age_days": 10},
            {"place_id": "PL-Y", "entity_key": "AD-9", "kind": "hangout", "x": X0 + 100, "y": Y0 + 650, "age_days": 10},
        ],
        as_of=AS_OF,
    )
    incidents = _incidents()
    surface = school_run_surface(incidents, AS_OF, policy)
    snapshot = ScoringSnapshot.from_frames(
        people=people, groups=groups_frame([]), links=links, places=places, incidents=incidents, surface=surface
    )
    return snapshot.context("YP-1", AS_OF, policy)


@pytest.fixture(scope="module")
def context(policy):
    return _context(policy)


@pytest.fixture(scope="module")
def narrow_policy(policy):
    """Activity spaces of 50 m: small enough for a walk within the detour cap to keep clear."""
    return dataclasses.replace(policy, network=dataclasses.replace(policy.network, activity_bandwidth_m=50.0))


def test_risk_along_streets_matches_the_placement_score(context):
    rng = np.random.default_rng(1)
    xy = rng.uniform((X0, Y0), (X0 + 700, Y0 + 700), size=(40, 2))
    xy = np.vstack([xy, [[X0 + 350, Y0 + 330]]])  # right on the adversary's hangout: the band is lifted
    risk = child_risk_fn(context, area="exact")(xy)
    assessed = context.assess(xy)
    scores = np.array([a.score for a in assessed])
    bands = [a.band for a in assessed]
    # the route's lift: a child-specific factor at or above its [scoring] *_lift_threshold
    sp = context.policy.scoring
    lifted = np.array([a.factor("conflict_exposure").value >= sp.conflict_lift_threshold
                       or a.factor("exploitation_exposure").value >= sp.exploitation_lift_threshold for a in assessed])
    assert lifted.any() and (~lifted).any()
    np.testing.assert_allclose(100 * risk[~lifted], scores[~lifted], atol=0.051)
    # where the placement check lifts the band, the risk is at least the High edge
    assert np.all(100 * risk[lifted] >= 50.0)
    assert all(b in ("High", "Very high") for b, lift in zip(bands, lifted) if lift)


def test_grid_reading_is_close_to_the_exact_one(context):
    rng = np.random.default_rng(2)
    xy = rng.uniform((X0 + 50, Y0 + 50), (X0 + 650, Y0 + 650), size=(200, 2))
    fast = child_risk_fn(context, area="grid")(xy)
    exact = child_risk_fn(context, area="exact")(xy)
    assert np.median(np.abs(fast - exact)) < 0.02


def test_concern_sites_leave_out_homes(context):
    sites = child_concern_sites(context)
    kinds = {s.ref: s.kind for s in sites}
    assert kinds == {"PL-H": "adversary_activity", "PL-X": "exploitation_site", "PL-Y": "exploiter_activity"}


def _check(context, policy):
    graph = build_walk_graph(grid_streets(8), sample_step_m=policy.routing.sample_step_m)
    return assess_route(
        "YP-1",
        EastNorth(X0, Y0 + 350),
        EastNorth(X0 + 700, Y0 + 350),
        AS_OF,
        policy,
        graph=graph,
        risk_fn=child_risk_fn(context),
        concerns=child_concern_sites(context),
    )


def test_adversary_area_that_no_walk_within_the_cap_avoids_meets_the_bar(context, policy):
    # with 250 m activity spaces the adversary's hangout lifts every street within ~360 m
    result = _check(context, policy)
    assert result.shortest.band in ("High", "Very high")
    assert all(r.band in ("High", "Very high") for r in result.routes)
    assert result.recommendation.meets_bar is True
    assert any("in conflict with this young person" in r for r in result.recommendation.reasons)
    assert any(n.kind == "adversary_activity" for n in result.shortest.near)
    assert "PL-H" not in result.to_json()


def test_walk_round_a_small_adversary_area_does_not_meet_the_bar(narrow_policy):
    context = _context(narrow_policy)
    result = _check(context, narrow_policy)
    assert result.shortest.band in ("High", "Very high")
    low = result.lowest_risk
    assert low.role == "lowest_risk"
    assert low.band in ("Low", "Medium")
    assert low.length_m <= result.detour_cap_m
    assert low.score < result.shortest.score
    assert result.recommendation.meets_bar is False
    # it still passes close to a place of concern, and the officer is told which street, without names, the
    # distance rounded up to the policy's step (500 m)
    step = int(narrow_policy.probing.distance_step_m)
    near = [r for r in result.recommendation.reasons if f"lowest-risk walk passes within {step} m of" in r]
    assert near and all(": near " in r and ("Row " in r or "Column " in r) for r in near)
    assert not any(k in " ".join(result.recommendation.reasons) for k in ("PL-", "AD-9", "YP-2"))


@pytest.mark.parametrize("tier", ["transport", "analyst"])
def test_an_adversarys_home_moves_nothing_on_the_walk(policy, tier):
    """A home does not count in the risk of a walk (the risk would locate it)."""
    graph = build_walk_graph(grid_streets(8), sample_step_m=policy.routing.sample_step_m)
    xy = np.column_stack([np.linspace(X0, X0 + 700, 141), np.full(141, Y0 + 350)])
    results = []
    for home in ((150.0, 150.0), (200.0, 350.0), (650.0, 650.0)):  # (200, 350) is on the walk itself
        ctx = _context(policy, home=home)
        np.testing.assert_array_equal(
            child_risk_fn(ctx, area="exact")(xy), child_risk_fn(_context(policy, home=(150.0, 150.0)), area="exact")(xy)
        )
        results.append(
            assess_route("YP-1", EastNorth(X0, Y0 + 350), EastNorth(X0 + 700, Y0 + 350), AS_OF, policy, graph=graph,
                         risk_fn=child_risk_fn(ctx), concerns=child_concern_sites(ctx), tier=tier).to_json()
        )
    assert results[0] == results[1] == results[2]


@pytest.mark.parametrize(
    "expired",
    [{"status": "expired"}, {"expires_at": "2025-02-28"}, {"expires_at": "2025-03-01"}],
    ids=["status-expired", "expired-yesterday", "expires-at-as-of"],
)
def test_an_expired_conflict_link_leaves_the_walk_unchanged(policy, expired):
    """An expired link never scores: the walk's risk, bands, places of concern and wording are as without it."""
    graph = build_walk_graph(grid_streets(8), sample_step_m=policy.routing.sample_step_m)
    live, gone, none = (_context(policy, conflict=c) for c in ({}, expired, False))
    xy = np.random.default_rng(4).uniform((X0, Y0), (X0 + 700, Y0 + 700), size=(300, 2))
    np.testing.assert_array_equal(child_risk_fn(gone, area="exact")(xy), child_risk_fn(none, area="exact")(xy))
    assert not np.array_equal(child_risk_fn(live, area="exact")(xy), child_risk_fn(none, area="exact")(xy))

    def walk(ctx, tier):
        return assess_route("YP-1", EastNorth(X0, Y0 + 350), EastNorth(X0 + 700, Y0 + 350), AS_OF, policy,
                            graph=graph, risk_fn=child_risk_fn(ctx), concerns=child_concern_sites(ctx), tier=tier)

    for tier in ("transport", "analyst"):
        assert walk(gone, tier).to_json() == walk(none, tier).to_json()
    assert walk(live, "transport").shortest.score > walk(gone, "transport").shortest.score
    assert all(n.kind != "adversary_activity" for r in walk(gone, "analyst").routes for n in r.near)
