"""What is loaded: counts per table, date ranges and the area of interest."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from geo_risk.store.models import Base


@dataclass(frozen=True)
class StoreStatus:
    backend: str
    revision: str | None
    counts: dict[str, int]
    incident_months: tuple[str | None, str | None]
    incident_categories: dict[str, int]
    live_links: int
    expired_links: int


def store_status(engine: Engine) -> StoreStatus:
    """Counts of every table plus incident date range; works before ``db upgrade`` too."""
    from geo_risk.store.migrate import current_revision

    existing = set(inspect(engine).get_table_names())
    counts: dict[str, int] = {}
    months: tuple[str | None, str | None] = (None, None)
    categories: dict[str, int] = {}
    live = expired = 0
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in existing:
                counts[table.name] = int(conn.execute(text(f'SELECT count(*) FROM "{table.name}"')).scalar_one())
        if "incident" in existing and counts.get("incident"):
            lo, hi = conn.execute(text("SELECT min(month), max(month) FROM incident")).one()
            months = (lo, hi)
            rows = conn.execute(text("SELECT category, count(*) FROM incident GROUP BY category ORDER BY 2 DESC"))
            categories = {c: int(n) for c, n in rows}
        if "link" in existing:
            live = int(conn.execute(text("SELECT count(*) FROM link WHERE status = 'live'")).scalar_one())
            expired = counts.get("link", 0) - live
    return StoreStatus(
        backend="PostGIS" if engine.dialect.name == "postgresql" else "SpatiaLite",
        revision=current_revision(engine) if "alembic_version" in existing else None,
        counts=counts,
        incident_months=months,
        incident_categories=categories,
        live_links=live,
        expired_links=expired,
    )
