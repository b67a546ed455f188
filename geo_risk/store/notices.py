"""Notices from the store as the briefing's :class:`~geo_risk.briefing.Notice` values."""

from __future__ import annotations

import datetime as dt

from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo_risk.briefing.notices import Acknowledgement, Notice
from geo_risk.store import models


def load_notices(session: Session, *, live_at: dt.datetime | None = None,
                 ids: list[int] | None = None) -> list[Notice]:
    """Every notice (or those valid at ``live_at``, or those with these ``ids``), with the
    schools it names and its acknowledgements."""
    stmt = select(models.Notice).order_by(models.Notice.id)
    if live_at is not None:
        stmt = stmt.where(models.Notice.valid_from <= live_at, models.Notice.valid_to > live_at)
    if ids is not None:
        stmt = stmt.where(models.Notice.id.in_(ids))
    rows = list(session.execute(stmt).scalars())
    if not rows:
        return []
    found = [r.id for r in rows]
    named: dict[int, list[str]] = {}
    for link in session.execute(select(models.NoticeSchool).where(models.NoticeSchool.notice_id.in_(found))
                                .order_by(models.NoticeSchool.id)).scalars():
        named.setdefault(link.notice_id, []).append(link.school_urn)
    acks: dict[int, list[Acknowledgement]] = {}
    for ack in session.execute(select(models.NoticeAck).where(models.NoticeAck.notice_id.in_(found))
                               .order_by(models.NoticeAck.id)).scalars():
        acks.setdefault(ack.notice_id, []).append(
            Acknowledgement(urn=ack.school_urn, acknowledged_at=ack.acknowledged_at, by=str(ack.user_id)))
    return [
        Notice(
            notice_id=str(row.id),
            title=row.title,
            what_happened=row.what_happened,
            what_to_do=row.what_to_do,
            contact=row.contact,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            area=to_shape(row.geom) if row.geom is not None else None,
            school_urns=tuple(named.get(row.id, ())),
            acknowledgements=tuple(acks.get(row.id, ())),
        )
        for row in rows
    ]
