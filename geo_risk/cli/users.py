"""``geo-risk users add|disable|enable|list|token``: accounts for the web app."""

from __future__ import annotations

import click

from geo_risk.cli import _context, main


@main.group()
def users() -> None:
    """Manage web app users (argon2id password hashes; no children's data here)."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "analyst", "housing", "transport", "school",
                                                            "privacy_officer"]), help="What the user may see.")
@click.option("--school", "schools", multiple=True, help="School URN a school user sees (repeatable).")
@click.password_option("--password", help="Password (prompted, not echoed, when not given).")
def users_add(username: str, role: str, schools: tuple[str, ...], password: str) -> None:
    """Add a user."""
    from geo_risk import accounts
    from geo_risk.store.engine import session_scope

    with session_scope(_context.migrated_engine()) as s:
        user = accounts.create_user(s, username, role, password, school_urns=schools)
        click.echo(f"added {user.username} ({user.role})")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable a user: their sessions end and their API token stops working."""
    from geo_risk import accounts
    from geo_risk.store.engine import session_scope

    with session_scope(_context.migrated_engine()) as s:
        accounts.set_disabled(s, accounts.get_user(s, username), True)
    click.echo(f"disabled {username}")


@users.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Enable a disabled user."""
    from geo_risk import accounts
    from geo_risk.store.engine import session_scope

    with session_scope(_context.migrated_engine()) as s:
        accounts.set_disabled(s, accounts.get_user(s, username), False)
    click.echo(f"enabled {username}")


@users.command("token")
@click.argument("username")
def users_token(username: str) -> None:
    """Issue a new API token for a user (printed once; replaces any old token)."""
    from geo_risk import accounts
    from geo_risk.store.engine import session_scope

    with session_scope(_context.migrated_engine()) as s:
        token = accounts.issue_token(s, accounts.get_user(s, username))
    click.echo(token)


@users.command("list")
def users_list() -> None:
    """List users, roles and status."""
    from geo_risk import accounts
    from geo_risk.store.engine import session_scope

    with session_scope(_context.migrated_engine()) as s:
        rows = accounts.list_users(s)
        click.echo(f"{'username':<24} {'role':<16} {'status':<9} schools")
        for u in rows:
            click.echo(f"{u.username:<24} {u.role:<16} {'disabled' if u.disabled else 'active':<9} {u.school_urns}")
