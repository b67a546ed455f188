"""A small world for the `geo-risk assess` command tests, and an in-process runner."""

from __future__ import annotations

import datetime as dt

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select

from geo_risk.store.engine import session_scope
from geo_risk.store.models import AuditEvent
from tests.routing.helpers import X0, Y0, grid_streets

__all__ = ["AS_OF", "HANGOUT", "X0", "Y0", "events", "run_cli", "seed"]

AS_OF = "2026-11-01"
HANGOUT = (X0 + 350, Y0 + 330)


class _Out:
    def __init__(self, result) -> None:
        self.returncode = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr


def run_cli(args, db_url):
    """Run ``geo-risk ARGS`` in process against ``db_url`` (fresh settings and engine each time)."""
    from click.testing import CliRunner

    from geo_risk.cli import _context, main

    for cached in (_context.settings, _context.policy, _context.engine):
        cached.cache_clear()
    try:
        result = CliRunner().invoke(main, list(args), env={"GEO_RISK_DATABASE_URL": db_url}, catch_exceptions=False)
    finally:
        _context.engine().dispose()
        for cached in (_context.settings, _context.policy, _context.engine):
            cached.cache_clear()
    return _Out(result)


def seed(
    engine, *, link_expires_at: dt.datetime = dt.datetime(2027, 10, 1), seen: dt.datetime = dt.datetime(2026, 10, 1)
) -> None:
    """Two young people in conflict, YP-2's hangout on a street grid with a school and a postcode."""
    from geo_risk.store import models as m

    prov = {"source": "test agency", "source_type": "police"}
    with session_scope(engine) as session:
        session.add_all(
            [
                m.StreetSegment(
                    id=int(r.segment_id), u=int(r.u), v=int(r.v), length_m=float(r.length_m), highway=r.highway,
                    name=r.name, walkable=bool(r.walkable), geom=from_shape(r.geometry, srid=27700),
                )
                for r in grid_streets(8).itertuples()
            ]
        )
        session.add_all(
            [
                m.Person(pseudonym="YP-1", is_child=True, **prov),
                m.Person(pseudonym="YP-2", is_child=True, **prov),
                m.Link(
                    link_id="L1", from_kind="person", from_key="YP-1", to_kind="person", to_key="YP-2",
                    type="in_conflict_with", evidence_grade="A", first_seen=seen, last_seen=seen,
                    expires_at=link_expires_at, status="live", **prov,
                ),
                m.Place(
                    place_id="PL-7", entity_kind="person", entity_key="YP-2", kind="hangout", evidence_grade="A",
                    first_seen=seen, last_seen=seen, expires_at=dt.datetime(2099, 1, 1), status="live",
                    geom=from_shape(Point(*HANGOUT), srid=27700), **prov,
                ),
                m.School(urn="999001", name="Synthetic Academy", phase="secondary",
                         geom=from_shape(Point(X0 + 705, Y0 + 350), srid=27700)),
                m.Postcode(postcode="ZZ1 1AA", geom=from_shape(Point(X0 - 10, Y0 + 350), srid=27700)),
            ]
        )
        # police.uk-like incidents on the grid, and one by the far corner: the area the data cover
        spots = [(100 * (k % 7), 100 * ((3 * k) % 7)) for k in range(20)] + [(3000, 3000)]
        session.add_all(
            [
                m.Incident(
                    external_id=f"SEED-{k}", category="Violence and sexual offences", occurred_at=dt.datetime(2026, 9, 1),
                    has_time=False, month="2026-09", precision="snap_point",
                    geom=from_shape(Point(X0 + x, Y0 + y), srid=27700), **prov,
                )
                for k, (x, y) in enumerate(spots)
            ]
        )
        for i in range(30):
            session.add(
                m.Incident(
                    external_id=f"I{i}", category="Violence and sexual offences", occurred_at=dt.datetime(2026, 9, 1),
                    has_time=False, month="2026-09", precision="snap_point",
                    geom=from_shape(Point(X0 + 100 + 20 * i, Y0 + 600), srid=27700), **prov,
                )
            )


def events(engine) -> list[AuditEvent]:
    with session_scope(engine) as s:
        return list(s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())
