"""Decision records: saved through the use case with a schema version, read back by their owner only."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from geo_risk.errors import NotFound
from geo_risk.service import (
    RECORD_SCHEMA,
    DecisionInvalid,
    list_decisions,
    read_decision,
    save_placement_decision,
    save_route_decision,
)
from geo_risk.store import session_scope
from geo_risk.store.models import Assessment, AuditEvent
from tests._tree import keys
from tests.web.web_seed import NOW

NUMBER_KEYS = {"score", "value", "raw", "weight", "contribution", "threshold", "nearest_adversary_m",
               "nearest_exploiter_m", "mean_exposure", "peak_exposure", "exposure", "alpha", "mean_risk", "peak_risk",
               "distance_m", "segment_id", "segment_ids"}


PLACED = {"option": "ZZ1 1AA", "rationale": "Lowest band; near college.", "case_reference": "HOU/2026/0042",
          "marking": "OFFICIAL-SENSITIVE"}
ROUTED = {"option": "walk_lowest_risk", "rationale": "Detour is short.", "case_reference": "TR-77",
          "marking": "OFFICIAL"}


def _last_event(engine):
    with session_scope(engine) as s:
        e = s.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
        return e.username, e.action, e.pseudonym, e.outcome


def test_a_placement_record_is_saved_versioned_and_read_back_by_its_owner(engine, data, info, actor):
    with session_scope(engine) as s:
        aid = save_placement_decision(s, actor("hana"), data, referral_id=info.referrals["hana"], as_of=NOW,
                                      postcodes=["ZZ1 1AA", "ZZ1 1AB"], decision=PLACED)
    assert _last_event(engine) == ("hana", "placement.save", "YP-0001", "allowed")
    with session_scope(engine) as s:
        row = s.get(Assessment, aid)
        assert row.schema_version == RECORD_SCHEMA and not keys(row.result) & NUMBER_KEYS
    with session_scope(engine) as s:
        record = read_decision(s, actor("hana"), record_id=aid, kind="placement")
    assert record.child == "YP-0001" and record.inputs == {"postcodes": ["ZZ1 1AA", "ZZ1 1AB"]}
    assert [c["label"] for c in record.result["candidates"]] and "inputs" not in record.result
    assert _last_event(engine) == ("hana", "placement.decision.view", "YP-0001", "allowed")


def test_a_route_record_keeps_its_walks_segments_for_the_map_and_no_risk_numbers(engine, data, info, actor):
    with session_scope(engine) as s:
        aid = save_route_decision(s, actor("tariq"), data, referral_id=info.referrals["tariq"], as_of=NOW,
                                  home="ZZ1 1AA", school_urn="100001", decision=ROUTED)
    with session_scope(engine) as s:
        record = read_decision(s, actor("tariq"), record_id=aid, kind="route")
    assert record.result["tier"] == "transport" and not keys(record.result) & NUMBER_KEYS
    assert len(record.map_segment_ids) == len(record.result["routes"]) and record.map_segment_ids[0]


@pytest.mark.parametrize("who", ["harry", "someone else's", "wrong kind", 0, 99999999999999999999999])
def test_a_record_not_theirs_or_an_impossible_id_is_not_found_and_audited(engine, data, info, actor, who):
    with session_scope(engine) as s:
        aid = save_placement_decision(s, actor("hana"), data, referral_id=info.referrals["hana"], as_of=NOW,
                                      postcodes=["ZZ1 1AA"], decision=PLACED)
    reader, kind, rid = actor("hana"), "placement", aid
    if who == "harry":
        reader = actor("harry")
    elif who == "wrong kind":
        reader, kind = actor("tariq"), "route"
    elif who != "someone else's":
        rid = who
    else:
        with session_scope(engine) as s:
            s.get(Assessment, aid).user_id = info.users["harry"]
    with pytest.raises(NotFound), session_scope(engine) as s:
        read_decision(s, reader, record_id=rid, kind=kind)
    assert _last_event(engine)[1:] == (f"{kind}.decision.view", None, "not_found")


def test_a_record_still_in_the_old_shape_is_not_shown(engine, data, info, actor):
    with session_scope(engine) as s:
        aid = save_placement_decision(s, actor("hana"), data, referral_id=info.referrals["hana"], as_of=NOW,
                                      postcodes=["ZZ1 1AA"], decision=PLACED)
        s.flush()
        s.get(Assessment, aid).schema_version = 1
    with pytest.raises(NotFound), session_scope(engine) as s:
        read_decision(s, actor("hana"), record_id=aid, kind="placement")


def test_a_record_holds_the_decision_the_officer_and_the_data_currency(engine, data, info, actor):
    with session_scope(engine) as s:
        aid = save_placement_decision(s, actor("hana"), data, referral_id=info.referrals["hana"], as_of=NOW,
                                      postcodes=["ZZ1 1AA", "ZZ1 1AB"], decision=PLACED)
    with session_scope(engine) as s:
        record = read_decision(s, actor("hana"), record_id=aid, kind="placement")
    assert record.officer == "hana" and record.created_at == NOW
    d = record.decision
    assert d.option.startswith("ZZ1 1AA (ranked ") and d.rationale == PLACED["rationale"]
    assert (d.case_reference, d.marking) == ("HOU/2026/0042", "OFFICIAL-SENSITIVE")
    newest = max(data.snapshot.incidents["occurred_at"]).strftime("%Y-%m")
    assert record.data_currency["latest_incident_month"] == newest
    assert set(record.data_currency) == {"latest_incident_month", "streets_imported", "network_imported"}


@pytest.mark.parametrize(("kind", "fields", "wrong"), [
    ("placement", {}, ["option", "rationale", "case_reference", "marking"]),
    ("placement", {**PLACED, "option": "ZZ9 9ZZ"}, ["option"]),  # not one of the checked addresses
    ("placement", {**PLACED, "rationale": "   ", "marking": "SECRET"}, ["rationale", "marking"]),
    ("route", {**ROUTED, "case_reference": "x" * 41}, ["case_reference"]),
    ("route", {**ROUTED, "option": "ZZ1 1AA"}, ["option"]),
])
def test_a_decision_missing_or_wrong_is_refused_field_by_field_and_nothing_is_saved(engine, data, info, actor,
                                                                                    kind, fields, wrong):
    with pytest.raises(DecisionInvalid) as caught, session_scope(engine) as s:
        if kind == "placement":
            save_placement_decision(s, actor("hana"), data, referral_id=info.referrals["hana"], as_of=NOW,
                                    postcodes=["ZZ1 1AA"], decision=fields)
        else:
            save_route_decision(s, actor("tariq"), data, referral_id=info.referrals["tariq"], as_of=NOW,
                                home="ZZ1 1AA", school_urn="100001", decision=fields)
    assert list(caught.value.errors) == wrong
    with session_scope(engine) as s:
        assert s.execute(select(Assessment)).first() is None


def test_an_officer_lists_their_own_live_records_newest_first_and_the_list_is_audited(engine, data, info, actor):
    later = NOW + dt.timedelta(minutes=1)
    with session_scope(engine) as s:
        first = save_placement_decision(s, actor("hana"), data, referral_id=info.referrals["hana"], as_of=NOW,
                                        postcodes=["ZZ1 1AA"], decision=PLACED)
        second = save_placement_decision(s, actor("hana", later), data, referral_id=info.referrals["hana"],
                                         as_of=NOW, postcodes=["ZZ1 1AB"], decision={**PLACED, "option": "none"})
    with session_scope(engine) as s:
        mine, total = list_decisions(s, actor("hana"), kind="placement")
        theirs, none = list_decisions(s, actor("harry"), kind="placement")
    assert [r.id for r in mine] == [second, first] and total == 2
    assert mine[0].option == "None of these addresses" and mine[1].case_reference == "HOU/2026/0042"
    assert theirs == [] and none == 0
    assert _last_event(engine) == ("harry", "placement.decision.list", None, "allowed")
    with session_scope(engine) as s:
        page2, total = list_decisions(s, actor("hana"), kind="placement", page=2, per_page=1)
    assert [r.id for r in page2] == [first] and total == 2
