"""Adversaries and exploiters of a young person, with golden weights (issue 4)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo_risk.config import Policy
from geo_risk.errors import NotFound, ValidationError
from geo_risk.network import build_network, find_exposure
from tests._network_frames import groups_frame, links_frame, people_frame

AS_OF = "2026-11-01"
PEOPLE = ["YP-1", "YP-2", "YP-3", "YP-4", "YP-5", "YP-6", "YP-7", {"pseudonym": "A-1", "is_child": False}]
GROUPS = ["G1", "G2", "G3"]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.default()


def exposure_of(link_rows, policy, child="YP-1", as_of=AS_OF):
    network = build_network(people_frame(PEOPLE), groups_frame(GROUPS), links_frame(link_rows, as_of=as_of))
    return find_exposure(network, child, as_of, policy.network)


def weights(exposure) -> dict[str, float]:
    return {a.key: a.weight for a in exposure.adversaries}


def conflict(link_id, a, b, **kw):
    return {"link_id": link_id, "from_key": a, "to_key": b, "type": "in_conflict_with", **kw}


def test_direct_conflict_weight_is_grade_times_recency(policy):
    # grade B (0.8), last seen 60 days ago with a 120-day half-life: 0.8 * 2**-0.5
    exp = exposure_of([conflict("L1", "YP-1", "YP-2", evidence_grade="B", age_days=60)], policy)
    (adv,) = exp.adversaries
    assert (adv.entity_kind, adv.key, adv.route, adv.path) == ("person", "YP-2", "direct", ("L1",))
    assert adv.weight == pytest.approx(0.565685, abs=1e-6)
    assert exp.links == ("L1",)


def test_conflict_is_symmetric(policy):
    exp = exposure_of([conflict("L1", "YP-2", "YP-1", evidence_grade="A")], policy)
    assert weights(exp) == {"YP-2": pytest.approx(1.0)}


def test_old_evidence_weighs_less_than_fresh(policy):
    fresh = exposure_of([conflict("L1", "YP-1", "YP-2", evidence_grade="A", age_days=0)], policy)
    old = exposure_of([conflict("L1", "YP-1", "YP-2", evidence_grade="A", age_days=240)], policy)
    assert weights(fresh)["YP-2"] == pytest.approx(1.0)
    assert weights(old)["YP-2"] == pytest.approx(0.25)  # two half-lives


@pytest.mark.parametrize(
    "extra",
    [
        {"status": "expired"},
        {"expires_at": "2026-11-01"},  # expires_at <= as_of
        {"expires_at": "2026-10-01"},
        {"first_seen": "2026-11-02", "last_seen": "2026-11-03"},  # not yet seen at as_of
    ],
)
def test_links_not_live_at_as_of_do_not_count(policy, extra):
    exp = exposure_of([conflict("L1", "YP-1", "YP-2", **extra)], policy)
    assert exp.adversaries == ()
    assert exp.links == ()


def test_link_expiring_after_as_of_still_counts(policy):
    exp = exposure_of([conflict("L1", "YP-1", "YP-2", expires_at="2026-11-02")], policy)
    assert set(weights(exp)) == {"YP-2"}


def test_evidence_last_seen_after_as_of_counts_as_seen_at_as_of(policy):
    exp = exposure_of(
        [conflict("L1", "YP-1", "YP-2", evidence_grade="A", first_seen="2026-10-01", last_seen="2026-12-01")], policy
    )
    assert weights(exp)["YP-2"] == pytest.approx(1.0)


def test_group_conflicts_reach_members_at_group_factor(policy):
    rows = [
        {"link_id": "M1", "from_key": "YP-1", "to_key": "G1", "type": "member_of", "evidence_grade": "A"},
        conflict("C1", "G1", "G2", evidence_grade="B", age_days=120),
        # a fellow member's own conflict reaches the child too
        {"link_id": "M6", "from_key": "YP-6", "to_key": "G1", "type": "member_of", "evidence_grade": "C"},
        conflict("C6", "YP-6", "YP-7", evidence_grade="A"),
    ]
    exp = exposure_of(rows, policy)
    by_key = {a.key: a for a in exp.adversaries}
    # 0.8 (group factor) * 1.0 (membership A) * 0.8 * 0.5 (grade B, one half-life)
    assert by_key["G2"].weight == pytest.approx(0.32)
    assert (by_key["G2"].route, by_key["G2"].path) == ("group", ("M1", "C1"))
    # 0.8 * 1.0 * 0.6 (fellow membership C) * 1.0
    assert by_key["YP-7"].weight == pytest.approx(0.48)
    assert by_key["YP-7"].path == ("M1", "M6", "C6")
    assert exp.groups == ("G1",)


def test_associates_conflicts_count_less_than_direct_ones(policy):
    assoc = [
        {"link_id": "A3", "from_key": "YP-1", "to_key": "YP-3", "type": "associates_with", "evidence_grade": "A"},
        conflict("C3", "YP-3", "YP-4", evidence_grade="A"),
    ]
    via_associate = exposure_of(assoc, policy)
    direct = exposure_of([conflict("C1", "YP-1", "YP-4", evidence_grade="A")], policy)
    (a,) = via_associate.adversaries
    assert (a.key, a.route, a.path) == ("YP-4", "associate", ("A3", "C3"))
    assert a.weight == pytest.approx(0.4)  # associate_conflict_factor * 1 * 1
    assert weights(direct)["YP-4"] == pytest.approx(1.0)
    assert a.weight < weights(direct)["YP-4"]


def test_family_is_not_a_close_associate_by_default(policy):
    rows = [
        {"link_id": "F3", "from_key": "YP-1", "to_key": "YP-3", "type": "family"},
        conflict("C3", "YP-3", "YP-4"),
    ]
    assert exposure_of(rows, policy).adversaries == ()


def test_strongest_path_is_kept_not_summed(policy):
    rows = [
        conflict("C1", "YP-1", "YP-4", evidence_grade="C"),  # 0.6
        {"link_id": "A3", "from_key": "YP-1", "to_key": "YP-3", "type": "associates_with", "evidence_grade": "A"},
        conflict("C3", "YP-3", "YP-4", evidence_grade="A"),  # 0.4
    ]
    (adv,) = exposure_of(rows, policy).adversaries
    assert adv.weight == pytest.approx(0.6)
    assert adv.route == "direct"


def test_own_group_and_self_are_never_adversaries(policy):
    rows = [
        {"link_id": "M1", "from_key": "YP-1", "to_key": "G1", "type": "member_of"},
        {"link_id": "A3", "from_key": "YP-1", "to_key": "YP-3", "type": "associates_with"},
        conflict("C3", "YP-3", "G1"),  # an associate at odds with the child's own group
        conflict("C4", "YP-3", "YP-1"),  # ... and with the child
    ]
    exp = exposure_of(rows, policy)
    assert exp.adversaries[0].key == "YP-3"  # direct conflict
    assert {a.key for a in exp.adversaries} == {"YP-3"}


def test_exploiters_are_sources_of_exploits_links_to_the_child(policy):
    rows = [
        {"link_id": "X1", "from_key": "A-1", "to_key": "YP-1", "type": "exploits", "evidence_grade": "A"},
        {"link_id": "X2", "from_key": "YP-1", "to_key": "YP-5", "type": "exploits"},  # the other way
    ]
    exp = exposure_of(rows, policy)
    assert [(e.key, e.weight, e.path) for e in exp.exploiters] == [("A-1", pytest.approx(1.0), ("X1",))]
    assert exp.adversaries == ()


def test_parent_carer_grade_b_weighs_the_same_as_police_grade_b(policy):
    police = exposure_of([conflict("L1", "YP-1", "YP-2", evidence_grade="B", source_type="police")], policy)
    carer = exposure_of(
        [conflict("L1", "YP-1", "YP-2", evidence_grade="B", source_type="parent_carer", source="parent")], policy
    )
    young = exposure_of([conflict("L1", "YP-1", "YP-2", evidence_grade="B", source_type="young_person")], policy)
    assert police == carer == young


def test_unknown_child_is_not_found(policy):
    with pytest.raises(NotFound, match="no person with pseudonym 'YP-99'"):
        exposure_of([], policy, child="YP-99")


def test_bad_links_are_reported_together():
    links = links_frame(
        [
            {"link_id": "L1", "from_key": "YP-1", "to_key": "YP-2", "type": "rivals"},
            {"link_id": "L2", "from_key": "YP-1", "to_key": "YP-2", "type": "member_of"},
        ],
        as_of=AS_OF,
    )
    with pytest.raises(ValidationError, match=r"type must be one of .*L1.*member_of must link a person to a group"):
        build_network(people_frame(PEOPLE), groups_frame(GROUPS), links)


def test_bad_grade_is_rejected():
    links = links_frame([conflict("L1", "YP-1", "YP-2", evidence_grade="Z")], as_of=AS_OF)
    with pytest.raises(ValidationError, match="evidence_grade must be one of A, B, C, D, E"):
        build_network(people_frame(PEOPLE), groups_frame(GROUPS), links)


def test_graph_never_carries_protected_characteristics():
    people = people_frame([{"pseudonym": "YP-1", "ethnicity": "x", "religion": "y", "sex": "z"}])
    network = build_network(people, groups_frame([]), links_frame([], as_of=AS_OF))
    assert network.graph.nodes[("person", "YP-1")] == {"is_child": True}


@pytest.mark.parametrize("grade", [None, "", " "])
def test_a_link_without_a_grade_is_not_live(policy, grade):
    """A link without a grade weighs nothing (not grade E): links must carry their grade."""
    links = links_frame([conflict("L1", "YP-1", "YP-2"), conflict("L2", "YP-1", "YP-3")], as_of=AS_OF)
    links.loc[0, "evidence_grade"] = grade
    network = build_network(people_frame(PEOPLE), groups_frame(GROUPS), links)
    assert network.link_weights(AS_OF, policy.network).tolist() == [0.0, pytest.approx(0.8)]
    exposure = find_exposure(network, "YP-1", pd.Timestamp(AS_OF), policy.network)
    assert [a.key for a in exposure.adversaries] == ["YP-3"]
    assert "L1" not in exposure.links


def test_a_link_without_an_expiry_is_not_live(policy):
    """A link without an expiry weighs nothing at any date (it does not mean 'never expires')."""
    links = links_frame([conflict("L1", "YP-1", "YP-2"), conflict("L2", "YP-1", "YP-3")], as_of=AS_OF)
    links["expires_at"] = links["expires_at"].astype("datetime64[ns]")
    links.loc[0, "expires_at"] = pd.NaT
    network = build_network(people_frame(PEOPLE), groups_frame(GROUPS), links)
    for when in (AS_OF, "2020-01-01", "2040-01-01"):
        assert network.link_weights(when, policy.network)[0] == 0.0
    assert [a.key for a in find_exposure(network, "YP-1", AS_OF, policy.network).adversaries] == ["YP-3"]


@pytest.mark.parametrize("column", ["evidence_grade", "expires_at"])
def test_links_without_the_column_at_all_never_score(policy, column):
    links = links_frame([conflict("L1", "YP-1", "YP-2")], as_of=AS_OF).drop(columns=[column])
    network = build_network(people_frame(PEOPLE), groups_frame(GROUPS), links)
    assert find_exposure(network, "YP-1", AS_OF, policy.network).adversaries == ()
    assert network.graph.has_edge(("person", "YP-1"), ("person", "YP-2"))  # still visible for review
