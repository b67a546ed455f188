"""`geo-risk assess placement|route` audit every read of a young person's data (review fix 2).

Runs in process (CliRunner) against the ``db`` fixture on SpatiaLite and, when configured, PostGIS.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select

from geo_risk.errors import DataSourceError
from geo_risk.store.engine import session_scope
from geo_risk.store.models import AuditEvent
from tests.routing.helpers import X0, Y0, grid_streets

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


def seed(engine, *, link_expires_at: dt.datetime = dt.datetime(2027, 10, 1), seen=dt.datetime(2026, 10, 1)) -> None:
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


PLACEMENT = ["assess", "placement", "--child", "YP-1", "--point", f"{HANGOUT[0]:.0f},{HANGOUT[1]:.0f}",
             "--as-of", AS_OF]
ROUTE = ["assess", "route", "--child", "YP-1", "--from", "ZZ1 1AA", "--to-school", "999001", "--as-of", AS_OF]


@pytest.mark.parametrize(
    ("args", "purpose", "action"),
    [(PLACEMENT, "placement", "cli.assess.placement"), (ROUTE, "route", "cli.assess.route")],
    ids=["placement", "route"],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_each_cli_check_writes_exactly_one_audit_event(db, db_url, args, purpose, action, as_json):
    seed(db)
    out = run_cli([*args, *(["--json"] if as_json else [])], db_url)
    assert out.returncode == 0, out.stderr
    assert "YP-1" in out.stdout
    (event,) = events(db)
    assert (event.role, event.purpose, event.pseudonym, event.action, event.outcome) == (
        "operator", purpose, "YP-1", action, "allowed"
    )
    assert event.username == getpass.getuser()
    assert len(event.request_id) == 32 and int(event.request_id, 16) >= 0  # a uuid4 hex
    assert abs(event.at - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=5)
    # a second run is a second read: a second event, chained to the first
    assert run_cli(args, db_url).returncode == 0
    first, second = events(db)
    assert second.prev_hash == first.hash and second.request_id != first.request_id


@pytest.mark.parametrize("args", [PLACEMENT, ROUTE], ids=["placement", "route"])
def test_if_the_audit_write_fails_the_check_fails_and_shows_nothing(db, db_url, args, monkeypatch):
    from geo_risk import audit

    seed(db)

    def refuse(*_a, **_k):
        msg = "the audit event could not be written, so the read it records is refused"
        raise DataSourceError(msg)

    monkeypatch.setattr(audit, "record", refuse)
    for extra in ([], ["--json"]):
        out = run_cli([*args, *extra], db_url)
        assert out.returncode == 2
        assert out.stdout == ""  # nothing of the young person: no band, score, reason or route
        assert "audit event could not be written" in out.stderr
    assert events(db) == []


def test_a_failed_lookup_writes_no_event_and_shows_nothing(db, db_url):
    seed(db)
    out = run_cli(["assess", "placement", "--child", "YP-404", "--point", "450000,200000", "--as-of", AS_OF], db_url)
    assert out.returncode == 2 and out.stdout == ""
    assert events(db) == []


def test_audited_json_is_still_the_ranking(db, db_url):
    seed(db)
    out = run_cli([*PLACEMENT, "--json"], db_url)
    data = json.loads(out.stdout)
    assert data["candidates"][0]["assessment"]["band"] == "High"
