"""Post-incident notices for schools: the schools they are for and who has acknowledged them."""

from __future__ import annotations

import datetime as dt

import shapely
from geoalchemy2.shape import from_shape
from sqlalchemy.orm import Session

from geo_risk.contract import briefing_areas
from geo_risk.errors import ValidationError
from geo_risk.store.models import Notice, NoticeSchool
from geo_risk.wording import check_text


def create_notice(session: Session, data, *, title: str, what_happened: str, what_to_do: str, contact: str,
                  valid_from: dt.datetime, valid_to: dt.datetime, school_urns: list[str], user_id: int) -> Notice:
    """A notice for ``school_urns``: it reaches exactly these schools; its area is their briefing areas."""
    problems = [name for name, value in (("title", title), ("what happened", what_happened),
                                         ("what to do", what_to_do), ("contact", contact)) if not value.strip()]
    if problems:
        msg = f"fill in: {', '.join(problems)}"
        raise ValidationError(msg)
    for name, value in (("title", title), ("what happened", what_happened), ("what to do", what_to_do),
                        ("contact", contact)):
        check_text(value, f"the notice's {name}", shown_to_schools=True)
    if valid_to <= valid_from:
        msg = "a notice must end after it starts"
        raise ValidationError(msg)
    buffer_m = float(data.policy.briefing.buffer_m)
    urns = list(dict.fromkeys(str(u) for u in school_urns))
    xy = [(p.x, p.y) for p in (data.snapshot.school(urn).geometry for urn in urns)]
    area = shapely.union_all(briefing_areas(xy, buffer_m))
    if area.geom_type == "Polygon":
        area = shapely.MultiPolygon([area])
    notice = Notice(title=title.strip()[:200], what_happened=what_happened.strip(), what_to_do=what_to_do.strip(),
                    contact=contact.strip()[:200], valid_from=valid_from, valid_to=valid_to, created_by=user_id,
                    geom=from_shape(area, srid=27700))
    session.add(notice)
    session.flush()
    session.add_all(NoticeSchool(notice_id=notice.id, school_urn=urn) for urn in urns)
    session.flush()
    return notice
