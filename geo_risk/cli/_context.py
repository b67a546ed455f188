"""Settings and database handles shared by the command modules."""

from __future__ import annotations

import functools

from sqlalchemy.engine import Engine

from geo_risk.config import Policy, Settings
from geo_risk.errors import DataSourceError
from geo_risk.store.engine import create_store_engine


@functools.cache
def settings() -> Settings:
    return Settings.load()


@functools.cache
def policy() -> Policy:
    return settings().load_policy()


DEMO_AUDIT_KEY_FILE = "demo-audit-key"
DEMO_KEYED_FROM_FILE = "demo-audit-keyed-from"


def audit_keyed_from() -> int:
    """The first keyed audit event: the setting, else (for the demo's own key) the point the demo recorded."""
    value = settings().audit_keyed_from
    recorded = settings().data_dir / DEMO_KEYED_FROM_FILE
    if value == 1 and settings().audit_key_bytes() is None and recorded.is_file():
        return int(recorded.read_text().strip() or "1")
    return value


def audit_key() -> bytes | None:
    """The audit key: the settings' one, else the demo's (``<data_dir>/demo-audit-key``), else None."""
    key = settings().audit_key_bytes()
    if key is None:
        demo_key = settings().data_dir / DEMO_AUDIT_KEY_FILE
        if demo_key.is_file():
            key = demo_key.read_bytes().strip()
    return key


@functools.cache
def engine() -> Engine:
    from geo_risk import audit

    eng = create_store_engine(settings().resolved_database_url)
    key = audit_key()
    if key is not None:
        audit.bind_key(eng, key)
    return eng


def migrated_engine() -> Engine:
    """The configured engine, refusing to run on a database without the schema."""
    from sqlalchemy import inspect

    eng = engine()
    if "alembic_version" not in inspect(eng).get_table_names():
        msg = "the database has no geo-risk schema yet; run `geo-risk db upgrade` first"
        raise DataSourceError(msg)
    return eng


def area_of_interest():
    """The configured area of interest as one shapely geometry in EPSG:27700, or None."""
    path = settings().area_of_interest
    if path is None:
        return None
    from geo_risk.ingest.boundaries import read_boundaries

    result = read_boundaries(path)
    return result.gdf.union_all()


def snapshot_data(engine: Engine, as_of):
    """The data snapshot the use cases run on, loaded for ``as_of``'s day (as the web app does)."""
    from geo_risk.service import SnapshotData

    return SnapshotData.load(engine, policy(), as_of, school_holidays=settings().school_holidays,
                             area_of_interest=settings().area_of_interest)
