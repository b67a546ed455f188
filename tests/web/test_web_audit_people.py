"""Reads that show several young people write one audit event per child shown.

The privacy officer's "who accessed YP-x" report must list a read of a list, of a
network page and of the evidence-review queue, and every review decision about a link
is recorded against the children at either end.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text, update

from geo_risk import audit
from geo_risk.store.engine import session_scope
from geo_risk.store.models import Link
from web_seed import NOW


def _events(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT username, role, purpose, pseudonym, action, outcome, request_id FROM audit_event ORDER BY seq"
        )).all()


def _report(signed_in, pseudonym: str) -> str:
    """The privacy officer's per-person page."""
    pat = signed_in("pat")
    resp = pat.post("/privacy/by-person", {"pseudonym": pseudonym})
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_people_list_writes_one_event_per_child_listed(signed_in, seeded):
    engine = seeded[0]
    ana = signed_in("ana")
    before = len(_events(engine))
    resp = ana.get("/analyst/people")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    events = _events(engine)[before:]
    listed = [e.pseudonym for e in events]
    assert listed == ["YP-0001", "YP-0002", "YP-0003"]  # the children; the adult is not listed
    for p in listed:
        assert p in body
    assert {(e.username, e.action, e.purpose, e.outcome) for e in events} == {
        ("ana", "people.list", "analysis", "allowed")}
    assert {e.request_id for e in events} == {resp.headers["X-Request-Id"]}
    assert audit.verify(engine).ok
    report = _report(signed_in, "YP-0002")
    assert "people.list" in report and resp.headers["X-Request-Id"] in report


def test_person_page_audits_the_other_children_it_shows(signed_in, seeded, info):
    engine = seeded[0]
    ana = signed_in("ana")
    before = len(_events(engine))
    resp = ana.get(f"/analyst/people/{info.people['YP-0001']}")
    assert resp.status_code == 200
    events = _events(engine)[before:]
    # YP-0003 associates with YP-0001 (shown in the network); AD-0001 is an adult: no event.
    assert [(e.action, e.pseudonym) for e in events] == [("network.view", "YP-0001"),
                                                         ("network.view.linked", "YP-0003")]
    assert "YP-0003" in resp.get_data(as_text=True)
    assert {e.request_id for e in events} == {resp.headers["X-Request-Id"]}
    assert audit.verify(engine).ok
    report = _report(signed_in, "YP-0003")
    assert "network.view.linked" in report and resp.headers["X-Request-Id"] in report


def test_review_queue_audits_each_child_it_lists(signed_in, seeded):
    engine = seeded[0]
    with session_scope(engine) as s:  # the association and the group conflict are due for review
        s.execute(update(Link).where(Link.link_id.in_(["L2", "L5"])).values(review_by=NOW - dt.timedelta(days=3)))
    ana = signed_in("ana")
    before = len(_events(engine))
    resp = ana.get("/analyst/oversight/reviews")
    assert resp.status_code == 200
    assert 'data-target="link-L5"' in resp.get_data(as_text=True)
    events = _events(engine)[before:]
    assert sorted(e.pseudonym for e in events) == ["YP-0001", "YP-0003"]
    assert {(e.action, e.purpose) for e in events} == {("reviews.view", "review")}
    assert {e.request_id for e in events} == {resp.headers["X-Request-Id"]}
    assert "reviews.view" in _report(signed_in, "YP-0003")


def test_empty_review_queue_still_records_the_access(signed_in, seeded):
    engine = seeded[0]
    ana = signed_in("ana")
    before = len(_events(engine))
    assert ana.get("/analyst/oversight/reviews").status_code == 200
    assert [(e.action, e.pseudonym) for e in _events(engine)[before:]] == [("reviews.view", None)]


def test_review_decision_audits_the_children_at_either_end_of_the_link(signed_in, seeded):
    engine = seeded[0]
    ana = signed_in("ana")
    before = len(_events(engine))
    resp = ana.post("/analyst/oversight/reviews/link/L5", {"action": "downgrade", "new_grade": "D",
                                                          "reason": "second-hand account only"})
    assert resp.status_code == 302
    events = _events(engine)[before:]
    assert sorted(e.pseudonym for e in events) == ["YP-0001", "YP-0003"]
    assert {e.action for e in events} == {"evidence.downgrade"}
    assert len({e.request_id for e in events}) == 1
    assert "evidence.downgrade" in _report(signed_in, "YP-0001")
    # An adult exploiting a child: only the child is recorded.
    before = len(_events(engine))
    assert ana.post("/analyst/oversight/reviews/link/L4", {"action": "expire", "reason": "no longer in the area"}
                    ).status_code == 302
    assert [(e.action, e.pseudonym) for e in _events(engine)[before:]] == [("evidence.expire", "YP-0001")]
    # A link between two peer groups concerns no one child: the decision is still recorded.
    before = len(_events(engine))
    assert ana.post("/analyst/oversight/reviews/link/L2", {"action": "expire", "reason": "made peace"}
                    ).status_code == 302
    assert [(e.action, e.pseudonym) for e in _events(engine)[before:]] == [("evidence.expire", None)]
    assert audit.verify(engine).ok


def test_record_many_chains_the_events_in_one_write(seeded):
    engine = seeded[0]
    with session_scope(engine) as s:
        first = audit.record(s, username="u", role="analyst", purpose="analysis", pseudonym=None, action="x",
                             outcome="allowed", request_id="r0", at=NOW)
        many = audit.record_many(s, username="u", role="analyst", purpose="analysis",
                                 pseudonyms=["YP-0002", "YP-0001", "YP-0002"], action="people.list",
                                 outcome="allowed", request_id="r1", at=NOW)
        none = audit.record_many(s, username="u", role="analyst", purpose="analysis", pseudonyms=[],
                                 action="people.list", outcome="allowed", request_id="r2", at=NOW)
    assert none == []
    assert [e.pseudonym for e in many] == ["YP-0002", "YP-0001"]  # duplicates dropped, order kept
    assert [e.seq for e in many] == [first.seq + 1, first.seq + 2]
    assert many[0].prev_hash == first.hash and many[1].prev_hash == many[0].hash
    result = audit.verify(engine)
    assert result.ok and result.head_hash == many[-1].hash
    with session_scope(engine) as s:
        assert [e.pseudonym for e in audit.events_for_pseudonym(s, "YP-0001")] == ["YP-0001"]


def test_officers_referral_list_audits_each_referred_child(signed_in, seeded, info):
    engine = seeded[0]
    for user, path, action in (("hana", "/housing/", "housing.referrals.list"),
                               ("tariq", "/transport/", "transport.referrals.list")):
        client = signed_in(user)
        before = len(_events(engine))
        assert client.get(path).status_code == 200
        new = [e for e in _events(engine)[before:] if e.action == action]
        assert new, action
        assert all(e.pseudonym for e in new)
        assert len({e.request_id for e in new}) == 1


def test_the_review_queue_is_filtered_and_paged_and_only_the_page_shown_is_audited(signed_in, seeded, monkeypatch):
    from web import oversight

    engine = seeded[0]
    with session_scope(engine) as s:  # two links due: L2 (groups in conflict) and L5 (YP-0001 with YP-0003)
        s.execute(update(Link).where(Link.link_id.in_(["L2", "L5"])).values(review_by=NOW - dt.timedelta(days=3)))
    monkeypatch.setattr(oversight, "REVIEWS_PER_PAGE", 1)
    ana = signed_in("ana")
    first = ana.get("/analyst/oversight/reviews").get_data(as_text=True)
    assert first.count('data-target="link-') == 1 and "Page 1 of 2" in first and 'rel="next"' in first
    before = len(_events(engine))
    only = ana.get("/analyst/oversight/reviews?q=l5&kind=link").get_data(as_text=True)  # case-insensitive
    assert 'data-target="link-L5"' in only and 'data-target="link-L2"' not in only
    assert "1 of 2 items match" in only and 'value="l5"' in only and '<option value="link" selected>' in only
    assert sorted(e.pseudonym for e in _events(engine)[before:]) == ["YP-0001", "YP-0003"]
    before = len(_events(engine))
    groups = ana.get("/analyst/oversight/reviews?q=L2").get_data(as_text=True)
    assert 'data-target="link-L2"' in groups
    assert [e.pseudonym for e in _events(engine)[before:]] == [None]  # a link between peer groups: no child
    none = ana.get("/analyst/oversight/reviews?kind=place&state=nonsense").get_data(as_text=True)
    assert "Nothing matches these filters." in none
