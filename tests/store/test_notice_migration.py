"""Migrations 0006 and 0012: a notice written before schools were named reaches exactly the schools
it was written for (issue 14, item 7)."""

from __future__ import annotations

import datetime as dt

import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point
from sqlalchemy import text

from geo_risk.store.engine import session_scope
from geo_risk.store.migrate import alembic_config, upgrade
from geo_risk.store.models import Notice, School

Y = 860_000.0
#: A and B 900 m apart; C between them, inside both circles; D inside A's circle only; E 3 km away.
SCHOOLS = {"A": 600_000.0, "B": 600_900.0, "C": 600_450.0, "D": 599_300.0, "E": 603_000.0}


def _old_notice(urns: list[str]) -> Notice:
    """A notice as the form made it before 0006: the union of a 1 km circle around each chosen school."""
    area = shapely.union_all([Point(SCHOOLS[u], Y).buffer(1000.0) for u in urns])
    area = area if area.geom_type == "MultiPolygon" else MultiPolygon([area])
    return Notice(title=f"for {'+'.join(urns)}", what_happened="w", what_to_do="d", contact="c",
                  valid_from=dt.datetime(2026, 11, 1), valid_to=dt.datetime(2026, 11, 8),
                  geom=from_shape(area, srid=27700))


def _named(db) -> dict[str, list[str]]:
    with db.connect() as conn:
        rows = conn.execute(text("SELECT n.title, s.school_urn FROM notice_school s JOIN notice n "
                                 "ON n.id = s.notice_id ORDER BY n.title, s.school_urn")).all()
    out: dict[str, list[str]] = {}
    for title, urn in rows:
        out.setdefault(title, []).append(urn)
    return out


def test_earlier_notices_reach_exactly_the_schools_they_were_written_for(db):
    from alembic import command

    command.downgrade(alembic_config(db), "0005")
    try:
        with session_scope(db) as s:
            for urn, x in SCHOOLS.items():
                s.add(School(urn=urn, name=f"School {urn}", phase="primary", geom=from_shape(Point(x, Y), srid=27700)))
            s.add_all([_old_notice(["A", "B"]), _old_notice(["A"]), _old_notice(["E"]), _old_notice(["A", "C"])])
    finally:
        upgrade(db, "0006")
    # 0006 gave each notice every school inside its area: the aim at A and B also reached C and D
    assert _named(db) == {"for A": ["A", "B", "C", "D"], "for A+B": ["A", "B", "C", "D"], "for A+C": ["A", "B", "C", "D"],
                          "for E": ["E"]}
    upgrade(db)
    assert _named(db) == {"for A": ["A"], "for A+B": ["A", "B"], "for A+C": ["A", "C"], "for E": ["E"]}


def _migration(name: str):
    import importlib.util

    from geo_risk.store.migrate import MIGRATIONS_DIR

    path = next((MIGRATIONS_DIR / "versions").glob(f"{name}_*.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notices_written_since_0006_keep_their_schools():
    from geo_risk.contract import briefing_areas

    named_schools = _migration("0012").named_schools

    xy = {u: (x, Y) for u, x in SCHOOLS.items()}
    for chosen in (["A", "B"], ["A", "C"], ["A", "B", "C"], ["D", "E"]):
        area = shapely.union_all(briefing_areas([xy[u] for u in chosen], 1000.0))  # as the form draws it now
        inside = {u: p for u, p in xy.items() if area.covers(Point(p))}
        assert sorted(named_schools(area, inside)) == sorted(chosen), chosen
