"""Storage on SpatiaLite and PostGIS: schema, SRID 27700, snapshot round trip."""

from __future__ import annotations

import datetime as dt

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import LineString, Point
from sqlalchemy import inspect, text

from geo_risk.errors import DataSourceError, NotFound, ValidationError
from geo_risk.store import load_snapshot, normalise_postcode, resolve_postcodes, session_scope
from geo_risk.store.engine import create_store_engine
from geo_risk.store.models import Base, Incident, Link, Person, Postcode, School, StreetSegment
from geo_risk.store.status import store_status


def test_schema_has_every_table(db):
    names = set(inspect(db).get_table_names())
    expected = {t.name for t in Base.metadata.sorted_tables}
    assert expected <= names
    assert "alembic_version" in names


def test_stored_coordinates_are_in_27700_read_back_with_raw_sql(db):
    with session_scope(db) as s:
        s.add(School(urn="900001", name="Synthetown Primary (synthetic)", phase="primary",
                     geom=from_shape(Point(601234.5, 861234.25), srid=27700)))
    with db.connect() as conn:
        wkt, srid = conn.execute(text("SELECT ST_AsText(geom), ST_SRID(geom) FROM school")).one()
    assert srid == 27700
    assert wkt.replace(" ", "") == "POINT(601234.5861234.25)"


def test_geometry_with_another_srid_is_refused(db):
    with pytest.raises(Exception), db.begin() as conn:  # noqa: B017 - both backends refuse, with their own error class
        conn.execute(text(
            "INSERT INTO school (urn, name, phase, geom) "
            "VALUES ('1', 'x', 'primary', ST_GeomFromText('POINT(-2.5 51.4)', 4326))"
        ))
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM school")).scalar_one() == 0


def test_snapshot_round_trip(db):
    when = dt.datetime(2026, 9, 1)
    with session_scope(db) as s:
        s.add(Incident(external_id="abc", category="Robbery", occurred_at=when, has_time=False, month="2026-09",
                       precision="snap_point", source="police.uk", source_type="police",
                       geom=from_shape(Point(600100, 860100), srid=27700)))
        s.add(StreetSegment(u=1, v=2, length_m=100.0, highway="footway", name="Mill Lane", walkable=True,
                            geom=from_shape(LineString([(600000, 860000), (600100, 860000)]), srid=27700)))
        s.add(Person(pseudonym="YP-0001", is_child=True, source="social care", source_type="social_care",
                     ethnicity="White: British"))
        s.add(Link(link_id="L1", from_kind="person", from_key="YP-0001", to_kind="group", to_key="G01",
                   type="member_of", evidence_grade="B", source="youth offending", source_type="youth_justice",
                   last_seen=when, expires_at=when + dt.timedelta(days=365)))
    snap = load_snapshot(db)
    assert snap.incidents.crs.to_epsg() == 27700
    assert snap.incidents.iloc[0]["category"] == "Robbery"
    assert snap.incidents.iloc[0].geometry.equals(Point(600100, 860100))
    assert str(snap.incidents["occurred_at"].dtype) == "datetime64[ns]"
    assert snap.streets.iloc[0]["walkable"] is True or bool(snap.streets.iloc[0]["walkable"])
    assert snap.streets["u"].dtype == "int64"
    assert snap.links.iloc[0]["expires_at"] == when + dt.timedelta(days=365)
    assert snap.person("YP-0001")["is_child"]
    assert not {"sex", "ethnicity", "religion"} & set(snap.people.columns)  # never in the serving snapshot
    with pytest.raises(NotFound):
        snap.person("YP-9999")


def test_resolve_postcodes_names_the_missing_ones(db):
    with session_scope(db) as s:
        s.add(Postcode(postcode="ZZ1 1AA", quality=10, geom=from_shape(Point(600500, 860500), srid=27700)))
    assert resolve_postcodes(db, ["zz11aa"]) == {"zz11aa": (600500.0, 860500.0)}
    with pytest.raises(ValidationError, match="ZZ9 9ZZ"):
        resolve_postcodes(db, ["ZZ1 1AA", "ZZ9 9ZZ"])


def test_status_counts(db):
    st = store_status(db)
    assert st.revision is not None and st.revision >= "0001"  # the latest migration
    assert st.counts["incident"] == 0


@pytest.mark.parametrize(("raw", "norm"), [("bs11aa", "BS1 1AA"), (" SW1A  1AA ", "SW1A 1AA"), ("ZZ1 1AA", "ZZ1 1AA")])
def test_normalise_postcode(raw, norm):
    assert normalise_postcode(raw) == norm


def test_normalise_postcode_refuses_garbage():
    with pytest.raises(ValidationError, match="not a UK postcode"):
        normalise_postcode("12")


def test_unsupported_url_is_refused():
    with pytest.raises(DataSourceError, match="unsupported database URL"):
        create_store_engine("mysql://x/y")


def test_migrations_match_the_models(db):
    """`geo-risk db upgrade` builds exactly the schema the models describe (no drift)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from geoalchemy2 import alembic_helpers

    ours = {t.name for t in Base.metadata.sorted_tables}

    def include(obj, name, type_, reflected, compare_to):
        if type_ == "table" and reflected and name not in ours:
            return False  # SpatiaLite's own metadata tables
        return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)

    with db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_object": include}), Base.metadata)
    assert diff == []


def test_a_new_spatialite_file_uses_16k_pages_and_wal(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path}/new.sqlite")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar_one() == 16384
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    engine.dispose()
    again = create_store_engine(f"sqlite:///{tmp_path}/new.sqlite")  # an existing file keeps its page size
    with again.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar_one() == 16384
    again.dispose()
