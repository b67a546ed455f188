"""`geo-risk assess route` end to end on a small SpatiaLite database (issue 5)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point

from .helpers import X0, Y0, grid_streets

AS_OF = "2026-11-01"


def _run(args, env):
    return subprocess.run(
        [sys.executable, "-m", "geo_risk.cli", *args], capture_output=True, text=True, env=env, check=False
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from geo_risk.store import models as m
    from geo_risk.store.engine import create_store_engine, session_scope
    from geo_risk.store.migrate import upgrade

    tmp = tmp_path_factory.mktemp("route")
    engine = create_store_engine(f"sqlite:///{tmp / 'geo-risk.sqlite'}")
    upgrade(engine)
    seen = dt.datetime(2026, 10, 1)
    expires = dt.datetime(2027, 10, 1)
    prov = {"source": "test agency", "source_type": "police"}
    streets = grid_streets(8)
    with session_scope(engine) as session:
        session.add_all(
            [
                m.StreetSegment(
                    id=int(r.segment_id), u=int(r.u), v=int(r.v), length_m=float(r.length_m), highway=r.highway,
                    name=r.name, walkable=bool(r.walkable), geom=from_shape(r.geometry, srid=27700),
                )
                for r in streets.itertuples()
            ]
        )
        session.add_all(
            [
                m.Person(pseudonym="YP-1", is_child=True, **prov),
                m.Person(pseudonym="YP-2", is_child=True, **prov),
                m.Link(
                    link_id="L1", from_kind="person", from_key="YP-1", to_kind="person", to_key="YP-2",
                    type="in_conflict_with", evidence_grade="A", first_seen=seen, last_seen=seen,
                    expires_at=expires, status="live", **prov,
                ),
                m.Place(
                    place_id="PL-7", entity_kind="person", entity_key="YP-2", kind="hangout", evidence_grade="A",
                    first_seen=seen, last_seen=seen, expires_at=expires, status="live",
                    geom=from_shape(Point(X0 + 350, Y0 + 330), srid=27700), **prov,
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
    engine.dispose()
    out = {**os.environ, "GEO_RISK_DATA_DIR": str(tmp)}
    out.pop("GEO_RISK_DATABASE_URL", None)
    return out


def test_route_json_for_the_transport_officer(env):
    out = _run(["assess", "route", "--child", "YP-1", "--from", "zz11aa", "--to-school", "999001",
                "--as-of", AS_OF, "--json"], env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["kind"] == "route" and data["tier"] == "transport"
    assert data["routes"][0]["role"] == "shortest"
    assert data["origin"]["snap_distance_m"] == pytest.approx(10.0)
    assert data["recommendation"]["text"] in (
        "Meets the bar for assisted transport consideration",
        "Does not meet the bar for assisted transport consideration",
    )
    assert data["policy_version"]
    assert "PL-7" not in out.stdout and "YP-2" not in out.stdout
    near = [n for r in data["routes"] for n in r["near"]]
    assert near and all(n["text"].startswith("segment near ") for n in near)


def test_route_table_and_analyst_references(env):
    out = _run(["assess", "route", "--child", "YP-1", "--from", f"{X0:.0f},{Y0 + 350:.0f}", "--to-school", "999001",
                "--as-of", AS_OF, "--audience", "analyst"], env)
    assert out.returncode == 0, out.stderr
    assert "Advisory only" in out.stdout
    assert "assisted transport consideration" in out.stdout
    assert "walk" in out.stdout and "shortest" in out.stdout
    assert "PL-7" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--child", "YP-404", "--from", "ZZ1 1AA", "--to-school", "999001"], "no young person with pseudonym"),
        (["--child", "YP-1", "--from", "ZZ9 9ZZ", "--to-school", "999001"], "postcode(s) not found: ZZ9 9ZZ"),
        (["--child", "YP-1", "--from", "ZZ1 1AA", "--to-school", "123"], "no school with URN '123'"),
        (["--child", "YP-1", "--from", f"{X0 + 5000:.0f},{Y0:.0f}", "--to-school", "999001"],
         "from the nearest walkable street"),
    ],
)
def test_route_errors_are_clear(env, args, message):
    out = _run(["assess", "route", "--as-of", AS_OF, *args], env)
    assert out.returncode == 2, out.stdout + out.stderr
    assert message in out.stderr
    assert "Traceback" not in out.stderr
