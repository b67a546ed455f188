"""A young person's chronology from every source (issue 8)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select

from geo_risk import audit
from geo_risk.chronology import (
    ENTRY_KINDS,
    ITEM_KINDS,
    add_entry,
    build_chronology,
    read_chronology,
    validate_entry,
)
from geo_risk.errors import DataSourceError, NotFound, ValidationError
from geo_risk.store.engine import session_scope
from geo_risk.store.models import AuditEvent, ChronologyEntry
from tests.fairness._store_data import (
    X0,
    Y0,
    assessment,
    d,
    entry,
    group,
    incident,
    link,
    person,
    place,
    referral,
    user,
)

NOW = dt.datetime(2026, 11, 1, 9, 30)


def _links() -> pd.DataFrame:
    rows = [
        ("L1", "person", "YP-1", "person", "YP-2", "in_conflict_with", "2026-09-10", "police"),
        ("L2", "person", "YP-1", "person", "M-1", "family", "2026-01-01", "social_care"),
        ("L3", "person", "M-1", "person", "YP-1", "exploits", "2026-08-01", "parent_carer"),
        ("L4", "person", "YP-1", "group", "G7", "member_of", "2026-06-01", "youth_justice"),
        ("L5", "group", "G7", "group", "G3", "in_conflict_with", "2026-07-01", "police"),
        ("L6", "person", "YP-9", "person", "YP-2", "associates_with", "2026-07-01", "police"),  # not about YP-1
        ("L7", "person", "YP-9", "group", "G7", "member_of", "2026-07-01", "police"),  # another member's
    ]
    return pd.DataFrame(
        [{"link_id": r[0], "from_kind": r[1], "from_key": r[2], "to_kind": r[3], "to_key": r[4], "type": r[5],
          "first_seen": pd.Timestamp(r[6]), "last_seen": pd.Timestamp(r[6]), "evidence_grade": "B",
          "source": r[7].replace("_", " ").title(), "source_type": r[7], "status": "live",
          "expires_at": pd.Timestamp("2027-06-01")} for r in rows]
    )


def _places() -> pd.DataFrame:
    def p(pid, kind, x, y, when, source_type="police"):
        return {"place_id": pid, "entity_kind": "person", "entity_key": "YP-1", "kind": kind, "x": x, "y": y,
                "first_seen": pd.Timestamp(when), "last_seen": pd.Timestamp(when), "evidence_grade": "C",
                "source": "Police", "source_type": source_type, "status": "live", "expires_at": None}

    return pd.DataFrame([
        p("H1", "home", X0, Y0, "2025-12-01", "housing"),
        p("I1", "incident_location", X0 + 20, Y0, "2026-10-03"),  # at home
        p("I2", "incident_location", X0 + 2000, Y0, "2026-09-12"),  # in the community
        p("P1", "hangout", X0 + 1500, Y0, "2026-08-20", "young_person"),
        {**p("P9", "hangout", X0, Y0, "2026-08-20"), "entity_key": "YP-2"},  # someone else's
    ])


def _entries() -> pd.DataFrame:
    return pd.DataFrame([
        {"id": 1, "occurred_at": pd.Timestamp("2026-10-20"), "kind": "concern",
         "summary": "Mother reports he comes home late with new clothes and two phones",
         "source": "Mother", "source_type": "parent_carer", "evidence_grade": "B", "inside_family": False},
        {"id": 2, "occurred_at": pd.Timestamp("2026-10-21 14:05"), "kind": "disclosure",
         "summary": "Told his youth worker he owes money to an older cousin",
         "source": "Youth worker", "source_type": "voluntary_sector", "evidence_grade": "B", "inside_family": True},
        {"id": 3, "occurred_at": None, "kind": "note", "summary": "Undated note from case file",
         "source": "Social worker", "source_type": "social_care", "evidence_grade": "D", "inside_family": False},
    ])


def _incidents() -> pd.DataFrame:
    return pd.DataFrame([
        {"incident_id": 501, "category": "Violence and sexual offences", "source": "Police",
         "source_type": "police", "occurred_at": pd.Timestamp("2026-10-03 21:00"), "has_time": True,
         "precision": "exact", "x": X0 + 25, "y": Y0 + 5},
        {"incident_id": 502, "category": "Robbery", "source": "Police", "source_type": "police",
         "occurred_at": pd.Timestamp("2026-09-01"), "has_time": False, "precision": "snap_point",
         "x": X0 + 2010, "y": Y0 - 10},
        {"incident_id": 503, "category": "Burglary", "source": "Police", "source_type": "police",  # wrong date
         "occurred_at": pd.Timestamp("2026-06-03 21:00"), "has_time": True, "precision": "exact",
         "x": X0 + 20, "y": Y0},
    ])


def _chronology(**kw):
    return build_chronology(
        "YP-1", links=_links(), places=_places(), entries=_entries(), incidents=_incidents(),
        groups=pd.DataFrame({"code": ["G7", "G3"], "label": ["peer group 7", "peer group 3"]}),
        referrals=pd.DataFrame([{"id": 4, "purpose": "placement", "created_at": pd.Timestamp("2026-10-25"),
                                 "expires_at": pd.Timestamp("2026-12-25"), "revoked_at": None,
                                 "username": "hana"}]),
        assessments=pd.DataFrame([{"id": 8, "kind": "placement", "created_at": pd.Timestamp("2026-10-26"),
                                   "policy_version": "2026.11-1", "username": "hana",
                                   "result": {"candidates": [{"band": "Low"}, {"band": "High"}]}}]),
        **kw,
    )


def test_items_from_every_source_in_date_order_with_undated_last():
    chron = _chronology()
    records = [i.record for i in chron.items]
    assert records == [
        "place H1", "link L2", "link L4", "link L5", "link L3", "place P1", "link L1", "place I2", "place I1",
        "entry 1", "entry 2", "referral 4", "assessment 8", "entry 3",
    ]
    ats = [i.at for i in chron.items if i.at is not None]
    assert ats == sorted(ats)
    assert {i.kind for i in chron.items} <= set(ITEM_KINDS)
    assert "link L6" not in records and "link L7" not in records and "place P9" not in records


def test_parent_carer_entry_appears_with_its_source_like_any_other():
    chron = _chronology()
    mother = next(i for i in chron.items if i.record == "entry 1")
    assert (mother.source, mother.source_type, mother.source_type_label) == ("Mother", "parent_carer",
                                                                              "Parent or carer")
    assert mother.summary.startswith("Mother reports he comes home late")
    assert mother.evidence_grade == "B" and mother.kind == "concern"
    police = next(i for i in chron.items if i.record == "link L1")
    # the same fields, filled the same way, for a parent's entry and police intelligence
    assert set(mother.to_dict()) == set(police.to_dict())
    young_person = next(i for i in chron.items if i.record == "place P1")
    assert young_person.source_type_label == "Young person"


def test_inside_and_outside_the_family_tags():
    tags = {i.record: i.family for i in _chronology().items}
    inside = {r for r, t in tags.items() if t == "inside"}
    # family link; exploitation by a family member; the home; an incident at the home; a flagged entry
    assert inside == {"link L2", "link L3", "place H1", "place I1", "entry 2"}
    assert tags["link L1"] == tags["link L5"] == tags["place I2"] == tags["referral 4"] == "outside"


def test_summaries_name_what_happened():
    items = {i.record: i for i in _chronology().items}
    assert items["link L3"].summary == "Exploited by M-1"
    assert items["link L4"].summary == "Member of peer group 7"
    assert items["link L5"].summary == "Their peer group: peer group 7 in conflict with peer group 3"
    assert items["place I1"].summary == ("Incident involving them: Violence and sexual offences (incident 501), "
                                         "at or near their home")
    assert items["place I2"].summary == "Incident involving them: Robbery (incident 502, location on or near)"
    assert items["place I2"].date_label == "2026-09" and items["place I2"].date_precision == "month"
    assert items["place H1"].summary == "Home recorded (the location is never shown)"
    assert items["referral 4"].summary == "Referred for a placement check to hana, until 2026-12-25"
    assert items["assessment 8"].summary == "Placement check: highest band High (policy 2026.11-1), by hana"
    assert items["entry 2"].date_label == "2026-10-21 14:05"


def test_filter_by_source_type_and_family():
    chron = _chronology()
    carers = chron.filter(source_types=["parent_carer"])
    assert [i.record for i in carers.items] == ["link L3", "entry 1"]
    inside_police = chron.filter(source_types=["police", "parent_carer"], family="inside")
    assert [i.record for i in inside_police.items] == ["link L3", "place I1"]
    assert chron.filter(kinds=["referral", "assessment"]).source_types == ("geo_risk",)
    assert chron.counts() == {"inside": 5, "outside": 9}
    with pytest.raises(ValidationError, match="'inside' or 'outside'"):
        chron.filter(family="extended")


def test_expired_evidence_shows_as_expired_at_as_of():
    items = {i.record: i for i in _chronology(as_of="2027-07-01").items}
    assert items["link L1"].status == "expired"
    assert {i.record: i for i in _chronology().items}["link L1"].status == "live"


def test_validate_entry_reports_every_problem():
    with pytest.raises(ValidationError) as info:
        validate_entry({"occurred_at": "2027-01-01", "kind": "rumour", "summary": "", "source": "",
                        "source_type": "neighbour", "evidence_grade": "Z"}, now=NOW)
    msg = str(info.value)
    for part in ("in the future", "kind must be one of", "summary", "source)", "source type must be one of",
                 "evidence grade"):
        assert part in msg
    ok = validate_entry({"occurred_at": "2026-10-30", "kind": "Concern", "summary": " Missing overnight ",
                         "source": "Father", "source_type": "parent_carer", "evidence_grade": "b",
                         "inside_family": "on"}, now=NOW)
    assert (ok.kind, ok.summary, ok.evidence_grade, ok.inside_family) == ("concern", "Missing overnight", "B", True)
    assert set(ENTRY_KINDS) <= set(ITEM_KINDS) | {"incident"}


# --------------------------------------------------------------------------- on the store


def _seed(db):
    with session_scope(db) as s:
        for p in ("YP-1", "YP-2", "M-1"):
            person(s, p, is_child=p.startswith("YP"))
        group(s, "G7")
        link(s, "L1", "YP-1", "YP-2", first_seen=d("2026-09-10"))
        link(s, "L2", "YP-1", "M-1", "family", first_seen=d("2026-01-01"), source="Social care",
             source_type="social_care")
        link(s, "L4", "YP-1", "G7", "member_of", to_kind="group", first_seen=d("2026-06-01"))
        place(s, "H1", "YP-1", X0, Y0, kind="home", first_seen=d("2025-12-01"), last_seen=d("2025-12-01"))
        place(s, "I1", "YP-1", X0 + 2000, Y0, kind="incident_location", first_seen=d("2026-10-03"),
              last_seen=d("2026-10-03"))
        incident(s, "crime-1", X0 + 2010, Y0, d("2026-10-03T21:00"), category="Robbery")
        incident(s, "crime-2", X0 + 2500, Y0, d("2026-10-03T21:00"))  # too far away to match
        entry(s, "YP-1", d("2026-10-20"), "Mother says he is scared to walk to school", source="Mother")
        hana = user(s, "hana", "housing")
        referral(s, "YP-1", hana.id)
        assessment(s, "YP-1", "Very high", user_id=hana.id)
        ana = user(s, "ana")
    return ana.id


def _read(s, pseudonym="YP-1", **kw):
    values = {"username": "ana", "role": "analyst", "request_id": "req-1", "at": NOW}
    values.update(kw)
    return read_chronology(s, pseudonym, **values)


def test_read_chronology_from_the_store_and_audit_the_read(db):
    _seed(db)
    with session_scope(db) as s:
        chron = _read(s)
    items = {i.record: i for i in chron.items}
    assert set(items) == {"place H1", "link L2", "link L4", "link L1", "place I1", "entry 1", "referral 1",
                          "assessment 1"}
    assert items["place I1"].summary.startswith("Incident involving them: Robbery (incident ")
    assert items["link L4"].summary == "Member of peer group 7 (last seen 2026-10-20)"
    mother = items["entry 1"]
    assert (mother.source, mother.source_type, mother.summary) == (
        "Mother", "parent_carer", "Mother says he is scared to walk to school")
    assert items["assessment 1"].summary.startswith("Placement check: highest band Very high")
    with db.connect() as conn:
        events = audit.events_for_pseudonym(conn, "YP-1")
    assert [(e.action, e.username, e.role, e.purpose, e.outcome, e.request_id) for e in events] == [
        ("chronology.view", "ana", "analyst", "analysis", "allowed", "req-1")]
    assert audit.verify(db).ok


def test_a_read_whose_audit_cannot_be_written_fails(db, monkeypatch):
    _seed(db)

    def broken(*_a, **_k):
        raise DataSourceError("the audit event could not be written, so the read it records is refused")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(DataSourceError), session_scope(db) as s:
        _read(s)


def test_missing_person_is_not_found_and_not_audited(db):
    _seed(db)
    with pytest.raises(NotFound), session_scope(db) as s:
        _read(s, "YP-404")
    with session_scope(db) as s:
        assert s.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == 0


def test_add_entry_stores_a_parent_carer_entry_that_then_appears(db):
    uid = _seed(db)
    with session_scope(db) as s:
        add_entry(s, "YP-1", {"occurred_at": "2026-10-31", "kind": "missing_episode",
                              "summary": "Father reported him missing overnight", "source": "Father",
                              "source_type": "parent_carer", "evidence_grade": "A", "inside_family": "on"},
                  created_by=uid, now=NOW)
    with session_scope(db) as s:
        row = s.execute(select(ChronologyEntry).where(ChronologyEntry.source == "Father")).scalar_one()
        assert (row.created_by, row.recorded_at, row.inside_family) == (uid, NOW, True)
        chron = _read(s)
    father = [i for i in chron.items if i.source == "Father"]
    assert len(father) == 1 and father[0].kind == "missing_episode" and father[0].family == "inside"
    assert chron.filter(source_types=["parent_carer"]).items == tuple(
        i for i in chron.items if i.source_type == "parent_carer")
    with pytest.raises(ValidationError), session_scope(db) as s:
        add_entry(s, "YP-1", {"occurred_at": "2026-10-31", "kind": "concern", "summary": "x",
                               "source": "Father", "source_type": "parent_carer", "evidence_grade": ""},
                  created_by=uid, now=NOW)
