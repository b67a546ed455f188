"""Decision records as an older version saved them, brought up to date by the real data migration."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import geo_risk
from geo_risk.store import session_scope
from geo_risk.store.models import Assessment

VERSIONS = Path(geo_risk.__file__).parent / "store" / "migrations" / "versions"


def migration(stem: str):
    """The migration module ``versions/<stem>.py``."""
    spec = importlib.util.spec_from_file_location(f"_migration_{stem}", VERSIONS / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def save_as_version_1(engine, aid: int, result: dict) -> None:
    """Store ``result`` as record ``aid``'s result in the unversioned shape (schema 1)."""
    with session_scope(engine) as s:
        row = s.get(Assessment, aid)
        row.result, row.schema_version = result, 1


def upgrade_as_the_migration_does(engine, aid: int) -> None:
    """Upgrade record ``aid`` with migration 0007's own rules (as ``geo-risk db upgrade`` did)."""
    m = migration("0007_decision_record_schema")
    with session_scope(engine) as s:
        row = s.get(Assessment, aid)
        row.result, row.schema_version = m.upgrade_result(row.kind, dict(row.result)), m.SCHEMA
