"""Migration 0006 gives each earlier notice the schools its page listed it for."""

from __future__ import annotations

import datetime as dt

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point
from sqlalchemy import text

from geo_risk.store.engine import session_scope
from geo_risk.store.migrate import alembic_config, upgrade
from geo_risk.store.models import Notice, School


def test_earlier_notices_name_the_schools_inside_their_area(db):
    from alembic import command

    command.downgrade(alembic_config(db), "0005")
    try:
        with session_scope(db) as s:
            for urn, x in (("1", 600_000.0), ("2", 600_500.0), ("3", 603_000.0)):
                s.add(School(urn=urn, name=f"School {urn}", phase="primary",
                             geom=from_shape(Point(x, 860_000.0), srid=27700)))
            area = MultiPolygon([Point(600_000.0, 860_000.0).buffer(1000.0)])
            s.add(Notice(title="t", what_happened="w", what_to_do="d", contact="c",
                         valid_from=dt.datetime(2026, 11, 1), valid_to=dt.datetime(2026, 11, 8),
                         geom=from_shape(area, srid=27700)))
    finally:
        upgrade(db)
    with db.connect() as conn:
        named = conn.execute(text("SELECT school_urn FROM notice_school ORDER BY school_urn")).scalars().all()
    assert named == ["1", "2"]
