"""Post-incident notices for schools: publish, end and list them (analysts; the CLI operator).

A notice reaches exactly the schools it names (:func:`geo_risk.contract.notice_reach`); its
stored area is the union of those schools' briefing areas. Schools read and acknowledge notices
through their briefing (:mod:`geo_risk.service.briefing`). Every write is an audit event in the
same transaction, with the notice id as its target.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import shapely
from geoalchemy2.shape import from_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo_risk import audit
from geo_risk.contract import briefing_areas
from geo_risk.errors import NotFound, ValidationError
from geo_risk.service.access import Actor, as_id, record_refusal, require_role
from geo_risk.service.snapshot import SnapshotData
from geo_risk.store.models import Notice, NoticeAck, NoticeSchool
from geo_risk.wording import check_text

PURPOSE = "notices"


@dataclass(frozen=True)
class NoticeSummary:
    """One notice as the analysts' list shows it."""

    id: int
    title: str
    valid_from: dt.datetime
    valid_to: dt.datetime
    acknowledgements: int
    running: bool


def _record(session: Session, actor: Actor, action: str, notice_id: int) -> None:
    audit.record(session, username=actor.username, role=actor.role, purpose=PURPOSE, pseudonym=None,
                 action=action, outcome="allowed", request_id=actor.request_id, at=actor.now,
                 target=f"notice:{notice_id}")


def publish_notice(session: Session, actor: Actor, data: SnapshotData, *, title: str, what_happened: str,
                   what_to_do: str, contact: str, valid_from: dt.datetime, valid_to: dt.datetime,
                   school_urns: list[str]) -> Notice:
    """Publish a notice to ``school_urns``; it reaches exactly these schools.

    Raises
    ------
    AccessDenied
        Not an analyst (or the CLI operator).
    ValidationError
        A field is empty or wording a school must not see, no school is chosen, a school is
        unknown, or the notice ends before it starts.
    """
    require_role(actor, "analyst", what="publish notices to schools")
    fields = (("title", title), ("what happened", what_happened), ("what to do", what_to_do), ("contact", contact))
    problems = [name for name, value in fields if not (value or "").strip()]
    if problems:
        msg = f"fill in: {', '.join(problems)}"
        raise ValidationError(msg)
    for name, value in fields:
        check_text(value, f"the notice's {name}", shown_to_schools=True)
    if valid_to <= valid_from:
        msg = "a notice must end after it starts"
        raise ValidationError(msg)
    urns = list(dict.fromkeys(str(u).strip() for u in school_urns if str(u).strip()))
    if not urns:
        msg = "choose at least one school the notice is for"
        raise ValidationError(msg)
    known = set(map(str, data.snapshot.schools["urn"]))
    unknown = [u for u in urns if u not in known]
    if unknown:
        msg = f"no school with URN {', '.join(unknown)} in the loaded school list; choose schools from the list"
        raise ValidationError(msg)
    buffer_m = float(data.policy.briefing.buffer_m)
    xy = [(p.x, p.y) for p in (data.snapshot.school(urn).geometry for urn in urns)]
    area = shapely.union_all(briefing_areas(xy, buffer_m))
    if area.geom_type == "Polygon":
        area = shapely.MultiPolygon([area])
    notice = Notice(title=title.strip()[:200], what_happened=what_happened.strip(), what_to_do=what_to_do.strip(),
                    contact=contact.strip()[:200], valid_from=valid_from, valid_to=valid_to,
                    created_by=actor.user_id, geom=from_shape(area, srid=27700))
    session.add(notice)
    session.flush()
    session.add_all(NoticeSchool(notice_id=notice.id, school_urn=urn) for urn in urns)
    session.flush()
    _record(session, actor, "notice.publish", notice.id)
    return notice


def end_notice(session: Session, actor: Actor, *, notice_id: int | str) -> Notice:
    """End a running notice now (one already ended keeps its end). NotFound for an unknown id."""
    require_role(actor, "analyst", what="end notices")
    nid = as_id(notice_id)
    row = session.get(Notice, nid) if nid is not None else None
    if row is None:
        record_refusal(session, actor, action="notice.end", purpose=PURPOSE)
        raise NotFound("no such notice")
    if row.valid_to > actor.now:  # noqa: PLR1730 (an ended notice keeps its own end)
        row.valid_to = actor.now
    _record(session, actor, "notice.end", row.id)
    return row


def list_notices(session: Session, actor: Actor, *, limit: int = 200) -> list[NoticeSummary]:
    """The newest ``limit`` notices, newest first, with how many schools' users acknowledged each."""
    require_role(actor, "analyst", what="list notices")
    acks: dict[Any, int] = dict(
        session.execute(select(NoticeAck.notice_id, func.count()).group_by(NoticeAck.notice_id)).all())
    rows = session.scalars(select(Notice).order_by(Notice.valid_from.desc(), Notice.id.desc()).limit(limit)).all()
    return [NoticeSummary(id=n.id, title=n.title, valid_from=n.valid_from, valid_to=n.valid_to,
                          acknowledgements=acks.get(n.id, 0), running=n.valid_to > actor.now) for n in rows]
