"""``geo-risk db upgrade`` and ``geo-risk status``."""

from __future__ import annotations

import click

from geo_risk.cli import _context, main


@main.group()
def db() -> None:
    """Create or migrate the database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to migrate to.")
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema (SpatiaLite file or PostGIS, from GEO_RISK_DATABASE_URL)."""
    from geo_risk.store.migrate import upgrade

    eng = _context.engine()
    upgrade(eng, revision)
    click.echo(f"database schema is at {revision}: {eng.url.render_as_string(hide_password=True)}")


@db.command("grant-app")
@click.argument("role")
@click.option("--password-env", default=None, metavar="VAR",
              help="Set the role's login password from this environment variable.")
def db_grant_app(role: str, password_env: str | None) -> None:
    """Let PostgreSQL role ROLE run the app: it owns no table and may only SELECT and INSERT audit_event.

    Run as the tables' owner after every upgrade (docker-compose does); the app then
    connects as ROLE, so it cannot drop the audit triggers or rewrite the audit log.
    """
    import os

    from geo_risk.errors import ValidationError
    from geo_risk.store.migrate import grant_app_role

    password = None
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            msg = f"environment variable {password_env} is not set or empty"
            raise ValidationError(msg)
    grant_app_role(_context.migrated_engine(), role, password)
    click.echo(f"role {role}: no table of its own; SELECT, INSERT on audit_event; SELECT, INSERT, UPDATE, "
               "DELETE on the others")


@main.command()
def status() -> None:
    """Print what is loaded: counts per table, date ranges, area of interest."""
    from geo_risk.store.status import store_status

    eng = _context.engine()
    st = store_status(eng)
    s = _context.settings()
    click.echo(f"database:  {st.backend} {eng.url.render_as_string(hide_password=True)}")
    click.echo(f"schema:    {st.revision or 'none (run `geo-risk db upgrade`)'}")
    click.echo(f"area of interest: {s.area_of_interest or 'none (all of Great Britain accepted)'}")
    click.echo(f"policy:    {_context.policy().version}")
    if st.incident_months[0]:
        click.echo(f"incidents: {st.incident_months[0]} .. {st.incident_months[1]}")
        for cat, n in st.incident_categories.items():
            click.echo(f"  {n:>9,}  {cat}")
    if st.force_months:
        click.echo(f"police.uk forces: {len(st.force_months)}")
        for line in st.force_lines():
            click.echo(f"  {line}")
    click.echo(f"links:     {st.live_links:,} live, {st.expired_links:,} expired")
    click.echo("tables:")
    for name, n in st.counts.items():
        click.echo(f"  {name:<18} {n:>10,}")
