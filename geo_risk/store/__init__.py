"""System of record: SQLAlchemy 2 + GeoAlchemy2 models on SpatiaLite or PostGIS."""

from geo_risk.store.engine import create_store_engine, is_spatialite, session_scope
from geo_risk.store.migrate import upgrade
from geo_risk.store.snapshot import Snapshot, load_snapshot, normalise_postcode, resolve_postcodes

__all__ = [
    "Snapshot",
    "create_store_engine",
    "is_spatialite",
    "load_snapshot",
    "normalise_postcode",
    "resolve_postcodes",
    "session_scope",
    "upgrade",
]
