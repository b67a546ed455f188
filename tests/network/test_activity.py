"""Activity spaces and exposure fields (issue 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_risk.config import Policy
from geo_risk.errors import CRSError, ValidationError
from geo_risk.network import PlaceIndex, activity_field, build_network, find_exposure, site_field
from tests._network_frames import groups_frame, links_frame, people_frame, places_frame

AS_OF = "2026-11-01"
X0, Y0 = 358_000.0, 173_000.0


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.default()


def build(link_rows, place_rows):
    people = people_frame(["YP-1", "YP-2", "YP-3", "YP-4", "YP-5"])
    network = build_network(people, groups_frame(["G1", "G2"]), links_frame(link_rows, as_of=AS_OF))
    return network, PlaceIndex.from_frame(places_frame(place_rows, as_of=AS_OF))


def field_for(network, places, policy, child="YP-1"):
    exposure = find_exposure(network, child, AS_OF, policy.network)
    return exposure, activity_field(
        [(a.node, a.weight) for a in exposure.adversaries],
        places,
        places.weights(AS_OF, policy.network),
        network=network,
        link_weights=network.link_weights(AS_OF, policy.network),
        bandwidth_m=policy.network.activity_bandwidth_m,
    )


def test_one_fresh_grade_a_place_gives_one_at_the_place(policy):
    network, places = build(
        [{"link_id": "L1", "from_key": "YP-1", "to_key": "YP-2", "type": "in_conflict_with", "evidence_grade": "A"}],
        [{"place_id": "P1", "entity_key": "YP-2", "x": X0, "y": Y0, "evidence_grade": "A"}],
    )
    _, field = field_for(network, places, policy)
    values = field.evaluate(np.array([[X0, Y0], [X0 + 250, Y0], [X0, Y0 + 500], [X0 + 2000, Y0]]))
    # Gaussian with peak 1 and sd 250 m: 1, exp(-1/2), exp(-2), 0 beyond the cut-off
    np.testing.assert_allclose(values.total, [1.0, 0.606531, 0.135335, 0.0], atol=1e-6)
    np.testing.assert_allclose(values.nearest_m, [0.0, 250.0, 500.0, 2000.0])
    assert values.by_owner.shape == (4, 1)


def test_place_weight_uses_grade_and_place_half_life(policy):
    network, places = build(
        [{"link_id": "L1", "from_key": "YP-1", "to_key": "YP-2", "type": "in_conflict_with", "evidence_grade": "A"}],
        [{"place_id": "P1", "entity_key": "YP-2", "x": X0, "y": Y0, "evidence_grade": "C", "age_days": 180}],
    )
    _, field = field_for(network, places, policy)
    assert field.evaluate(np.array([[X0, Y0]])).total[0] == pytest.approx(0.6 * 0.5)


def test_group_space_includes_members_places_but_not_their_homes(policy):
    network, places = build(
        [
            {"link_id": "L1", "from_key": "YP-1", "to_key": "G2", "type": "in_conflict_with", "evidence_grade": "A"},
            {"link_id": "M3", "from_key": "YP-3", "to_key": "G2", "type": "member_of", "evidence_grade": "C"},
        ],
        [
            {"place_id": "PG", "entity_key": "G2", "x": X0, "y": Y0, "evidence_grade": "A"},
            {"place_id": "P3", "entity_key": "YP-3", "x": X0 + 3000, "y": Y0, "evidence_grade": "A"},
            {"place_id": "H3", "entity_key": "YP-3", "x": X0 + 6000, "y": Y0, "kind": "home", "evidence_grade": "A"},
        ],
    )
    _, field = field_for(network, places, policy)
    values = field.evaluate(np.array([[X0, Y0], [X0 + 3000, Y0], [X0 + 6000, Y0]]))
    np.testing.assert_allclose(values.total, [1.0, 0.6, 0.0], atol=1e-9)  # member place at membership weight
    assert sorted(places.place_ids[field.rows]) == ["P3", "PG"]
    assert set(field.via) == {"", "M3"}


def test_an_adversarys_home_is_never_in_their_activity_space(policy):
    """A home in the field would let a distance or score locate it (review: homes located by map clicks)."""
    network, places = build(
        [{"link_id": "L1", "from_key": "YP-1", "to_key": "YP-2", "type": "in_conflict_with", "evidence_grade": "A"}],
        [
            {"place_id": "H2", "entity_key": "YP-2", "x": X0, "y": Y0, "kind": "home", "evidence_grade": "A"},
            {"place_id": "P2", "entity_key": "YP-2", "x": X0 + 3000, "y": Y0, "evidence_grade": "A"},
        ],
    )
    _, field = field_for(network, places, policy)
    assert list(places.place_ids[field.rows]) == ["P2"]
    values = field.evaluate(np.array([[X0, Y0], [X0 + 3000, Y0]]))
    np.testing.assert_allclose(values.total, [0.0, 1.0])
    np.testing.assert_allclose(values.nearest_m, [3000.0, 0.0])  # measured to the hangout, never the home


def test_a_place_reached_through_two_adversaries_counts_once_at_its_strongest(policy):
    network, places = build(
        [
            {"link_id": "L1", "from_key": "YP-1", "to_key": "YP-3", "type": "in_conflict_with", "evidence_grade": "C"},
            {"link_id": "L2", "from_key": "YP-1", "to_key": "G2", "type": "in_conflict_with", "evidence_grade": "A"},
            {"link_id": "M3", "from_key": "YP-3", "to_key": "G2", "type": "member_of", "evidence_grade": "A"},
        ],
        [{"place_id": "P3", "entity_key": "YP-3", "x": X0, "y": Y0, "evidence_grade": "A"}],
    )
    exposure, field = field_for(network, places, policy)
    assert len(field) == 1
    assert field.evaluate(np.array([[X0, Y0]])).total[0] == pytest.approx(1.0)  # via G2 (1 x 1), not 0.6 + 1
    assert exposure.adversaries[field.owner[0]].key == "G2"


def test_a_place_without_an_expiry_or_a_grade_does_not_count(policy):
    """The contract's one liveness rule: a place, like a link, needs its grade and expiry to count."""
    network, _ = build(
        [{"link_id": "L1", "from_key": "YP-1", "to_key": "YP-2", "type": "in_conflict_with", "evidence_grade": "A"}],
        [],
    )
    frame = places_frame(
        [
            {"place_id": "P1", "entity_key": "YP-2", "x": X0, "y": Y0, "evidence_grade": "A"},
            {"place_id": "P2", "entity_key": "YP-2", "x": X0 + 3000, "y": Y0, "evidence_grade": "A"},
            {"place_id": "P3", "entity_key": "YP-2", "x": X0 + 6000, "y": Y0, "evidence_grade": "A"},
        ],
        as_of=AS_OF,
    )
    frame.loc[0, "expires_at"] = pd.NaT
    frame.loc[1, "evidence_grade"] = None
    places = PlaceIndex.from_frame(frame)
    _, field = field_for(network, places, policy)
    values = field.evaluate(np.array([[X0, Y0], [X0 + 3000, Y0], [X0 + 6000, Y0]]))
    np.testing.assert_allclose(values.total, [0.0, 0.0, 1.0])


def test_expired_and_future_places_do_not_count(policy):
    network, places = build(
        [{"link_id": "L1", "from_key": "YP-1", "to_key": "YP-2", "type": "in_conflict_with"}],
        [
            {"place_id": "P1", "entity_key": "YP-2", "x": X0, "y": Y0, "status": "expired"},
            {"place_id": "P2", "entity_key": "YP-2", "x": X0, "y": Y0, "expires_at": "2026-01-01"},
            {"place_id": "P3", "entity_key": "YP-2", "x": X0, "y": Y0, "first_seen": "2027-01-01",
             "last_seen": "2027-01-02"},
        ],
    )
    _, field = field_for(network, places, policy)
    assert len(field) == 0
    assert field.evaluate(np.array([[X0, Y0]])).total[0] == 0.0


def test_site_field_is_linear_within_radius_and_skips_excluded(policy):
    _, places = build(
        [],
        [
            {"place_id": "S1", "entity_key": "YP-4", "kind": "exploitation_site", "x": X0, "y": Y0,
             "evidence_grade": "A"},
            {"place_id": "S2", "entity_key": "YP-5", "kind": "exploitation_site", "x": X0 + 5000, "y": Y0,
             "evidence_grade": "A"},
        ],
    )
    weights = places.weights(AS_OF, policy.network)
    field = site_field(places, weights, exclude_rows=np.array([1]), factor=0.5, radius_m=300.0)
    values = field.evaluate(np.array([[X0, Y0], [X0 + 150, Y0], [X0 + 299, Y0], [X0 + 5000, Y0]]))
    np.testing.assert_allclose(values.total, [0.5, 0.25, 0.5 / 300, 0.0], atol=1e-9)


def test_evaluate_matches_brute_force(policy):
    rng = np.random.default_rng(7)
    n_people = 30
    people = [f"YP-{i}" for i in range(n_people)]
    link_rows = [
        {"link_id": f"L{i}", "from_key": "YP-0", "to_key": f"YP-{i}", "type": "in_conflict_with",
         "evidence_grade": "ABCDE"[i % 5], "age_days": float(rng.integers(0, 400))}
        for i in range(1, n_people)
    ]
    place_rows = [
        {"place_id": f"P{k}", "entity_key": f"YP-{rng.integers(1, n_people)}", "x": X0 + rng.uniform(-3000, 3000),
         "y": Y0 + rng.uniform(-3000, 3000), "evidence_grade": "ABCDE"[k % 5], "age_days": float(rng.integers(0, 500))}
        for k in range(300)
    ]
    network = build_network(people_frame(people), groups_frame([]), links_frame(link_rows, as_of=AS_OF))
    places = PlaceIndex.from_frame(places_frame(place_rows, as_of=AS_OF))
    exposure, field = field_for(network, places, policy, child="YP-0")
    pts = np.column_stack([X0 + rng.uniform(-3500, 3500, 50), Y0 + rng.uniform(-3500, 3500, 50)])
    got = field.evaluate(pts)

    adv_w = {a.key: a.weight for a in exposure.adversaries}
    pw = places.weights(AS_OF, policy.network)
    h = policy.network.activity_bandwidth_m
    expected = np.zeros(len(pts))
    for row in range(len(places)):
        key = places.entity[row][1]
        if key not in adv_w or pw[row] == 0:
            continue
        d = np.hypot(pts[:, 0] - places.xy[row, 0], pts[:, 1] - places.xy[row, 1])
        expected += np.where(d <= 4 * h, adv_w[key] * pw[row] * np.exp(-0.5 * (d / h) ** 2), 0.0)
    np.testing.assert_allclose(got.total, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got.by_owner.sum(axis=1), got.total, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(field.total_at(pts), expected, rtol=1e-12, atol=1e-15)


def test_places_must_be_in_store_crs():
    gdf = places_frame([{"place_id": "P1", "entity_key": "YP-1", "x": 1, "y": 2}], as_of=AS_OF).set_crs(
        4326, allow_override=True
    )
    with pytest.raises(CRSError, match="EPSG:27700"):
        PlaceIndex.from_frame(gdf)


def test_bad_place_kind_is_rejected():
    gdf = places_frame([{"place_id": "P1", "entity_key": "YP-1", "x": X0, "y": Y0, "kind": "school"}], as_of=AS_OF)
    with pytest.raises(ValidationError, match="kind must be one of"):
        PlaceIndex.from_frame(gdf)


def test_no_adversaries_or_no_places_give_an_empty_field(policy):
    network, places = build(
        [{"link_id": "L1", "from_key": "YP-1", "to_key": "YP-5", "type": "in_conflict_with"}],
        [{"place_id": "P2", "entity_key": "YP-2", "x": X0, "y": Y0}],
    )
    common = {
        "network": network,
        "link_weights": network.link_weights(AS_OF, policy.network),
        "bandwidth_m": 250.0,
    }
    weights = places.weights(AS_OF, policy.network)
    for entities in ([], [(("person", "YP-5"), 1.0)], [(("group", "G1"), 1.0)]):
        field = activity_field(entities, places, weights, **common)
        assert len(field) == 0
        assert field.evaluate(np.array([[X0, Y0]])).total.tolist() == [0.0]
        assert field.total_at(np.array([[X0, Y0]])).tolist() == [0.0]
