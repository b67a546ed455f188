"""Every read of a young person's data writes one audit event in the same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from geo_risk import audit
from geo_risk.errors import DataSourceError
from web_seed import PLACEMENT_DECISION


def _events(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT username, role, purpose, pseudonym, action, outcome, request_id FROM audit_event ORDER BY seq"
        )).all()


def test_each_read_writes_one_event_with_the_request_id(signed_in, seeded, info):
    engine = seeded[0]
    hana = signed_in("hana")
    before = len(_events(engine))
    rid = info.referrals["hana"]
    resp = hana.post(f"/housing/referrals/{rid}/check", {"postcodes": "ZZ1 1AA\nZZ1 1AB"})
    assert resp.status_code == 200
    events = _events(engine)[before:]
    assert len(events) == 1
    e = events[0]
    assert (e.username, e.role, e.purpose, e.pseudonym, e.action, e.outcome) == (
        "hana", "housing", "placement", "YP-0001", "placement.check", "allowed")
    assert e.request_id == resp.headers["X-Request-Id"]


@pytest.mark.parametrize("who, method, path, form, action", [
    ("hana", "GET", "/housing/referrals/{hana}", {}, "placement.form"),
    ("tariq", "POST", "/transport/referrals/{tariq}/check", {"home_postcode": "ZZ1 1AA", "school_urn": "100001"},
     "route.check"),
    ("ana", "GET", "/api/v1/people/{pid}/network", {}, "api.network.view"),
    ("ana", "POST", "/analyst/people/{pid}/placement", {"postcodes": "ZZ1 1AC"}, "placement.check"),
])
def test_reads_of_a_young_person_are_audited(signed_in, seeded, info, who, method, path, form, action):
    engine = seeded[0]
    b = signed_in(who)
    url = path.format(hana=info.referrals["hana"], tariq=info.referrals["tariq"], pid=info.people["YP-0001"])
    before = len(_events(engine))
    resp = b.get(url) if method == "GET" else b.post(url, form)
    assert resp.status_code == 200
    events = _events(engine)[before:]
    # the network also shows YP-0003, audited as linked (tests/web/test_web_people_doors.py)
    assert [(e.action, e.pseudonym, e.outcome) for e in events if not e.action.endswith(".linked")] == [
        (action, "YP-0001", "allowed")]
    assert audit.verify(engine).ok


def test_saving_a_decision_writes_the_record_and_the_event_together(signed_in, seeded, info):
    engine = seeded[0]
    hana = signed_in("hana")
    resp = hana.post(f"/housing/referrals/{info.referrals['hana']}/decisions", {"postcodes": "ZZ1 1AA", **PLACEMENT_DECISION})
    assert resp.status_code == 303
    with engine.connect() as conn:
        row = conn.execute(text("SELECT kind, child_pseudonym, policy_version, inputs_hash FROM assessment")).one()
    assert row.kind == "placement" and row.child_pseudonym == "YP-0001" and len(row.inputs_hash) == 64
    assert [e.action for e in _events(engine)][-1] == "placement.save"


def test_read_fails_when_the_audit_event_cannot_be_written(signed_in, seeded, info, monkeypatch):
    engine = seeded[0]
    hana = signed_in("hana")
    before = len(_events(engine))

    def broken(*_a, **_k):
        raise DataSourceError("the audit event could not be written")

    monkeypatch.setattr(audit, "record", broken)
    rid = info.referrals["hana"]
    resp = hana.post(f"/housing/referrals/{rid}/check", {"postcodes": "ZZ1 1AA", **PLACEMENT_DECISION})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert "YP-0001" not in body and "data-band" not in body
    saved = hana.post(f"/housing/referrals/{rid}/decisions", {"postcodes": "ZZ1 1AA", **PLACEMENT_DECISION})
    assert saved.status_code == 503
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM assessment")).scalar_one() == 0
    assert len(_events(engine)) == before


def test_refused_reads_are_audited_without_the_data(signed_in, seeded, info):
    engine = seeded[0]
    harry = signed_in("harry")
    before = len(_events(engine))
    assert harry.get(f"/housing/referrals/{info.referrals['hana']}").status_code == 404
    events = _events(engine)[before:]
    assert [(e.username, e.outcome, e.pseudonym) for e in events] == [("harry", "not_found", None)]


def test_privacy_officer_reports(signed_in, seeded, info):
    hana = signed_in("hana")
    hana.post(f"/housing/referrals/{info.referrals['hana']}/check", {"postcodes": "ZZ1 1AA", **PLACEMENT_DECISION})
    pat = signed_in("pat")
    page = pat.get("/privacy/").get_data(as_text=True)
    assert "The audit chain is intact" in page
    by_person = pat.post("/privacy/by-person", {"pseudonym": "YP-0001"}).get_data(as_text=True)
    assert "placement.check" in by_person and "hana" in by_person
    by_user = pat.post("/privacy/by-user", {"username": "hana"}).get_data(as_text=True)
    assert "placement.check" in by_user
