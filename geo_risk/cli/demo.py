"""``geo-risk demo``: the synthetic city, imported and served, in one command."""

from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path

import click

from geo_risk.cli import _context, main


def _demo_secret(data_dir: Path, name: str = "demo-secret-key") -> str:
    """A per-installation key kept in the data directory (created once, mode 600)."""
    path = data_dir / name
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def start_demo_audit_key(data_dir: Path, database_url: str, *, reset: bool = False) -> None:
    """Create the demo's audit key once, recording from which event its chain is keyed.

    A demo database from before the chain was keyed holds unkeyed events: the number
    after the newest of them is kept in ``demo-audit-keyed-from`` (the migration path of
    the audit log, recorded when the key is made). ``--reset`` starts a new chain.
    """
    from sqlalchemy import inspect, text

    recorded = data_dir / _context.DEMO_KEYED_FROM_FILE
    if reset:
        recorded.unlink(missing_ok=True)
    if (data_dir / _context.DEMO_AUDIT_KEY_FILE).exists():
        return
    from geo_risk.store.engine import create_store_engine

    newest = 0
    if not reset:
        engine = create_store_engine(database_url)  # not the cached one: that binds the key once it exists
        try:
            if "audit_event" in inspect(engine).get_table_names():
                with engine.connect() as conn:
                    newest = int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM audit_event")).scalar_one())
        finally:
            engine.dispose()
    data_dir.mkdir(parents=True, exist_ok=True)
    if newest:
        recorded.write_text(f"{newest + 1}\n")
    _demo_secret(data_dir, _context.DEMO_AUDIT_KEY_FILE)


@main.command()
@click.option("--reset", is_flag=True, help="Start over: regenerate the city and rebuild the database.")
@click.option("--no-serve", is_flag=True, help="Prepare everything and exit (for scripts and tests).")
@click.option("--size", type=click.Choice(["small", "city"]), default="small", show_default=True,
              help="Size of the synthetic city.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the synthetic city.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo(reset: bool, no_serve: bool, size: str, seed: int, host: str, port: int) -> None:
    """Generate the synthetic city, import it, create demo users and serve the web app.

    A second run reuses what exists and starts in seconds. The city is synthetic:
    no real person or place is in it.
    """
    from geo_risk.demo import prepare_demo

    settings = _context.settings()
    data_dir = Path(settings.data_dir)
    if settings.audit_key_bytes() is None:
        # The demo keys its audit chain with a key generated beside its database; other
        # commands on the same data directory find it there. It protects nothing against
        # someone who can read the data directory: a real deployment keeps its key elsewhere.
        start_demo_audit_key(data_dir, settings.resolved_database_url, reset=reset)
    info = prepare_demo(_context.engine(), data_dir, size=size, seed=seed, reset=reset,
                        progress=lambda line: click.echo(line, err=True))
    click.echo("")
    click.echo("Synthetown (synthetic) is ready. Scores are advisory.")
    if info.referrals:
        click.echo(f"{info.referrals} demo referral(s) granted to the housing and transport demo users.")
    if info.new_passwords:
        click.echo("Demo users (passwords are shown this once; `geo-risk demo --reset` makes new ones):")
        for role, username in info.usernames.items():
            click.echo(f"  {role:<16} {username:<22} {info.new_passwords.get(role, '(unchanged)')}")
    else:
        click.echo("Demo users: " + ", ".join(info.usernames.values())
                   + " (passwords as printed on the first run; `geo-risk demo --reset` makes new ones)")
    if no_serve:
        return
    from geo_risk.cli.serve import serve_app

    overrides: dict[str, object] = {}
    if not settings.secret_key:
        overrides["secret_key"] = _demo_secret(data_dir)
    if settings.audit_key_bytes() is None:
        overrides["audit_key_file"] = data_dir / _context.DEMO_AUDIT_KEY_FILE
        overrides["audit_keyed_from"] = _context.audit_keyed_from()
    if "GEO_RISK_COOKIE_SECURE" not in os.environ:
        overrides["cookie_secure"] = False  # the demo is served over plain local HTTP
    serve_app(host=host, port=port, settings=dataclasses.replace(settings, **overrides))
