"""The app's PostgreSQL role (docker-compose) owns no table and may only SELECT and INSERT the audit log
(issue 14, item 4): with its credentials the triggers cannot be dropped nor the log rewritten."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo_risk import audit
from geo_risk.errors import ValidationError
from geo_risk.store import session_scope
from geo_risk.store.engine import create_store_engine
from geo_risk.store.migrate import grant_app_role

pytestmark = pytest.mark.postgis

T0 = dt.datetime(2026, 12, 1, 9, 0)


@pytest.fixture
def app_engine(_postgis_engine):
    owner = _postgis_engine
    from tests.conftest import _truncate_postgis

    _truncate_postgis(owner)
    role = f"georisk_app_test_{secrets.token_hex(4)}"
    password = secrets.token_hex(12)
    grant_app_role(owner, role, password)
    url = owner.url.set(username=role, password=password)
    engine = create_store_engine(url.render_as_string(hide_password=False))
    try:
        yield role, engine
    finally:
        engine.dispose()
        with owner.begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
        _truncate_postgis(owner)


def test_the_app_role_appends_to_the_audit_log_and_nothing_else(app_engine, _postgis_engine):
    role, engine = app_engine
    with session_scope(engine) as s:
        audit.record(s, username="ana", role="analyst", purpose="analysis", pseudonym="YP-1", action="network.view",
                     outcome="allowed", request_id="r1", at=T0)
        audit.record(s, username="ana", role="analyst", purpose="analysis", pseudonym="YP-2", action="network.view",
                     outcome="allowed", request_id="r2", at=T0)
    assert audit.verify(engine).ok
    with engine.begin() as conn:  # the app's own tables: read and written
        conn.execute(text("INSERT INTO login_attempt (key_hash, at) VALUES ('k', :t)"), {"t": T0})
        conn.execute(text("DELETE FROM login_attempt"))
    for sql in ("UPDATE audit_event SET pseudonym = 'YP-9' WHERE seq = 1",
                "DELETE FROM audit_event WHERE seq = 2",
                "TRUNCATE audit_event",
                "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update",
                "DROP TRIGGER audit_event_no_delete ON audit_event",
                "SET session_replication_role = replica",
                "DROP TABLE audit_event"):
        with pytest.raises(DBAPIError, match="permission denied|must be owner|append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    with _postgis_engine.connect() as conn:
        owned = conn.execute(text("SELECT count(*) FROM pg_tables WHERE tableowner = :r"), {"r": role}).scalar_one()
    assert owned == 0
    assert audit.verify(engine).ok and audit.verify(engine).checked == 2


def test_grant_refuses_a_bad_role_name(_postgis_engine):
    with pytest.raises(ValidationError, match="not valid"):
        grant_app_role(_postgis_engine, 'x"; DROP TABLE audit_event; --')


def test_grant_is_postgres_only(db):
    if db.dialect.name == "postgresql":
        pytest.skip("the SpatiaLite half of this check")
    with pytest.raises(ValidationError, match="PostgreSQL only"):
        grant_app_role(db, "georisk_app")
