"""Reading young people: analysts only, one audit event per young person shown, whatever the door."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from geo_risk.errors import AccessDenied, NotFound
from geo_risk.service import list_young_people, read_young_person
from geo_risk.store import session_scope
from geo_risk.store.models import AuditEvent


def _events(engine, since: int = 0):
    with session_scope(engine) as s:
        return [(e.username, e.action, e.pseudonym, e.outcome)
                for e in s.scalars(select(AuditEvent).where(AuditEvent.seq > since).order_by(AuditEvent.seq))]


def _last_seq(engine) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0


def test_an_analyst_reads_a_young_person_and_every_child_the_network_shows_is_audited(engine, data, info, actor):
    before = _last_seq(engine)
    with session_scope(engine) as s:
        record = read_young_person(s, actor("ana"), data, person_id=info.people["YP-0001"])
    assert record.pseudonym == "YP-0001" and record.flags["CCE concern"] is True
    assert [c.summary for c in record.chronology] == ["Missing from home overnight; returned with new phone."]
    # radius 2: the peer group, the group it is in conflict with, the adult exploiting them, an associate
    assert record.keys == {"YP-0001", "G01", "G02", "AD-0001", "YP-0003"}
    assert record.linked == ("YP-0003",)  # the adult and the groups are not children
    assert all(edge["live"] for *_, edge in record.network.edges(keys=True, data=True))
    assert _events(engine, before) == [("ana", "network.view", "YP-0001", "allowed"),
                                       ("ana", "network.view.linked", "YP-0003", "allowed")]


def test_the_list_audits_each_child_listed_and_not_the_adult(engine, actor):
    before = _last_seq(engine)
    with session_scope(engine) as s:
        listed = [p.pseudonym for p in list_young_people(s, actor("ana"))]
    assert listed == ["YP-0001", "YP-0002", "YP-0003"]
    assert _events(engine, before) == [("ana", "people.list", p, "allowed") for p in listed]


@pytest.mark.parametrize("who", ["hana", "tariq", "sami", "adam", "pat"])
def test_no_other_role_reads_a_young_person_or_the_list(engine, data, info, actor, who):
    before = _last_seq(engine)
    with session_scope(engine) as s, pytest.raises(AccessDenied):
        read_young_person(s, actor(who), data, person_id=info.people["YP-0001"])
    with session_scope(engine) as s, pytest.raises(AccessDenied):
        list_young_people(s, actor(who))
    assert [e for e in _events(engine, before) if e[3] == "allowed"] == []


@pytest.mark.parametrize("pid", ["adult", 424242, 0, "x", 99999999999999999999999])
def test_an_id_naming_no_young_person_is_not_found_and_audited_as_refused(engine, data, info, actor, pid):
    pid = info.people["AD-0001"] if pid == "adult" else pid
    before = _last_seq(engine)
    with session_scope(engine) as s, pytest.raises(NotFound, match="no such young person"):
        read_young_person(s, actor("ana"), data, person_id=pid)
    assert _events(engine, before) == [("ana", "network.view", None, "not_found")]
