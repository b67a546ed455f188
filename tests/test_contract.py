"""The data contract's rules, on golden cases: evidence liveness and notice reach."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo_risk import contract
from geo_risk.briefing import Notice
from geo_risk.config import Policy
from geo_risk.network import PlaceIndex, build_network

AS_OF = pd.Timestamp("2026-11-01")
DAY = pd.Timedelta(days=1)


def record(**changes):
    """A complete link, live at AS_OF, with ``changes`` applied."""
    row = {"link_id": "L1", "from_kind": "person", "from_key": "YP-1", "to_kind": "person", "to_key": "YP-2",
           "type": "in_conflict_with", "evidence_grade": "B", "source": "Synthetown Police (synthetic)",
           "source_type": "police", "first_seen": AS_OF - 60 * DAY, "last_seen": AS_OF - 10 * DAY,
           "review_by": AS_OF + 80 * DAY, "expires_at": AS_OF + 355 * DAY, "status": "live"}
    row.update(changes)
    return row


GOLDEN = [
    ("complete and current", {}, "live"),
    ("no expiry", {"expires_at": None}, "incomplete"),
    ("expired yesterday", {"expires_at": AS_OF - DAY}, "expired"),
    ("expires at as_of", {"expires_at": AS_OF}, "expired"),
    ("expires tomorrow", {"expires_at": AS_OF + DAY}, "live"),
    ("status expired by hand", {"status": "expired"}, "expired"),
    ("status in capitals with spaces", {"status": " Live "}, "live"),
    ("status missing (store default)", {"status": None}, "live"),
    ("first seen tomorrow", {"first_seen": AS_OF + DAY, "last_seen": AS_OF + DAY}, "not_started"),
    ("first seen at as_of", {"first_seen": AS_OF}, "live"),
    ("no first_seen, last_seen before", {"first_seen": None}, "live"),
    ("no first_seen, last_seen after", {"first_seen": None, "last_seen": AS_OF + DAY}, "not_started"),
    ("no dates at all", {"first_seen": None, "last_seen": None}, "not_started"),
    ("missing grade", {"evidence_grade": None}, "incomplete"),
    ("empty grade", {"evidence_grade": " "}, "incomplete"),
    ("lower-case grade", {"evidence_grade": "c"}, "live"),
    ("missing source", {"source": None}, "incomplete"),
    ("empty source", {"source": ""}, "incomplete"),
    ("parent/carer source", {"source": "parent/carer", "source_type": "parent_carer"}, "live"),
    ("young-person source", {"source": "young person", "source_type": "young_person"}, "live"),
    ("no source type", {"source_type": None}, "live"),
]


@pytest.mark.parametrize(("case", "changes", "state"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_evidence_state_golden_cases(case, changes, state):
    row = record(**changes)
    assert contract.evidence_state(row, AS_OF) == state
    assert contract.is_live(row, AS_OF) is (state == "live")
    frame = pd.DataFrame([record(), row, record(link_id="L3", status="expired")])
    assert contract.evidence_states(frame, AS_OF).tolist() == ["live", state, "expired"]
    assert contract.live_mask(frame, AS_OF).tolist() == [True, state == "live", False]


def test_the_scalar_rule_reads_row_objects_as_mappings():
    frame = pd.DataFrame([record(), record(link_id="L2", expires_at=AS_OF - DAY)])
    rows = list(frame.itertuples(index=False))
    assert [contract.is_live(r, AS_OF) for r in rows] == [True, False]


def test_a_frame_without_the_columns_counts_nothing_as_live():
    frame = pd.DataFrame({"link_id": ["L1"], "type": ["associates_with"]})
    assert contract.live_mask(frame, AS_OF).tolist() == [False]
    assert contract.evidence_states(frame, AS_OF).tolist() == ["incomplete"]


def test_dates_with_a_time_zone_are_read_as_utc():
    row = record(expires_at=pd.Timestamp("2026-11-01T00:30", tz="Europe/London"))  # 00:30 GMT = 00:30 UTC
    assert contract.is_live(row, AS_OF)
    row = record(expires_at=pd.Timestamp("2026-07-01T00:30", tz="Europe/London"))
    assert not contract.is_live(row, AS_OF)


def test_expired_and_due_to_expire():
    frame = pd.DataFrame([record(), record(link_id="L2", expires_at=AS_OF - DAY),
                          record(link_id="L3", status="expired"), record(link_id="L4", expires_at=None)])
    assert contract.expired_mask(frame, AS_OF).tolist() == [False, True, True, False]
    assert contract.due_to_expire(frame, AS_OF).tolist() == [False, True, False, False]
    assert contract.status_at(np.array(["2026-10-31", "2026-11-01", "2026-11-02"], dtype="datetime64[D]"),
                              AS_OF).tolist() == ["expired", "expired", "live"]


def test_date_order_problems():
    out = contract.date_order_problems(
        pd.Series([AS_OF, AS_OF, None]), pd.Series([AS_OF - DAY, AS_OF, AS_OF]),
        pd.Series([AS_OF + DAY, AS_OF - DAY, AS_OF]))
    assert out["first_after_last"].tolist() == [True, False, False]
    assert out["expires_before_first"].tolist() == [False, True, False]


def test_network_weights_follow_the_contract_and_ignore_the_source_type():
    """The core weighs a link by grade and recency only, and only when the contract says it is live."""
    rows = [
        record(link_id="L1", to_key="YP-2", source="parent/carer", source_type="parent_carer"),
        record(link_id="L2", to_key="YP-3", source="young person", source_type="young_person"),
        record(link_id="L3", to_key="YP-4"),
        record(link_id="L4", to_key="YP-5", expires_at=None),
        record(link_id="L5", to_key="YP-6", evidence_grade=None),
        record(link_id="L6", to_key="YP-7", first_seen=AS_OF + DAY, last_seen=AS_OF + DAY),
        record(link_id="L7", to_key="YP-8", expires_at=AS_OF - DAY),
    ]
    links = pd.DataFrame(rows)
    people = pd.DataFrame({"pseudonym": [f"YP-{i}" for i in range(1, 9)], "is_child": True})
    network = build_network(people, pd.DataFrame({"code": [], "label": []}), links)
    weights = network.link_weights(AS_OF, Policy.default().network)
    assert weights[0] == weights[1] == weights[2] > 0
    assert weights[3:].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert (weights > 0).tolist() == contract.live_mask(links, AS_OF).tolist()


def test_places_follow_the_same_rule_as_links():
    places = gpd.GeoDataFrame(
        [{**record(), "place_id": "P1", "entity_kind": "person", "entity_key": "YP-2", "kind": "hangout"},
         {**record(expires_at=None), "place_id": "P2", "entity_kind": "person", "entity_key": "YP-2",
          "kind": "hangout"},
         {**record(first_seen=AS_OF + DAY, last_seen=AS_OF + DAY), "place_id": "P3", "entity_kind": "person",
          "entity_key": "YP-2", "kind": "hangout"}],
        geometry=[Point(600_000, 860_000)] * 3, crs="EPSG:27700")
    index = PlaceIndex.from_frame(places)
    weights = index.weights(AS_OF, Policy.default().network)
    assert (weights > 0).tolist() == [True, False, False] == contract.live_mask(places, AS_OF).tolist()


# --------------------------------------------------------------------------- notice reach

URNS = ["A", "B", "C", "D"]
#: A and B 600 m apart; C between them (inside both of their 1 km briefing areas); D 5 km away.
XY = np.array([[600_000.0, 860_000.0], [600_600.0, 860_000.0], [600_300.0, 860_100.0], [605_000.0, 860_000.0]])


def notice(**kw) -> Notice:
    base = {"notice_id": "N1", "title": "Disorder", "what_happened": "A fight.", "what_to_do": "Staff at the gate.",
            "contact": "Hub", "valid_from": AS_OF - DAY, "valid_to": AS_OF + 7 * DAY}
    base.update(kw)
    return Notice(**base)


def test_a_notice_for_two_schools_reaches_exactly_those_two():
    buffers = contract.briefing_areas(XY, 1000.0)
    assert buffers[2].intersects(buffers[0]) and buffers[2].intersects(buffers[1])
    two = notice(school_urns=("A", "B"), area=buffers[0].union(buffers[1]))
    assert contract.notice_reach([two], URNS, buffers) == [[0], [0], [], []]


def test_an_area_notice_reaches_the_schools_whose_briefing_area_it_touches():
    buffers = contract.briefing_areas(XY, 1000.0)
    near_a = notice(area=Point(599_400, 860_000).buffer(100))  # edge 500 m from A, 806 m from C, 1.1 km from B
    far = notice(notice_id="N2", area=Point(610_000, 870_000).buffer(100))
    assert contract.notice_reach([near_a, far], URNS, buffers) == [[0], [], [0], []]


def test_an_area_code_notice_reaches_the_schools_whose_briefing_area_touches_that_area():
    buffers = contract.briefing_areas(XY, 1000.0)
    areas = gpd.GeoDataFrame({"code": ["E01", "E02"]},
                             geometry=[box(604_000, 859_000, 606_000, 861_000), box(590_000, 850_000, 591_000, 851_000)],
                             crs="EPSG:27700")
    codes = contract.area_codes_touched(areas, buffers)
    assert codes == [set(), set(), set(), {"E01"}]
    assert contract.notice_reach([notice(area_codes=("E01",))], URNS, buffers, codes) == [[], [], [], [0]]
    assert contract.notice_reach([notice(area_codes=("E02",))], URNS, buffers, codes) == [[], [], [], []]


def test_a_named_school_missing_from_the_list_is_skipped():
    buffers = contract.briefing_areas(XY[:2], 1000.0)
    assert contract.notice_reach([notice(school_urns=("B", "Z"))], URNS[:2], buffers) == [[], [0]]


def test_notice_window():
    assert contract.notice_live(AS_OF, AS_OF + DAY, AS_OF)
    assert not contract.notice_live(AS_OF - DAY, AS_OF, AS_OF)
    assert notice(school_urns=("A",)).is_live(AS_OF)
    assert not notice(school_urns=("A",)).is_live(AS_OF + 7 * DAY)


def test_the_briefing_uses_the_reach_rule():
    """brief_all passes a notice for two schools to exactly those two, not to the school between them."""
    from geo_risk.briefing import brief_all

    schools = gpd.GeoDataFrame({"urn": URNS, "name": URNS, "phase": "secondary"},
                               geometry=gpd.points_from_xy(XY[:, 0], XY[:, 1]), crs="EPSG:27700")
    incidents = gpd.GeoDataFrame({"incident_id": ["I1"], "category": ["Robbery"], "occurred_at": [AS_OF - 40 * DAY], "has_time": [True],
                                  "month": ["2026-09"]},
                                 geometry=[Point(600_000, 860_000)], crs="EPSG:27700")
    areas = gpd.GeoDataFrame({"code": ["E01"], "name": ["Area"], "level": ["lsoa"], "version": ["2021"]},
                             geometry=[box(598_000, 858_000, 607_000, 862_000)], crs="EPSG:27700")
    buffers = contract.briefing_areas(XY, 1000.0)
    two = notice(school_urns=("A", "B"), area=buffers[0].union(buffers[1]))
    out = brief_all(schools, incidents, areas, as_of=AS_OF, policy=Policy.default(), notices=[two])
    reached = {urn: [v.notice.notice_id for v in b.notices] for urn, b in out.items()}
    assert reached == {"A": ["N1"], "B": ["N1"], "C": [], "D": []}
