"""Schema migrations with Alembic (``geo-risk db upgrade``)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from geo_risk.store.engine import ensure_postgis

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    url = engine.url.render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default: the latest)."""
    ensure_postgis(engine)
    cfg = alembic_config(engine)
    # env.py opens its own engine from the URL: handing Alembic an open
    # SpatiaLite connection from another engine crashes some builds at exit.
    command.upgrade(cfg, revision)
    log.info("database schema is at %s", revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the models (for developers)."""
    command.revision(alembic_config(engine), message=message, autogenerate=True)


_ROLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_app_role(engine: Engine, role: str, password: str | None = None) -> None:
    """Let the PostgreSQL role ``role`` run the app and nothing more (creating it if needed).

    The role owns no table, so it cannot drop or disable the audit triggers, alter a
    table or truncate one. It may read and write the app's tables, but on ``audit_event``
    only ``SELECT`` and ``INSERT``. Run this as the schema's owner after every
    ``geo-risk db upgrade`` (tables added later need their grants); docker-compose does.

    Parameters
    ----------
    engine
        A PostGIS engine connected as the owner of the geo-risk tables.
    role
        The app's role: lower-case letters, digits and ``_``.
    password
        Set as the role's login password when given.
    """
    import psycopg.sql as pgsql
    from sqlalchemy import inspect, text

    from geo_risk.errors import ValidationError

    if engine.dialect.name != "postgresql":
        msg = "database roles exist on PostgreSQL only; SpatiaLite has a file's permissions"
        raise ValidationError(msg)
    if not _ROLE_RE.match(role or ""):
        msg = f"role name {role!r} is not valid: use lower-case letters, digits and '_', starting with a letter"
        raise ValidationError(msg)
    with engine.begin() as conn:
        if conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar_one() == 0:
            conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        raw = conn.connection.driver_connection
        if password:
            conn.exec_driver_sql(pgsql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
                pgsql.Identifier(role), pgsql.Literal(password)).as_string(raw))
        owned = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :r"),
                             {"r": role}).scalar_one()
        if owned:
            msg = f"role {role} owns {owned} table(s): the app's role must own none; choose another role"
            raise ValidationError(msg)
        tables = inspect(conn).get_table_names(schema="public")
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        conn.exec_driver_sql(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"')
        for table in tables:
            if table == "audit_event":
                privileges = "SELECT, INSERT"
            elif table in ("alembic_version", "spatial_ref_sys"):
                privileges = "SELECT"
            else:
                privileges = "SELECT, INSERT, UPDATE, DELETE"
            conn.exec_driver_sql(f'GRANT {privileges} ON TABLE public."{table}" TO "{role}"')
        conn.exec_driver_sql(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    log.info("role %s may run the app: no table of its own, SELECT and INSERT only on audit_event", role)
