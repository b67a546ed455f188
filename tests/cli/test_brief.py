"""`geo-risk brief --all --out DIR` end to end on the synthetic city in SpatiaLite (issue 6)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from geoalchemy2.shape import from_shape

AS_OF = "2026-11-01"


def _run(args, env):
    return subprocess.run(
        [sys.executable, "-m", "geo_risk.cli", *args], capture_output=True, text=True, env=env, check=False
    )


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    from geo_risk.demo import prepare_demo
    from geo_risk.store import models as m
    from geo_risk.store.engine import create_store_engine, session_scope
    from geo_risk.store.migrate import upgrade

    tmp = tmp_path_factory.mktemp("brief")
    engine = create_store_engine(f"sqlite:///{tmp / 'geo-risk.sqlite'}")
    upgrade(engine)
    prepare_demo(engine, tmp / "city", size="small", seed=7, progress=lambda _: None, now=dt.datetime(2026, 11, 1))
    with session_scope(engine) as session:
        school = session.query(m.School).order_by(m.School.urn).first()
        urn = school.urn
        from geoalchemy2.shape import to_shape

        where = to_shape(school.geom)
        session.add(
            m.Notice(
                title="Disorder after school", what_happened="A fight near the bus stop on Thursday.",
                what_to_do="Staff at the gate at home time.", contact="Community safety team",
                valid_from=dt.datetime(2026, 10, 29), valid_to=dt.datetime(2026, 11, 8),
                geom=from_shape(_multi(where), srid=27700),
            )
        )
        session.add(
            m.Notice(
                title="Old notice", what_happened="Earlier.", what_to_do="Nothing now.", contact="Team",
                valid_from=dt.datetime(2026, 9, 1), valid_to=dt.datetime(2026, 9, 8),
                geom=from_shape(_multi(where), srid=27700),
            )
        )
        session.add(
            m.TensionOverride(school_urn=urn, level="High", reason="Retaliation expected.",
                              set_at=dt.datetime(2026, 10, 30), expires_at=dt.datetime(2026, 11, 6))
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEO_RISK_")}
    env["GEO_RISK_DATABASE_URL"] = f"sqlite:///{tmp / 'geo-risk.sqlite'}"
    env["GEO_RISK_DATA_DIR"] = str(tmp)
    return {"env": env, "tmp": tmp, "urn": urn}


def _multi(point):
    from shapely.geometry import MultiPolygon

    return MultiPolygon([point.buffer(300)])


def test_brief_all_writes_json_and_html_for_every_school(city):
    out = city["tmp"] / "out"
    res = _run(["brief", "--all", "--out", str(out), "--as-of", AS_OF], city["env"])
    assert res.returncode == 0, res.stderr
    jsons = sorted(out.glob("*.json"))
    htmls = sorted(out.glob("*.html"))
    assert len(jsons) == len(htmls) >= 5
    assert "briefings" in res.stdout
    for path in jsons:
        data = json.loads(path.read_text())
        assert data["tier"] == "school"
        text = path.read_text()
        assert "YP-" not in text and '"easting"' not in text and '"incidents"' not in text
    first = json.loads((out / f"{city['urn']}.json").read_text())
    assert [n["title"] for n in first["notices"]] == ["Disorder after school"]
    assert first["tension"]["level"] == "High" and first["tension"]["source"] == "analyst override"
    assert first["changes"] == []
    # a second run reads the first as the previous briefing
    res = _run(["brief", "--all", "--out", str(out), "--as-of", "2026-11-09"], city["env"])
    assert res.returncode == 0, res.stderr
    again = json.loads((out / f"{city['urn']}.json").read_text())
    assert again["notices"] == []
    assert {"what": "notice: Disorder after school", "before": "live", "after": "ended"} in again["changes"]


def test_brief_one_school_prints_json(city):
    res = _run(["brief", "--school", city["urn"], "--as-of", AS_OF, "--tier", "analyst"], city["env"])
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["tier"] == "analyst" and data["school"]["urn"] == city["urn"]


def test_brief_needs_all_or_school_and_out_with_all(city):
    res = _run(["brief", "--as-of", AS_OF], city["env"])
    assert res.returncode == 2 and "--all" in res.stderr
    res = _run(["brief", "--all"], city["env"])
    assert res.returncode == 2 and "--out" in res.stderr
    res = _run(["brief", "--school", "nope", "--as-of", AS_OF], city["env"])
    assert res.returncode == 2 and "URN" in res.stderr
