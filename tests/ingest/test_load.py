"""Storing imports on SpatiaLite and PostGIS: all-or-nothing per file, idempotent, recorded (issue 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from geo_risk.errors import DataSourceError, ValidationError
from geo_risk.ingest import load as load_module
from geo_risk.ingest.load import load
from geo_risk.store import load_snapshot

from .test_network import GROUPS, LINKS, PEOPLE, PLACES
from .test_network import write as write_network
from .test_police_uk import HEADER, row, write


def count(db, table: str, where: str = "") -> int:
    with db.connect() as conn:
        return int(conn.execute(text(f'SELECT count(*) FROM "{table}" {where}')).scalar_one())


@pytest.fixture
def month(tmp_path: Path) -> Path:
    return write(
        tmp_path / "2025-01-street.csv",
        row("a1"),
        row("a2", lon="", lat="", loc="No Location", lsoa=""),
        row("", ctype="Anti-social behaviour", outcome=""),
        row("", ctype="Anti-social behaviour", outcome=""),
        row("a1", lon="-2.5910"),
        row("a4", lon="2.3522", lat="48.8566"),
    )


def big_file(path: Path, n: int, prefix: str) -> Path:
    rows = [row(f"{prefix}{i}", lon=f"{-2.6 + (i % 100) * 0.001:.4f}", lat=f"{51.44 + (i // 100) * 0.0005:.4f}")
            for i in range(n)]
    return write(path, *rows)


def test_police_import_is_recorded_and_idempotent(db, month: Path) -> None:
    first = load("police-uk", month, db)
    assert first.inserted == 3 and first.already_stored == 0
    assert count(db, "incident") == 3
    with db.connect() as conn:
        run = conn.execute(text("SELECT kind, rows_read, accepted, rejected, duplicates, out_of_area, inserted, "
                                "file_sha256 FROM import_run")).one()
        reasons = [r[0] for r in conn.execute(text("SELECT reason FROM import_rejection ORDER BY \"row\""))]
        wkt, srid = conn.execute(text(
            "SELECT ST_AsText(geom), ST_SRID(geom) FROM incident WHERE external_id = 'a1'")).one()
        months = conn.execute(text("SELECT DISTINCT month, has_time, precision FROM incident")).all()
    assert run[:7] == ("police_uk", 6, 3, 1, 1, 1, 3) and len(run[7]) == 64
    assert reasons[0] == "no coordinates" and reasons[1].startswith("duplicate: duplicate Crime ID")
    assert reasons[2] == "out of area: outside Great Britain"
    assert srid == 27700
    x, y = (float(v) for v in wkt.replace("POINT", "").strip("() ").split())
    assert 355_000 < x < 362_000 and 170_000 < y < 176_000  # metres, not degrees
    assert [tuple(m) for m in months] == [("2025-01", False, "snap_point")]

    again = load("police_uk", month, db)
    assert again.inserted == 0 and again.already_stored == 3
    assert count(db, "incident") == 3
    assert count(db, "import_run") == 2


def test_a_malformed_file_stores_nothing(db, month: Path, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.csv", row("b1", lon="NaN"))
    with pytest.raises(ValidationError, match=r"bad\.csv: 1 row\(s\) with problems"):
        load("police_uk", [month, bad], db)
    assert count(db, "incident") == 0 and count(db, "import_run") == 0 and count(db, "import_rejection") == 0


def test_a_failure_while_storing_keeps_nothing_of_that_file(db, month: Path, tmp_path: Path, monkeypatch) -> None:
    second = big_file(tmp_path / "2025-02-street.csv", 2_500, "b")  # big enough for the bulk path
    real = load_module._finish_run

    def failing(conn, run_id, inserted, rejections):
        if inserted > 1_000:
            msg = "disk full (simulated)"
            raise RuntimeError(msg)
        return real(conn, run_id, inserted, rejections)

    monkeypatch.setattr(load_module, "_finish_run", failing)
    with pytest.raises(DataSourceError, match=r"storing .*2025-02-street\.csv failed and nothing from it was kept"):
        load("police_uk", [month, second], db, workers=1)
    assert count(db, "incident") == 3  # the first file only
    assert count(db, "import_run") == 1
    if db.dialect.name == "sqlite":  # the spatial index triggers dropped for the bulk insert are back
        assert count(db, "sqlite_master", "WHERE type = 'trigger' AND tbl_name = 'incident'") == 8


def test_bulk_path_keeps_spatial_index_and_triggers(db, tmp_path: Path) -> None:
    f = big_file(tmp_path / "big.csv", 3_000, "c")
    assert load("police_uk", f, db).inserted == 3_000
    with db.connect() as conn:
        brute = conn.execute(text(
            "SELECT count(*) FROM incident WHERE ST_X(geom) BETWEEN 359000 AND 361000 "
            "AND ST_Y(geom) BETWEEN 172000 AND 174000")).scalar_one()
        if db.dialect.name == "sqlite":
            indexed = conn.execute(text(
                "SELECT count(*) FROM incident WHERE rowid IN (SELECT pkid FROM idx_incident_geom WHERE "
                "xmin <= 361000 AND xmax >= 359000 AND ymin <= 174000 AND ymax >= 172000) "
                "AND ST_X(geom) BETWEEN 359000 AND 361000 AND ST_Y(geom) BETWEEN 172000 AND 174000")).scalar_one()
            assert conn.execute(text("SELECT count(*) FROM idx_incident_geom")).scalar_one() == 3_000
            n_triggers = conn.execute(text(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'incident'")).scalar_one()
            assert n_triggers == 8
        else:
            indexed = conn.execute(text(
                "SELECT count(*) FROM incident WHERE geom && ST_MakeEnvelope(359000, 172000, 361000, 174000, 27700) "
                "AND ST_X(geom) BETWEEN 359000 AND 361000 AND ST_Y(geom) BETWEEN 172000 AND 174000")).scalar_one()
    assert 0 < brute < 3_000 and indexed == brute
    # a later ordinary insert still goes through the re-created triggers
    small = write(tmp_path / "small.csv", row("z1"))
    load("police_uk", small, db)
    if db.dialect.name == "sqlite":
        assert count(db, "idx_incident_geom") == 3_001


def test_every_kind_stores_and_reloads(db, tmp_path: Path) -> None:
    import json

    geo = tmp_path / "lsoa.geojson"
    square = [[-2.60, 51.45], [-2.59, 51.45], [-2.59, 51.46], [-2.60, 51.46], [-2.60, 51.45]]
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"LSOA11CD": "E01000001", "LSOA11NM": "Bristol 001A"},
        "geometry": {"type": "Polygon", "coordinates": [square]}}]}))
    cp = tmp_path / "cp"
    cp.mkdir()
    (cp / "bs.csv").write_text('"BS1 1AD",10,360205,173432\n"BS1 1BT",10,358709,172898\n')
    schools = tmp_path / "schools.csv"
    schools.write_text("URN,SchName,Postcode,SchLevel\n100001,Hill,BS1 1AD,Primary\n")
    osm = tmp_path / "x.osm"
    osm.write_text('<osm><node id="1" lat="51.45" lon="-2.6"/><node id="2" lat="51.45" lon="-2.59"/>'
                   '<way id="9"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way></osm>')
    ed = tmp_path / "ed.csv"
    ed.write_text("record_id,date,time_band,incident_postcode\nA1,2025-03-01,22:00-22:59,BS1 1BT\n")
    net = write_network(tmp_path / "net", people=PEOPLE, groups=GROUPS, links=LINKS, places=PLACES)

    assert load("boundaries", geo, db).inserted == 1
    assert load("postcodes", cp, db).inserted == 2
    assert load("schools", schools, db).inserted == 1  # located through the stored postcodes
    assert load("streets", osm, db).inserted == 1
    assert load("injuries", ed, db).inserted == 1
    assert load("network", net, db).inserted == 10
    for kind, path in [("boundaries", geo), ("postcodes", cp), ("schools", schools), ("streets", osm),
                       ("injuries", ed)]:
        assert load(kind, path, db).inserted == 0, kind

    # a corrected network file updates the stored records
    write_network(tmp_path / "net", links=LINKS.replace("member_of,B", "member_of,D"))
    again = load("network", net, db)
    assert again.inserted == 0 and again.stored[0].updated == 10

    snap = load_snapshot(db)
    assert snap.areas.loc[0, ["code", "level", "version"]].tolist() == ["E01000001", "lsoa", "2011"]
    assert snap.schools.loc[0, "urn"] == "100001"
    assert (snap.schools.geometry.x.iloc[0], snap.schools.geometry.y.iloc[0]) == (360205, 173432)
    assert snap.streets.loc[0, ["u", "v", "walkable"]].tolist() == [1, 2, True]
    inj = snap.incidents[snap.incidents["category"] == "ED assault injury"]
    assert inj["has_time"].tolist() == [True] and inj["source_type"].tolist() == ["health"]
    assert snap.links.set_index("link_id").loc["L1", "evidence_grade"] == "D"
    assert sorted(snap.people["pseudonym"]) == ["ADULT-0001", "YP-0001", "YP-0002"]
    assert snap.places.crs.to_epsg() == 27700 and len(snap.places) == 2


@pytest.mark.realdata
def test_real_police_uk_into_the_store(db, shared_data: Path) -> None:
    first = load("police_uk", shared_data / "police_uk", db)
    assert first.inserted == 94_115
    assert count(db, "incident") == 94_115
    assert count(db, "import_run") == 8
    assert count(db, "import_rejection") == 11_392 + 300
    assert count(db, "import_rejection", "WHERE reason = 'no coordinates'") == 11_392
    assert count(db, "incident", "WHERE lsoa_version = '2021'") == 13_726 + 12_581 + 14_508 + 14_616
    again = load("police_uk", shared_data / "police_uk", db)
    assert again.inserted == 0 and again.already_stored == 94_115
    assert count(db, "incident") == 94_115


def test_unknown_kind() -> None:
    with pytest.raises(ValidationError, match="unknown import kind 'crimes'; use one of police-uk, boundaries"):
        load_module.normalise_kind("crimes")


def test_header_constant_is_the_police_header() -> None:
    assert HEADER.startswith("Crime ID,Month")
