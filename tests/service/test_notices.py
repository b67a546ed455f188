"""Notices: published, listed and ended through the use case by analysts only, each write audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from geo_risk.errors import AccessDenied, NotFound, ValidationError
from geo_risk.service import acknowledge_notice, brief_school, end_notice, list_notices, publish_notice
from geo_risk.store import session_scope
from geo_risk.store.models import AuditEvent, Notice, NoticeSchool
from tests.web.web_seed import NOW

TEXT = {"title": "Road closed after an incident", "what_happened": "An incident near the park on Friday evening.",
        "what_to_do": "Remind pupils to use the main road.", "contact": "Safer schools officer, 0100 000 000"}


def _publish(engine, data, who, urns=("100001",), **over):
    fields = {**TEXT, "valid_from": NOW - dt.timedelta(hours=1), "valid_to": NOW + dt.timedelta(days=2), **over}
    with session_scope(engine) as s:
        return publish_notice(s, who, data, school_urns=list(urns), **fields).id


def _events(engine, action):
    with session_scope(engine) as s:
        return [(e.username, e.outcome, e.target, e.pseudonym)
                for e in s.scalars(select(AuditEvent).where(AuditEvent.action == action))]


def test_an_analyst_publishes_a_notice_that_reaches_the_chosen_school_and_is_audited(engine, data, actor):
    nid = _publish(engine, data, actor("ana"))
    with session_scope(engine) as s:
        assert s.get(Notice, nid).created_by == actor("ana").user_id
        assert list(s.scalars(select(NoticeSchool.school_urn).where(NoticeSchool.notice_id == nid))) == ["100001"]
        briefing = brief_school(s, actor("sami"), data, urn="100001", as_of=NOW)
        assert [n["id"] for n in briefing.notices] == [nid]
        acknowledge_notice(s, actor("sami"), data, urn="100001", notice_id=nid, as_of=NOW)
    assert _events(engine, "notice.publish") == [("ana", "allowed", f"notice:{nid}", None)]
    with session_scope(engine) as s:
        (summary,) = list_notices(s, actor("ana"))
    assert (summary.id, summary.acknowledgements, summary.running) == (nid, 1, True)


@pytest.mark.parametrize("who", ["hana", "tariq", "sami", "adam", "pat"])
def test_only_analysts_publish_list_or_end_notices(engine, data, actor, who):
    with pytest.raises(AccessDenied):
        _publish(engine, data, actor(who))
    nid = _publish(engine, data, actor("ana"))
    with session_scope(engine) as s, pytest.raises(AccessDenied):
        end_notice(s, actor(who), notice_id=nid)
    with session_scope(engine) as s, pytest.raises(AccessDenied):
        list_notices(s, actor(who))
    with session_scope(engine) as s:
        assert s.scalar(select(Notice.valid_to).where(Notice.id == nid)) > NOW


@pytest.mark.parametrize(("over", "message"), [
    ({"title": "  "}, "fill in: title"),
    ({"valid_to": NOW - dt.timedelta(days=1)}, "must end after it starts"),
    ({"urns": ()}, "choose at least one school"),
    ({"urns": ("100001", "999999")}, "no school with URN 999999"),
])
def test_a_bad_notice_is_refused_with_the_fix_and_nothing_is_stored(engine, data, actor, over, message):
    over = dict(over)
    urns = over.pop("urns", ("100001",))
    with pytest.raises(ValidationError, match=message):
        _publish(engine, data, actor("ana"), urns=urns, **over)
    with session_scope(engine) as s:
        assert s.scalar(select(Notice.id)) is None
    assert _events(engine, "notice.publish") == []


def test_ending_a_notice_takes_it_off_the_briefing_and_keeps_an_earlier_end(engine, data, actor):
    nid = _publish(engine, data, actor("ana"))
    later = actor("ana", NOW + dt.timedelta(hours=1))
    with session_scope(engine) as s:
        end_notice(s, later, notice_id=nid)
    with session_scope(engine) as s:
        assert s.get(Notice, nid).valid_to == later.now
        assert brief_school(s, actor("sami", later.now + dt.timedelta(minutes=1)), data, urn="100001",
                            as_of=later.now + dt.timedelta(minutes=1)).notices == []
        end_notice(s, actor("ana", later.now + dt.timedelta(days=1)), notice_id=nid)
    with session_scope(engine) as s:
        assert s.get(Notice, nid).valid_to == later.now
    assert [e[2] for e in _events(engine, "notice.end")] == [f"notice:{nid}"] * 2


@pytest.mark.parametrize("nid", [424242, 0, "x", 99999999999999999999999])
def test_ending_an_unknown_notice_is_not_found_and_audited_as_refused(engine, actor, nid):
    with session_scope(engine) as s, pytest.raises(NotFound, match="no such notice"):
        end_notice(s, actor("ana"), notice_id=nid)
    assert _events(engine, "notice.end") == [("ana", "not_found", None, None)]
