"""Placement checks on a small hand-made world, with golden values (issue 4)."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from geo_risk.config import Policy
from geo_risk.crs import EastNorth
from geo_risk.errors import NotFound, ValidationError
from geo_risk.scoring import Candidate, ScoringSnapshot, assess_location, rank_placements
from tests.scoring._world import AS_OF, PLACES, X0, Y0, conflict

QUIET = 5.0  # area percentile of a quiet area
FRESH_A = conflict("L1", "YP-1", "YP-2", evidence_grade="A")
EXPLOITS = {"link_id": "X1", "from_key": "A-1", "to_key": "YP-1", "type": "exploits", "evidence_grade": "A"}


def assess(world, policy, links, point=(X0, Y0), pct=QUIET, **kw):
    return assess_location("YP-1", point, AS_OF, policy, area_percentile=pct, **world(links=links, **kw))


def test_inside_an_adversarys_activity_space_is_very_high_even_in_a_quiet_area(world, policy):
    a = assess(world, policy, [FRESH_A])
    # conflict exposure: the hangout P2 (weight 1, 0 m); YP-2's home 600 m away is beyond the consult distance
    raw = 1.0
    value = 1 - math.exp(-raw / 0.5)
    assert a.factor("conflict_exposure").raw == pytest.approx(raw)
    assert a.factor("conflict_exposure").value == pytest.approx(value)
    assert a.score == pytest.approx(round(100 * (0.4 * 0.05 + 0.35 * value) / 1.1, 1))
    assert a.score == 29.3  # golden: the score only breaks ties within a band ...
    assert (a.band, a.child_band, a.area_band) == ("Very high", "Very high", "Low")  # ... the worse band wins
    assert a.outcome == "consult_analyst"  # a rival's regular place is within the consult distance
    assert a.lifted_by == ("conflict_exposure",)
    assert [f.name for f in a.factors][:2] == ["conflict_exposure", "area_intensity"]
    assert a.nearest_adversary_m == 0.0
    # distances reach the housing tier rounded up to the policy's step (500 m; issue 14)
    assert "Within 500 m of an area associated with people in active conflict with this young person." in (
        a.reasons_housing
    )


def test_same_point_without_the_conflict_is_low(world, policy):
    a = assess(world, policy, [])
    assert (a.score, a.band, a.lifted_by) == (1.8, "Low", ())
    assert a.nearest_adversary_m is None


def test_the_child_specific_band_falls_one_band_at_a_time_with_distance(world, policy):
    """No cliff: 10 m further from a rival's place never drops the band by more than one step."""
    bands = list(policy.scoring.bands)
    seen = []
    for d in range(0, 900, 10):
        a = assess(world, policy, [FRESH_A], point=(X0 - d, Y0))
        seen.append(bands.index(a.band))
    assert seen[0] == 3 and seen[-1] == 0  # Very high at the hangout, Low far from it
    assert all(0 <= seen[i] - seen[i + 1] <= 1 for i in range(len(seen) - 1))
    assert {1, 2} <= set(seen)  # it passes through Medium and High


def test_an_exposure_just_below_an_edge_is_one_band_from_just_above(world, policy):
    """The old rule made 0.4998 Low and 0.5 High in a quiet area; now bands step one at a time."""
    edges = policy.scoring.child_band_edges
    scale = policy.scoring.conflict_scale
    bands = list(policy.scoring.bands)
    for edge in (*edges, 0.5):
        # the raw exposure that gives a value just below and just above the edge at a hangout of weight 1
        below = -scale * math.log(1 - (edge - 2e-4))
        above = -scale * math.log(1 - edge)
        out = []
        for raw in (below, above):
            links = [conflict("L1", "YP-1", "YP-2", evidence_grade="A", age_days=120 * math.log2(1 / raw))]
            out.append(bands.index(assess(world, policy, links).band))
        assert 0 <= out[1] - out[0] <= 1, edge


def test_an_expired_conflict_link_changes_nothing(world, policy):
    base = assess(world, policy, [])
    for expired in (
        conflict("L1", "YP-1", "YP-2", evidence_grade="A", status="expired"),
        conflict("L1", "YP-1", "YP-2", evidence_grade="A", expires_at="2026-10-31"),
    ):
        a = assess(world, policy, [expired])
        assert a.to_json(audience="analyst") == base.to_json(audience="analyst")
        assert a.inputs_hash == base.inputs_hash


@pytest.mark.parametrize("missing", ["evidence_grade", "expires_at"])
def test_a_conflict_link_without_grade_or_expiry_changes_nothing(world, policy, missing):
    """A link without a grade or an expiry changes nothing: it is not scored as grade E or as never expiring."""
    base = assess(world, policy, [])
    frames = world(links=[FRESH_A])
    frames["links"][missing] = frames["links"][missing].astype(object)
    frames["links"].loc[0, missing] = None
    a = assess_location("YP-1", (X0, Y0), AS_OF, policy, area_percentile=QUIET, **frames)
    assert a.to_json(audience="analyst") == base.to_json(audience="analyst")
    assert (a.score, a.band, a.inputs_hash) == (base.score, base.band, base.inputs_hash)


def test_old_conflict_evidence_weighs_less_than_fresh(world, policy):
    fresh = assess(world, policy, [FRESH_A])
    old = assess(world, policy, [conflict("L1", "YP-1", "YP-2", evidence_grade="A", age_days=240)])
    # two half-lives: a quarter of the weight
    assert old.factor("conflict_exposure").raw == pytest.approx(fresh.factor("conflict_exposure").raw / 4)
    assert old.score < fresh.score
    assert old.band == "High" and fresh.band == "Very high"
    assert old.inputs_hash != fresh.inputs_hash


def test_associates_conflicts_count_less_than_direct_ones(world, policy):
    point = (X0 + 2000, Y0)  # YP-4's hangout
    direct = assess(world, policy, [conflict("C1", "YP-1", "YP-4", evidence_grade="A")], point=point)
    via = assess(
        world,
        policy,
        [
            {"link_id": "A3", "from_key": "YP-1", "to_key": "YP-3", "type": "associates_with", "evidence_grade": "A"},
            conflict("C3", "YP-3", "YP-4", evidence_grade="A"),
        ],
        point=point,
    )
    assert direct.factor("conflict_exposure").raw == pytest.approx(1.0)
    assert via.factor("conflict_exposure").raw == pytest.approx(0.4)  # associate_conflict_factor
    assert via.score < direct.score
    assert any("in conflict with people close to this young person" in r for r in via.reasons_housing)


def test_parent_carer_grade_b_weighs_the_same_as_police_grade_b(world, policy):
    police = assess(world, policy, [conflict("L1", "YP-1", "YP-2", evidence_grade="B", source_type="police")])
    carer = assess(
        world,
        policy,
        [conflict("L1", "YP-1", "YP-2", evidence_grade="B", source_type="parent_carer", source="mother")],
    )
    assert carer.to_json(audience="analyst") == police.to_json(audience="analyst")
    assert carer.factor("conflict_exposure").raw == pytest.approx(1.0)  # every grade weighs as confirmed


@pytest.mark.parametrize("source_type", ["parent_carer", "young_person", "police"])
def test_an_unverified_concern_widens_uncertainty_and_never_shrinks_the_risk(world, policy, source_type):
    """Grade E weighs as grade A in the band; it lowers confidence and raises a dated flag instead."""
    confirmed = assess(world, policy, [FRESH_A])
    unverified_places = [{**p, "evidence_grade": "E"} if p["place_id"] == "P2" else p for p in PLACES]
    weak = assess(world, policy, [conflict("L1", "YP-1", "YP-2", evidence_grade="E", source_type=source_type,
                                           source="a report")], places=unverified_places)
    assert weak.band == confirmed.band == "Very high"
    assert weak.factor("conflict_exposure").raw == pytest.approx(confirmed.factor("conflict_exposure").raw)
    assert weak.confidence == "low" and confirmed.confidence != "low"
    assert weak.flags == ("Unverified concern: verify by 2026-11-15.",)  # as_of + 14 days
    assert confirmed.flags == ()
    assert weak.reasons_housing[0].startswith("Unverified concern: verify by 2026-11-15.")
    assert weak.to_dict(audience="housing")["flags"] == list(weak.flags)


def test_a_verified_link_at_an_unverified_place_is_still_an_unverified_concern(world, policy):
    places = [{**p, "evidence_grade": "D"} if p["place_id"] == "P2" else p for p in PLACES]
    a = assess(world, policy, [FRESH_A], places=places)
    assert a.flags and a.confidence == "low" and a.band == "Very high"


def test_nothing_known_is_never_high_confidence(world, policy):
    a = assess(world, policy, [], pct=50.0)
    assert a.confidence != "high"
    assert any("not a guarantee" in r for r in a.reasons_housing)


def test_same_inputs_and_policy_give_identical_result_and_hash(world, policy):
    links = [FRESH_A, EXPLOITS]
    a = assess(world, policy, links, point=(X0 + 120, Y0 + 80))
    b = assess(world, Policy.default(), links, point=(X0 + 120, Y0 + 80))
    assert a == b
    assert a.to_json(audience="analyst") == b.to_json(audience="analyst")
    assert re.fullmatch(r"[0-9a-f]{64}", a.inputs_hash)
    # shuffled frames make no difference either
    frames = world(links=links)
    frames = {k: v.iloc[::-1].reset_index(drop=True) if len(v) else v for k, v in frames.items()}
    c = assess_location("YP-1", (X0 + 120, Y0 + 80), AS_OF, policy, area_percentile=QUIET, **frames)
    assert c.to_json(audience="analyst") == a.to_json(audience="analyst")


def test_inputs_hash_changes_with_point_date_policy_and_area(world, policy):
    base = assess(world, policy, [FRESH_A])
    other_policy = Policy.from_dict({**policy.to_dict(), "version": "test-2"})
    assert assess(world, policy, [FRESH_A], point=(X0 + 1, Y0)).inputs_hash != base.inputs_hash
    assert assess(world, policy, [FRESH_A], pct=6.0).inputs_hash != base.inputs_hash
    assert assess(world, other_policy, [FRESH_A]).inputs_hash != base.inputs_hash
    later = assess_location("YP-1", (X0, Y0), "2026-11-02", policy, area_percentile=QUIET, **world(links=[FRESH_A]))
    assert later.inputs_hash != base.inputs_hash


@pytest.mark.parametrize("column", ["ethnicity", "religion", "sex"])
@pytest.mark.parametrize("who", ["YP-2", "A-1", "YP-1"], ids=["adversary", "exploiter", "young-person"])
def test_protected_characteristics_of_one_person_change_nothing(world, policy, column, who):
    """Changing one person's protected characteristic (not everyone's) moves no score, band or hash."""
    links = [FRESH_A, EXPLOITS]
    frames = world(links=links)
    points = [(X0, Y0), (X0 + 300, Y0 + 2900), (X0 + 3900, Y0 + 3900)]
    before = rank_placements("YP-1", points, AS_OF, policy, area_percentiles=[5, 50, 95], **frames)
    assert {c.assessment.band for c in before.candidates} >= {"High"}  # the person matters to the result
    for value in ("group one", "group two", None):
        people = frames["people"].copy()
        people.loc[people["pseudonym"] == who, column] = value
        assert (people[column] != frames["people"][column]).sum() == 1  # one person only
        after = rank_placements("YP-1", points, AS_OF, policy, area_percentiles=[5, 50, 95],
                                **{**frames, "people": people})
        for a, b in zip(after.candidates, before.candidates, strict=True):
            assert (a.label, a.assessment.score, a.assessment.band, a.assessment.inputs_hash) == (
                b.label, b.assessment.score, b.assessment.band, b.assessment.inputs_hash
            )
        assert after.to_json(audience="analyst") == before.to_json(audience="analyst")


def test_exploitation_exposure_lifts_the_band(world, policy):
    a = assess(world, policy, [EXPLOITS], point=(X0, Y0 + 3000))
    assert a.factor("exploitation_exposure").raw == pytest.approx(1.0)
    assert a.band == "Very high" and a.lifted_by == ("exploitation_exposure",)
    assert a.factor("exploitation_site_proximity").raw == 0.0  # the exploiter's own site is not counted twice
    assert any("people who may seek to exploit this young person" in r for r in a.reasons_housing)


def test_unrelated_exploitation_site_adds_but_does_not_lift(world, policy):
    a = assess(world, policy, [], point=(X0 + 4000, Y0 + 4000), pct=50.0)
    # half weight for a site not linked to this young person's exploiters, linear kernel of 300 m
    assert a.factor("exploitation_site_proximity").raw == pytest.approx(0.5)
    assert a.factor("exploitation_site_proximity").value == pytest.approx(1 - math.exp(-1))
    assert a.lifted_by == ()
    assert a.score == pytest.approx(round(100 * (0.4 * 0.5 + 0.1 * (1 - math.exp(-1))) / 1.1, 1))
    assert ("Within 500 m of a place associated with the exploitation of young people (not known to be linked to"
            " this young person's own network), so at least Medium.") in a.reasons_housing
    assert a.band == "Medium" and a.child_band == "Low"
    # and no reason says nothing is known beside it
    assert not any("not a guarantee" in r for r in a.reasons_housing)


def test_area_band_edges_take_the_higher_band_and_the_area_alone_is_never_very_high(world, policy):
    assert assess(world, policy, [], pct=49.99).band == "Low"
    assert assess(world, policy, [], pct=50.0).band == "Medium"
    assert assess(world, policy, [], pct=90.0).band == "High"
    assert assess(world, policy, [], pct=100.0).band == "High"


def test_housing_reasons_name_no_one_and_homes_are_never_shown(world, policy):
    links = [FRESH_A, EXPLOITS]
    a = assess(world, policy, links, point=(X0 + 600, Y0))  # at YP-2's home, 600 m from their hangout P2
    housing = json.dumps(a.to_dict(audience="housing"))
    for name in ("YP-2", "YP-3", "YP-4", "A-1", "L1", "X1", "P2", "H2", "S1", "grade", "evidence", "nearest"):
        assert name not in housing
    # the distance in the wording is to the hangout, never to the home the point stands on
    assert "Within 1000 m of an area associated with people in active conflict with this young person." in (
        a.reasons_housing
    )
    assert not a.factor("conflict_exposure").lifts_band
    full = a.to_json(audience="analyst")
    assert "H2" not in full and "a place not displayed" not in full
    assert a.nearest_adversary_m == pytest.approx(600.0)
    assert "L1" in a.evidence and "H2" not in a.evidence


def _home_only(home_xy):
    """YP-2 known only by their home at ``home_xy``."""
    return [p for p in PLACES if p["entity_key"] != "YP-2"] + [
        {"place_id": "H2", "entity_key": "YP-2", "kind": "home", "x": home_xy[0], "y": home_xy[1],
         "evidence_grade": "A"}]


def _probe(world, policy, home_xy, clicks):
    """What map clicks show a housing officer about a rival known only by their home at ``home_xy``."""
    ranking = rank_placements("YP-1", clicks, AS_OF, policy, area_percentiles=np.full(len(clicks), 20.0),
                              **world(links=[FRESH_A], places=_home_only(home_xy)))
    out = []
    for c in ranking.to_dict(audience="housing")["candidates"]:
        a = c["assessment"]
        out.append((c["label"], a["band"], a["outcome"], a["reasons"], a["confidence"], a["flags"]))
    return sorted(out)


def test_probing_inside_the_consult_distance_says_nothing_of_where_the_home_is(world, policy):
    """Every point within the consult distance of a rival's home gets the same words: no distance, no
    gradient, so many clicks find at most the disc, never the home."""
    clicks = [(X0 + dx, Y0 + dy) for dx in (-250, -120, 0, 20, 150, 250) for dy in (-200, 0, 90, 250)]
    here = _probe(world, policy, (X0, Y0), clicks)
    moved = _probe(world, policy, (X0 + 10, Y0 - 15), clicks)
    assert here == moved
    assert all(row[1:] == here[0][1:] for row in here) and here[0][2] == "consult_analyst"


def test_an_adversarys_home_near_an_address_means_consult_the_analyst(world, policy):
    a = assess(world, policy, [FRESH_A], places=_home_only((X0 + 20, Y0)))  # 20 m from a grade-A rival's home
    assert a.outcome == "consult_analyst"
    assert a.band == "High" and a.child_band == "High"
    assert a.factor("conflict_exposure").raw == 0.0  # the home adds no exposure, distance or wording
    assert a.nearest_adversary_m is None
    assert a.reasons_housing[0].startswith("Consult the analyst before placing here")
    assert not any("not a guarantee" in r or "in active conflict" in r for r in a.reasons_housing)
    housing = json.dumps(a.to_dict(audience="housing"))
    for hidden in ("YP-2", "H2", "home", " m ", "score", "nearest"):
        assert hidden not in housing
    analyst = " ".join(a.reasons_analyst)
    assert "YP-2" in analyst and "home (not displayed)" in analyst and "L1" in analyst
    assert "H2" not in a.to_json(audience="analyst")  # the home is never named or placed
    assert a.confidence != "high"
    far = assess(world, policy, [FRESH_A], places=_home_only((X0 + 401, Y0)))  # beyond the policy's 400 m
    assert far.outcome == "assessed" and far.band == "Low"


def test_an_exploiters_regular_place_near_an_address_means_consult_the_analyst(world, policy):
    a = assess(world, policy, [EXPLOITS], point=(X0 + 350, Y0 + 3000))  # 350 m from A-1's site S1
    assert a.outcome == "consult_analyst" and a.band in ("High", "Very high")


def test_analyst_reasons_carry_evidence_ids(world, policy):
    a = assess(world, policy, [FRESH_A])
    text = " ".join(a.reasons_analyst)
    assert "YP-2" in text and "L1" in text and "P2" in text
    assert a.evidence == ("L1", "P2")


def test_to_dict_defaults_to_the_least_privileged_tier(world, policy):
    """to_dict()/to_json() default to the least privileged tier (fail closed)."""
    a = assess(world, policy, [FRESH_A, EXPLOITS])
    assert a.to_dict() == a.to_dict(audience="housing")
    assert a.to_json() == a.to_json(audience="housing")
    for hidden in ("reasons_analyst", "evidence", "nearest_adversary_m", "nearest_exploiter_m"):
        assert hidden not in a.to_dict()
    assert "L1" not in a.to_json() and "YP-2" not in a.to_json()
    ranking = rank_placements("YP-1", [(X0, Y0)], AS_OF, policy, area_percentiles=[5], **world(links=[FRESH_A]))
    assert ranking.to_dict() == ranking.to_dict(audience="housing")
    assert ranking.to_json() == ranking.to_json(audience="housing")
    assert "reasons_analyst" not in ranking.to_json() and "L1" not in ranking.to_json()
    assert ranking.candidates[0].to_dict() == ranking.candidates[0].to_dict(audience="housing")
    assert "L1" in a.to_json(audience="analyst")  # the analyst tier is there when asked for


def test_to_dict_is_stable_and_rounded(world, policy):
    a = assess(world, policy, [FRESH_A])
    assert a.to_json() == a.to_json()
    d = a.to_dict(audience="analyst")
    assert d["factors"][0]["value"] == round(d["factors"][0]["value"], 4)
    assert list(json.loads(a.to_json(audience="analyst"))) == sorted(d)
    assert list(json.loads(a.to_json())) == sorted(a.to_dict())


def test_confidence_follows_grade_freshness_and_count(world, policy):
    two_places = [*PLACES, {"place_id": "P2b", "entity_key": "YP-2", "x": X0 + 50, "y": Y0, "evidence_grade": "A"}]
    lone = [p for p in PLACES if p["entity_key"] != "YP-2"] + [PLACES[0]]
    assert assess(world, policy, [FRESH_A], places=two_places).confidence == "high"
    assert assess(world, policy, [FRESH_A], places=lone).confidence == "medium"  # one link, one place
    grade_c = conflict("L1", "YP-1", "YP-2", evidence_grade="C")
    assert assess(world, policy, [grade_c], places=two_places).confidence == "medium"
    stale_c = conflict("L1", "YP-1", "YP-2", evidence_grade="C", age_days=200)
    assert assess(world, policy, [stale_c], places=two_places, point=(X0 + 20, Y0)).confidence == "low"


def test_confidence_without_child_specific_risk_rests_on_area_data(world, policy):
    # no incidents given and nothing known of YP-8's network: low
    a = assess_location("YP-8", (X0, Y0), AS_OF, policy, area_percentile=10, **world(links=[]))
    assert a.confidence == "low"
    assert a.freshness.latest_incident is None


def test_rank_placements_orders_safest_first(world, policy):
    frames = world(links=[FRESH_A])
    candidates = [
        Candidate("at the rival hangout", EastNorth(X0, Y0)),
        Candidate("busy area", EastNorth(X0 + 9000, Y0)),
        Candidate("quiet area", EastNorth(X0 + 9000, Y0 + 9000)),
    ]
    ranking = rank_placements("YP-1", candidates, AS_OF, policy, area_percentiles=[5, 95, 10], **frames)
    assert [c.label for c in ranking.candidates] == ["quiet area", "busy area", "at the rival hangout"]
    assert [c.rank for c in ranking.candidates] == [1, 2, 3]
    assert [c.assessment.band for c in ranking.candidates] == ["Low", "High", "Very high"]


def test_a_quiet_area_never_offsets_a_risk_specific_to_the_young_person(world, policy):
    """Near a rival's place in the quietest area ranks below no threat in the busiest area, at every distance
    that makes the child-specific band High."""
    frames = world(links=[FRESH_A])
    for d in range(0, 500, 25):
        ranking = rank_placements("YP-1", [Candidate("near the rival", EastNorth(X0 - d, Y0)),
                                            Candidate("busy", EastNorth(X0 + 9000, Y0))],
                                  AS_OF, policy, area_percentiles=[0.0, 100.0], **frames)
        a = {c.label: c for c in ranking.candidates}
        if a["near the rival"].assessment.child_band in ("High", "Very high"):
            assert a["near the rival"].rank == 2, d


def test_a_point_outside_the_data_cannot_be_assessed_and_ranks_last(world, policy):
    from shapely.geometry import box

    from geo_risk.scoring.area import Coverage

    snapshot = ScoringSnapshot.from_frames(**world(links=[]))
    covered = ScoringSnapshot(snapshot.network, snapshot.places, None, None, snapshot.incident_days,
                              Coverage(box(X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000), "the test area", "f"))
    context = covered.context("YP-1", AS_OF, policy, evidence="as_confirmed")
    ranking = rank_placements("YP-1", [Candidate("outside", EastNorth(X0 + 5000, Y0)),
                                                 Candidate("inside", EastNorth(X0, Y0))], AS_OF, policy,
                              context=context, area_percentiles=[1.0, 99.0])
    out, inside = ranking.candidates[1].assessment, ranking.candidates[0].assessment
    assert ranking.candidates[1].label == "outside"
    assert (out.band, out.outcome, out.confidence, out.score) == ("Cannot assess", "cannot_assess", "low", None)
    assert out.reasons_housing[0].startswith("Cannot assess: outside the data's coverage.")
    assert len(out.reasons_housing) == 1 and out.factors == ()
    assert inside.band == "High" and inside.outcome == "assessed"
    assert ranking.to_dict()["order"] == "safest first"


def test_rank_placements_refuses_more_than_fifty(world, policy):
    frames = world(links=[])
    points = [(X0 + i, Y0) for i in range(51)]
    with pytest.raises(ValidationError, match="51 candidates given; a placement check takes at most 50"):
        rank_placements("YP-1", points, AS_OF, policy, area_percentiles=np.zeros(51), **frames)
    ok = rank_placements("YP-1", points[:50], AS_OF, policy, area_percentiles=np.zeros(50), **frames)
    assert len(ok.candidates) == 50


def test_context_is_reused_and_checked(world, policy):
    snapshot = ScoringSnapshot.from_frames(**world(links=[FRESH_A]))
    context = snapshot.context("YP-1", AS_OF, policy, evidence="as_confirmed")
    a = assess_location("YP-1", (X0, Y0), AS_OF, policy, context=context, area_percentile=QUIET)
    assert a == assess(world, policy, [FRESH_A])
    graded = snapshot.context("YP-1", AS_OF, policy)
    with pytest.raises(ValueError, match="weighs every evidence grade as confirmed"):
        assess_location("YP-1", (X0, Y0), AS_OF, policy, context=graded, area_percentile=QUIET)
    with pytest.raises(ValueError, match="another young person, date or policy") as raised:
        assess_location("YP-3", (X0, Y0), AS_OF, policy, context=context, area_percentile=QUIET)
    assert not isinstance(raised.value, ValidationError)  # a programming fault, not the user's input


def test_input_errors_name_the_fix(world, policy):
    frames = world(links=[])
    with pytest.raises(NotFound, match="no person with pseudonym"):
        assess_location("YP-404", (X0, Y0), AS_OF, policy, area_percentile=1, **frames)
    with pytest.raises(ValidationError, match="not in Great Britain"):
        assess_location("YP-1", (-2.6, 51.45), AS_OF, policy, area_percentile=1, **frames)
    with pytest.raises(ValidationError, match="no area surface"):
        assess_location("YP-1", (X0, Y0), AS_OF, policy, **frames)
    with pytest.raises(ValidationError, match="between 0 and 100"):
        assess_location("YP-1", (X0, Y0), AS_OF, policy, area_percentile=140, **frames)
    with pytest.raises(ValidationError, match="as_of is required"):
        assess_location("YP-1", (X0, Y0), None, policy, area_percentile=1, **frames)


# ---------------------------------------------------------------- with the real area surface


def _incidents(n_busy: int, *, extra: int = 0):
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    rng = np.random.default_rng(3)
    xy = np.vstack(
        [
            np.column_stack([X0 + 5000 + rng.normal(0, 150, n_busy), Y0 + rng.normal(0, 150, n_busy)]),
            np.column_stack([X0 + rng.uniform(2000, 9000, 200), Y0 + rng.uniform(-6000, 6000, 200)]),
            np.full((extra, 2), [X0 + 100, Y0 + 100]),
        ]
    )
    n = len(xy)
    return gpd.GeoDataFrame(
        {
            "incident_id": np.arange(n),
            "category": "Violence and sexual offences",
            "occurred_at": pd.Timestamp("2026-09-01"),
            "has_time": False,
            "precision": "snap_point",
        },
        geometry=[Point(x, y) for x, y in xy],
        crs=27700,
    )


def test_with_a_fitted_surface_quiet_area_inside_adversary_space_is_high(world, policy):
    from geo_risk.scoring import fit_area_surface

    incidents = _incidents(400)
    surface = fit_area_surface(incidents, AS_OF, policy)
    snapshot = ScoringSnapshot.from_frames(**world(links=[FRESH_A]), incidents=incidents, surface=surface)
    context = snapshot.context("YP-1", AS_OF, policy, evidence="as_confirmed")
    quiet, busy = context.assess(np.array([[X0, Y0], [X0 + 5000, Y0]]))
    assert quiet.factor("area_intensity").raw < 50 < busy.factor("area_intensity").raw
    np.testing.assert_allclose(
        [quiet.factor("area_intensity").raw, busy.factor("area_intensity").raw],
        surface.percentile_at(np.array([[X0, Y0], [X0 + 5000, Y0]])),
    )
    assert quiet.band == "Very high" and quiet.lifted_by == ("conflict_exposure",)
    assert quiet.freshness.latest_incident == "2026-09-01"
    # the surface's data are part of the inputs hash
    surface2 = fit_area_surface(_incidents(400, extra=1), AS_OF, policy)
    snapshot2 = ScoringSnapshot.from_frames(**world(links=[FRESH_A]), surface=surface2)
    again = snapshot2.context("YP-1", AS_OF, policy, evidence="as_confirmed").assess(np.array([[X0, Y0]]))[0]
    assert snapshot2.surface_fingerprint != snapshot.surface_fingerprint
    assert again.inputs_hash != quiet.inputs_hash


def test_inputs_hash_is_sha256_of_the_documented_canonical_json(world, policy):
    """Pins the hash format: stored assessments stay reproducible only while it is unchanged."""
    import hashlib

    def sha(data):
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(text.encode()).hexdigest()

    a = assess(world, policy, [FRESH_A], point=(X0 + 4100.04, Y0 + 4000))  # within reach of site S9
    seen = "2026-11-01T00:00:00"
    context = sha(
        {
            "kind": "placement",
            "child": "YP-1",
            "as_of": "2026-11-01T00:00:00",
            "evidence": "as_confirmed",
            "policy": {"version": policy.version, "digest": policy.digest},
            "links": {
                "id": ["L1"], "kind": ["in_conflict_with"], "grade": "A", "first_seen": ["2026-10-02T00:00:00"],
                "last_seen": [seen], "expires_at": ["2028-10-31T00:00:00"], "expired": [False],
            },
            "places": {  # YP-2's home H2 is an input of the consult rule only: hashed, never shown
                "id": ["H2", "P2"], "kind": ["home", "hangout"], "grade": "AA",
                "first_seen": ["2026-10-02T00:00:00"] * 2, "last_seen": [seen] * 2,
                "expires_at": ["2028-10-31T00:00:00"] * 2, "expired": [False, False],
                "x": [X0 + 600, X0], "y": [Y0, Y0],
            },
        }
    )
    site = ["S9", "exploitation_site", "A", "2026-10-02T00:00:00", seen, "2028-10-31T00:00:00", False,
            X0 + 4000, Y0 + 4000]
    expected = sha({"context": context, "point": [X0 + 4100.0, Y0 + 4000], "area": {"percentile": QUIET},
                    "coverage": None, "sites": [site]})
    assert a.inputs_hash == expected
