"""`geo-risk assess placement` end to end on a small SpatiaLite database (issue 4)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point

X0, Y0 = 358_000.0, 173_000.0
AS_OF = "2026-11-01"


def _run(args, env):
    return subprocess.run(
        [sys.executable, "-m", "geo_risk.cli", *args], capture_output=True, text=True, env=env, check=False
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    pytest.importorskip("geo_risk.surface.intensity")
    from geo_risk.store import models as m
    from geo_risk.store.engine import create_store_engine, session_scope
    from geo_risk.store.migrate import upgrade

    tmp = tmp_path_factory.mktemp("assess")
    engine = create_store_engine(f"sqlite:///{tmp / 'geo-risk.sqlite'}")
    upgrade(engine)
    seen = dt.datetime(2026, 10, 1)
    prov = {"source": "test agency", "source_type": "police"}
    with session_scope(engine) as session:
        session.add_all(
            [
                m.Person(pseudonym="YP-1", is_child=True, ethnicity="not recorded", **prov),
                m.Person(pseudonym="YP-2", is_child=True, **prov),
                m.Link(
                    link_id="L1", from_kind="person", from_key="YP-1", to_kind="person", to_key="YP-2",
                    type="in_conflict_with", evidence_grade="A", first_seen=seen, last_seen=seen,
                    expires_at=dt.datetime(2027, 10, 1), status="live", **prov,
                ),
                m.Place(
                    place_id="P2", entity_kind="person", entity_key="YP-2", kind="hangout", evidence_grade="A",
                    first_seen=seen, last_seen=seen, expires_at=dt.datetime(2027, 10, 1), status="live",
                    geom=from_shape(Point(X0, Y0), srid=27700), **prov,
                ),
                m.Postcode(postcode="BS1 1AA", geom=from_shape(Point(X0 + 20, Y0), srid=27700)),
            ]
        )
        for i in range(30):
            session.add(
                m.Incident(
                    external_id=f"I{i}", category="Violence and sexual offences", occurred_at=dt.datetime(2026, 9, 1),
                    has_time=False, month="2026-09", precision="snap_point",
                    geom=from_shape(Point(X0 + 5000 + 10 * i, Y0), srid=27700), **prov,
                )
            )
        # a few more along the way: the data cover the candidates (each within 500 m of them)
        for i, x in enumerate([0, 100, 200, 300, 9300]):
            session.add(
                m.Incident(
                    external_id=f"J{i}", category="Robbery", occurred_at=dt.datetime(2026, 9, 1), has_time=False,
                    month="2026-09", precision="snap_point", geom=from_shape(Point(X0 + x, Y0 + 50), srid=27700),
                    **prov,
                )
            )
    engine.dispose()
    out = {**os.environ, "GEO_RISK_DATA_DIR": str(tmp)}
    out.pop("GEO_RISK_DATABASE_URL", None)
    return out


def test_placement_ranks_candidates_and_prints_json(env):
    out = _run(
        ["assess", "placement", "--child", "YP-1", "--postcode", "bs11aa", "--point", f"{X0 + 9000:.0f},{Y0:.0f}",
         "--as-of", AS_OF, "--json"],
        env,
    )
    assert out.returncode == 0, out.stderr
    ranking = json.loads(out.stdout)
    assert ranking["order"] == "safest first"
    first, second = ranking["candidates"]
    assert first["label"] == f"{X0 + 9000:.0f},{Y0:.0f}" and first["assessment"]["band"] == "Low"
    assert second["label"] == "bs11aa" and second["assessment"]["band"] == "Very high"
    assert second["assessment"]["lifted_by"] == ["conflict_exposure"]
    assert "YP-2" not in out.stdout  # housing audience by default


def test_placement_table_and_analyst_reasons(env):
    out = _run(["assess", "placement", "--child", "YP-1", "--postcode", "BS1 1AA", "--as-of", AS_OF,
                "--audience", "analyst"], env)
    assert out.returncode == 0, out.stderr
    assert "rank  candidate" in out.stdout and "Very high" in out.stdout
    assert "L1" in out.stdout and "Advisory only" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--child", "YP-404", "--point", "358000,173000"], "no young person with pseudonym 'YP-404'"),
        (["--child", "YP-1", "--postcode", "BS9 9ZZ"], "postcode(s) not found: BS9 9ZZ"),
        (["--child", "YP-1", "--point", "358000"], "EASTING,NORTHING"),
        (["--child", "YP-1"], "give at least one candidate"),
    ],
)
def test_placement_errors_are_clear(env, args, message):
    out = _run(["assess", "placement", "--as-of", AS_OF, *args], env)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr
