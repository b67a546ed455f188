"""Alembic environment: runs geo-risk's migrations on SpatiaLite or PostGIS."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from geo_risk.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from geo_risk.store.engine import create_store_engine

        engine = create_store_engine(config.get_main_option("sqlalchemy.url"))
        try:
            with engine.connect() as conn:
                _run(conn)
        finally:
            engine.dispose()
        return
    _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
